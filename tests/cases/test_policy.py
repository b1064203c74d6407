"""Who may see and do what: role × scope × state, as a grid."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from civicgrid.cases import policy, services
from civicgrid.cases.models import Case

EVERYONE = [
    "resident_user",
    "steward",
    "building_leader",
    "grid_worker",
    "other_grid_worker",
    "secretary",
    "community_staff",
    "dispatcher",
    "handler",
    "other_handler",
    "supervisor",
    "leader",
    "admin",
    "outsider",
]


@pytest.fixture
def two_cases(city, people):
    """mine: reported by the resident in grid 1, dispatched to 城管 with 水务 assisting;
    theirs: an anonymous report in grid 2 (another community)."""
    mine = services.intake(
        channel="resident_app", description="乱停车", unit=city.unit, by=people.resident_user
    ).case
    mine = services.dispatch(mine, people.dispatcher, city.dept, assisting=[city.dept2])
    theirs = services.intake(channel="resident_app", description="乱停车", unit=city.unit3).case
    return mine, theirs


SEES_MINE = {
    "resident_user", "steward", "building_leader", "grid_worker", "secretary", "community_staff",
    "dispatcher", "handler", "other_handler", "supervisor", "leader", "admin",
}  # fmt: skip
SEES_THEIRS = {"other_grid_worker", "dispatcher", "supervisor", "leader", "admin"}


@pytest.mark.parametrize("who", EVERYONE)
def test_who_sees_which_case(who, people, two_cases):
    mine, theirs = two_cases
    user = getattr(people, who)
    visible = set(policy.visible_cases(user).values_list("pk", flat=True))
    assert (mine.pk in visible) == (who in SEES_MINE)
    assert (theirs.pk in visible) == (who in SEES_THEIRS)
    assert policy.can_view(user, mine) == (who in SEES_MINE)
    assert policy.can_view(user, theirs) == (who in SEES_THEIRS)


def test_nobody_anonymous_sees_cases(two_cases):
    assert not policy.visible_cases(AnonymousUser()).exists()


def in_state(case, state):
    """A fresh copy of `case` with its state set, for checking the rule alone."""
    copy = Case.objects.get(pk=case.pk)
    copy.state = state
    return copy


# action, state the case is in, who may (everyone else in EVERYONE may not)
GRID = [
    (
        "register",
        "submitted",
        {"grid_worker", "secretary", "community_staff", "dispatcher", "supervisor", "admin"},
    ),
    (
        "not_accept",
        "submitted",
        {"grid_worker", "secretary", "community_staff", "dispatcher", "supervisor", "admin"},
    ),
    ("dispatch", "registered", {"dispatcher", "supervisor", "admin"}),
    ("accept", "dispatched", {"handler", "admin"}),
    ("return_to_dispatcher", "dispatched", {"handler", "admin"}),
    ("request_extension", "in_progress", {"handler", "admin"}),
    ("decide_extension", "in_progress", {"dispatcher", "supervisor", "admin"}),
    ("put_on_hold", "in_progress", {"dispatcher", "supervisor", "admin"}),
    ("resume", "on_hold", {"dispatcher", "supervisor", "admin"}),
    ("mark_handled", "in_progress", {"handler", "admin"}),
    ("verify_pass", "handled", {"grid_worker", "community_staff", "dispatcher", "supervisor", "admin"}),
    ("verify_fail", "handled", {"grid_worker", "community_staff", "dispatcher", "supervisor", "admin"}),
    (
        "rate",
        "closed",
        {"resident_user", "grid_worker", "community_staff", "dispatcher", "supervisor", "admin"},
    ),
    ("reopen", "closed", {"supervisor", "admin"}),
    ("supervise", "in_progress", {"dispatcher", "supervisor", "admin"}),
    (
        "merge",
        "registered",
        {"grid_worker", "secretary", "community_staff", "dispatcher", "supervisor", "admin"},
    ),
    (
        "flag_for_deliberation",
        "registered",
        {"secretary", "community_staff", "dispatcher", "supervisor", "admin"},
    ),
    ("comment", "in_progress", SEES_MINE - {"leader"}),
    ("add_attachment", "in_progress", SEES_MINE - {"leader"}),
]


@pytest.mark.parametrize("action,state,allowed", GRID, ids=[g[0] for g in GRID])
def test_who_may_act_on_a_department_case(action, state, allowed, people, two_cases):
    case = in_state(two_cases[0], state)
    for who in EVERYONE:
        assert policy.can(getattr(people, who), action, case) == (who in allowed), who


def test_in_the_chain_the_holder_of_the_level_or_above_acts(city, people):
    case = services.intake(channel="resident_app", description="楼道灯坏了", unit=city.unit).case
    case = services.register(case, people.grid_worker)
    allowed = {"grid_worker", "secretary", "community_staff", "dispatcher", "supervisor", "admin"}
    for who in EVERYONE:
        assert policy.can(getattr(people, who), "accept", case) == (who in allowed), who
        assert policy.can(getattr(people, who), "escalate", case) == (who in allowed), who


def test_nobody_acts_in_the_wrong_state(people, two_cases):
    mine = two_cases[0]  # dispatched
    assert not policy.can(people.admin, "verify_pass", mine)
    assert set(policy.available_actions(people.handler, mine)) == {
        "accept",
        "return_to_dispatcher",
        "request_extension",
        "comment",
        "add_attachment",
    }


def test_services_refuse_what_policy_forbids(people, two_cases):
    mine, theirs = two_cases
    with pytest.raises(PermissionDenied):
        services.accept(mine, people.other_handler)
    with pytest.raises(PermissionDenied):
        services.register(theirs, people.grid_worker)
    with pytest.raises(PermissionDenied):
        services.comment(mine, people.leader, "批示")
    with pytest.raises(PermissionDenied):
        services.comment(mine, AnonymousUser(), "x")


def test_contact_details_are_unmasked_only_for_staff_working_the_case(people, two_cases):
    mine = two_cases[0]
    assert policy.can_view_contact(people.grid_worker, mine)
    assert policy.can_view_contact(people.handler, mine)
    assert not policy.can_view_contact(people.leader, mine)
    assert not policy.can_view_contact(people.other_handler, mine)
    assert not policy.can_view_contact(people.outsider, mine)
