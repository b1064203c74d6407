"""Next door is out of scope, through every door: a department handler gets nothing of another
department's case, and a grid worker nothing of a neighbouring grid's households, neither through
the pages nor through the API (404 for cases: what is out of scope does not exist for them; 403 or
404 for areas)."""

import pytest

from civicgrid.cases import services


@pytest.fixture
def other_departments_case(city, people, intake):
    return services.dispatch(intake(area=city.grid2, description="污水外溢"), people.dispatcher, city.dept2)


@pytest.fixture
def own_departments_case(city, people, intake):
    return services.dispatch(intake(area=city.grid_x, description="商圈占道经营"), people.dispatcher, city.dept)


def test_a_handler_reaches_the_own_departments_case(client, api, people, own_departments_case):
    client.force_login(people.handler)
    assert client.get(f"/cases/work/{own_departments_case.pk}/").status_code == 200
    assert api(people.handler).get(f"/api/v1/cases/{own_departments_case.pk}/").status_code == 200


@pytest.mark.parametrize(
    "path",
    ["/cases/work/{pk}/", "/cases/work/{pk}/contact/", "/cases/work/{pk}/act/accept/"],
)
def test_a_handler_gets_nothing_of_another_departments_case_through_the_pages(
    client, people, other_departments_case, path
):
    client.force_login(people.handler)
    url = path.format(pk=other_departments_case.pk)
    assert client.get(url).status_code in (404, 405)
    assert client.post(url, {"reason": "x", "note": "x"}).status_code == 404
    other_departments_case.refresh_from_db()
    assert other_departments_case.state == "dispatched"


@pytest.mark.parametrize("suffix", ["", "contact/", "accept/", "comments/", "attachments/"])
def test_a_handler_gets_nothing_of_another_departments_case_through_the_api(
    api, people, other_departments_case, suffix
):
    client = api(people.handler)
    url = f"/api/v1/cases/{other_departments_case.pk}/{suffix}"
    assert client.get(url).status_code in (404, 405)
    posted = client.post(url, {"note": "x", "expected_version": other_departments_case.version})
    assert posted.status_code in (404, 405)  # 405: a read-only endpoint, whatever the case
    other_departments_case.refresh_from_db()
    assert other_departments_case.state == "dispatched"


def test_a_grid_worker_sees_the_own_grids_households(client, api, city, people):
    client.force_login(people.grid_worker)
    assert client.get(f"/people/households/{city.household.pk}/").status_code == 200
    assert client.get(f"/areas/{city.grid.code}/").status_code == 200


def test_a_grid_worker_gets_nothing_of_a_neighbouring_grids_households_through_the_pages(client, city, people):
    from civicgrid.core.models import AccessLog
    from civicgrid.people.services import create_resident

    create_resident(household=city.household2, name="李建国", gender="M", birth_year=1970, phone="13900001111")
    client.force_login(people.grid_worker)
    assert client.get(f"/people/households/{city.household2.pk}/").status_code in (403, 404)
    unmask = client.post(f"/people/households/{city.household2.pk}/unmask/", {"reason": "走访"})
    assert unmask.status_code in (403, 404)
    assert not AccessLog.objects.exists()
    neighbour = client.get(f"/areas/{city.building2.code}/")
    assert neighbour.status_code in (403, 404)
    assert "李" not in client.get(f"/areas/{city.grid2.code}/").content.decode()


def test_a_grid_worker_gets_nothing_of_a_neighbouring_grid_through_the_api(api, city, people):
    client = api(people.grid_worker)
    assert client.get(f"/api/v1/areas/{city.grid.code}/").status_code == 200
    assert client.get(f"/api/v1/areas/{city.grid2.code}/").status_code in (403, 404)
    assert client.get(f"/api/v1/areas/{city.building2.code}/").status_code in (403, 404)
    listed = {row["code"] for row in client.get("/api/v1/areas/", {"page_size": 500}).json()["results"]}
    assert city.grid2.code not in listed and city.building2.code not in listed


def test_a_nul_character_in_the_duplicate_search_is_a_clear_400(api, people):
    """Found by schemathesis on PostgreSQL: a NUL in `address` was a server error there."""
    response = api(people.dispatcher).get("/api/v1/cases/possible-duplicates/", {"address": "a\x00b"})
    assert response.status_code == 400 and "address" in response.json()["errors"]
