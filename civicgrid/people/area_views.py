"""The area browser: district → street → community → grid → building → unit, with offline maps.

Every page runs a bounded number of queries whatever the number of children (counts are grouped
in one query each, never one query per row). Scope checks come from people.policy.

The browser lives in `people` (not `areas`) because every page depends on who is looking: scopes,
role holders and residents are people's; `areas` stays below `people` and knows nothing of them.
The templates stay with the area tree (`areas/templates/areas/`), as do the map template tags.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, Sum
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from civicgrid.areas.models import Area, Household, Level
from civicgrid.areas.templatetags.area_maps import render_map
from civicgrid.core.access import signed_in_view

from . import policy
from .models import Resident, Role, RoleAssignment


def natural_key(text: str) -> list:
    """Sort "101" before "1001" and "2单元" before "10单元": numbers by value, the rest as text."""
    return [
        (0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", text) if part
    ]


# How far below the grid a node sits: its grid is this many steps up its path.
GRID_OFFSET = {Level.GRID: 0, Level.BUILDING: 1, Level.UNIT: 2}


# ---------------------------------------------------------------- helpers shared with the home pages


def grid_code_of(area: Area) -> str | None:
    """The code of the grid a grid, building or unit lies in (from its path, no query)."""
    offset = GRID_OFFSET.get(area.level)
    if offset is None:
        return None
    codes = area.ancestor_codes()
    return codes[-1 - offset] if len(codes) > offset else None


def my_codes(user) -> set[str]:
    """Codes to mark as the viewer's own on a map: the areas they hold a role over and their grids."""
    codes = set()
    for assignment in policy.assignments(user):
        if assignment.area_id:
            codes.add(assignment.area.code)
            grid = grid_code_of(assignment.area)
            if grid:
                codes.add(grid)
    return codes


def staff_names(role: str, areas) -> dict[int, list[str]]:
    """Area id → names of the people holding `role` over it today (one query)."""
    today = timezone.localdate()
    found: dict[int, list[str]] = defaultdict(list)
    holders = (
        RoleAssignment.objects.filter(role=role, area__in=list(areas))
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=today))
        .select_related("user")
        .order_by("user__username")
    )
    for assignment in holders:
        user = assignment.user
        found[assignment.area_id].append(user.get_full_name() or user.username)
    return found


def linkable_codes(user, areas) -> set[str]:
    return {a.code for a in areas if policy.can_view_area(user, a)}


def subtree_totals(area: Area) -> dict:
    """Communities, grids (N and X) and households under an area: two grouped queries.

    Households come from each grid's denormalised `households_count` (kept by the area services).
    """
    grids = (
        Area.objects.filter(level=Level.GRID, path__startswith=area.path)
        .values("kind")
        .annotate(n=Count("id"), households=Sum("households_count"))
    )
    totals = {"communities": 0, "grids": 0, "grids_n": 0, "grids_x": 0, "households": 0}
    for row in grids:
        totals["grids"] += row["n"]
        totals["households"] += row["households"] or 0
        if row["kind"] == "N":
            totals["grids_n"] += row["n"]
        elif row["kind"] == "X":
            totals["grids_x"] += row["n"]
    totals["communities"] = Area.objects.filter(level=Level.COMMUNITY, path__startswith=area.path).count()
    return totals


def child_rows(area: Area, children) -> list[dict]:
    """For each child of a city, district or street: its communities, grids and households."""
    children = list(children)
    depth = len(area.ancestor_codes())
    stats: dict[str, Counter] = defaultdict(Counter)

    def child_code(path: str) -> str:
        codes = [c for c in path.split("/") if c]
        return codes[depth] if len(codes) > depth else ""

    grids = Area.objects.filter(level=Level.GRID, path__startswith=area.path)
    for path, households in grids.values_list("path", "households_count"):
        counter = stats[child_code(path)]
        counter["grids"] += 1
        counter["households"] += households
    communities = Area.objects.filter(level=Level.COMMUNITY, path__startswith=area.path)
    for path in communities.values_list("path", flat=True):
        stats[child_code(path)]["communities"] += 1
    return [{"area": child, **stats[child.code]} for child in children]


def grid_rows(grids) -> list[dict]:
    """For each grid: its grid workers and number of buildings (two queries for any number of grids)."""
    grids = list(grids)
    workers = staff_names(Role.GRID_WORKER, grids)
    buildings = dict(
        Area.objects.filter(level=Level.BUILDING, parent__in=grids)
        .values_list("parent_id")
        .annotate(n=Count("id"))
    )
    return [{"area": g, "workers": workers.get(g.id, []), "buildings": buildings.get(g.id, 0)} for g in grids]


def people_totals(area: Area) -> dict:
    """Residents and Party members living under an area (one query)."""
    return Resident.objects.filter(path__startswith=area.path).aggregate(
        residents=Count("id"), party_members=Count("id", filter=Q(is_party_member=True))
    )


def grid_map(user, grid: Area, *, highlight: set[str], buildings=None, label: str = ""):
    """A grid among the other grids of its community, framed on it, with its buildings as points."""
    grids = list(Area.objects.filter(parent_id=grid.parent_id, level=Level.GRID))
    if buildings is None:
        buildings = list(Area.objects.filter(parent=grid, level=Level.BUILDING))
    links = linkable_codes(user, [*grids, *buildings])
    focus = [grid] if grid.shape else None  # the grid fills the map; its neighbours show at the edges
    return render_map(
        grids,
        points=buildings,
        highlight=highlight,
        linkable=links,
        focus=focus,
        label=label,
        tile_url=settings.CIVICGRID_TILE_URL,
    )


# What a city, district, street or community page draws: (level of the shapes, level of the outlines).
MAP_LEVELS = {
    Level.CITY: (Level.STREET, Level.DISTRICT),
    Level.DISTRICT: (Level.COMMUNITY, Level.STREET),
    Level.STREET: (Level.GRID, Level.COMMUNITY),
    Level.COMMUNITY: (Level.GRID, None),
}


def area_map(user, area: Area, children, *, highlight: set[str]):
    """The map for a city, district, street or community page: the nodes two levels down (a street's
    grids), with the children's borders drawn over them; the children themselves when those have no shape.
    """
    shape_level, outline_level = MAP_LEVELS.get(area.level, (None, None))
    shapes = list(Area.objects.filter(level=shape_level, path__startswith=area.path)) if shape_level else []
    outlines = [c for c in children if c.level == outline_level] if outline_level else []
    if not any(s.shape for s in shapes):
        shapes, outlines = list(children), []
    return render_map(
        shapes,
        outlines=outlines,
        highlight=highlight,
        linkable=linkable_codes(user, shapes),
        label=area.name,
        tile_url=settings.CIVICGRID_TILE_URL,
    )


def map_shows_grids(area: Area) -> bool:
    return MAP_LEVELS.get(area.level, (None,))[0] == Level.GRID


# ---------------------------------------------------------------- pages


@signed_in_view
def browse(request):
    """Start from the user's broadest area; with several, list them."""
    areas = policy.home_areas(request.user)
    if len(areas) == 1:
        return redirect("areas:detail", areas[0].code)
    return render(request, "areas/browse.html", {"areas": areas})


@signed_in_view
def detail(request, code):
    area = get_object_or_404(Area, code=code)
    user = request.user
    if not policy.can_view_area(user, area):
        raise PermissionDenied
    context = {
        "area": area,
        "ancestors": area.ancestors(),
        "can_see_detail": policy.can_view_area_detail(user, area),
        "mine": my_codes(user),
    }
    if area.level == Level.GRID:
        return grid_page(request, area, context)
    if area.level == Level.BUILDING:
        return building_page(request, area, context)
    if area.level == Level.UNIT:
        return unit_page(request, area, context)
    children = list(policy.visible_areas(user, area.children.all()))
    context["map"] = area_map(user, area, children, highlight=context["mine"])
    context["show_grids"] = map_shows_grids(area)
    if area.level == Level.COMMUNITY:
        context["grid_rows"] = grid_rows(children)
        if context["can_see_detail"]:
            context["totals"] = subtree_totals(area)
            context["compounds"] = area.compounds.order_by("name")
        return render(request, "areas/community.html", context)
    context["rows"] = child_rows(area, children)
    if context["can_see_detail"]:
        context["totals"] = subtree_totals(area)
    return render(request, "areas/overview.html", context)


def building_rows(grid: Area, buildings) -> list[dict]:
    """For each building of a grid: its units and households (two grouped queries)."""
    buildings = list(buildings)
    units = dict(
        Area.objects.filter(level=Level.UNIT, parent__in=buildings)
        .values_list("parent_id")
        .annotate(n=Count("id"))
    )
    households = dict(
        Household.objects.filter(grid=grid).values_list("unit__parent_id").annotate(n=Count("id"))
    )
    return [
        {"area": b, "units": units.get(b.id, 0), "households": households.get(b.id, 0)} for b in buildings
    ]


def grid_page(request, grid: Area, context: dict):
    user = request.user
    buildings = list(
        policy.visible_areas(user, Area.objects.filter(parent=grid, level=Level.BUILDING)).select_related(
            "compound"
        )
    )
    context.update(
        {
            "workers": staff_names(Role.GRID_WORKER, [grid]).get(grid.id, []),
            "building_rows": building_rows(grid, buildings),
            "map": grid_map(
                user, grid, highlight=context["mine"] | {grid.code}, buildings=buildings, label=grid.name
            ),
        }
    )
    if context["can_see_detail"]:
        context["people"] = people_totals(grid)
        context["households"] = grid.grid_households.count()
    return render(request, "areas/grid.html", context)


def building_page(request, building: Area, context: dict):
    user = request.user
    units = sorted(
        policy.visible_areas(user, building.children.filter(level=Level.UNIT)),
        key=lambda u: natural_key(u.code),
    )
    households = defaultdict(list)
    open_units = [u for u in units if policy.can_view_area_detail(user, u)]
    if open_units:
        rows = (
            Household.objects.filter(unit__in=open_units)
            .annotate(members_count=Count("members"))
            .order_by("unit_id", "number")
        )
        for household in rows:
            households[household.unit_id].append(household)
        for listed in households.values():
            listed.sort(key=lambda h: natural_key(h.number))
    stewards = staff_names(Role.UNIT_STEWARD, units)
    grid = building.parent
    context.update(
        {
            "leaders": staff_names(Role.BUILDING_LEADER, [building]).get(building.id, []),
            "unit_rows": [
                {"area": u, "households": households.get(u.id, []), "stewards": stewards.get(u.id, [])}
                for u in units
            ],
            "grid": grid,
            "map": grid_map(user, grid, highlight=context["mine"] | {building.code}, label=grid.name)
            if grid and grid.level == Level.GRID
            else "",
        }
    )
    if context["can_see_detail"]:
        context["people"] = people_totals(building)
        context["households_count"] = sum(len(v) for v in households.values())
    return render(request, "areas/building.html", context)


def unit_page(request, unit: Area, context: dict):
    households = []
    if context["can_see_detail"]:
        households = sorted(
            unit.households.annotate(members_count=Count("members")), key=lambda h: natural_key(h.number)
        )
    context.update(
        {
            "households": households,
            "stewards": staff_names(Role.UNIT_STEWARD, [unit]).get(unit.id, []),
        }
    )
    return render(request, "areas/unit.html", context)
