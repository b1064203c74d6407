"""The import parsers under hypothesis: whatever bytes arrive as a households table or an areas
GeoJSON file, the import either succeeds or is refused with named errors (ImportRejected) — never a
server error, never a partial import."""

import csv
import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civicgrid.areas.importers import ImportRejected, import_areas, import_households
from civicgrid.areas.models import Area, Compound, Household

from .test_import_validation import HEADER, row

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

cell = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", "330106001001001", "330106001001001B01", "B01U1", "120.101", "30.201", "yes", "no",
                     "nan", "inf", "-1", "1e308", "６", "101", "宝石小区", "\x00", "=cmd|' /C calc'!A0"]),
)  # fmt: skip


def counts():
    return Area.objects.count(), Household.objects.count(), Compound.objects.count()


def _outcome(importer, source):
    before = counts()
    try:
        importer(source)
    except ImportRejected as rejected:
        assert rejected.errors, "a refusal names its errors"
        assert counts() == before, "a refused import changed nothing"
        return "rejected"
    return "imported"


@FUZZ
@given(
    rows=st.lists(
        st.one_of(
            st.lists(cell, min_size=0, max_size=len(HEADER) + 2), st.builds(lambda r: r, st.just(row("B02")))
        ),
        max_size=6,
    ),
    header=st.one_of(st.just(HEADER), st.lists(st.sampled_from([*HEADER, "x", ""]), max_size=15)),
)
def test_any_households_table_is_imported_whole_or_refused_whole(city, tmp_path, rows, header):
    path = tmp_path / "households.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    _outcome(import_households, path)


@FUZZ
@given(data=st.binary(max_size=400))
def test_any_bytes_as_a_households_table_are_refused_cleanly(city, tmp_path, data):
    path = tmp_path / "households.csv"
    path.write_bytes(data)
    _outcome(import_households, path)


json_value = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=False), st.text(max_size=12)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=20,
)  # fmt: skip

props = st.fixed_dictionaries(
    {
        "level": st.sampled_from(["city", "district", "street", "community", "grid", "building", "unit", "x", ""]),
        "code": st.one_of(st.sampled_from(["330106001003", "330106001001003", "330106001"]), st.text(max_size=16)),
        "name": st.text(max_size=10),
        "parent_code": st.one_of(st.none(), st.sampled_from(["330106001", "330106001001", "330106"]), st.text(max_size=8)),
    },
    optional={"kind": json_value, "floors": json_value, "lng": json_value, "lat": json_value},
)  # fmt: skip

geometry = st.one_of(
    st.none(),
    json_value,
    st.builds(
        lambda pts: {"type": "Polygon", "coordinates": [pts]},
        st.lists(st.lists(st.floats(-200, 200, allow_nan=False), min_size=2, max_size=3), max_size=6),
    ),
    st.builds(lambda x, y: {"type": "Point", "coordinates": [x, y]}, st.floats(allow_nan=False), st.floats(allow_nan=False)),
)  # fmt: skip


@FUZZ
@given(
    features=st.lists(
        st.one_of(
            st.fixed_dictionaries({"type": st.just("Feature"), "properties": props, "geometry": geometry}),
            json_value,
        ),
        max_size=5,
    ),
    kind=st.sampled_from(["FeatureCollection", "Feature", "x"]),
)
def test_any_areas_geojson_is_imported_whole_or_refused_whole(city, features, kind):
    _outcome(import_areas, {"type": kind, "features": features})


@FUZZ
@given(text=st.text(max_size=300))
def test_any_text_as_a_geojson_file_is_refused_cleanly(city, text):
    _outcome(import_areas, io.StringIO(text))


@pytest.mark.parametrize("payload", ['{"type": "FeatureCollection", "features": 1}', json.dumps([1, 2])])
def test_odd_but_valid_json_is_refused_with_named_errors(city, payload):
    assert _outcome(import_areas, io.StringIO(payload)) == "rejected"


def test_a_nul_character_is_refused_with_a_named_error_not_a_database_error(city, tmp_path):
    """Found by the fuzzer on PostgreSQL, which stores no NUL in text: refused like any bad value."""
    feature = {"type": "Feature", "properties": {"level": "community", "code": "330106001003\x00",
               "name": "新社区", "parent_code": "330106001"}, "geometry": None}  # fmt: skip
    assert _outcome(import_areas, {"type": "FeatureCollection", "features": [feature]}) == "rejected"
    path = tmp_path / "households.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerow(row("B02", room="1\x0001"))
    assert _outcome(import_households, path) == "rejected"
