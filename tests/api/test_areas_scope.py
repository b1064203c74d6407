import pytest


def codes(response):
    assert response.status_code == 200, response.content
    return {row["code"] for row in response.json()["results"]}


def test_a_grid_worker_lists_their_grid_below_it_and_the_ancestors_above(city, people, api):
    found = codes(api(people.grid_worker).get("/api/v1/areas/"))
    assert city.grid.code in found and city.building.code in found and city.unit.code in found
    assert {city.city.code, city.district.code, city.street.code, city.community.code} <= found
    assert city.grid2.code not in found and city.grid_x.code not in found


def test_a_dispatcher_sees_the_whole_street(city, people, api):
    found = codes(api(people.dispatcher).get("/api/v1/areas/", {"level": "grid"}))
    assert found == {city.grid.code, city.grid_x.code, city.grid2.code}


@pytest.mark.parametrize("persona", ["resident_user", "handler", "outsider"])
def test_people_without_an_area_role_see_no_areas(city, people, api, persona):
    assert codes(api(getattr(people, persona)).get("/api/v1/areas/")) == set()


def test_children_of_an_area_are_filtered_by_scope(city, people, api):
    response = api(people.grid_worker).get(f"/api/v1/areas/{city.community.code}/")
    assert response.status_code == 200
    assert {c["code"] for c in response.json()["children"]} == {city.grid.code}


def test_an_area_outside_the_scope_is_refused_with_a_clear_body(city, people, api):
    response = api(people.other_grid_worker).get(f"/api/v1/areas/{city.grid.code}/")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert response.json()["detail"]


def test_an_unknown_area_is_not_found_with_a_clear_body(city, people, api):
    response = api(people.admin).get("/api/v1/areas/999999/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_filters_by_parent_and_text(city, people, api):
    assert codes(api(people.admin).get("/api/v1/areas/", {"parent": city.street.code})) == {
        city.community.code,
        city.community2.code,
    }
    assert codes(api(people.admin).get("/api/v1/areas/", {"q": "葛岭"})) >= {city.community2.code}


def test_without_a_token_the_api_answers_401_with_a_body(city, api):
    response = api().get("/api/v1/areas/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Token")


def test_a_token_is_issued_for_a_username_and_password(city, people, api):
    response = api().post("/api/v1/auth/token/", {"username": "dispatcher", "password": "pw-dispatcher"})
    assert response.status_code == 200
    token = response.json()["token"]
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/areas/").status_code == 200


def test_a_wrong_password_gets_no_token_and_a_clear_body(city, people, api):
    response = api().post("/api/v1/auth/token/", {"username": "dispatcher", "password": "nope"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert response.json()["errors"]


def test_password_guessing_is_throttled(city, people, api, settings):
    settings.CIVICGRID_API_LOGIN_RATE = "3/min"
    client = api()
    statuses = [
        client.post("/api/v1/auth/token/", {"username": "dispatcher", "password": f"guess{i}"}).status_code
        for i in range(5)
    ]
    assert statuses == [400, 400, 400, 429, 429]
    response = client.post("/api/v1/auth/token/", {"username": "dispatcher", "password": "pw-dispatcher"})
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert response.json()["retry_after"] > 0


def test_a_user_over_the_rate_gets_429(city, people, api, settings):
    settings.CIVICGRID_API_USER_RATE = "2/min"
    client = api(people.dispatcher)
    assert [client.get("/api/v1/departments/").status_code for _ in range(3)] == [200, 200, 429]


def test_departments_are_listed_by_code(city, people, api):
    response = api(people.dispatcher).get("/api/v1/departments/")
    assert [d["code"] for d in response.json()["results"]] == ["D-CG", "D-SW"]


def test_an_address_under_the_api_that_names_nothing_is_a_json_404(city, people, api):
    for path in ("/api/v1/nothing/", "/api/v1/cases/abc/", "/api/v2/cases/"):
        response = api(people.admin).post(path) if path.endswith("abc/") else api(people.admin).get(path)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found" and response.json()["detail"]


def test_error_bodies_are_in_chinese_unless_english_is_asked_for(city, people, api):
    client = api(people.other_grid_worker)
    assert client.get(f"/api/v1/areas/{city.grid.code}/").json()["detail"] == "该区域不在您的管辖范围内。"
    english = client.get(f"/api/v1/areas/{city.grid.code}/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["detail"] == "This area is outside your scope."


def test_a_deleted_token_stops_working_at_once(city, people, api):
    from rest_framework.authtoken.models import Token

    client = api(people.dispatcher)
    assert client.get("/api/v1/departments/").status_code == 200
    Token.objects.filter(user=people.dispatcher).delete()
    response = client.get("/api/v1/departments/")
    assert response.status_code == 401 and response.json()["code"] == "authentication_failed"


def test_a_fault_of_the_server_is_a_500_with_a_body_and_is_logged(city, people, api, monkeypatch, caplog):
    from civicgrid.api import areas_views

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(areas_views.policy, "visible_areas", broken)
    response = api(people.admin).get("/api/v1/areas/")
    assert response.status_code == 500
    assert response.json()["code"] == "server_error" and response.json()["detail"]
    assert "disk on fire" in caplog.text
