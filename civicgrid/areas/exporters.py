"""Export areas as GeoJSON and buildings, units and households as CSV or Excel (.xlsx), in the
formats importers.py reads, so that an export imports again unchanged.

Exports stream: rows are read in chunks and written as they come, so a city (3 million
households) exports in bounded memory.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

from django.utils.translation import gettext as _

from .importers import HOUSEHOLD_COLUMNS, Progress, quiet
from .models import Area, Household, Level

EXCEL_MAX_ROWS = 1_048_576
CHUNK = 5000


def _parent_code(area: Area) -> str | None:
    codes = area.ancestor_codes()
    return codes[-2] if len(codes) > 1 else None


def area_features(root: Area) -> Iterator[dict]:
    """GeoJSON features of the root's ancestors (so the file stands alone), the root and
    everything below it down to buildings."""
    for area in [
        *root.ancestors(),
        *Area.objects.within(root).exclude(level=Level.UNIT).order_by("path").iterator(CHUNK),
    ]:
        props = {
            "level": area.level,
            "code": area.code,
            "name": area.name,
            "parent_code": _parent_code(area),
        }
        if area.level == Level.GRID:
            props["kind"] = area.kind or "N"
            props["households"] = area.households_count
        if area.level == Level.BUILDING:
            if area.floors is not None:
                props["floors"] = area.floors
            geometry = (
                {"type": "Point", "coordinates": [area.lng, area.lat]} if area.lng is not None else None
            )
        else:
            geometry = area.shape
        yield {"type": "Feature", "properties": props, "geometry": geometry}


def export_areas(root: Area, out, *, progress: Progress = quiet) -> int:
    """Write a GeoJSON FeatureCollection to the text stream `out`; returns the number of features."""
    out.write('{"type": "FeatureCollection", "features": [\n')
    count = 0
    for feature in area_features(root):
        if count:
            out.write(",\n")
        out.write(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
        count += 1
        if count % 50_000 == 0:
            progress(_("wrote %(n)s areas") % {"n": f"{count:,}"})
    out.write("\n]}\n")
    return count


def household_rows(root: Area) -> Iterator[list]:
    """One row per household under `root` (a grid or any area above), plus one row for each
    unit without households and each building without units; in path order."""
    buildings = (
        Area.objects.within(root)
        .filter(level=Level.BUILDING)
        .select_related("compound")
        .order_by("path")
        .iterator(CHUNK)
    )
    units = iter(Area.objects.within(root).filter(level=Level.UNIT).order_by("path").iterator(CHUNK))
    households = iter(
        Household.objects.filter(path__startswith=root.path)
        .order_by("path", "id")
        .values_list("unit_id", "number", "address")
        .iterator(CHUNK)
    )
    unit = next(units, None)
    household = next(households, None)
    for building in buildings:
        compound = building.compound
        head = [
            _parent_code(building),
            building.code,
            building.name,
        ]
        tail = [
            building.lng,
            building.lat,
            building.floors,
            compound.name if compound else "",
            ("yes" if compound.has_property_management else "no") if compound else "",
            ("yes" if compound.has_fence else "no") if compound else "",
        ]
        had_unit = False
        while unit is not None and unit.parent_id == building.pk:
            had_unit = True
            had_household = False
            while household is not None and household[0] == unit.pk:
                had_household = True
                yield [*head, unit.code, unit.name, household[1], household[2], *tail]
                household = next(households, None)
            if not had_household:
                yield [*head, unit.code, unit.name, "", "", *tail]
            unit = next(units, None)
        if not had_unit:
            yield [*head, "", "", "", "", *tail]


def export_households(
    root: Area, path: str | Path, *, fmt: str | None = None, progress: Progress = quiet
) -> int:
    """Write the household table to a .csv or .xlsx file; returns the number of rows."""
    fmt = fmt or Path(path).suffix.lstrip(".").lower()
    if fmt == "xlsx":
        total = Household.objects.filter(path__startswith=root.path).count()
        if total >= EXCEL_MAX_ROWS:
            raise ValueError(
                _("%(n)s households do not fit in one Excel sheet; export CSV instead") % {"n": f"{total:,}"}
            )
        import openpyxl

        workbook = openpyxl.Workbook(write_only=True)
        sheet = workbook.create_sheet(_("households"))
        sheet.append(HOUSEHOLD_COLUMNS)
        count = 0
        for row in household_rows(root):
            sheet.append(["" if v is None else v for v in row])
            count += 1
            if count % 50_000 == 0:
                progress(_("wrote %(n)s rows") % {"n": f"{count:,}"})
        workbook.save(path)
        return count
    if fmt != "csv":
        raise ValueError(_("unknown table format %(format)s (csv or xlsx)") % {"format": fmt})
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        return write_household_csv(root, fh, progress=progress)


def write_household_csv(root: Area, out, *, progress: Progress = quiet) -> int:
    writer = csv.writer(out)
    writer.writerow(HOUSEHOLD_COLUMNS)
    count = 0
    for row in household_rows(root):
        writer.writerow(["" if v is None else v for v in row])
        count += 1
        if count % 50_000 == 0:
            progress(_("wrote %(n)s rows") % {"n": f"{count:,}"})
    return count
