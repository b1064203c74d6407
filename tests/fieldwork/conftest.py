"""Fieldwork fixtures on top of the shared personas: a few more households in the grid worker's
grid with residents of known ages, and time frozen on a known day."""

from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine

from civicgrid.areas.services import create_household
from civicgrid.people.services import create_resident

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def wednesday():
    """Frozen at Wednesday 2026-03-11 10:00 local (week of 9–15 March, first quarter)."""
    with time_machine.travel(at(2026, 3, 11, 10, 0), tick=False) as traveller:
        yield traveller


@pytest.fixture
def homes(city, people):
    """city.household (the resident persona, born 1980: other household) plus three more in unit 1:
    an elderly resident alone, an elderly couple, and a flat with nobody registered."""
    h = SimpleNamespace(general=city.household)
    h.alone = create_household(unit=city.unit, number="102", address="宝石社区1幢1单元102")
    create_resident(household=h.alone, name="王秀英", gender="F", birth_year=1940, relation="户主")
    h.couple = create_household(unit=city.unit, number="201", address="宝石社区1幢1单元201")
    create_resident(household=h.couple, name="李建国", gender="M", birth_year=1950, relation="户主")
    create_resident(household=h.couple, name="赵桂兰", gender="F", birth_year=1952, relation="配偶")
    h.empty = create_household(unit=city.unit2, number="301", address="宝石社区1幢2单元301")
    h.outside = city.household2  # in grid2, another worker's grid
    return h


@pytest.fixture(autouse=True)
def _english_messages():
    """Service messages are asserted in English here; the pages' test checks the Chinese ones."""
    from django.utils import translation

    with translation.override("en"):
        yield
