"""A tiny demo city (one street, two communities, six grids), generated through the command.

Only the base city step runs here: other apps' demo steps (a year of cases, …) are theirs to test.
"""

from io import StringIO

import pytest
from django.core.management import call_command

from civicgrid.demo import registry


def run_demo(**options) -> str:
    out = StringIO()
    call_command("demo", stdout=out, **options)
    return out.getvalue()


@pytest.fixture(autouse=True)
def only_the_city_step(monkeypatch):
    registry.steps()  # import every demo step module once
    monkeypatch.setattr(registry, "_steps", {"city": registry._steps["city"]})


@pytest.fixture
def tiny_city(db):
    return run_demo(scale="tiny")
