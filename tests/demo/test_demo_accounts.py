"""One demo account per role, each with its scope in the demo street, and a grid worker per grid."""

from django.contrib.auth import get_user_model

from civicgrid.areas.models import Area, Level
from civicgrid.demo.accounts import ACCOUNTS, DEMO_PASSWORD, GRID_WORKER_PREFIX, account_table
from civicgrid.party.models import OrgLevel, PartyOrganization
from civicgrid.people import policy
from civicgrid.people.models import Role, RoleAssignment

SCOPE_LEVEL = {
    "unit": Level.UNIT,
    "building": Level.BUILDING,
    "grid": Level.GRID,
    "community": Level.COMMUNITY,
    "street": Level.STREET,
    "district": Level.DISTRICT,
}


def test_every_role_has_an_account_with_the_demo_password_and_the_right_scope(tiny_city):
    User = get_user_model()
    assert {a.role for a in ACCOUNTS} == set(Role.values)
    street = Area.objects.get(level=Level.STREET)
    for account in ACCOUNTS:
        user = User.objects.get(username=account.username)
        assert user.check_password(DEMO_PASSWORD)
        (assignment,) = RoleAssignment.objects.filter(user=user)
        assert assignment.role == account.role
        if account.scope == "department":
            assert assignment.department.area == street
        elif account.scope:
            assert assignment.area.level == SCOPE_LEVEL[account.scope]
            assert assignment.area.is_within(street) or street.is_within(assignment.area)
        else:
            assert user.is_superuser and user.is_staff and policy.is_admin(user)


def test_the_main_accounts_work_in_the_same_grid(tiny_city):
    def area_of(username):
        return RoleAssignment.objects.get(user__username=username).area

    grid = area_of("gridworker")
    assert area_of("resident") == grid
    assert area_of("buildingleader").parent == grid
    assert area_of("steward").parent.parent == grid
    assert area_of("community") == grid.parent == area_of("secretary")
    assert area_of("dispatcher") == grid.parent.parent == area_of("leader")
    assert area_of("supervisor") == grid.parent.parent.parent


def test_building_leader_and_unit_steward_are_residents_appointed_after_election_and_publication(tiny_city):
    for username in ("buildingleader", "steward"):
        assignment = RoleAssignment.objects.get(user__username=username)
        assert assignment.elected_on < assignment.published_on < assignment.appointed_on
        resident = assignment.user.resident
        assert resident.path.startswith(assignment.area.path)
    assert RoleAssignment.objects.get(user__username="buildingleader").user.resident.is_party_member
    resident_user = get_user_model().objects.get(username="resident")
    assert resident_user.resident.path.startswith(RoleAssignment.objects.get(user=resident_user).area.path)


def test_the_secretary_leads_the_branch_of_the_building_leaders_compound(tiny_city):
    building = RoleAssignment.objects.get(user__username="buildingleader").area
    branch = PartyOrganization.objects.get(level=OrgLevel.BRANCH, compounds=building.compound)
    assert branch.secretary.username == "secretary"


def test_every_grid_has_exactly_one_grid_worker(tiny_city):
    workers = RoleAssignment.objects.filter(role=Role.GRID_WORKER)
    per_grid = {}
    for assignment in workers.select_related("user", "area"):
        per_grid.setdefault(assignment.area.code, []).append(assignment.user.username)
    grids = set(Area.objects.filter(level=Level.GRID).values_list("code", flat=True))
    assert set(per_grid) == grids
    for code, usernames in per_grid.items():
        assert len(usernames) == 1
        assert usernames[0] in ("gridworker", GRID_WORKER_PREFIX + code)


def test_the_account_table_names_role_in_chinese_and_english_username_password_and_scope(tiny_city):
    table = account_table()
    for account in ACCOUNTS:
        assert account.zh in table and account.en in table and account.username in table
    assert DEMO_PASSWORD in table
    assert "gw_" in table
