"""Triage fixtures: the cases fixtures (categories, a dispatch rule, `report`) and a history maker."""

from __future__ import annotations

import pytest

from civicgrid.cases import services as cases_services
from civicgrid.core import outbox
from civicgrid.triage import predictor
from tests.cases.conftest import at, cats, monday_morning, report, rule  # noqa: F401

# A few texts per category, phrased unlike the category names, for a learned history.
HISTORY = {
    "0403": ["门口车辆堵得水泄不通", "那辆白车停了三个月", "车位被外地车占了", "路边车停得乱七八糟"],
    "1701": ["垃圾好几天没人拉走", "垃圾桶都溢出来了臭死了", "楼下垃圾堆成山", "清运车一直不来"],
    "0501": ["楼梯口全是纸箱过不去", "安全出口被锁住了", "楼梯间堆满旧家具", "通道里堆着自行车"],
}


@pytest.fixture(autouse=True)
def _english():
    """Messages are checked in English here (zh-hans is the default language)."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _fresh_predictor():
    predictor.forget()
    yield
    predictor.forget()


@pytest.fixture
def history(city, people, cats, rule):  # noqa: F811
    """history(rounds) → dispatched cases whose final category is the one of HISTORY's texts."""
    from civicgrid.cases.models import Category

    def make(rounds: int = 3):
        made = []
        for _ in range(rounds):
            for code, texts in HISTORY.items():
                for text in texts:
                    case = cases_services.intake(
                        channel="resident_app", description=text, unit=city.unit
                    ).case
                    cases_services.register(case, people.dispatcher, category=Category.objects.get(code=code))
                    made.append(case)
        outbox.drain()
        return made

    return make
