"""Import areas (GeoJSON) and buildings, units and households (CSV or Excel).

Everything is validated before anything is written: with one bad row nothing is imported, and
the report names every bad row (row number, column, reason). Then one transaction writes it all.

Areas (GeoJSON FeatureCollection, WGS84): one feature per area, `properties` = level (city,
district, street, community, grid, building), code, name, parent_code, and optionally kind
(grids: N or X), households (grids), floors (buildings). Areas have Polygon or MultiPolygon
geometry (grids must have one); buildings have a Point inside their grid.

Buildings, units and households (one row per household; a row without a room only declares its
building and unit): grid_code, building_code, building_name, unit_code, unit_name, room,
address, lng, lat, floors, compound, property_management, fence. Grids must exist already.

A feature or row whose code is already in the database as the same thing (same level, same
parent) is left as it is and counted as existing, so importing an export again changes nothing;
the table may put an existing building that has no compound into one (GeoJSON has no compounds).

The household table is read twice and never held whole in memory; what is kept is about half a
kilobyte per household (a district of 250,000 households: ~250 MB, ~20 s on PostgreSQL). A city
is best imported district by district.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import shapely
import shapely.geometry
import shapely.validation
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from civicgrid.core.bulk import BulkLoader

from .models import LEVEL_ORDER, Area, Compound, GridKind, Household, Level
from .services import bulk_create_areas, label_point, recount_households

# The levels a GeoJSON file may hold, and the level each one's parent must have.
GEOJSON_LEVELS = [Level.CITY, Level.DISTRICT, Level.STREET, Level.COMMUNITY, Level.GRID, Level.BUILDING]
PARENT_LEVEL = dict(zip(LEVEL_ORDER[1:], LEVEL_ORDER, strict=False))
HOUSEHOLD_COLUMNS = [
    "grid_code", "building_code", "building_name", "unit_code", "unit_name", "room", "address",
    "lng", "lat", "floors", "compound", "property_management", "fence",
]  # fmt: skip
REQUIRED_COLUMNS = ["grid_code", "building_code"]
YES = {"yes", "y", "true", "1", "是", "有"}
NO = {"no", "n", "false", "0", "否", "无", ""}
MAX_FLOORS = 200
PROGRESS_EVERY = 50_000

Progress = Callable[[str], None]


@dataclass(frozen=True)
class RowError:
    row: int  # GeoJSON: feature number from 1; tables: spreadsheet row (the header is row 1)
    column: str
    message: str

    def __str__(self) -> str:
        return _("row %(row)s, %(column)s: %(message)s") % {
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


class ImportRejected(Exception):
    """Nothing was imported; `errors` names every bad row."""

    def __init__(self, errors: list[RowError]):
        self.errors = sorted(errors, key=lambda e: (e.row, e.column))
        super().__init__(_("%(count)s errors; nothing was imported") % {"count": len(self.errors)})


@dataclass
class ImportResult:
    created: Counter = field(default_factory=Counter)
    existing: Counter = field(default_factory=Counter)


class _Errors:
    def __init__(self):
        self.items: list[RowError] = []

    def add(self, row: int, column: str, message: str) -> None:
        self.items.append(RowError(row, column, message))

    def raise_if_any(self) -> None:
        if self.items:
            raise ImportRejected(self.items)


def quiet(_message: str) -> None:
    """The default progress reporter of imports and exports: says nothing."""


# ---------------------------------------------------------------- codes


CODE_RULES = {
    Level.CITY: (re.compile(r"\d{6}"), lambda: _("6 digits")),
    Level.DISTRICT: (re.compile(r"\d{6}"), lambda: _("6 digits")),
    Level.STREET: (re.compile(r"\d{9}"), lambda: _("%(n)s digits") % {"n": 9}),
    Level.COMMUNITY: (re.compile(r"\d{12}"), lambda: _("%(n)s digits") % {"n": 12}),
    Level.GRID: (re.compile(r"\d{15}"), lambda: _("%(n)s digits") % {"n": 15}),
    Level.BUILDING: (re.compile(r"\d{15}B\d{2}"), lambda: _("grid code + B + 2 digits")),
    Level.UNIT: (re.compile(r"\d{15}B\d{2}U\d{1,2}"), lambda: _("building code + U + 1 or 2 digits")),
}


def code_problem(level: str, code: str, parent_code: str | None) -> str | None:
    """Why `code` does not fit the national grid pattern for its level and parent (None if it does)."""
    pattern, description = CODE_RULES[level]
    if not pattern.fullmatch(code):
        return _("code %(code)s does not match the pattern of a %(level)s (%(pattern)s)") % {
            "code": code,
            "level": Level(level).label,
            "pattern": description(),
        }
    if parent_code and level not in (Level.CITY, Level.DISTRICT) and not code.startswith(parent_code):
        return _("code %(code)s does not begin with its parent's code %(parent)s") % {
            "code": code,
            "parent": parent_code,
        }
    return None


def _parent_code_from_path(area: Area) -> str:
    codes = area.ancestor_codes()
    return codes[-2] if len(codes) > 1 else ""


# ---------------------------------------------------------------- areas from GeoJSON


@dataclass
class _Feature:
    row: int
    level: str
    code: str
    name: str
    parent_code: str
    kind: str = ""
    households: int | None = None
    floors: int | None = None
    geometry: dict | None = None
    shape: object = None  # shapely geometry
    existing: bool = False


def _whole_number(value, low: int, high: int) -> int | None:
    """An int from a JSON/cell value in [low, high], or raises ValueError."""
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError
        value = int(value)
    number = int(str(value).strip())
    if not low <= number <= high:
        raise ValueError
    return number


def _read_geometry(errors: _Errors, f: _Feature) -> None:
    geometry = f.geometry
    wants_point = f.level == Level.BUILDING
    if not geometry:
        if wants_point:
            errors.add(f.row, "geometry", _("a building needs a Point geometry"))
        elif f.level == Level.GRID:
            errors.add(f.row, "geometry", _("a grid needs a Polygon geometry"))
        return
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    allowed = ("Point",) if wants_point else ("Polygon", "MultiPolygon")
    if kind not in allowed:
        errors.add(
            f.row,
            "geometry",
            _("%(type)s geometry where %(allowed)s was expected")
            % {"type": kind, "allowed": " / ".join(allowed)},
        )
        return
    try:
        shape = shapely.geometry.shape(geometry)
    except (ValueError, TypeError, AttributeError, IndexError, shapely.errors.ShapelyError):
        errors.add(f.row, "geometry", _("the coordinates cannot be read"))
        return
    if shape.is_empty:
        errors.add(f.row, "geometry", _("the geometry is empty"))
        return
    minx, miny, maxx, maxy = shape.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        errors.add(f.row, "geometry", _("coordinates out of range (WGS84 longitude, latitude in degrees)"))
        return
    if not wants_point and not shape.is_valid:
        errors.add(
            f.row,
            "geometry",
            _("invalid polygon: %(reason)s") % {"reason": shapely.validation.explain_validity(shape)},
        )
        return
    f.shape = shape


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _no_nul(number: int, texts: list[str]) -> list[str]:
    if any("\x00" in t for t in texts):
        raise ValueError(_("row %(row)d contains a NUL character") % {"row": number})
    return texts


def _load_json(source) -> object:
    if isinstance(source, dict):
        return source
    if isinstance(source, str | Path):
        with open(source, encoding="utf-8-sig") as fh:
            return json.load(fh)
    return json.load(source)


def import_areas(source, *, progress: Progress = quiet) -> ImportResult:
    """Import a GeoJSON FeatureCollection of areas (a path, an open file or a parsed dict)."""
    errors = _Errors()
    try:
        data = _load_json(source)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImportRejected(
            [RowError(0, "file", _("not readable as JSON: %(error)s") % {"error": exc})]
        ) from None
    if (
        not isinstance(data, dict)
        or data.get("type") != "FeatureCollection"
        or not isinstance(data.get("features"), list)
    ):
        raise ImportRejected([RowError(0, "type", _("the file is not a GeoJSON FeatureCollection"))])

    features: list[_Feature] = []
    by_code: dict[str, _Feature] = {}
    for row, raw in enumerate(data["features"], start=1):
        props = raw.get("properties") if isinstance(raw, dict) else None
        if not isinstance(props, dict):
            errors.add(row, "properties", _("a feature needs properties"))
            continue
        if _has_nul(raw):  # PostgreSQL stores no NUL character in text or JSON
            errors.add(row, "properties", _("a feature contains a NUL character"))
            continue
        f = _Feature(
            row=row,
            level=str(props.get("level") or "").strip(),
            code=str(props.get("code") or "").strip(),
            name=str(props.get("name") or "").strip(),
            parent_code=str(props.get("parent_code") or "").strip(),
            geometry=raw.get("geometry"),
        )
        if f.level not in GEOJSON_LEVELS:
            errors.add(
                row,
                "level",
                _("unknown level %(level)s (one of: %(levels)s)")
                % {"level": f.level, "levels": ", ".join(GEOJSON_LEVELS)},
            )
            continue
        if not f.code:
            errors.add(row, "code", _("a code is required"))
        elif f.code in by_code:
            errors.add(
                row,
                "code",
                _("duplicate code %(code)s (also on row %(other)s)")
                % {"code": f.code, "other": by_code[f.code].row},
            )
            continue
        if not f.name:
            errors.add(row, "name", _("a name is required"))
        elif len(f.name) > 100:
            errors.add(row, "name", _("the name is longer than 100 characters"))
        if f.level == Level.GRID:
            f.kind = str(props.get("kind") or GridKind.RESIDENTIAL).strip().upper()
            if f.kind not in GridKind.values:
                errors.add(row, "kind", _("kind must be N (residential) or X (commercial)"))
        for key, high in (("households", 10_000_000), ("floors", MAX_FLOORS)):
            if props.get(key) in (None, ""):
                continue
            try:
                setattr(f, key, _whole_number(props[key], 0 if key == "households" else 1, high))
            except (ValueError, TypeError):
                errors.add(row, key, _("%(column)s must be a whole number") % {"column": key})
        _read_geometry(errors, f)
        if f.code:
            by_code[f.code] = f
            features.append(f)
        if row % PROGRESS_EVERY == 0:
            progress(_("checked %(n)s features") % {"n": f"{row:,}"})

    wanted = set(by_code) | {f.parent_code for f in features if f.parent_code}
    in_db = {a.code: a for a in Area.objects.filter(code__in=wanted)}
    for f in features:
        parent_level = PARENT_LEVEL.get(f.level)
        if f.level == Level.CITY and f.parent_code:
            errors.add(f.row, "parent_code", _("a city has no parent"))
        elif not f.parent_code and f.level not in (Level.CITY, Level.DISTRICT):
            errors.add(f.row, "parent_code", _("a parent code is required"))
        elif f.parent_code:
            parent = by_code.get(f.parent_code) or in_db.get(f.parent_code)
            if parent is None:
                errors.add(f.row, "parent_code", _("unknown parent code %(code)s") % {"code": f.parent_code})
            elif parent.level != parent_level:
                errors.add(
                    f.row,
                    "parent_code",
                    _(
                        "wrong level order: the parent of a %(level)s must be a %(parent_level)s, but %(code)s is a %(actual)s"
                    )
                    % {
                        "level": Level(f.level).label,
                        "parent_level": Level(parent_level).label,
                        "code": f.parent_code,
                        "actual": Level(parent.level).label,
                    },
                )
            elif f.level == Level.BUILDING and f.shape is not None:
                grid_shape = parent.shape
                if isinstance(parent, Area):
                    grid_shape = shapely.geometry.shape(parent.shape) if parent.shape else None
                if grid_shape is not None and not grid_shape.covers(f.shape):
                    errors.add(
                        f.row,
                        "geometry",
                        _("building point (%(lng)s, %(lat)s) is outside its grid %(grid)s")
                        % {"lng": f.shape.x, "lat": f.shape.y, "grid": f.parent_code},
                    )
        if f.code:
            problem = code_problem(f.level, f.code, f.parent_code)
            if problem:
                errors.add(f.row, "code", problem)
        existing = in_db.get(f.code)
        if existing is not None:
            if existing.level == f.level and _parent_code_from_path(existing) == f.parent_code:
                f.existing = True
            else:
                errors.add(
                    f.row,
                    "code",
                    _("code %(code)s already exists as %(level)s %(name)s")
                    % {
                        "code": f.code,
                        "level": existing.get_level_display(),
                        "name": existing.name,
                    },
                )
    errors.raise_if_any()

    result = ImportResult()
    progress(_("writing %(n)s areas") % {"n": f"{sum(not f.existing for f in features):,}"})
    with transaction.atomic():
        made: dict[str, Area] = {}
        new: list[Area] = []
        for f in sorted(features, key=lambda f: LEVEL_ORDER.index(f.level)):
            if f.existing:
                result.existing[f.level] += 1
                continue
            parent = made.get(f.parent_code) or in_db.get(f.parent_code)
            area = Area(level=f.level, code=f.code, name=f.name, parent=parent, kind=f.kind)
            if f.level == Level.BUILDING:
                area.lng, area.lat, area.floors = f.shape.x, f.shape.y, f.floors
            elif f.geometry:
                area.shape = f.geometry
                area.lng, area.lat = label_point(f.geometry)
            if f.level == Level.GRID and f.households is not None:
                area.households_count = f.households
            made[f.code] = area
            new.append(area)
            result.created[f.level] += 1
        bulk_create_areas(new)
    return result


# ---------------------------------------------------------------- households from CSV / Excel


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return sys.intern(str(int(value)))
    return sys.intern(str(value).strip())


def read_table(source, fmt: str | None = None) -> Iterator[tuple[int, dict[str, str]]]:
    """(spreadsheet row number, {column: text}) for each data row of a CSV or .xlsx file."""
    fmt = fmt or Path(str(getattr(source, "name", source))).suffix.lstrip(".").lower()
    if fmt == "xlsx":
        import openpyxl

        workbook = openpyxl.load_workbook(source, read_only=True, data_only=True)
        try:
            rows = workbook.worksheets[0].iter_rows(values_only=True)
            header = [_cell_text(v).lower() for v in next(rows, ())]
            for number, values in enumerate(rows, start=2):
                texts = _no_nul(number, [_cell_text(v) for v in values])
                if any(texts):
                    yield number, dict(zip(header, texts, strict=False))
        finally:
            workbook.close()
        return
    if fmt != "csv":
        raise ValueError(_("unknown table format %(format)s (csv or xlsx)") % {"format": fmt})
    if isinstance(source, str | Path):
        fh = open(source, encoding="utf-8-sig", newline="")  # noqa: SIM115 - closed below
    elif isinstance(source, io.TextIOBase):
        fh = source
    else:
        fh = io.TextIOWrapper(source, encoding="utf-8-sig", newline="")
    try:
        reader = csv.reader(fh)
        header = [h.strip().lower() for h in next(reader, [])]
        for number, values in enumerate(reader, start=2):
            texts = _no_nul(number, [sys.intern(v.strip()) for v in values])  # codes and names repeat
            if any(texts):
                yield number, dict(zip(header, texts, strict=False))
    finally:
        if isinstance(source, str | Path):
            fh.close()
        elif fh is not source:
            fh.detach()  # leave the caller's binary file open (it is read twice)


@dataclass
class _NewBuilding:
    row: int
    code: str
    grid: Area
    name: str
    lng: float
    lat: float
    floors: int | None
    compound_key: tuple[int, str] | None
    area: Area | None = None


@dataclass
class _NewUnit:
    row: int
    code: str
    building_code: str
    name: str
    area: Area | None = None


def _yes_no(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in YES:
        return True
    if lowered in NO:
        return False
    raise ValueError


def _number(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError
    return value


def _chunks(items, size: int = 5000):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _areas_by_code(codes: set[str], **filters) -> list[Area]:
    """Areas with these codes, queried in chunks (SQLite limits the parameters of one query)."""
    found = []
    for chunk in _chunks(codes - {""}):
        found += Area.objects.filter(code__in=chunk, **filters).select_related("parent", "compound")
    return found


def _read_again(source, fmt):
    """read_table() from the start of the file, also when `source` is an open file read before."""
    if hasattr(source, "seek"):
        source.seek(0)
    return read_table(source, fmt)


def import_households(source, *, fmt: str | None = None, progress: Progress = quiet) -> ImportResult:
    """Import buildings, units and households from a CSV or Excel (.xlsx) table."""
    errors = _Errors()
    # Two passes over the file, so the table is never held in memory: first the codes it names
    # (looked up in the database at once), then row by row validation.
    grid_codes: set[str] = set()
    codes: set[str] = set()
    count = 0
    try:
        for count, (_row_number, r) in enumerate(_read_again(source, fmt), start=1):
            if count == 1:
                missing = [c for c in REQUIRED_COLUMNS if c not in r]
                if missing:
                    raise ImportRejected(
                        [
                            RowError(1, c, _("the column %(column)s is missing") % {"column": c})
                            for c in missing
                        ]
                    )
            grid_codes.add(r.get("grid_code", ""))
            codes.add(r.get("building_code", ""))
            codes.add(r.get("unit_code", ""))
    except (OSError, UnicodeDecodeError, csv.Error, ValueError, KeyError, StopIteration) as exc:
        raise ImportRejected(
            [RowError(0, "file", _("not readable as a table: %(error)s") % {"error": exc})]
        ) from None
    progress(_("read %(n)s rows") % {"n": f"{count:,}"})

    grids = {a.code: a for a in _areas_by_code(grid_codes, level=Level.GRID)}
    grid_shapes = {code: shapely.geometry.shape(g.shape) for code, g in grids.items() if g.shape}
    for shape in grid_shapes.values():
        shapely.prepare(shape)
    in_db = {a.code: a for a in _areas_by_code(codes)}
    compounds = {
        (c.community_id, c.name): c
        for c in Compound.objects.filter(community__in={g.parent_id for g in grids.values()})
    }

    new_buildings: dict[str, _NewBuilding] = {}
    new_units: dict[str, _NewUnit] = {}
    new_compounds: dict[tuple[int, str], tuple[int, bool | None, bool | None]] = {}
    households: dict[tuple[str, str], tuple[int, str]] = {}  # (unit code, room) → (row, address)
    # existing buildings without a compound that the table puts in one: code → (row, compound key)
    attach: dict[str, tuple[int, tuple[int, str]]] = {}
    for number, r in _read_again(source, fmt):
        if number % PROGRESS_EVERY == 0:
            progress(_("checked %(n)s rows") % {"n": f"{number:,}"})
        before = len(errors.items)
        grid_code, building_code = r.get("grid_code", ""), r.get("building_code", "")
        unit_code, room = r.get("unit_code", ""), r.get("room", "")
        grid = grids.get(grid_code)
        if not grid_code:
            errors.add(number, "grid_code", _("a grid code is required"))
        elif grid is None:
            errors.add(number, "grid_code", _("unknown grid code %(code)s") % {"code": grid_code})
        if not building_code:
            errors.add(number, "building_code", _("a building code is required"))
        else:
            problem = code_problem(Level.BUILDING, building_code, grid_code)
            if problem:
                errors.add(number, "building_code", problem)
        if unit_code:
            problem = code_problem(Level.UNIT, unit_code, building_code)
            if problem:
                errors.add(number, "unit_code", problem)
        elif room:
            errors.add(number, "unit_code", _("a household needs a unit code"))
        if len(room) > 20:
            errors.add(number, "room", _("the room number is longer than 20 characters"))
        if len(r.get("address", "")) > 200:
            errors.add(number, "address", _("the address is longer than 200 characters"))
        if len(errors.items) > before or grid is None:
            continue

        existing = in_db.get(building_code)
        if existing is not None:
            if existing.level != Level.BUILDING or _parent_code_from_path(existing) != grid_code:
                errors.add(
                    number,
                    "building_code",
                    _("code %(code)s already exists as %(level)s %(name)s")
                    % {
                        "code": building_code,
                        "level": existing.get_level_display(),
                        "name": existing.name,
                    },
                )
                continue
            key = _compound_key(errors, number, r, grid, compounds, new_compounds)
            if key is not None:
                if existing.compound_id is None:
                    attach.setdefault(building_code, (number, key))
                    if attach[building_code][1] != key:
                        errors.add(
                            number,
                            "compound",
                            _("differs from row %(row)s for the same building")
                            % {"row": attach[building_code][0]},
                        )
                elif existing.compound.name != key[1]:
                    errors.add(
                        number,
                        "compound",
                        _("building %(code)s already belongs to compound %(name)s")
                        % {"code": building_code, "name": existing.compound.name},
                    )
        elif building_code in new_buildings:
            first = new_buildings[building_code]
            if first.grid.code != grid_code:
                errors.add(
                    number,
                    "grid_code",
                    _("differs from row %(row)s for the same building") % {"row": first.row},
                )
            for column, value in (("building_name", first.name), ("lng", first.lng), ("lat", first.lat)):
                given = r.get(column, "")
                try:
                    same = not given or (
                        _number(given) == value if column in ("lng", "lat") else given == value
                    )
                except ValueError:
                    same = False
                if not same:
                    errors.add(
                        number,
                        column,
                        _("differs from row %(row)s for the same building") % {"row": first.row},
                    )
        else:
            building = _new_building(
                errors, number, r, grid, grid_shapes.get(grid_code), compounds, new_compounds
            )
            if building is not None:
                new_buildings[building_code] = building
        if not unit_code:
            continue

        unit = in_db.get(unit_code)
        if unit is not None:
            if unit.level != Level.UNIT or _parent_code_from_path(unit) != building_code:
                errors.add(
                    number,
                    "unit_code",
                    _("code %(code)s already exists as %(level)s %(name)s")
                    % {
                        "code": unit_code,
                        "level": unit.get_level_display(),
                        "name": unit.name,
                    },
                )
                continue
        elif unit_code in new_units:
            given = r.get("unit_name", "")
            if given and given != new_units[unit_code].name:
                errors.add(
                    number,
                    "unit_name",
                    _("differs from row %(row)s for the same unit") % {"row": new_units[unit_code].row},
                )
        else:
            name = r.get("unit_name", "") or _("unit %(n)s") % {"n": unit_code.rsplit("U", 1)[-1]}
            if len(name) > 100:
                errors.add(number, "unit_name", _("the name is longer than 100 characters"))
            new_units[unit_code] = _NewUnit(number, unit_code, building_code, name)
        if room:
            key = (unit_code, room)
            if key in households:
                errors.add(
                    number,
                    "room",
                    _("duplicate household: unit %(unit)s room %(room)s is also on row %(row)s")
                    % {"unit": unit_code, "room": room, "row": households[key][0]},
                )
            else:
                households[key] = (number, r.get("address", ""))
    errors.raise_if_any()

    existing_units = [u for u in in_db.values() if u.level == Level.UNIT]
    existing_households = set()
    for chunk in _chunks([u.pk for u in existing_units]):
        existing_households.update(
            Household.objects.filter(unit__in=chunk).values_list("unit__code", "number")
        )
    result = ImportResult()
    progress(_("writing"))
    with transaction.atomic():
        made_compounds = {}
        for key, (_row, management, fence) in new_compounds.items():
            community_id, name = key
            community = next(g.parent for g in grids.values() if g.parent_id == community_id)
            made_compounds[key] = Compound(
                community=community,
                name=name,
                has_property_management=bool(management),
                has_fence=bool(fence),
                jurisdiction=community.jurisdiction,
            )
        Compound.objects.bulk_create(list(made_compounds.values()))
        result.created["compound"] = len(made_compounds)
        for b in new_buildings.values():
            compound = compounds.get(b.compound_key) or made_compounds.get(b.compound_key)
            b.area = Area(
                level=Level.BUILDING,
                code=b.code,
                name=b.name,
                parent=b.grid,
                lng=b.lng,
                lat=b.lat,
                floors=b.floors,
                compound=compound,
            )
        bulk_create_areas([b.area for b in new_buildings.values()])
        result.created[Level.BUILDING] = len(new_buildings)
        attached = []
        for code, (_row, key) in attach.items():
            building = in_db[code]
            building.compound = compounds.get(key) or made_compounds[key]
            attached.append(building)
        Area.objects.bulk_update(attached, ["compound"], batch_size=1000)
        buildings = {code: b.area for code, b in new_buildings.items()}
        buildings.update({a.code: a for a in in_db.values() if a.level == Level.BUILDING})
        for u in new_units.values():
            u.area = Area(level=Level.UNIT, code=u.code, name=u.name, parent=buildings[u.building_code])
        bulk_create_areas([u.area for u in new_units.values()])
        result.created[Level.UNIT] = len(new_units)
        units = {code: u.area for code, u in new_units.items()}
        units.update({a.code: a for a in existing_units})
        result.existing[Level.BUILDING] = len({a for a in in_db.values() if a.level == Level.BUILDING})
        result.existing[Level.UNIT] = len(existing_units)
        loader = BulkLoader(batch_size=PROGRESS_EVERY)
        loader.table(Household, ["id", "unit_id", "grid_id", "path", "number", "address", "jurisdiction"])
        touched_grids = set()
        for (unit_code, room), (_row, address) in households.items():
            if (unit_code, room) in existing_households:
                result.existing["household"] += 1
                continue
            unit = units[unit_code]
            grid_id = buildings[unit_code.rsplit("U", 1)[0]].parent_id
            touched_grids.add(grid_id)
            loader.add(
                Household,
                (loader.next_id(Household), unit.pk, grid_id, unit.path, room, address, unit.jurisdiction),
            )
            result.created["household"] += 1
            if result.created["household"] % PROGRESS_EVERY == 0:
                progress(_("wrote %(n)s households") % {"n": f"{result.created['household']:,}"})
        loader.flush()
        recount_households(touched_grids)
    return result


def _new_building(errors, number, r, grid, grid_shape, compounds, new_compounds) -> _NewBuilding | None:
    before = len(errors.items)
    name = r.get("building_name", "")
    if not name:
        errors.add(number, "building_name", _("a new building needs a name"))
    elif len(name) > 100:
        errors.add(number, "building_name", _("the name is longer than 100 characters"))
    point = []
    for column, low, high in (("lng", -180, 180), ("lat", -90, 90)):
        text = r.get(column, "")
        try:
            value = _number(text)
            if not low <= value <= high:
                raise ValueError
            point.append(value)
        except ValueError:
            if text:
                errors.add(
                    number, column, _("%(column)s must be a number in degrees (WGS84)") % {"column": column}
                )
            else:
                errors.add(number, column, _("a new building needs %(column)s") % {"column": column})
    floors = None
    if r.get("floors", ""):
        try:
            floors = _whole_number(r["floors"], 1, MAX_FLOORS)
        except ValueError:
            errors.add(
                number, "floors", _("floors must be a whole number from 1 to %(max)s") % {"max": MAX_FLOORS}
            )
    if len(point) == 2 and grid_shape is not None and not grid_shape.covers(shapely.Point(point)):
        errors.add(
            number,
            "lng",
            _("building point (%(lng)s, %(lat)s) is outside its grid %(grid)s")
            % {"lng": point[0], "lat": point[1], "grid": grid.code},
        )
    compound_key = _compound_key(errors, number, r, grid, compounds, new_compounds)
    if len(errors.items) > before:
        return None
    return _NewBuilding(number, r["building_code"], grid, name, point[0], point[1], floors, compound_key)


def _compound_key(errors, number, r, grid, compounds, new_compounds) -> tuple[int, str] | None:
    """The (community id, name) of the compound a row names, noting a new one; None if none."""
    name = r.get("compound", "")
    if not name:
        return None
    if len(name) > 100:
        errors.add(number, "compound", _("the name is longer than 100 characters"))
    flags = []
    for column in ("property_management", "fence"):
        try:
            flags.append(_yes_no(r[column]) if r.get(column, "") else None)
        except ValueError:
            errors.add(number, column, _("%(column)s must be yes or no") % {"column": column})
            flags.append(None)
    key = (grid.parent_id, name)
    if key in compounds:
        return key
    if key not in new_compounds:
        new_compounds[key] = (number, flags[0], flags[1])
        return key
    first_row, management, fence = new_compounds[key]
    for column, first, given in (("property_management", management, flags[0]), ("fence", fence, flags[1])):
        if given is not None and first is not None and given != first:
            errors.add(
                number, column, _("differs from row %(row)s for the same compound") % {"row": first_row}
            )
    return key


def write_error_report(errors: Iterable[RowError], path) -> None:
    """Every error as a CSV line: row, column, reason (opens in Excel, BOM included)."""
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([_("row"), _("column"), pgettext("areas", "reason")])
        writer.writerows([e.row, e.column, e.message] for e in errors)
