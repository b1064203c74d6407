"""Setting up a branch: the community committee decides, a secretary is appointed, the street is told."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from civicgrid.party.models import OrgLevel, PartyOrganization
from civicgrid.party.services import file_with_street, set_up_branch
from civicgrid.people import policy
from civicgrid.people.models import Role
from civicgrid.people.services import assign_role, create_user

DECIDED = date(2024, 3, 1)


def test_an_own_branch_is_set_up_under_the_community_committee(city, compounds, committee, staff):
    cuiyuan = compounds.add("翠苑", pm=True, fence=True, members=3)
    branch = set_up_branch(city.community, [cuiyuan], staff.secretary, DECIDED, staff.recorder)
    branch.refresh_from_db()
    assert branch.level == OrgLevel.BRANCH
    assert branch.parent == committee
    assert branch.area == city.community
    assert branch.jurisdiction == city.community.jurisdiction
    assert list(branch.compounds.all()) == [cuiyuan]
    assert branch.is_joint is False
    assert branch.secretary == staff.secretary
    assert branch.set_up_on == DECIDED
    assert branch.filed_with_street_on is None


def test_several_compounds_make_a_joint_branch_and_the_secretary_gets_the_role(
    city, compounds, committee, staff
):
    a = compounds.add("老宿舍", members=2)
    b = compounds.add("新村", members=1)
    branch = set_up_branch(
        city.community,
        [a, b],
        staff.secretary,
        DECIDED,
        staff.recorder,
        name="宝石联合党支部",
        filed_with_street_on=date(2024, 3, 8),
    )
    assert branch.is_joint is True
    assert branch.name == "宝石联合党支部"
    assert branch.filed_with_street_on == date(2024, 3, 8)
    assignment = staff.secretary.roles.get()
    assert (assignment.role, assignment.area, assignment.appointed_on) == (
        Role.BRANCH_SECRETARY,
        city.community,
        DECIDED,
    )
    assert policy.has_role(staff.secretary, Role.BRANCH_SECRETARY)


def test_a_secretary_who_already_holds_the_role_is_not_assigned_twice(city, compounds, committee, staff):
    assign_role(staff.secretary, Role.BRANCH_SECRETARY, area=city.community)
    set_up_branch(
        city.community, [compounds.add("翠苑", members=3)], staff.secretary, DECIDED, staff.recorder
    )
    assert staff.secretary.roles.count() == 1


def test_filing_with_the_street_is_recorded_later(city, compounds, committee, staff):
    branch = set_up_branch(
        city.community, [compounds.add("翠苑", members=3)], staff.secretary, DECIDED, staff.recorder
    )
    file_with_street(branch, date(2024, 3, 15), staff.recorder)
    branch.refresh_from_db()
    assert branch.filed_with_street_on == date(2024, 3, 15)
    with pytest.raises(ValidationError):
        file_with_street(branch, date(2024, 2, 1), staff.recorder)


@pytest.mark.parametrize("role, scope", [(Role.GRID_WORKER, "grid"), (Role.LEADER, "street"), (None, None)])
def test_only_the_community_sets_up_branches(city, compounds, committee, staff, role, scope):
    outsider = create_user(f"not-community-{role}")
    if role:
        assign_role(outsider, role, area=getattr(city, scope))
    with pytest.raises(PermissionDenied):
        set_up_branch(city.community, [compounds.add("翠苑", members=3)], staff.secretary, DECIDED, outsider)
    assert not PartyOrganization.objects.filter(level=OrgLevel.BRANCH).exists()


def test_staff_of_another_community_cannot_set_up_branches_here(city, compounds, committee, staff):
    other = create_user("gel-staff")
    assign_role(other, Role.COMMUNITY_STAFF, area=city.community2)
    with pytest.raises(PermissionDenied):
        set_up_branch(city.community, [compounds.add("翠苑", members=3)], staff.secretary, DECIDED, other)


def test_a_compound_of_another_community_is_refused(city, compounds, committee, staff):
    here = compounds.add("翠苑", members=3)
    there = compounds.add("葛岭小区", members=3, grid=city.grid2)
    with pytest.raises(ValidationError, match="葛岭小区"):
        set_up_branch(city.community, [here, there], staff.secretary, DECIDED, staff.recorder)
    assert not PartyOrganization.objects.filter(level=OrgLevel.BRANCH).exists()


def test_a_compound_that_already_has_a_branch_is_refused(city, compounds, committee, staff):
    cuiyuan = compounds.add("翠苑", members=3)
    set_up_branch(city.community, [cuiyuan], staff.secretary, DECIDED, staff.recorder)
    with pytest.raises(ValidationError, match="翠苑"):
        set_up_branch(
            city.community,
            [compounds.add("新村", members=3), cuiyuan],
            staff.secretary,
            DECIDED,
            staff.recorder,
        )
    assert PartyOrganization.objects.filter(level=OrgLevel.BRANCH).count() == 1


def test_a_community_without_a_party_committee_cannot_set_up_branches(city, compounds, staff):
    with pytest.raises(ValidationError):
        set_up_branch(
            city.community, [compounds.add("翠苑", members=3)], staff.secretary, DECIDED, staff.recorder
        )


def test_nothing_is_half_done_when_a_step_fails(city, compounds, committee, staff, monkeypatch):
    from civicgrid.party import services

    def refuse(*args, **kwargs):
        raise ValidationError("appointment refused")

    monkeypatch.setattr(services, "assign_role", refuse)
    with pytest.raises(ValidationError):
        set_up_branch(
            city.community, [compounds.add("翠苑", members=3)], staff.secretary, DECIDED, staff.recorder
        )
    assert not PartyOrganization.objects.filter(level=OrgLevel.BRANCH).exists()


def test_filing_before_the_decision_and_a_missing_secretary_are_refused(city, compounds, committee, staff):
    cuiyuan = compounds.add("翠苑", members=3)
    with pytest.raises(ValidationError):
        set_up_branch(
            city.community,
            [cuiyuan],
            staff.secretary,
            DECIDED,
            staff.recorder,
            filed_with_street_on=date(2024, 2, 1),
        )
    with pytest.raises(ValidationError):
        set_up_branch(city.community, [cuiyuan], None, DECIDED, staff.recorder)
    with pytest.raises(ValidationError):
        set_up_branch(city.community, [], staff.secretary, DECIDED, staff.recorder)
