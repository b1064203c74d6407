"""Compounds with buildings, households and residents for the branch formation rule."""

from types import SimpleNamespace

import pytest

from civicgrid.areas.models import Area, Compound, Level
from civicgrid.areas.services import create_area, create_household
from civicgrid.party.models import OrgLevel
from civicgrid.party.services import create_organization
from civicgrid.people.models import Role
from civicgrid.people.services import assign_role, create_resident, create_user


@pytest.fixture
def compounds(city):
    """`compounds.add(...)` makes a compound of one building (at a point, or without one) whose
    households hold `members` resident Party members and `others` residents who are not."""

    def add(name, grid=None, *, pm=False, fence=False, members=0, others=1, at=None, community=None):
        grid = grid or city.grid
        community = community or grid.parent
        # Compounds have no write service in the areas app; this is their whole creation.
        compound = Compound.objects.create(
            community=community,
            name=name,
            has_property_management=pm,
            has_fence=fence,
            jurisdiction=community.jurisdiction,
        )
        serial = Area.objects.filter(parent=grid, level=Level.BUILDING).count() + 1
        building = create_area(
            level=Level.BUILDING,
            code=f"{grid.code}B{serial:02d}",
            name=f"{name}1幢",
            parent=grid,
            compound=compound,
            lng=at[0] if at else None,
            lat=at[1] if at else None,
        )
        unit = create_area(level=Level.UNIT, code=f"{building.code}U1", name="1单元", parent=building)
        for i in range(members + others):
            household = create_household(unit=unit, number=f"{i + 1:02d}01")
            create_resident(household=household, name=f"{name}居民{i}", is_party_member=i < members)
        return compound

    return SimpleNamespace(add=add)


@pytest.fixture
def committee(city):
    street = create_organization(level=OrgLevel.STREET_COMMITTEE, name="北山街道党工委", area=city.street)
    return create_organization(
        level=OrgLevel.COMMUNITY_COMMITTEE, name="宝石社区党委", area=city.community, parent=street
    )


@pytest.fixture
def staff(city):
    """Community staff of 宝石社区 (who record the committee's decisions), and a secretary-to-be."""
    recorder = create_user("baoshi-staff")
    assign_role(recorder, Role.COMMUNITY_STAFF, area=city.community)
    return SimpleNamespace(recorder=recorder, secretary=create_user("branch-secretary-to-be"))


@pytest.fixture
def branch(city, compounds, committee, staff):
    """A 三有 branch of 宝石社区 with its secretary (who holds the branch secretary role)."""
    from datetime import date

    from civicgrid.party.services import set_up_branch

    compound = compounds.add("宝石花园", pm=True, fence=True, members=3)
    return set_up_branch(city.community, [compound], staff.secretary, date(2026, 1, 5), staff.recorder)


@pytest.fixture
def members(city, branch, staff):
    """Party members with accounts: two of the branch (living in 宝石社区), and one whose
    organisation is a unit elsewhere (葛岭社区's committee) and who lives in 宝石社区."""
    from datetime import date

    from civicgrid.party.members import enrol

    m = SimpleNamespace()
    unit = Area.objects.get(parent__compound=branch.compounds.first(), level=Level.UNIT)

    def member(name, username, org, lead_by):
        user = create_user(username, "pw-" + username)
        assign_role(user, Role.RESIDENT, area=city.grid)
        household = create_household(unit=unit, number=f"9{len(vars(m)):03d}")
        resident = create_resident(household=household, name=name, is_party_member=True, user=user)
        enrol(resident, org, lead_by, joined_on=date(2025, 1, 1))
        return resident, user

    m.a, m.a_user = member("赵党员", "zhao", branch, staff.secretary)
    m.b, m.b_user = member("钱党员", "qian", branch, staff.secretary)
    street = branch.parent.parent
    elsewhere = create_organization(
        level=OrgLevel.COMMUNITY_COMMITTEE, name="葛岭社区党委", area=city.community2, parent=street
    )
    elsewhere_secretary = create_user("geling-secretary", "pw-geling-secretary")
    assign_role(elsewhere_secretary, Role.BRANCH_SECRETARY, area=city.community2)
    m.elsewhere, m.elsewhere_secretary = elsewhere, elsewhere_secretary
    m.c, m.c_user = member("孙党员", "sun", elsewhere, elsewhere_secretary)
    return m
