"""GET /areas/lookup answers in JSON: the grid, or a clear message outside every grid."""

import pytest
from django.urls import reverse

from civicgrid.areas.lookup import grid_cache
from civicgrid.core import geo
from civicgrid.people.models import Role
from civicgrid.people.services import assign_role, create_user


@pytest.fixture(autouse=True)
def fresh_cache():
    grid_cache.clear()
    yield
    grid_cache.clear()


@pytest.fixture
def client_in(client, city):
    resident = create_user("lookup-resident")
    assign_role(resident, Role.RESIDENT, area=city.grid)
    client.force_login(resident)
    return client


def test_lookup_names_the_grid_community_and_street(client_in, city):
    response = client_in.get(reverse("areas:lookup"), {"lng": "120.105", "lat": "30.205"})
    assert response.status_code == 200
    body = response.json()
    assert body["found"] is True
    assert body["code"] == city.grid.code
    assert body["name"] == "宝石一网格"
    assert body["kind"] == "N"
    assert body["community"] == {"code": city.community.code, "name": "宝石社区"}
    assert body["street"] == {"code": city.street.code, "name": "北山街道"}


def test_lookup_takes_gcj02_coordinates(client_in, city):
    lng, lat = geo.wgs84_to_gcj02(120.125, 30.205)
    body = client_in.get(reverse("areas:lookup"), {"lng": lng, "lat": lat, "crs": "gcj02"}).json()
    assert body["code"] == city.grid2.code
    assert body["lng"] == pytest.approx(120.125, abs=1e-6)


def test_outside_every_grid_is_a_clear_answer_in_chinese_by_default(client_in, city):
    response = client_in.get(reverse("areas:lookup"), {"lng": "121.5", "lat": "31.2"})
    assert response.status_code == 200
    body = response.json()
    assert body["found"] is False
    assert "网格" in body["message"]


def test_outside_every_grid_in_english(client_in, city):
    body = client_in.get(
        reverse("areas:lookup"), {"lng": "121.5", "lat": "31.2"}, HTTP_ACCEPT_LANGUAGE="en"
    ).json()
    assert body["message"].startswith("This place is not inside any grid")


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"lng": "abc", "lat": "30"},
        {"lng": "120.1"},
        {"lng": "200", "lat": "30"},
        {"lng": "nan", "lat": "30"},
    ],
)
def test_a_malformed_request_gets_a_400_with_a_message(client_in, city, params):
    response = client_in.get(reverse("areas:lookup"), params)
    assert response.status_code == 400
    assert response.json()["found"] is False and response.json()["message"]


def test_an_unknown_coordinate_system_gets_a_400(client_in, city):
    response = client_in.get(reverse("areas:lookup"), {"lng": "120.105", "lat": "30.205", "crs": "bd09"})
    assert response.status_code == 400


def test_anonymous_callers_are_asked_to_log_in(client, city):
    response = client.get(reverse("areas:lookup"), {"lng": "120.105", "lat": "30.205"})
    assert response.status_code == 401
    assert response.json()["found"] is False


def test_only_get_is_allowed(client_in, city):
    assert client_in.post(reverse("areas:lookup"), {"lng": "120.105", "lat": "30.205"}).status_code == 405
