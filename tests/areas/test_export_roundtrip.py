"""An export imports again unchanged: areas as GeoJSON, households as CSV or Excel."""

from io import StringIO

import pytest
from django.core.management import call_command

from civicgrid.areas.importers import import_areas, import_households
from civicgrid.areas.models import Area, Compound, Household, Level
from civicgrid.demo import registry


@pytest.fixture(autouse=True)
def only_the_city_step(monkeypatch):
    """The demo city without other apps' demo steps (their rows are not areas)."""
    registry.steps()
    monkeypatch.setattr(registry, "_steps", {"city": registry._steps["city"]})


def make_demo():
    call_command("demo", scale="tiny", stdout=StringIO())
    return Area.objects.get(level=Level.STREET)


def wipe():
    ctx = registry.DemoContext(None, 0, registry.Progress(lambda line: None), lambda line: None)
    for step in reversed(registry.steps()):
        step.cleanup(ctx)
    assert not Area.objects.exists()


def export(what, root, path):
    call_command("export", what, "--root", root.code, "-o", str(path), stdout=StringIO())
    return path


def compounds():
    return sorted(
        Compound.objects.values_list("community__code", "name", "has_property_management", "has_fence")
    )


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_then_import_into_an_empty_database_gives_back_the_same_files(db, tmp_path, fmt):
    street = make_demo()
    areas_file = export("areas", street, tmp_path / "areas.geojson")
    households_csv = export("households", street, tmp_path / "households.csv")
    households_file = export("households", street, tmp_path / f"households.{fmt}")
    before = (compounds(), Household.objects.count(), Area.objects.count())
    wipe()

    call_command("import", "areas", str(areas_file), stdout=StringIO())
    call_command("import", "households", str(households_file), stdout=StringIO())

    street = Area.objects.get(code=street.code)
    assert export("areas", street, tmp_path / "again.geojson").read_bytes() == areas_file.read_bytes()
    assert export("households", street, tmp_path / "again.csv").read_bytes() == households_csv.read_bytes()
    assert (compounds(), Household.objects.count(), Area.objects.count()) == before
    for grid in Area.objects.filter(level=Level.GRID):
        assert grid.households_count == Household.objects.filter(grid=grid).count()


def test_importing_an_export_into_the_same_database_changes_nothing(db, tmp_path):
    street = make_demo()
    areas_file = export("areas", street, tmp_path / "areas.geojson")
    households_file = export("households", street, tmp_path / "households.csv")
    counts = (Area.objects.count(), Household.objects.count(), Compound.objects.count())
    assert not import_areas(areas_file).created
    result = import_households(households_file)
    assert not result.created["household"] and result.existing["household"] == Household.objects.count()
    assert (Area.objects.count(), Household.objects.count(), Compound.objects.count()) == counts


def test_the_area_export_of_a_grid_carries_its_ancestors_kind_households_and_building_points(city, tmp_path):
    import json

    data = json.loads(export("areas", city.grid, tmp_path / "grid.geojson").read_text(encoding="utf-8"))
    by_code = {f["properties"]["code"]: f for f in data["features"]}
    assert list(by_code) == [
        "330100",
        "330106",
        "330106001",
        "330106001001",
        city.grid.code,
        city.building.code,
    ]
    grid = by_code[city.grid.code]
    assert grid["properties"] == {
        "level": "grid",
        "code": city.grid.code,
        "name": "宝石一网格",
        "parent_code": "330106001001",
        "kind": "N",
        "households": 1,
    }
    assert grid["geometry"]["type"] == "Polygon"
    building = by_code[city.building.code]
    assert building["geometry"] == {"type": "Point", "coordinates": [120.105, 30.205]}
    assert building["properties"]["floors"] == 6


def test_the_household_export_lists_units_without_households_too(city, tmp_path):
    text = export("households", city.grid, tmp_path / "grid.csv").read_text(encoding="utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0].startswith("grid_code,building_code,building_name,unit_code")
    assert len(lines) == 3  # the header, unit 1 with its household, unit 2 without
    assert ",101," in lines[1] and city.unit2.code in lines[2]
