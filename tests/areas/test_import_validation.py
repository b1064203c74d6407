"""Imports validate everything first: one bad row imports nothing, and the report names every
bad row with its column and the reason."""

import csv
import json
from io import StringIO

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from civicgrid.areas.importers import ImportRejected, import_areas, import_households
from civicgrid.areas.models import Area, Compound, Household
from tests.conftest import square


def feature(level, code, name, parent_code, geometry=None, **props):
    return {
        "type": "Feature",
        "properties": {"level": level, "code": code, "name": name, "parent_code": parent_code, **props},
        "geometry": geometry,
    }


def point(lng, lat):
    return {"type": "Point", "coordinates": [lng, lat]}


def collection(*features):
    return {"type": "FeatureCollection", "features": list(features)}


def new_community(**overrides):
    props = dict(level="community", code="330106001003", name="新社区", parent_code="330106001")
    props.update(overrides)
    return feature(geometry=square(120.13, 30.20), **props)


def test_good_areas_are_created_with_paths_jurisdiction_and_label_points(city):
    result = import_areas(
        collection(
            new_community(),
            feature(
                "grid",
                "330106001003001",
                "新一网格",
                "330106001003",
                square(120.13, 30.20, 0.005),
                kind="X",
                households=280,
            ),
            feature(
                "building", "330106001003001B01", "1幢", "330106001003001", point(120.132, 30.202), floors=6
            ),
        )
    )
    assert result.created == {"community": 1, "grid": 1, "building": 1}
    grid = Area.objects.get(code="330106001003001")
    assert grid.path == "330100/330106/330106001/330106001003/330106001003001/"
    assert grid.jurisdiction == "330106" and grid.kind == "X" and grid.households_count == 280
    assert 120.13 < grid.lng < 120.135 and 30.20 < grid.lat < 30.205
    building = Area.objects.get(code="330106001003001B01")
    assert (building.lng, building.lat, building.floors, building.parent) == (120.132, 30.202, 6, grid)


def test_one_bad_feature_among_good_ones_imports_nothing_and_every_bad_feature_is_named(city):
    bowtie = {
        "type": "Polygon",
        "coordinates": [
            [[120.13, 30.20], [120.14, 30.21], [120.14, 30.20], [120.13, 30.21], [120.13, 30.20]]
        ],
    }
    features = [
        new_community(),  # 1 good
        feature("grid", "330106001003001", "好网格", "330106001003", square(120.13, 30.20, 0.005)),  # 2 good
        feature(
            "grid", "330106001009001", "无主网格", "330106001009", square(120.15, 30.20, 0.005)
        ),  # 3 unknown parent
        feature(
            "grid", "330106001003001", "重复网格", "330106001003", square(120.13, 30.20, 0.005)
        ),  # 4 duplicate
        feature("grid", "330106001003002", "蝴蝶网格", "330106001003", bowtie),  # 5 invalid polygon
        feature(
            "building", "330106001003001B01", "远楼", "330106001003001", point(120.20, 30.30)
        ),  # 6 outside grid
        feature(
            "building", "330106001003001B02", "楼", "330106001003001", point(120.131, 30.201), floors="six"
        ),  # 7 floors
        feature(
            "grid", "330106001004", "错层网格", "330106001", square(120.16, 30.20, 0.005)
        ),  # 8 level order
        feature(
            "community", "33010600100X", "坏码社区", "330106001", square(120.17, 30.20, 0.005)
        ),  # 9 pattern
        feature(
            "building", "330106001003001B03", "好楼", "330106001003001", point(120.132, 30.202)
        ),  # 10 good
    ]
    before = Area.objects.count()
    with pytest.raises(ImportRejected) as caught:
        import_areas(collection(*features))
    named = {(e.row, e.column) for e in caught.value.errors}
    assert named == {
        (3, "parent_code"),
        (4, "code"),
        (5, "geometry"),
        (6, "geometry"),
        (7, "floors"),
        (8, "parent_code"),
        (8, "code"),
        (9, "code"),
    }
    assert Area.objects.count() == before
    assert all(e.message for e in caught.value.errors)


def test_a_grid_without_a_polygon_and_a_city_with_a_parent_are_refused(city):
    with pytest.raises(ImportRejected) as caught:
        import_areas(
            collection(
                feature("grid", "330106001001009", "无形网格", "330106001001"),
                feature("city", "330200", "另一市", "330100"),
                feature("unit", "330106001001001B01U9", "9单元", "330106001001001B01"),
            )
        )
    assert {(e.row, e.column) for e in caught.value.errors} == {
        (1, "geometry"),
        (2, "parent_code"),
        (3, "level"),
    }


def test_a_code_already_used_by_another_area_is_refused_but_the_same_area_again_is_left_alone(city):
    result = import_areas(
        collection(feature("grid", city.grid.code, "宝石一网格", city.community.code, city.grid.shape))
    )
    assert result.created == {} and result.existing == {"grid": 1}
    with pytest.raises(ImportRejected) as caught:
        import_areas(
            collection(feature("grid", city.grid.code, "别处", city.community2.code, city.grid.shape))
        )
    assert {(e.row, e.column) for e in caught.value.errors} == {(1, "code")}


def test_a_file_that_is_not_a_feature_collection_is_refused(city, tmp_path):
    path = tmp_path / "x.geojson"
    path.write_text(json.dumps({"type": "Feature"}))
    with pytest.raises(ImportRejected) as caught:
        import_areas(path)
    assert caught.value.errors[0].column == "type"
    path.write_text("{not json")
    with pytest.raises(ImportRejected):
        import_areas(path)


# ---------------------------------------------------------------- households (CSV, Excel)

HEADER = [
    "grid_code", "building_code", "building_name", "unit_code", "unit_name", "room", "address",
    "lng", "lat", "floors", "compound", "property_management", "fence",
]  # fmt: skip
G = "330106001001001"


def row(
    building, unit="U1", room="101", *, grid=G, code=None, name=None, lng="120.101", lat="30.201", **more
):
    """A table row; `building` is the part after the grid code (B02), `code` a whole building code."""
    code = code or grid + building
    values = {
        "unit_name": "",
        "address": "",
        "floors": "",
        "compound": "",
        "property_management": "",
        "fence": "",
    }
    values.update(more)
    return [
        grid, code, building if name is None else name, code + unit if unit else "", values["unit_name"], room, values["address"],
        lng, lat, values["floors"], values["compound"], values["property_management"], values["fence"],
    ]  # fmt: skip


def household_rows():
    return [
        row("B02", name="2幢", unit_name="1单元", address="宝石社区2幢1单元101室", lng="120.102", lat="30.202",
            floors="6", compound="宝石小区", property_management="yes", fence="no"),
        row("B02", room="102", name="2幢", lng="", lat="", address="宝石社区2幢1单元102室"),
        row("B02", "U2", name="", lng="", lat=""),
        row("B01", room="102", name="1幢", lng="", lat=""),  # existing building and unit
        row("B03", room="", name="3幢", lng="120.108", lat="30.208"),  # only a building and its unit
    ]  # fmt: skip


def bad_household_rows():
    return [
        row("B04", grid="330106001009009"),  # 2: unknown grid
        row("B05", lng="120.5", lat="30.5"),  # 3: outside its grid
        row("B06", floors="six"),  # 4: floors not a number
        row("B02", name="", lng="", lat=""),  # 5: same unit and room as another row
        row("B07", "X1"),  # 6: unit code off the pattern
        row("", code="330106001002001B08", unit="", room=""),  # 7: building code of another grid
        row("B09", lng="east"),  # 8: longitude not a number
        row("B10", compound="宝石小区", property_management="maybe"),  # 9: not yes or no
    ]


def write_csv(path, rows):
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def write_xlsx(path, rows):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for row in rows:
        # Excel users type numbers as numbers: floors, lng, lat (and codes) arrive as numbers.
        sheet.append(
            [float(v) if v.replace(".", "", 1).isdigit() and i in (7, 8, 9) else v for i, v in enumerate(row)]
        )
    workbook.save(path)
    return path


@pytest.fixture(params=["csv", "xlsx"])
def table(request, tmp_path):
    def make(rows):
        writer = write_csv if request.param == "csv" else write_xlsx
        return writer(tmp_path / f"households.{request.param}", rows)

    return make


def test_good_rows_create_buildings_units_households_and_compounds_and_recount_the_grid(city, table):
    result = import_households(table(household_rows()))
    assert result.created == {"compound": 1, "building": 2, "unit": 3, "household": 4}
    assert result.existing == {"building": 1, "unit": 1}
    b2 = Area.objects.get(code=G + "B02")
    assert (b2.name, b2.lng, b2.lat, b2.floors, b2.parent) == ("2幢", 120.102, 30.202, 6, city.grid)
    compound = Compound.objects.get(name="宝石小区")
    assert b2.compound == compound and compound.community == city.community
    assert (compound.has_property_management, compound.has_fence) == (True, False)
    assert Area.objects.get(code=G + "B02U2").name  # a default unit name
    assert Area.objects.get(code=G + "B03U1").households.count() == 0
    city.grid.refresh_from_db()
    assert city.grid.households_count == Household.objects.filter(grid=city.grid).count() == 5
    household = Household.objects.get(unit__code=G + "B02U1", number="101")
    assert household.grid == city.grid and household.path == Area.objects.get(code=G + "B02U1").path


def test_one_bad_row_imports_nothing_and_every_bad_row_is_named(city, table):
    path = table(household_rows() + bad_household_rows())
    counts = (Area.objects.count(), Household.objects.count(), Compound.objects.count())
    with pytest.raises(ImportRejected) as caught:
        import_households(path)
    named = {(e.row, e.column) for e in caught.value.errors}
    # good rows are 2–6; the bad rows follow from row 7
    assert named == {
        (7, "grid_code"),
        (8, "lng"),
        (9, "floors"),
        (10, "room"),
        (11, "unit_code"),
        (12, "building_code"),
        (13, "lng"),
        (14, "property_management"),
    }
    assert (Area.objects.count(), Household.objects.count(), Compound.objects.count()) == counts


def test_the_command_prints_every_bad_row_and_fails(city, tmp_path, capsys):
    path = write_csv(tmp_path / "bad.csv", bad_household_rows())
    with pytest.raises(CommandError):
        call_command("import", "households", str(path))
    err = capsys.readouterr().err
    for row in range(2, 10):
        assert f"{row}" in err
    assert Household.objects.count() == 2


def test_a_table_without_the_code_columns_is_refused(city, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("name,room\n1幢,101\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as caught:
        import_households(path)
    assert {e.column for e in caught.value.errors} == {"grid_code", "building_code"}


def test_error_messages_are_translated(city):
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(ImportRejected) as caught:
        import_areas(
            collection(
                feature("grid", "330106001009001", "无主网格", "330106001009", square(120.15, 30.20, 0.005))
            )
        )
    assert "上级" in caught.value.errors[0].message
    with translation.override("en"), pytest.raises(ImportRejected) as caught:
        import_areas(
            collection(
                feature("grid", "330106001009001", "无主网格", "330106001009", square(120.15, 30.20, 0.005))
            )
        )
    assert "unknown parent code" in caught.value.errors[0].message


def test_the_command_can_write_every_error_to_a_csv_report(city, tmp_path):
    path = write_csv(tmp_path / "bad.csv", bad_household_rows())
    report = tmp_path / "report.csv"
    with pytest.raises(CommandError):
        call_command("import", "households", str(path), "--report", str(report), stderr=StringIO())
    lines = list(csv.reader(report.read_text(encoding="utf-8-sig").splitlines()))
    assert len(lines[0]) == 3
    assert sorted({int(line[0]) for line in lines[1:]}) == list(range(2, 10))


def test_an_open_file_as_uploaded_is_read_as_well_as_a_path(city, table, tmp_path):
    path = table(household_rows())
    with open(path, "rb") as upload:
        result = import_households(upload, fmt=path.suffix.lstrip("."))
        assert not upload.closed
    assert result.created["household"] == 4


def test_a_building_given_twice_with_other_coordinates_is_refused_not_crashed(city, tmp_path):
    """Regression (found by hypothesis): the row loop's variable shadowed the number parser, so a
    building repeated with its coordinates raised TypeError instead of naming the row."""
    from civicgrid.areas.importers import ImportRejected, import_households
    from civicgrid.areas.models import Area

    header = "grid_code,building_code,building_name,unit_code,unit_name,room,address,lng,lat\n"
    rows = [
        "330106001001001,330106001001001B07,7幢,330106001001001B07U1,1单元,101,宝石社区7幢1单元101,120.101,30.201",
        "330106001001001,330106001001001B07,7幢,330106001001001B07U1,1单元,102,宝石社区7幢1单元102,120.109,30.201",
    ]
    path = tmp_path / "households.csv"
    path.write_text(header + "\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as e:
        import_households(path)
    assert any(err.row == 3 for err in e.value.errors)
    assert not Area.objects.filter(code="330106001001001B07").exists()
