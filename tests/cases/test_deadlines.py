"""Deadlines in working time, time left (amber/red), extensions, holds and returns."""

from datetime import date, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from civicgrid.cases import services
from civicgrid.cases.models import ExtensionStatus
from civicgrid.cases.workflow import State

from .conftest import at


def test_limits_count_working_hours_from_the_report(report, cats, monday_morning):
    case = report(description="消防通道堵塞")  # respond 2 h, resolve 8 h
    assert case.respond_due == at(2026, 3, 2, 11, 0)
    assert case.resolve_due == at(2026, 3, 3, 9, 0)  # Mon 7.5 h (lunch skipped) + Tue 0.5 h
    assert case.level_due == at(2026, 3, 4, 9, 0)  # grid worker: 16 working hours


def test_a_deadline_across_the_spring_festival(report):
    with time_machine.travel(at(2026, 2, 13, 16, 0), tick=False):
        case = report(description="乱停车")  # 16 working hours to resolve
    # Fri 1.5 h, swapped Saturday 02-14 8 h, 02-15..23 off, Tue 02-24 6.5 h
    assert case.resolve_due == at(2026, 2, 24, 16, 0)


def test_a_deadline_reaching_a_swapped_sunday(report):
    with time_machine.travel(at(2026, 9, 18, 14, 0), tick=False):  # Friday
        case = report(description="消防通道堵塞")  # 8 working hours
    # Fri 14:00–17:30 3.5 h; Sat 09-19 off; Sun 09-20 worked in exchange: 4.5 h → 14:00
    assert case.resolve_due == at(2026, 9, 20, 14, 0)


def test_time_left_turns_amber_in_the_last_fifth_then_red(report):
    with time_machine.travel(at(2026, 3, 2, 8, 30), tick=False):
        case = report(description="乱停车")  # resolve by Tue 17:30 (16 h)
        case = services.register(case, case.reporter_user.__class__.objects.get(username="gridworker"))
    case.responded_at = at(2026, 3, 2, 9, 0)
    assert case.time_left(at(2026, 3, 2, 10, 0)).colour == "green"
    status = case.time_left(at(2026, 3, 3, 15, 0))
    assert status.colour == "amber" and status.which == "resolve"
    assert case.time_left(at(2026, 3, 3, 18, 0)).colour == "red"
    assert case.time_left(at(2026, 3, 3, 18, 0)).overdue


def test_a_granted_extension_moves_the_deadline(city, people, report, monday_morning):
    case = services.dispatch(report(description="乱停车"), people.dispatcher, city.dept)
    case = services.accept(case, people.handler)
    before = case.resolve_due
    request = services.request_extension(case, people.handler, 8, "需协调车主")
    with pytest.raises(ValidationError):
        services.request_extension(case, people.handler, 8, "再次申请")
    request = services.decide_extension(request, people.dispatcher, grant=True, note="同意")
    case.refresh_from_db()
    assert request.status == ExtensionStatus.GRANTED
    assert case.resolve_due == before + timedelta(days=1)  # 8 working hours later, same time next day


def test_a_refused_extension_keeps_the_deadline(city, people, report, monday_morning):
    case = services.accept(services.dispatch(report(), people.dispatcher, city.dept), people.handler)
    request = services.request_extension(case, people.handler, 16, "需要更多时间")
    services.decide_extension(request, people.dispatcher, grant=False, note="请按期办结")
    assert services.Case.objects.get(pk=case.pk).resolve_due == case.resolve_due
    with pytest.raises(ValidationError):
        services.decide_extension(request, people.dispatcher, grant=True)


def test_time_on_hold_does_not_count(city, people, report):
    with time_machine.travel(at(2026, 3, 2, 9, 0), tick=False):
        case = services.accept(
            services.dispatch(report(description="乱停车"), people.dispatcher, city.dept), people.handler
        )
        assert case.resolve_due == at(2026, 3, 4, 9, 0)  # 16 h: Mon 9:00 → Wed 9:00
        case = services.put_on_hold(case, people.dispatcher, until=date(2026, 3, 20), reason="等待管线改造")
        assert case.state == State.ON_HOLD
        assert case.time_left().colour == ""
    with time_machine.travel(at(2026, 3, 16, 9, 0), tick=False):
        case = services.resume(case, people.dispatcher)
    # All 16 working hours were left when it went on hold: they count again from the resumption
    assert case.resolve_due == at(2026, 3, 18, 9, 0)
    assert case.state == State.IN_PROGRESS


def test_hold_needs_a_future_review_date(city, people, report, monday_morning):
    case = services.accept(services.dispatch(report(), people.dispatcher, city.dept), people.handler)
    with pytest.raises(ValidationError):
        services.put_on_hold(case, people.dispatcher, until=date(2026, 3, 1), reason="x")


def test_a_return_is_allowed_only_within_its_window(city, people, report):
    with time_machine.travel(at(2026, 3, 2, 9, 0), tick=False):
        case = services.dispatch(report(), people.dispatcher, city.dept)
    with time_machine.travel(at(2026, 3, 2, 14, 30), tick=False):  # 4.5 working hours later
        with pytest.raises(ValidationError):
            services.return_to_dispatcher(case, people.handler, "不属于本部门")
    with time_machine.travel(at(2026, 3, 2, 9, 0), tick=False):
        case2 = services.dispatch(report(), people.dispatcher, city.dept)
    with time_machine.travel(at(2026, 3, 2, 13, 30), tick=False):  # 3.5 working hours
        case2 = services.return_to_dispatcher(case2, people.handler, "属于水务所")
    assert case2.state == State.RETURNED and case2.department is None
    case2 = services.dispatch(case2, people.dispatcher, city.dept2)
    assert case2.state == State.DISPATCHED and case2.department == city.dept2
