"""The whole loop, as the people on each step would walk it."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from civicgrid.cases import services
from civicgrid.cases.models import CaseEvent, SupervisionOrder
from civicgrid.cases.workflow import State


def history(case):
    return list(CaseEvent.objects.filter(case=case).values_list("action", "from_state", "to_state"))


def test_report_to_verified_close_and_rating(city, people, rule, report):
    case = report(description="小区门口乱停车")
    case = services.register(case, people.grid_worker)
    assert case.state == State.REGISTERED and case.registered_at
    case = services.dispatch(case, people.dispatcher, city.dept, assisting=[city.dept2])
    assert case.state == State.DISPATCHED and case.department == city.dept
    case = services.accept(case, people.handler)
    assert case.state == State.IN_PROGRESS and case.responded_at
    case = services.mark_handled(case, people.handler, "已清理违停车辆")
    assert case.state == State.HANDLED and case.result == "已清理违停车辆"
    case = services.verify(case, people.grid_worker, passed=True, note="现场核实")
    assert case.state == State.CLOSED and case.closed_at and case.verified_at
    case = services.rate(case, people.resident_user, rating="satisfied", comment="很快")
    assert case.state == State.CLOSED and case.rating == "satisfied"
    assert history(case) == [
        ("report", "", "submitted"),
        ("register", "submitted", "registered"),
        ("dispatch", "registered", "dispatched"),
        ("accept", "dispatched", "in_progress"),
        ("mark_handled", "in_progress", "handled"),
        ("verify_pass", "handled", "closed"),
        ("rate", "closed", "closed"),
    ]
    assert case.version == 7
    actors = list(CaseEvent.objects.filter(case=case).values_list("actor__username", flat=True))
    assert actors == ["resident", "gridworker", "dispatcher", "handler", "handler", "gridworker", "resident"]


def test_failed_verification_sends_the_case_back_as_rework(city, people, rule, report):
    case = report()
    case = services.dispatch(case, people.dispatcher, city.dept)
    case = services.accept(case, people.handler)
    case = services.mark_handled(case, people.handler, "已处理")
    with pytest.raises(ValidationError):
        services.verify(case, people.grid_worker, passed=False)
    case = services.verify(case, people.grid_worker, passed=False, note="车辆仍在")
    assert case.state == State.REWORK and case.rework_count == 1 and case.handled_at is None
    case = services.mark_handled(case, people.handler, "已拖离")
    case = services.verify(case, people.grid_worker, passed=True)
    assert case.state == State.CLOSED


def test_unsatisfied_reopens_once_then_goes_to_the_supervisor(city, people, report):
    case = report()
    case = services.dispatch(case, people.dispatcher, city.dept)
    case = services.accept(case, people.handler)
    case = services.mark_handled(case, people.handler, "已处理")
    case = services.verify(case, people.grid_worker, passed=True)
    case = services.rate(case, people.resident_user, rating="unsatisfied", comment="没解决")
    assert case.state == State.REWORK and case.reopen_count == 1 and case.closed_at is None
    case = services.mark_handled(case, people.handler, "再次处理")
    case = services.verify(case, people.grid_worker, passed=True)
    case = services.rate(case, people.resident_user, rating="unsatisfied", comment="还是没解决")
    assert case.state == State.CLOSED and case.rating == "unsatisfied"
    with pytest.raises(ValidationError):
        services.rate(case, people.resident_user, rating="satisfied")  # one rating per close
    order = SupervisionOrder.objects.get(case=case)
    assert order.reason == "unsatisfied" and order.issued_by is None
    case = services.reopen(case, people.supervisor, note="督查复核后重办")
    assert case.state == State.REWORK and case.reopen_count == 2


def test_rating_through_the_follow_link_without_an_account(city, people):
    result = services.intake(channel="resident_app", description="路灯不亮", unit=city.unit)
    case = services.dispatch(result.case, people.dispatcher, city.dept)
    case = services.accept(case, people.handler)
    case = services.mark_handled(case, people.handler, "已修复")
    case = services.verify(case, people.grid_worker, passed=True)
    with pytest.raises(PermissionDenied):
        services.rate(case, rating="satisfied", token="wrong-token")
    case = services.rate(case, rating="basically", token=result.token)
    assert case.rating == "basically"
    assert CaseEvent.objects.filter(case=case, action="rate").get().actor is None


def test_not_accepted_needs_a_reason_the_reporter_sees(people, report):
    case = report()
    with pytest.raises(ValidationError):
        services.not_accept(case, people.grid_worker, "")
    case = services.not_accept(case, people.grid_worker, "属于私人纠纷，请通过调解途径")
    assert case.state == State.NOT_ACCEPTED and case.not_accepted_reason.startswith("属于")
    event = CaseEvent.objects.get(case=case, action="not_accept")
    assert event.public and event.note == case.not_accepted_reason


def test_a_coordination_case_is_handled_in_the_chain_without_a_department(people, report):
    case = report(description="楼道灯坏了")
    case = services.register(case, people.grid_worker)
    case = services.accept(case, people.grid_worker)
    assert case.state == State.IN_PROGRESS and case.department is None
    case = services.mark_handled(case, people.grid_worker, "已联系物业更换")
    case = services.verify(case, people.community_staff, passed=True)
    assert case.state == State.CLOSED


def test_comments_and_flagging_for_deliberation_keep_the_state(people, report):
    case = report()
    services.comment(case, people.grid_worker, "已电话联系居民")
    case = services.flag_for_deliberation(case, people.secretary, note="多位居民反映停车难")
    assert case.state == State.SUBMITTED and case.kind == "concentrated" and case.flagged_for_deliberation_at
    comment = CaseEvent.objects.get(case=case, action="comment")
    assert not comment.public
