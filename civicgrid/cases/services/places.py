"""The place of a report from its address text (areas/addresses.py), and the dispatcher's pick
when the match was not sure enough to take (a history row, `pick_place`)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from civicgrid.areas.addresses import AddressMatch, common_path, match_address
from civicgrid.areas.models import Area, Level

from .. import policy, rollups, workflow
from ..models import Case, PlaceMatch
from .moves import Actor, CaseRef, _actor, _Move


def match_for_intake(address: str, area: Area | int | None) -> tuple[AddressMatch, dict[str, Any]]:
    """Match a report's address text (within the area given, if any). Returns the match and the
    place keywords to use: a unit (with its building's WGS84 point) or building when matched, the compound's grid when only the
    compound is sure, else (ambiguous) the deepest area all candidates share — never a guess."""
    within = area
    if within is not None and not isinstance(within, Area):
        within = Area.objects.filter(pk=within).first()
    m = match_address(address, within=within)
    place: dict[str, Any] = {}
    best = m.best
    if best is not None and best.unit_id:
        # the unit as the index knows it (no query): what `_place` reads of a unit
        place["unit"] = (
            Area(
                pk=best.unit_id,
                level=Level.UNIT,
                parent_id=best.building_id,
                path=best.unit_path,
                jurisdiction=best.jurisdiction,
            )
            if best.unit_path
            else best.unit_id
        )
        if best.lng is not None:  # the building's point (a unit has none of its own)
            place["lng"], place["lat"] = best.lng, best.lat
    elif best is not None and best.building_id:
        place["building"] = best.building_id
    elif best is not None and best.grid_id:
        place["area"] = best.grid_id
    elif m.candidates and area is None:
        shared = common_path(m.candidates)
        if shared.count("/") >= 3:  # at least a street: the dispatcher picks below it
            found = Area.objects.filter(path=shared).values_list("pk", flat=True).first()
            if found:
                place["area"] = found
    return m, place


def record_match(case: Case, m: AddressMatch, *, used: bool) -> PlaceMatch:
    return PlaceMatch.objects.create(
        case=case,
        jurisdiction=case.jurisdiction,
        text=m.text[:200],
        status=m.status,
        level=m.level or "",
        confidence=m.confidence,
        candidates=[
            {k: v for k, v in c.__dict__.items() if k != "path"} | {"path": c.path} for c in m.candidates
        ],
        used=used,
    )


@transaction.atomic
def pick_place(
    case: CaseRef,
    by: Actor,
    *,
    building: Area | int | None = None,
    unit: Area | int | None = None,
    expected_version: int | None = None,
) -> Case:
    """The dispatcher names the building (or unit) of a report whose address was not sure."""
    from .new_cases import _place

    if building is None and unit is None:
        raise ValidationError(_("Pick a building."))
    move = _Move(case, "pick_place", by, expected_version)
    c = move.case
    fields, lng, lat = _place(
        lng=None, lat=None, crs="wgs84", building=building, unit=unit, area=None, grid=None
    )
    if fields.get("jurisdiction") != c.jurisdiction:
        raise ValidationError(_("Pick a building in this case's district."))
    old_path, old_area_path = c.path, rollups.area_path(c)
    probe = Case(path=fields["path"], jurisdiction=c.jurisdiction, state=c.state, level=c.level)
    if not policy.in_area_scope(by, probe, workflow.TRANSITIONS["pick_place"].roles):
        raise PermissionDenied(_("This building is outside your area."))
    c.unit_id = fields.get("unit_id")
    c.building_id = fields.get("building_id")
    c.grid_id = fields.get("grid_id", c.grid_id)
    c.path = fields["path"]
    if c.lng is None and lng is not None:
        c.lng, c.lat = lng, lat
    names = dict(
        Area.objects.filter(pk__in=[p for p in (c.building_id, c.unit_id) if p]).values_list("pk", "name")
    )
    label = " ".join(names[p] for p in (c.building_id, c.unit_id) if p in names)
    PlaceMatch.objects.filter(case=c).update(picked_by=_actor(by), picked_at=move.now, used=True)
    data = {"building": c.building_id, "unit": c.unit_id, "from_path": old_path, "to_path": c.path}
    returns = rollups.moved_returns(c, old_area_path, rollups.area_path(c))
    if returns:
        data["returns"] = returns  # the worker moves them in ReturnRollup
    return move.finish(label, data=data)
