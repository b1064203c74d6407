"""Whistle calls (吹哨报到): issue, members report, check in and out, close with a result; a case
can raise one; 双报到 members may answer calls where they live."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from civicgrid.party import calls, dual
from civicgrid.party.models import CallEvent, CallState

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 5, 10, 9, 0, tzinfo=TZ)


@pytest.fixture
def call(branch, staff, city):
    with time_machine.travel(NOW, tick=False):
        return calls.issue_call(
            branch, "清理楼道堆物", city.building, 2, NOW + timedelta(hours=4), staff.secretary
        )


def test_members_report_until_enough_have_then_the_call_is_filled_in_time(call, members):
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        calls.report(call, members.a, members.a_user)
        calls.report(call, members.b, members.b_user)
    call.refresh_from_db()
    assert call.filled_at == NOW + timedelta(hours=1) and call.answered_in_time
    with pytest.raises(calls.CallConflict):
        calls.report(call, members.c, members.c_user)


def test_reporting_twice_is_a_clear_conflict(call, members):
    with time_machine.travel(NOW, tick=False):
        calls.report(call, members.a, members.a_user)
        with pytest.raises(calls.CallConflict):
            calls.report(call, members.a, members.a_user)


def test_check_in_out_and_close_with_a_result(call, members, staff):
    with time_machine.travel(NOW, tick=False):
        calls.report(call, members.a, members.a_user)
        calls.check_in(call, members.a_user)
        with pytest.raises(calls.CallConflict):
            calls.check_in(call, members.a_user)
        calls.close_call(call, "楼道已清空，共清运杂物 3 车", staff.secretary)
    call.refresh_from_db()
    assert call.state == CallState.CLOSED and call.result.startswith("楼道已清空")
    report = call.reports.get()
    assert report.checked_out_at is not None  # still on site at the close: checked out by it
    assert list(CallEvent.objects.filter(call=call).values_list("action", flat=True)) == ["issue", "close"]
    with pytest.raises(calls.CallConflict):
        calls.report(call, members.b, members.b_user)


def test_a_call_closes_with_a_result_only_and_only_by_its_issuer(call, members, staff):
    with pytest.raises(ValidationError):
        calls.close_call(call, "", staff.secretary)
    with pytest.raises(PermissionDenied):
        calls.close_call(call, "done", members.a_user)


def test_a_member_registered_where_they_live_answers_and_their_own_organisation_sees_only_that(
    branch, staff, members, city
):
    with time_machine.travel(NOW, tick=False):
        flood = calls.issue_call(
            branch.parent, "防汛值守", city.community, 3, NOW + timedelta(days=1), staff.secretary
        )
    dual.register_at_home(members.c, members.elsewhere, city.community, members.c_user, on=date(2026, 5, 1))
    assert flood in calls.open_calls_for(members.c)
    with time_machine.travel(NOW, tick=False):
        report = calls.report(flood, members.c, members.c_user)
    assert report.via_home_registration
    seen = dual.reported_elsewhere(members.elsewhere, members.elsewhere_secretary)
    assert seen == [
        {"member": "孙*员", "community": "宝石社区", "registered_on": date(2026, 5, 1), "ended_on": None}
    ]
    with pytest.raises(PermissionDenied):
        dual.reported_elsewhere(members.elsewhere, staff.secretary)  # another community's secretary


def test_a_case_can_raise_a_call(branch, staff, city, people):
    from civicgrid.cases import services as case_services

    case = case_services.intake(
        channel="resident_app", description="楼道堆放杂物堵塞消防通道", unit=city.unit
    ).case
    with time_machine.travel(NOW, tick=False):
        call = calls.issue_call(
            branch, "清理消防通道", city.building, 3, NOW + timedelta(hours=2), staff.secretary, case=case
        )
    assert call.case == case and list(case.whistle_calls.all()) == [call]


def test_a_call_needs_a_future_deadline_and_a_place_in_the_area(branch, staff, city):
    with time_machine.travel(NOW, tick=False):
        with pytest.raises(ValidationError):
            calls.issue_call(branch, "x", city.building, 1, NOW - timedelta(hours=1), staff.secretary)
        with pytest.raises(ValidationError):
            calls.issue_call(branch, "x", city.grid2, 1, NOW + timedelta(hours=1), staff.secretary)


def test_members_who_may_answer_are_told_in_their_inbox(call, members):
    from civicgrid.cases.models import InboxMessage
    from civicgrid.core import outbox

    outbox.drain()
    told = set(
        InboxMessage.objects.filter(text__contains="清理楼道堆物").values_list("user__username", flat=True)
    )
    assert {"zhao", "qian", "sun"} <= told
