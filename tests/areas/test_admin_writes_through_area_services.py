"""The admin changes the area tree through the area services: a new code or parent moves the
area and the paths below it follow (households, residents, cases' own rows via the signal); every
write leaves an audit row; paths, jurisdictions and counts are read-only."""

import json

import pytest
from django.urls import reverse

from civicgrid.areas.models import Area, Household, Level
from civicgrid.core.models import AuditEntry
from civicgrid.people.models import Resident


def form_data(area: Area, **changes) -> dict:
    data = {
        "parent": area.parent_id or "",
        "code": area.code,
        "name": area.name,
        "kind": area.kind,
        "shape": json.dumps(area.shape) if area.shape else "null",
        "lng": area.lng if area.lng is not None else "",
        "lat": area.lat if area.lat is not None else "",
        "floors": area.floors or "",
        "compound": area.compound_id or "",
    }
    data.update(changes)
    return data


def change(client, area, **changes):
    return client.post(reverse("admin:areas_area_change", args=[area.pk]), form_data(area, **changes))


@pytest.fixture
def admin_client(client, people):
    client.force_login(people.admin)
    return client


def test_a_new_grid_code_rewrites_the_paths_below_it_and_is_audited(admin_client, city, people):
    response = change(admin_client, city.grid, code="330106001001009")
    assert response.status_code == 302
    new = "330106/330106001/330106001001/330106001001009/"
    assert Area.objects.get(pk=city.grid.pk).path == "330100/" + new
    assert Area.objects.get(pk=city.unit.pk).path == f"330100/{new}330106001001001B01/330106001001001B01U1/"
    assert Household.objects.get(pk=city.household.pk).path.startswith("330100/" + new)
    assert Resident.objects.get(pk=people.resident.pk).path.startswith("330100/" + new)
    entry = AuditEntry.objects.get(action="areas.area.move")
    assert entry.actor == people.admin
    assert entry.before["code"] == "330106001001001" and entry.after["code"] == "330106001001009"
    assert entry.before["path"].endswith("330106001001001/") and entry.after["path"].endswith(
        "330106001001009/"
    )


def test_a_building_moved_to_another_grid_takes_its_households_along(admin_client, city, people):
    response = change(admin_client, city.building, parent=city.grid_x.pk)
    assert response.status_code == 302
    household = Household.objects.get(pk=city.household.pk)
    assert household.grid_id == city.grid_x.pk
    assert household.path.startswith(city.grid_x.path)
    counts = dict(
        Area.objects.filter(pk__in=[city.grid.pk, city.grid_x.pk]).values_list("pk", "households_count")
    )
    assert counts == {city.grid.pk: 0, city.grid_x.pk: 1}


def test_a_move_the_tree_does_not_allow_is_refused_with_nothing_changed(admin_client, city):
    before = list(Area.objects.order_by("pk").values_list("pk", "path", "parent_id"))
    response = change(admin_client, city.grid, parent=city.street.pk)
    assert response.status_code == 200
    assert "网格" in response.content.decode()
    assert response.context["adminform"].form.errors
    assert list(Area.objects.order_by("pk").values_list("pk", "path", "parent_id")) == before
    assert not AuditEntry.objects.filter(action__startswith="areas.").exists()


def test_a_rename_is_audited_with_the_old_and_new_name(admin_client, city, people):
    assert change(admin_client, city.community, name="宝石新社区").status_code == 302
    entry = AuditEntry.objects.get(action="areas.area.change")
    assert (entry.before, entry.after) == ({"name": "宝石社区"}, {"name": "宝石新社区"})
    assert Area.objects.get(pk=city.grid.pk).path == city.grid.path  # a name is not in the path


def test_an_area_added_in_the_admin_is_created_and_audited(admin_client, city):
    data = form_data(
        city.grid, code="330106001001003", name="宝石三网格", level=Level.GRID, parent=city.community.pk
    )
    response = admin_client.post(reverse("admin:areas_area_add"), data)
    assert response.status_code == 302
    grid = Area.objects.get(code="330106001001003")
    assert grid.path == city.community.path + "330106001001003/" and grid.jurisdiction == "330106"
    assert AuditEntry.objects.get(action="areas.area.create").subject_id == str(grid.pk)


def test_paths_jurisdictions_and_counts_are_read_only(admin_client, city):
    response = admin_client.get(reverse("admin:areas_area_change", args=[city.grid.pk]))
    form = response.context["adminform"].form
    for field in ("path", "jurisdiction", "households_count", "level"):
        assert field not in form.fields
    for field in ("code", "parent", "name"):
        assert field in form.fields


def test_deleting_an_unused_area_in_the_admin_is_audited(admin_client, city):
    response = admin_client.post(reverse("admin:areas_area_delete", args=[city.unit2.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Area.objects.filter(pk=city.unit2.pk).exists()
    entry = AuditEntry.objects.get(action="areas.area.delete")
    assert entry.before["code"] == "330106001001001B01U2"
