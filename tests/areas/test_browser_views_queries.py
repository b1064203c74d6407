"""Area pages run a bounded number of queries, whatever the number of grids or buildings (no N+1)."""

import pytest
from django.urls import reverse

from civicgrid.areas.models import Level
from civicgrid.areas.services import create_area, create_household
from civicgrid.people import policy
from civicgrid.people.models import Role
from civicgrid.people.services import assign_role, create_resident, create_user
from civicgrid.people.views import role_home_panels
from tests.conftest import square


@pytest.fixture
def big_community(city):
    """A community with 5 grids, each with a grid worker; the first grid has 30 buildings."""
    community = create_area(
        level=Level.COMMUNITY,
        code="330106001009",
        name="大社区",
        parent=city.street,
        shape=square(120.2, 30.2, 0.05),
    )
    grids = []
    for i in range(5):
        grid = create_area(
            level=Level.GRID,
            code=f"330106001009{i + 1:03d}",
            name=f"大社区{i + 1}网格",
            parent=community,
            kind="N" if i < 4 else "X",
            shape=square(120.2 + 0.01 * i, 30.2),
        )
        assign_role(create_user(f"gw{i}", "pw"), Role.GRID_WORKER, area=grid)
        grids.append(grid)
    for b in range(30):
        building = create_area(
            level=Level.BUILDING,
            code=f"{grids[0].code}B{b + 1:02d}",
            name=f"{b + 1}幢",
            parent=grids[0],
            lng=120.2 + 0.0003 * b,
            lat=30.205,
            floors=6,
        )
        for u in range(2):
            unit = create_area(
                level=Level.UNIT, code=f"{building.code}U{u + 1}", name=f"{u + 1}单元", parent=building
            )
            household = create_household(unit=unit, number="101")
            create_resident(household=household, name="李四", is_party_member=b % 3 == 0)
    return community, grids


# The page's own queries (a fixed number, whatever the number of grids or buildings) plus those of
# the top bar: session, user, roles, and one look-up per app that decides whether its link shows
# (mediation's memberships, a shop keeper's shop, …), each cached for the request.
PAGE_QUERIES = 20

def test_community_page_with_five_grids_runs_a_bounded_number_of_queries(
    client, city, people, big_community, django_assert_max_num_queries
):
    community, _grids = big_community
    client.force_login(people.dispatcher)
    with django_assert_max_num_queries(PAGE_QUERIES):
        response = client.get(reverse("areas:detail", args=[community.code]))
    assert response.status_code == 200
    assert len(response.context["grid_rows"]) == 5
    assert all(row["workers"] for row in response.context["grid_rows"])


def test_grid_page_with_thirty_buildings_runs_a_bounded_number_of_queries(
    client, city, people, big_community, django_assert_max_num_queries
):
    _community, grids = big_community
    client.force_login(people.dispatcher)
    with django_assert_max_num_queries(PAGE_QUERIES):
        response = client.get(reverse("areas:detail", args=[grids[0].code]))
    assert response.status_code == 200
    rows = response.context["building_rows"]
    assert len(rows) == 30 and all(r["units"] == 2 and r["households"] == 2 for r in rows)
    assert response.context["people"] == {"residents": 60, "party_members": 20}


def test_building_page_runs_a_bounded_number_of_queries(
    client, city, people, big_community, django_assert_max_num_queries
):
    _community, grids = big_community
    client.force_login(people.dispatcher)
    # a fixed number, whatever the rows: the page's own, the top bar's (one look-up per app)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("areas:detail", args=[f"{grids[0].code}B01"]))
    assert response.status_code == 200


def test_role_home_panels_run_a_bounded_number_of_queries(
    rf, city, people, big_community, django_assert_max_num_queries
):
    """Measured on the people app's own panel, so other apps' panels don't count against it."""
    _community, grids = big_community
    for persona in ["dispatcher", "community_staff", "grid_worker", "handler", "resident_user", "admin"]:
        request = rf.get("/")
        request.user = getattr(people, persona)
        with django_assert_max_num_queries(8):
            panels = role_home_panels(request, policy.main_role(request.user))
        assert panels, persona
