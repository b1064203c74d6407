from civicgrid.cases import rollups, services


def test_figures_come_from_the_rollups_and_follow_the_scope(city, people, api, intake):
    case = intake(area=city.grid)
    services.register(case, people.grid_worker)
    services.not_accept(intake(area=city.grid, description="重复"), people.grid_worker, "重复")
    rollups.process_pending()
    response = api(people.dispatcher).get("/api/v1/figures/", {"area": city.street.code, "by": "child"})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["totals"]["reported"] == 2 and data["totals"]["not_accepted"] == 1
    assert data["totals"]["accepted"] == 1 and data["totals"]["completion_rate"] == 0
    assert {row["key"] for row in data["breakdown"]} == {city.community.code}
    grid = api(people.grid_worker).get("/api/v1/figures/", {"area": city.grid.code}).json()
    assert grid["totals"]["reported"] == 2
    refused = api(people.grid_worker).get("/api/v1/figures/", {"area": city.street.code})
    assert refused.status_code == 403 and refused.json()["detail"]


def test_a_department_handler_reads_their_department_figures(city, people, api):
    response = api(people.handler).get(
        "/api/v1/figures/", {"area": city.street.code, "department": city.dept.pk}
    )
    assert response.status_code == 200
    other = api(people.handler).get(
        "/api/v1/figures/", {"area": city.street.code, "department": city.dept2.pk}
    )
    assert other.status_code == 403


def test_figures_need_an_area_and_valid_months(city, people, api):
    client = api(people.admin)
    assert client.get("/api/v1/figures/").status_code == 400
    assert client.get("/api/v1/figures/", {"area": city.street.code, "start": "March"}).status_code == 400
    assert client.get("/api/v1/figures/", {"area": city.street.code, "by": "colour"}).status_code == 400
    ok = client.get(
        "/api/v1/figures/", {"area": city.street.code, "start": "2026-01", "end": "2026-12", "by": "month"}
    )
    assert ok.status_code == 200 and ok.json()["start"] == "2026-01"
