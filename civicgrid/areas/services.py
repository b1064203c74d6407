"""Writes to the area tree go through here (views, admin actions, importers, demo, tests)."""

from __future__ import annotations

import shapely.geometry
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce

from .models import LEVEL_ORDER, Area, Household, Level, jurisdiction_for


def create_area(*, level: str, code: str, name: str, parent: Area | None = None, **fields) -> Area:
    if parent is None and level not in (Level.CITY, Level.DISTRICT):
        raise ValueError(f"a {level} needs a parent")
    area = Area(level=level, code=code, name=name, parent=parent, **fields)
    area.save()
    return area


@transaction.atomic
def create_household(*, unit: Area, number: str, address: str = "") -> Household:
    if unit.level != Level.UNIT:
        raise ValueError("a household belongs to a unit")
    grid = unit.grid()
    household = Household(unit=unit, grid=grid, number=number, address=address)
    household.save()
    Area.objects.filter(pk=grid.pk).update(households_count=grid.households_count + 1)
    grid.households_count += 1
    return household


# ---------------------------------------------------------------- bulk writes (importers, demo)


def label_point(shape: dict | None) -> tuple[float | None, float | None]:
    """A point inside a polygon shape, where its label goes (None, None without a shape)."""
    if not shape:
        return None, None
    point = shapely.geometry.shape(shape).representative_point()
    return round(point.x, 7), round(point.y, 7)


def bulk_create_areas(areas: list[Area], *, batch_size: int = 2000) -> list[Area]:
    """Insert many new areas at once, parents first, filling path and jurisdiction as save() does.

    Each area's `parent` is an area already saved or one earlier in the list (level order is
    sorted out here). No signals are sent; callers refresh what depends on shapes.
    """
    for level in LEVEL_ORDER:
        batch = [a for a in areas if a.level == level]
        for area in batch:
            parent = area.parent
            area.path = (parent.path if parent is not None else "") + area.code + "/"
            if not area.jurisdiction:
                # A parent saved or made just before carries it already: no walk up the tree.
                inherit = (
                    parent is not None and parent.jurisdiction and level not in (Level.CITY, Level.DISTRICT)
                )
                area.jurisdiction = parent.jurisdiction if inherit else jurisdiction_for(area)
        Area.objects.bulk_create(batch, batch_size=batch_size)
    return areas


def recount_households(grid_ids) -> None:
    """Set `households_count` of these grids from their household rows."""
    counts = Household.objects.filter(grid=OuterRef("pk")).order_by().values("grid").annotate(n=Count("pk"))
    Area.objects.filter(pk__in=list(grid_ids)).update(
        households_count=Coalesce(Subquery(counts.values("n")), 0)
    )
