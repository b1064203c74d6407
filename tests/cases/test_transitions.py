"""Every action from every state: the allowed ones move as TRANSITIONS says, the others raise."""

import pytest

from civicgrid.cases import services, workflow
from civicgrid.cases.models import Case
from civicgrid.cases.services import IllegalTransition
from civicgrid.cases.workflow import TRANSITIONS, State


def test_every_target_state_is_a_state_and_every_source_too():
    for name, t in TRANSITIONS.items():
        assert set(t.sources) <= set(State.values), name
        assert t.target is None or t.target in State.values, name
        assert t.roles, name


def test_final_states_allow_only_comments_photos_rating_and_reopening():
    assert set(workflow.allowed_actions(State.CLOSED)) == {"rate", "reopen", "comment", "add_attachment"}
    assert set(workflow.allowed_actions(State.NOT_ACCEPTED)) == {"comment"}
    assert set(workflow.allowed_actions(State.MERGED)) == {"comment"}


@pytest.mark.parametrize("state", State.values)
@pytest.mark.parametrize("action", sorted(TRANSITIONS))
def test_workflow_check_allows_exactly_the_listed_moves(action, state):
    t = TRANSITIONS[action]
    if state in t.sources:
        assert workflow.check(action, state) == (t.target or state)
    else:
        with pytest.raises(IllegalTransition):
            workflow.check(action, state)


# A service call for each action, made by someone allowed to take it.
def call(action, case, p, city):
    from datetime import timedelta

    from django.utils import timezone

    return {
        "register": lambda: services.register(case, p.admin),
        "not_accept": lambda: services.not_accept(case, p.admin, "重复"),
        "dispatch": lambda: services.dispatch(case, p.admin, city.dept),
        "accept": lambda: services.accept(case, p.admin),
        "return_to_dispatcher": lambda: services.return_to_dispatcher(case, p.admin, "不属于本部门"),
        "request_extension": lambda: services.request_extension(case, p.admin, 8, "需要协调"),
        "put_on_hold": lambda: services.put_on_hold(
            case, p.admin, until=timezone.localdate() + timedelta(days=30), reason="待资金"
        ),
        "resume": lambda: services.resume(case, p.admin),
        "mark_handled": lambda: services.mark_handled(case, p.admin, "已处理"),
        "verify_pass": lambda: services.verify(case, p.admin, passed=True),
        "verify_fail": lambda: services.verify(case, p.admin, passed=False, note="未处理好"),
        "rate": lambda: services.rate(case, p.admin, rating="satisfied"),
        "reopen": lambda: services.reopen(case, p.admin, note="复核"),
        "escalate": lambda: services.escalate(case, p.admin),
        "supervise": lambda: services.supervise(case, p.admin, note="请尽快处理"),
        "merge": None,
        "flag_for_deliberation": lambda: services.flag_for_deliberation(case, p.admin, note="议事"),
        "comment": lambda: services.comment(case, p.admin, "备注"),
        "pick_place": lambda: services.pick_place(case, p.admin, building=city.building),
    }[action]


def bring_to(state, report, p, city):
    """A case in `state`, reached through the services."""
    case = report()
    path = {
        State.SUBMITTED: [],
        State.REGISTERED: ["register"],
        State.NOT_ACCEPTED: ["not_accept"],
        State.DISPATCHED: ["dispatch"],
        State.RETURNED: ["dispatch", "return_to_dispatcher"],
        State.IN_PROGRESS: ["dispatch", "accept"],
        State.ON_HOLD: ["dispatch", "accept", "put_on_hold"],
        State.HANDLED: ["dispatch", "accept", "mark_handled"],
        State.REWORK: ["dispatch", "accept", "mark_handled", "verify_fail"],
        State.CLOSED: ["dispatch", "accept", "mark_handled", "verify_pass"],
        State.MERGED: None,
    }[state]
    if path is None:
        main = report()
        services.merge([case], main, p.admin)
    else:
        for action in path:
            call(action, case, p, city)()
    case = Case.objects.get(pk=case.pk)
    assert case.state == state
    return case


SERVICE_ACTIONS = sorted(set(TRANSITIONS) - {"merge", "decide_extension", "add_attachment"})


@pytest.mark.parametrize("state", State.values)
def test_each_service_moves_or_refuses_from_each_state(state, report, people, city, monday_morning):
    for action in SERVICE_ACTIONS:
        case = bring_to(state, report, people, city)
        t = TRANSITIONS[action]
        if state in t.sources:
            before = case.version
            call(action, case, people, city)()
            case.refresh_from_db()
            assert case.version == before + 1, action
            expected = t.target or state
            if action == "rate":
                expected = State.CLOSED
            assert case.state == expected, (action, state)
        else:
            with pytest.raises(IllegalTransition):
                call(action, case, people, city)()
            assert Case.objects.get(pk=case.pk).state == state


def test_merge_from_each_state(report, people, city, monday_morning):
    for state in State.values:
        case = bring_to(state, report, people, city)
        main = report()
        if state in TRANSITIONS["merge"].sources:
            services.merge([case], main, people.admin)
            assert Case.objects.get(pk=case.pk).state == State.MERGED
        else:
            with pytest.raises(IllegalTransition):
                services.merge([case], main, people.admin)
