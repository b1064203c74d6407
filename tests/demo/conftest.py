"""A tiny demo city (one street, two communities, six grids), generated through the command."""

from io import StringIO

import pytest
from django.core.management import call_command


def run_demo(**options) -> str:
    out = StringIO()
    call_command("demo", stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def tiny_city(db):
    return run_demo(scale="tiny")
