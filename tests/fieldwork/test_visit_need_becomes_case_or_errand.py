"""A need raised on a visit becomes a case or an errand in the same step, through cases' services."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from civicgrid.cases.models import Case
from civicgrid.cases.workflow import Channel, State
from civicgrid.fieldwork import services
from civicgrid.fieldwork.models import Errand, Visit

pytestmark = pytest.mark.django_db


def test_a_need_becomes_a_registered_case_at_the_households_unit(people, homes, city, wednesday):
    saved = services.record_visit(
        people.grid_worker,
        homes.couple,
        visited_on=date(2026, 3, 11),
        met="head",
        needs="楼道灯坏了，老人晚上看不见",
        need_action="case",
        client_key="visit-case-0001",
    )
    visit = saved.row
    case = Case.objects.get(pk=visit.case_id)
    assert case.channel == Channel.HOUSEHOLD_VISIT
    assert case.state == State.REGISTERED
    assert case.unit_id == city.unit.pk and case.grid_id == city.grid.pk
    assert case.description == visit.needs


def test_resending_a_visit_with_a_need_makes_no_second_case(people, homes, wednesday):
    for _ in range(2):
        services.record_visit(
            people.grid_worker,
            homes.couple,
            visited_on=date(2026, 3, 11),
            met="head",
            needs="需要助餐服务",
            need_action="case",
            client_key="visit-case-0002",
        )
    assert Visit.objects.count() == 1 and Case.objects.count() == 1


def test_a_need_becomes_an_errand_with_the_consent_recorded(people, homes, wednesday):
    visit = services.record_visit(
        people.grid_worker,
        homes.alone,
        visited_on=date(2026, 3, 11),
        met="head",
        needs="帮忙代办高龄津贴",
        need_action="errand",
        consent_way="in_person",
    ).row
    errand = Errand.objects.get(pk=visit.errand_id)
    assert errand.consent_way == "in_person" and errand.consent_at is not None
    assert errand.case.is_errand and errand.case.channel == Channel.ERRAND


def test_an_errand_without_consent_is_refused_and_nothing_is_saved(people, homes, wednesday):
    with pytest.raises(ValidationError, match="consent"):
        services.record_visit(
            people.grid_worker,
            homes.alone,
            visited_on=date(2026, 3, 11),
            met="head",
            needs="帮忙代办高龄津贴",
            need_action="errand",
        )
    assert not Visit.objects.exists() and not Case.objects.exists()


def test_a_need_written_earlier_is_taken_up_later_in_one_step_once(people, homes, wednesday):
    visit = services.record_visit(
        people.grid_worker, homes.couple, visited_on=date(2026, 3, 10), met="member", needs="电梯经常停运"
    ).row
    visit = services.raise_need(visit, people.grid_worker, as_="case")
    assert visit.case.state == State.REGISTERED
    with pytest.raises(ValidationError, match="already"):
        services.raise_need(visit, people.grid_worker, as_="case")


def test_photos_without_a_case_or_errand_are_refused_not_dropped(people, homes, wednesday):
    with pytest.raises(ValidationError, match="Photos go with"):
        services.record_visit(
            people.grid_worker, homes.couple, visited_on=date(2026, 3, 11), met="head", photos=[b"not used"]
        )
    assert not Visit.objects.exists()
