"""A point given in GCJ-02 (phones, Chinese map apps) is stored in WGS84 however the place is given."""

from civicgrid.cases import services
from civicgrid.core import geo

# A WGS84 point inside the first grid, and the same point as a Chinese map app gives it (~450 m off).
WGS = (120.105, 30.205)
GCJ = geo.wgs84_to_gcj02(*WGS)


def assert_wgs(case, expected=WGS):
    assert abs(case.lng - expected[0]) < 1e-5 and abs(case.lat - expected[1]) < 1e-5, (case.lng, case.lat)


def test_a_gcj02_point_given_with_a_unit_is_stored_as_wgs84(city, people):
    case = services.intake(
        channel="resident_app", description="路灯不亮", lng=GCJ[0], lat=GCJ[1], crs="gcj02", unit=city.unit
    ).case
    assert case.unit_id == city.unit.pk
    assert_wgs(case)


def test_a_gcj02_point_given_with_a_building_is_stored_as_wgs84(city, people):
    case = services.intake(
        channel="resident_app",
        description="路灯不亮",
        lng=GCJ[0],
        lat=GCJ[1],
        crs="gcj02",
        building=city.building,
    ).case
    assert case.building_id == city.building.pk
    assert_wgs(case)


def test_a_gcj02_point_given_with_an_area_is_stored_as_wgs84(city, people):
    case = services.intake(
        channel="hotline",
        by=people.dispatcher,
        description="路灯不亮",
        lng=GCJ[0],
        lat=GCJ[1],
        crs="gcj02",
        area=city.street,
    ).case
    assert case.grid_id == city.grid.pk
    assert_wgs(case)


def test_a_gcj02_point_outside_every_grid_is_stored_as_wgs84(city, people):
    outside = (120.125, 30.225)  # in the street, in no grid
    lng, lat = geo.wgs84_to_gcj02(*outside)
    case = services.intake(
        channel="hotline",
        by=people.dispatcher,
        description="路灯不亮",
        lng=lng,
        lat=lat,
        crs="gcj02",
        area=city.street,
    ).case
    assert case.grid_id is None and case.path == city.street.path
    assert_wgs(case, outside)


def test_settling_on_the_spot_with_a_gcj02_point_and_a_unit_stores_wgs84(city, people):
    case = services.settle_on_spot(
        by=people.grid_worker,
        description="楼道堆物",
        result="已清理",
        lng=GCJ[0],
        lat=GCJ[1],
        crs="gcj02",
        unit=city.unit,
    ).case
    assert_wgs(case)


def test_the_api_converts_a_gcj02_point_sent_with_a_unit(city, people):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    from civicgrid.cases.models import Case

    client = APIClient()
    token, _ = Token.objects.get_or_create(user=people.resident_user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    body = {
        "channel": "resident_app",
        "description": "路灯不亮",
        "lng": GCJ[0],
        "lat": GCJ[1],
        "crs": "gcj02",
        "unit": city.unit.code,
    }
    response = client.post("/api/v1/cases/", body, format="json")
    assert response.status_code == 201, response.content
    assert_wgs(Case.objects.get(pk=response.json()["id"]))
