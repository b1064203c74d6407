"""Case fixtures on top of the shared personas: categories (seeded by migration), a dispatch rule,
and a helper that takes a case in through the real intake service."""

from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine

from civicgrid.cases import services
from civicgrid.cases.models import Category, DispatchRule

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args) -> datetime:
    """An aware local (Asia/Shanghai) datetime."""
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def monday_morning():
    """Frozen at Monday 2026-03-02 09:00 local, an ordinary working day."""
    with time_machine.travel(at(2026, 3, 2, 9, 0), tick=False) as traveller:
        yield traveller


@pytest.fixture
def cats(db):
    c = SimpleNamespace()
    c.fire_lane = Category.objects.get(code="0501")  # 消防通道堵塞: respond 2 h, resolve 8 h
    c.parking = Category.objects.get(code="0403")  # 乱停车: 4 h / 16 h
    c.rubbish = Category.objects.get(code="1701")  # 垃圾清运: 4 h / 16 h
    c.city_top = Category.objects.get(code="04")
    c.other = Category.objects.get(code="2201")
    return c


@pytest.fixture
def rule(city, cats):
    """城市管理 in the street goes to 城管执法中队, with 水务所 assisting."""
    r = DispatchRule.objects.create(category=cats.city_top, area=city.street, department=city.dept)
    r.assisting.set([city.dept2])
    return r


@pytest.fixture
def report(city, people, cats):
    """report(**overrides) → a case reported by the resident in the first grid."""

    def make(**fields):
        fields.setdefault("channel", "resident_app")
        fields.setdefault("description", "小区门口有车辆乱停，占用消防通道")
        fields.setdefault("by", people.resident_user)
        if not any(k in fields for k in ("lng", "building", "unit", "area")):
            fields["unit"] = city.unit
        return services.intake(**fields).case

    return make
