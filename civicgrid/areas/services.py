"""Writes to the area tree go through here (views, admin actions, importers, demo, tests)."""

from __future__ import annotations

from typing import Any

import shapely.geometry
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, Concat, Substr
from django.utils.translation import gettext as _

from civicgrid.core import audit, caches

from .models import CHILD_LEVEL, LEVEL_ORDER, Area, Compound, Household, Level, jurisdiction_for
from .signals import area_paths_moved

# What `update_area` may change; code and parent change through `move_area` (paths follow), the
# rest (path, jurisdiction, households_count) only as a consequence of the services.
EDITABLE_FIELDS = ("name", "kind", "shape", "lng", "lat", "floors", "compound")
AUDITED_FIELDS = ("level", "code", "name", "parent_id", "path", "kind", "lng", "lat", "floors", "compound_id")


def _require(by: Any, permission: str) -> None:
    if by is not None and not by.has_perm(permission):
        raise PermissionDenied(_("You may not change the area tree."))


def create_area(
    *, level: str, code: str, name: str, parent: Area | None = None, by: Any = None, **fields: Any
) -> Area:
    """A new area under `parent`. With `by` (an administrator's write), checked and audited."""
    if parent is None and level not in (Level.CITY, Level.DISTRICT):
        raise ValueError(f"a {level} needs a parent")
    _require(by, "areas.add_area")
    with transaction.atomic():
        area = Area(level=level, code=code, name=name, parent=parent, **fields)
        area.save()
        if by is not None:
            audit.record(
                actor=by, action="areas.area.create", subject=area, after=audit.snapshot(area, AUDITED_FIELDS)
            )
    return area


@transaction.atomic
def update_area(area: Area, *, by: Any, **changes: Any) -> Area:
    """Change an area's name, grid kind, shape, point, floors or compound (audited)."""
    _require(by, "areas.change_area")
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"update_area does not change {sorted(unknown)}; codes and parents: move_area")
    area = Area.objects.select_for_update().get(pk=area.pk)
    before = audit.snapshot(area, AUDITED_FIELDS)
    for field, value in changes.items():
        setattr(area, field, value)
    if "compound" in changes:
        _check_compound(area, area.parent)
    area.save(update_fields=list(changes) or None)
    audit.record(
        actor=by,
        action="areas.area.change",
        subject=area,
        before=before,
        after=audit.snapshot(area, AUDITED_FIELDS),
    )
    return area


def _check_compound(area: Area, parent: Area | None) -> None:
    compound: Compound | None = area.compound
    if compound is None or parent is None:
        return
    community = Area.objects.filter(pk=compound.community_id).values_list("path", flat=True).first() or ""
    if not parent.path.startswith(community):
        raise ValidationError(_("A building's compound belongs to the community the building lies in."))


def check_move(area: Area, *, parent: Area | None, code: str) -> None:
    """Raise a ValidationError when `area` may not get this parent and code (nothing is changed)."""
    if area.level in (Level.CITY, Level.DISTRICT) and code != area.code:
        raise ValidationError(_("A city's or district's code is its jurisdiction key and does not change."))
    if parent is None:
        if area.level not in (Level.CITY, Level.DISTRICT):
            raise ValidationError(_("This area needs a parent."))
    else:
        if CHILD_LEVEL.get(parent.level) != area.level:
            raise ValidationError(
                _("A %(level)s lies directly under a %(parent)s.")
                % {"level": Level(area.level).label, "parent": Level(_parent_level(area.level)).label}
            )
        if area.level not in (Level.CITY, Level.DISTRICT) and parent.jurisdiction != area.jurisdiction:
            raise ValidationError(_("An area moves only within its district."))
    if code != area.code and Area.objects.filter(code=code).exclude(pk=area.pk).exists():
        raise ValidationError(_("Another area already has the code %(code)s.") % {"code": code})
    if area.level == Level.BUILDING:
        _check_compound(area, parent)


def _parent_level(level: str) -> str:
    return LEVEL_ORDER[max(LEVEL_ORDER.index(level) - 1, 0)]


@transaction.atomic
def move_area(area: Area, *, by: Any, parent: Area | None = None, code: str | None = None) -> Area:
    """Give an area a new parent and/or a new code; the paths of everything below it follow.

    Rewrites, in one statement each, the paths of the area's subtree and of the households in it,
    moves households to their new grid (a building or unit moving between grids), then sends
    `area_paths_moved` so the apps above rewrite the paths they keep (residents, cases). Audited.
    """
    _require(by, "areas.change_area")
    area = Area.objects.select_for_update().get(pk=area.pk)
    new_parent = parent if parent is not None else area.parent
    new_code = code or area.code
    check_move(area, parent=new_parent, code=new_code)
    before = audit.snapshot(area, AUDITED_FIELDS)
    old_prefix = area.path
    new_prefix = (new_parent.path if new_parent is not None else "") + new_code + "/"
    old_grid = area.grid() if area.level in (Level.BUILDING, Level.UNIT) else None
    area.parent, area.code = new_parent, new_code
    area.save(update_fields=["parent", "code", "path"])
    if new_prefix != old_prefix:
        rewrite = Concat(Value(new_prefix), Substr("path", len(old_prefix) + 1))
        Area.objects.filter(path__startswith=old_prefix).exclude(pk=area.pk).update(path=rewrite)
        Household.objects.filter(path__startswith=old_prefix).update(path=rewrite)
        area_paths_moved.send(sender=Area, old_prefix=old_prefix, new_prefix=new_prefix)
        caches.invalidate(caches.AREAS, sender=Area)
    if old_grid is not None:
        new_grid = area.grid()
        if new_grid is not None and new_grid.pk != old_grid.pk:
            Household.objects.filter(path__startswith=new_prefix).update(grid=new_grid)
            recount_households([old_grid.pk, new_grid.pk])
    audit.record(
        actor=by,
        action="areas.area.move",
        subject=area,
        before=before,
        after=audit.snapshot(area, AUDITED_FIELDS),
    )
    return area


@transaction.atomic
def delete_area(area: Area, *, by: Any) -> None:
    """Delete an area that nothing points at (children, households, roles … protect it). Audited."""
    _require(by, "areas.delete_area")
    before = audit.snapshot(area, AUDITED_FIELDS)
    pk = area.pk
    area.delete()
    area.pk = pk
    audit.record(actor=by, action="areas.area.delete", subject=area, before=before)


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
    caches.invalidate(caches.AREAS, sender=Area)
    return areas


def recount_households(grid_ids) -> None:
    """Set `households_count` of these grids from their household rows."""
    counts = Household.objects.filter(grid=OuterRef("pk")).order_by().values("grid").annotate(n=Count("pk"))
    Area.objects.filter(pk__in=list(grid_ids)).update(
        households_count=Coalesce(Subquery(counts.values("n")), 0)
    )
