"""Writes to the area tree go through here (views, admin actions, importers, demo, tests)."""

from __future__ import annotations

from django.db import transaction

from .models import Area, Household, Level


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
