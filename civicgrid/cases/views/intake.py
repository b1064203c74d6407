"""Staff intake pages: the grid worker's field report (patrol or household visit, settled on the
spot, errands) and the hotline and petition desk (with the possible-duplicate warning).

Both hand everything to cases/services/ (intake, settle_on_spot, find_possible_duplicates), which
checks the channel and scope again; these pages only choose what to offer whom.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from civicgrid.areas.models import Area, Level
from civicgrid.core.access import signed_in_view
from civicgrid.people import policy as people_policy
from civicgrid.people.models import Role

from .. import services, workflow
from ..forms import DeskForm, FieldReportForm, new_client_key
from ..models import CaseEvent
from ..photos import MAX_PHOTOS
from ..workflow import Channel, Kind
from .public_parts import buildings_under, category_groups, staff_case_url, stage

# Who reports from the field: the five-level chain (unit steward … community).
FIELD_ROLES = set(workflow.CHAIN)
# Who takes calls and letters; a department handler enters transfers only.
DESK_ROLES = {Role.COMMUNITY_STAFF, Role.STREET_DISPATCHER, Role.DISTRICT_SUPERVISOR}
AREA_OPTIONS_LIMIT = 400


def can_field_report(user) -> bool:
    return people_policy.is_admin(user) or people_policy.has_role(user, *FIELD_ROLES)


def desk_channels(user) -> list[str] | None:
    """The channels a user may enter at the desk (None: the desk is not theirs)."""
    if people_policy.is_admin(user) or people_policy.has_role(user, *DESK_ROLES):
        return [c for c, _label in DeskForm.CHANNELS]
    if people_policy.has_role(user, Role.DEPARTMENT_HANDLER):
        return [Channel.DEPARTMENT_TRANSFER]
    return None


def _areas_within(roots: list[Area], deepest: str) -> list[Area]:
    """The roots and every area below them down to `deepest` (street, community or grid levels),
    in tree order, at most AREA_OPTIONS_LIMIT."""
    levels = [Level.DISTRICT, Level.STREET, Level.COMMUNITY, Level.GRID]
    wanted = levels[: levels.index(deepest) + 1]
    q = Q(pk__in=[r.pk for r in roots])
    for root in roots:
        q |= Q(path__startswith=root.path, level__in=wanted)
    return list(Area.objects.filter(q).order_by("path")[:AREA_OPTIONS_LIMIT])


def field_areas(user) -> list[Area]:
    """The areas a field reporter works in: a steward's unit, a leader's building, a grid worker's
    grid, the grids of a community; their own grid first so that it is pre-selected."""
    if people_policy.is_admin(user) and not people_policy.has_role(user, *FIELD_ROLES):
        return list(Area.objects.filter(level=Level.GRID).order_by("path")[:AREA_OPTIONS_LIMIT])
    roots = [a.area for a in people_policy.assignments(user) if a.role in FIELD_ROLES and a.area_id]
    big = [r for r in roots if r.level in (Level.COMMUNITY, Level.STREET, Level.DISTRICT)]
    small = [r for r in roots if r not in big]
    areas = sorted(small, key=lambda a: a.path)
    if big:
        areas += [a for a in _areas_within(big, Level.GRID) if a not in areas]
    return areas


def desk_areas(user) -> list[Area]:
    if people_policy.is_admin(user):
        roots = list(Area.objects.filter(level=Level.STREET).order_by("path"))
    else:
        roots = [a.area for a in people_policy.assignments(user) if a.role in DESK_ROLES and a.area_id]
        for a in people_policy.assignments(user):
            if a.role == Role.DEPARTMENT_HANDLER and a.department_id:
                roots += list(a.department.served_areas.all())
    roots = sorted({r.pk: r for r in roots}.values(), key=lambda a: a.path)
    deepest = Level.COMMUNITY if any(r.level == Level.DISTRICT for r in roots) else Level.GRID
    return _areas_within(roots, deepest)


def _recent(user, actions) -> list[dict]:
    events = (
        CaseEvent.objects.filter(actor=user, action__in=actions)
        .select_related("case", "case__category")
        .order_by("-at", "-id")[:8]
    )
    return [{"case": e.case, "stage": stage(e.case.state), "url": staff_case_url(e.case)} for e in events]


def _picker_context(form, areas, field: str) -> dict:
    """The area list and the buildings of the chosen area, for the place pickers."""
    chosen = None
    value = form.data.get(field) if form.is_bound else form.initial.get(field)
    for a in areas:
        if str(a.pk) == str(getattr(value, "pk", value)):
            chosen = a
    if chosen is None and areas and field == "area" and not form.is_bound:
        chosen = areas[0]
    small = chosen is not None and chosen.level in (Level.GRID, Level.BUILDING, Level.UNIT)
    order = [lv.value for lv in Level]
    top = min((order.index(a.level) for a in areas), default=0)
    options = [{"area": a, "indent": "\u3000" * (order.index(a.level) - top)} for a in areas]
    return {
        "areas": areas,
        "area_options": options,
        "chosen_area": chosen,
        "buildings": buildings_under(chosen) if small else [],
        "building_id": str(form.data.get("building", "")) if form.is_bound else "",
        "unit_id": str(form.data.get("unit", "")) if form.is_bound else "",
    }


def _saved_message(request, result, what: str) -> None:
    case = result.case
    if result.created:
        messages.success(
            request,
            _("%(what)s recorded: %(ref)s (%(state)s).")
            % {"what": what, "ref": case.ref, "state": stage(case.state)["label"]},
        )
    else:
        messages.info(
            request, _("This was already recorded as %(ref)s; nothing was added.") % {"ref": case.ref}
        )


@signed_in_view
@require_http_methods(["GET", "POST"])
def field_report(request):
    """From a patrol or a household visit: report a problem, record a matter settled on the spot
    (one step, a closed case), or an errand run for a resident. Phone first; own grid pre-selected."""
    user = request.user
    if not can_field_report(user):
        raise PermissionDenied(
            _("Field reports are for unit stewards, building leaders, grid workers and community staff.")
        )
    areas = field_areas(user)
    steward = not people_policy.is_admin(user) and people_policy.roles(user) & FIELD_ROLES <= {
        Role.UNIT_STEWARD,
        Role.BUILDING_LEADER,
    }
    if request.method == "POST":
        form = FieldReportForm(request.POST, request.FILES, areas=areas, steward=steward)
        if form.is_valid():
            d = form.cleaned_data
            common = {
                "by": user,
                "description": d["description"],
                "category": d.get("category"),
                "photos": d["photos"],
                "client_key": d["client_key"],
                **form.place_kwargs(),
            }
            try:
                if d["mode"] == FieldReportForm.SETTLED:
                    result = services.settle_on_spot(result=d["result"], channel=d["channel"], **common)
                    what = _("Settled on the spot")
                elif d["mode"] == FieldReportForm.ERRAND:
                    result = services.intake(
                        channel=Channel.ERRAND,
                        is_errand=True,
                        extra={"found_on": d["channel"]},
                        contact_name=d.get("contact_name", ""),
                        contact_phone=d.get("contact_phone", ""),
                        **common,
                    )
                    what = _("Errand")
                else:
                    result = services.intake(
                        channel=d["channel"],
                        kind=Kind.EMERGENCY if d.get("emergency") else None,
                        contact_name=d.get("contact_name", ""),
                        contact_phone=d.get("contact_phone", ""),
                        **common,
                    )
                    what = _("Report")
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            else:
                _saved_message(request, result, what)
                return redirect("cases:field_report")
    else:
        form = FieldReportForm(
            areas=areas,
            steward=steward,
            initial={
                "client_key": new_client_key(),
                "area": areas[0] if areas else None,
                "mode": request.GET.get("mode", "report"),
                "channel": Channel.STEWARD if steward else Channel.GRID_PATROL,
            },
        )
    return render(
        request,
        "cases/intake/field.html",
        {
            "form": form,
            **_picker_context(form, areas, "area"),
            "recent": _recent(user, ("report", "settle_on_spot")),
            "category_groups": category_groups(),
            "max_photos": MAX_PHOTOS,
        },
    )


def _grid_of(d: dict):
    """The grid a desk entry lies in, for the duplicate check (None above grid level)."""
    unit, building, area = d.get("unit"), d.get("building"), d.get("area")
    node = unit or building or area
    if node is None:
        return None
    if node.level == Level.GRID:
        return node
    if node.level in (Level.BUILDING, Level.UNIT):
        return node.grid()
    return None


@signed_in_view
@require_http_methods(["GET", "POST"])
def desk(request):
    """Hotline operator and petition desk: enter a case for a caller or a letter, with its channel.
    Before saving, open cases that look the same are shown; saving then needs a confirmation."""
    user = request.user
    channels = desk_channels(user)
    if channels is None:
        raise PermissionDenied(
            _("The hotline and petition desk is for community staff and the street's command centre.")
        )
    areas = desk_areas(user)
    duplicates = []
    if request.method == "POST":
        form = DeskForm(request.POST, areas=areas, channels=channels)
        if form.is_valid():
            d = form.cleaned_data
            if not d.get("confirm"):
                grid = _grid_of(d)
                duplicates = [
                    {"case": c, "stage": stage(c.state), "url": staff_case_url(c)}
                    for c in services.find_possible_duplicates(
                        category=d.get("category"),
                        description=d["description"],
                        grid=grid,
                        address=d.get("address", ""),
                    )
                ]
            if not duplicates:
                extra = {"external_ref": d["external_ref"]} if d.get("external_ref") else None
                try:
                    result = services.intake(
                        channel=d["channel"],
                        by=user,
                        description=d["description"],
                        category=d.get("category"),
                        kind=Kind.EMERGENCY if d.get("emergency") else None,
                        client_key=d["client_key"],
                        extra=extra,
                        **form.place_kwargs(),
                        **form.contact_kwargs(),
                    )
                except ValidationError as exc:
                    form.add_error(None, exc.messages)
                except PermissionDenied as exc:
                    form.add_error(None, str(exc))
                else:
                    _saved_message(request, result, _("Case"))
                    return redirect("cases:desk")
    else:
        form = DeskForm(
            areas=areas,
            channels=channels,
            initial={"client_key": new_client_key(), "channel": channels[0]},
        )
    return render(
        request,
        "cases/intake/desk.html",
        {
            "form": form,
            "duplicates": duplicates,
            **_picker_context(form, areas, "area"),
            "recent": _recent(user, ("report",)),
            "category_groups": category_groups(),
        },
    )
