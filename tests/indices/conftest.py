"""Indices fixtures: the figures' hand-made March 2026 (tests/dashboard/conftest.py) and an index."""

from datetime import date

import pytest

from civicgrid.areas.models import Level
from civicgrid.indices import services
from tests.cases.conftest import at, cats, monday_morning, report, rule  # noqa: F401
from tests.dashboard.conftest import march  # noqa: F401

INDICATORS = [
    {
        "code": "on_time",
        "name": "按期办结率",
        "formula": "default(on_time_rate, 0)",
        "direction": "higher_better",
        "weight": 60,
    },
    {"code": "overdue", "name": "逾期", "formula": "overdue_open", "direction": "lower_better", "weight": 40},
]
MARCH = date(2026, 3, 1)


@pytest.fixture
def types(city):
    old = services.create_peer_group(
        code="old", name="老旧小区型", name_en="old compounds", level=Level.COMMUNITY
    )
    new = services.create_peer_group(code="new", name="商品房型", name_en="commercial", level=Level.COMMUNITY)
    return old, new


@pytest.fixture
def index(city, people, types):
    old, _new = types
    services.set_peer_group(city.community, old)
    services.set_peer_group(city.community2, old)
    return services.create_index(
        code="liuhe",
        name="六和指数",
        owner=city.district,
        level=Level.COMMUNITY,
        indicators=INDICATORS,
        months=1,
    )


@pytest.fixture(autouse=True)
def _english_messages():
    """Services' messages are matched in English here (pages pick their language per request)."""
    from django.utils import translation

    with translation.override("en"):
        yield
