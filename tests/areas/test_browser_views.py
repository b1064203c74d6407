"""The area browser: district → street → community → grid → building → unit, scoped by role."""

import re

import pytest
from django.urls import reverse

from civicgrid.areas.models import Level
from civicgrid.areas.services import create_area
from civicgrid.areas.templatetags.area_maps import render_map


def page(client, user, area):
    client.force_login(user)
    return client.get(reverse("areas:detail", args=[area.code]))


def test_community_page_lists_each_grid_with_kind_households_worker_and_buildings(client, city, people):
    response = page(client, people.community_staff, city.community)
    assert response.status_code == 200
    rows = {row["area"].code: row for row in response.context["grid_rows"]}
    assert set(rows) == {city.grid.code, city.grid_x.code}
    assert rows[city.grid.code]["workers"] == ["gridworker"]
    assert rows[city.grid.code]["buildings"] == 1
    assert rows[city.grid_x.code]["workers"] == []
    html = response.content.decode()
    assert "宝石一网格" in html and "宝石商圈网格" in html
    assert "居住型（N）" in html or "kind-N" in html


def test_map_draws_grids_coloured_by_kind_as_offline_svg(client, city, people):
    response = page(client, people.community_staff, city.community)
    svg = str(response.context["map"])
    assert svg.startswith("<svg")
    assert f'data-code="{city.grid.code}" class="area grid N"' in svg
    assert f'data-code="{city.grid_x.code}" class="area grid X"' in svg
    # No tiles, no scripts, no external references: only the SVG namespace URI.
    assert "<script" not in svg and "<image" not in svg
    assert svg.count("http") == 1 and 'xmlns="http://www.w3.org/2000/svg"' in svg


def test_grid_workers_own_grid_is_highlighted_and_other_grids_are_context_only(client, city, people):
    response = page(client, people.grid_worker, city.community)
    assert response.status_code == 200
    svg = str(response.context["map"])
    assert f'data-code="{city.grid.code}" class="area grid N mine"' in svg
    assert city.grid_x.code not in svg  # drawn as plain context: no link, no label, no code
    assert 'class="area context"' in svg
    assert [row["area"].code for row in response.context["grid_rows"]] == [city.grid.code]
    assert "totals" not in response.context  # above their scope: only the way down


def test_grid_page_shows_code_kind_households_worker_and_buildings(client, city, people):
    response = page(client, people.grid_worker, city.grid)
    assert response.status_code == 200
    context = response.context
    assert context["workers"] == ["gridworker"]
    assert context["households"] == 1
    assert context["people"] == {"residents": 1, "party_members": 0}
    [row] = context["building_rows"]
    assert row["area"] == city.building and row["units"] == 2 and row["households"] == 1
    html = response.content.decode()
    assert city.grid.code in html and "1幢" in html
    assert f'data-code="{city.building.code}"' in str(context["map"])


def test_building_page_shows_units_and_households_with_links(client, city, people):
    response = page(client, people.grid_worker, city.building)
    assert response.status_code == 200
    units = {row["area"].code: row for row in response.context["unit_rows"]}
    assert [h.number for h in units[city.unit.code]["households"]] == ["101"]
    assert units[city.unit2.code]["households"] == []
    assert reverse("people:household", args=[city.household.pk]) in response.content.decode()


def test_unit_page_lists_its_households(client, city, people):
    response = page(client, people.steward, city.unit)
    assert response.status_code == 200
    assert [h.number for h in response.context["households"]] == ["101"]
    assert response.context["households"][0].members_count == 1


def test_steward_sees_only_their_own_unit_in_the_building(client, city, people):
    response = page(client, people.steward, city.building)
    assert [row["area"] for row in response.context["unit_rows"]] == [city.unit]


@pytest.mark.parametrize("persona", ["other_grid_worker", "handler", "resident_user", "outsider"])
def test_people_without_scope_cannot_open_a_grid(client, city, people, persona):
    assert page(client, getattr(people, persona), city.grid).status_code == 403


def test_street_page_sums_communities_grids_and_households(client, city, people):
    response = page(client, people.dispatcher, city.street)
    assert response.status_code == 200
    assert response.context["totals"] == {
        "communities": 2,
        "grids": 3,
        "grids_n": 2,
        "grids_x": 1,
        "households": 2,
    }
    rows = {row["area"].code: row for row in response.context["rows"]}
    assert rows[city.community.code]["grids"] == 2 and rows[city.community.code]["households"] == 1
    assert rows[city.community2.code]["grids"] == 1 and rows[city.community2.code]["households"] == 1
    svg = str(response.context["map"])
    assert svg.count('class="outline"') == 2  # community borders over the grids


def test_browse_redirects_to_the_users_only_area(client, city, people):
    client.force_login(people.grid_worker)
    response = client.get(reverse("areas:browse"))
    assert response.status_code == 302 and response.url == reverse("areas:detail", args=[city.grid.code])


def test_browse_explains_itself_to_a_resident(client, city, people):
    client.force_login(people.resident_user)
    response = client.get(reverse("areas:browse"))
    assert response.status_code == 200 and response.context["areas"] == []


def test_breadcrumbs_walk_from_the_top_to_the_page(client, city, people):
    response = page(client, people.grid_worker, city.building)
    assert [a.code for a in response.context["ancestors"]] == [
        city.city.code,
        city.district.code,
        city.street.code,
        city.community.code,
        city.grid.code,
    ]


def test_english_switch_translates_the_page(client, city, people):
    client.force_login(people.grid_worker)
    zh = client.get(reverse("areas:detail", args=[city.grid.code])).content.decode()
    assert "楼栋" in zh
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    en = client.get(reverse("areas:detail", args=[city.grid.code])).content.decode()
    assert "Buildings" in en and "楼栋" not in en


def test_map_projection_scales_longitude_by_cosine_of_latitude(db):
    """A square of 0.01° at latitude 60 is drawn twice as tall as it is wide."""
    district = create_area(level=Level.DISTRICT, code="990001", name="北区")
    area = create_area(
        level=Level.STREET,
        code="990001001",
        name="极北街道",
        parent=district,
        shape={
            "type": "Polygon",
            "coordinates": [[[10, 60], [10.01, 60], [10.01, 60.01], [10, 60.01], [10, 60]]],
        },
    )
    svg = str(render_map([area]))
    d = svg.split(' d="')[1].split('"')[0]
    points = [tuple(float(v) for v in p.split(",")) for p in d.strip("MZ").split("L")]
    width = max(x for x, _ in points) - min(x for x, _ in points)
    height = max(y for _, y in points) - min(y for _, y in points)
    assert height / width == pytest.approx(2.0, rel=0.01)


def test_map_of_nothing_is_empty(db):
    assert render_map([]) == ""


def test_maps_fetch_no_tiles_unless_a_tile_url_is_set(client, city, people, settings):
    assert "<image" not in str(page(client, people.grid_worker, city.grid).context["map"])
    settings.CIVICGRID_TILE_URL = "https://tiles.example/{z}/{x}/{y}.png"
    svg = str(page(client, people.grid_worker, city.grid).context["map"])
    hrefs = re.findall(r'<image class="tile" href="https://tiles\.example/(\d+)/(\d+)/(\d+)\.png"', svg)
    assert 1 <= len(hrefs) <= 36
    zoom, x, y = (int(v) for v in hrefs[0])
    assert zoom >= 13  # a 1 km grid is drawn from street-level tiles
    # The tiles cover the grid (120.10–120.11 E, 30.20–30.21 N).
    xs = {int(h[1]) for h in hrefs}
    assert min(xs) / 2**zoom * 360 - 180 <= 120.10 and (max(xs) + 1) / 2**zoom * 360 - 180 >= 120.11
