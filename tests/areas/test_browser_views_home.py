"""Each role lands on a home page made for it; other apps add panels through HOME_PANEL_PROVIDERS."""

import pytest

from civicgrid.core import views as core_views


def home(client, user):
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    return response


def panel(response, template):
    return next(p for p in response.context["home_panels"] if p["template"] == template)


def test_grid_worker_sees_their_grid_with_counts_map_and_shortcuts(client, city, people):
    response = home(client, people.grid_worker)
    grid = panel(response, "people/panels/grid.html")
    assert grid["grid"] == city.grid
    assert (grid["households"], grid["buildings"]) == (1, 1)
    assert grid["people"] == {"residents": 1, "party_members": 0}
    assert f'data-code="{city.grid.code}" class="area grid N mine"' in str(grid["map"])
    html = response.content.decode()
    assert "我的网格" in html and "进入我的网格" in html


def test_dispatcher_sees_the_streets_communities_grids_and_households(client, city, people):
    response = home(client, people.dispatcher)
    overview = panel(response, "people/panels/overview.html")
    assert overview["area"] == city.street
    assert overview["totals"]["communities"] == 2 and overview["totals"]["grids"] == 3
    assert {row["area"] for row in overview["rows"]} == {city.community, city.community2}
    assert "我的街道 / 乡镇" in response.content.decode()


@pytest.mark.parametrize("persona, area", [("supervisor", "district"), ("leader", "street")])
def test_supervisor_and_leader_see_an_overview_of_their_scope(client, city, people, persona, area):
    overview = panel(home(client, getattr(people, persona)), "people/panels/overview.html")
    assert overview["area"] == getattr(city, area)


def test_community_staff_see_their_communitys_grids(client, city, people):
    community = panel(home(client, people.community_staff), "people/panels/community.html")
    assert {row["area"] for row in community["grid_rows"]} == {city.grid, city.grid_x}


def test_department_handler_sees_their_department(client, city, people):
    response = home(client, people.handler)
    department = panel(response, "people/panels/department.html")
    assert department["department"] == city.dept
    assert department["served"] == [city.street] and department["handlers"] == ["handler"]
    assert "城管执法中队" in response.content.decode()


def test_resident_sees_their_household_masked_and_their_grid_worker(client, city, people):
    response = home(client, people.resident_user)
    household = panel(response, "people/panels/resident.html")
    assert household["household"] == city.household and household["grid_workers"] == ["gridworker"]
    html = response.content.decode()
    assert "张*明" in html and "138****5678" in html
    assert "张晓明" not in html and "13812345678" not in html
    assert 'href="/areas/' not in html  # residents have no area browser


def test_building_leader_sees_their_building(client, city, people):
    local = panel(home(client, people.building_leader), "people/panels/local.html")
    assert local["area"] == city.building and local["grid"] == city.grid and local["households"] == 1


def test_user_without_a_role_is_told_to_ask_for_one(client, city, people):
    response = home(client, people.outsider)
    assert response.context["home_panels"] == []
    assert "还没有分配角色" in response.content.decode()


def test_panels_from_other_apps_are_placed_by_their_order(client, city, people, monkeypatch):
    def report_entry(request, role):
        if role != "resident":
            return []
        return [{"title": "report", "template": "people/panels/_legend.html", "order": 5}]

    monkeypatch.setattr(core_views, "HOME_PANEL_PROVIDERS", [*core_views.HOME_PANEL_PROVIDERS, report_entry])
    response = home(client, people.resident_user)
    templates = [p["template"] for p in response.context["home_panels"]]
    assert templates[0] == "people/panels/_legend.html"
    assert "people/panels/resident.html" in templates[1:]


def test_home_page_switches_to_english(client, city, people):
    client.force_login(people.grid_worker)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get("/").content.decode()
    assert "My grid" in html and "Open my grid" in html and "我的网格" not in html
