"""The fieldwork figures: one GridMonth row per grid and month, kept current by the outbox worker
and read by the figures page (never a scan of the visits).

A change writes a `fieldwork.*` outbox row naming the grid and the day; the handler recomputes that
grid's month (and the next one, since a week that ends in the next month counts there). A quota
change recomputes the community's grids for the current month. `rebuild(area)` recomputes every
month of every grid under an area (the demo uses it; `civicgrid shell` can too). Household types
are those of the day the row was computed.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.db import transaction
from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from civicgrid.areas.models import Area, Household, Level
from civicgrid.core import outbox

from . import quotas
from .models import DiaryEntry, Errand, GridMonth, Patrol, Visit


def _month(day: date) -> date:
    return day.replace(day=1)


def _next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def _counts(model, field: str, grid_ids, start: date, end: date, **filters) -> dict:
    """{(grid id, month): n} for rows whose date/time field falls in [start, end]."""
    lookup = (
        {f"{field}__date__gte": start, f"{field}__date__lte": end}
        if field.endswith("_at")
        else {
            f"{field}__gte": start,
            f"{field}__lte": end,
        }
    )
    rows = (
        model.objects.filter(grid_id__in=grid_ids, **lookup, **filters)
        .annotate(m=TruncMonth(field))
        .values("grid_id", "m")
        .annotate(n=Count("pk"))
    )
    out = {}
    for r in rows:
        m = r["m"].date() if hasattr(r["m"], "date") else r["m"]
        out[(r["grid_id"], m.replace(day=1))] = r["n"]
    return out


def recompute(grids: list[Area], months: list[date], today: date | None = None) -> int:
    """Recompute the GridMonth rows of some grids and months; returns the rows written."""
    today = today or timezone.localdate()
    months = sorted({_month(m) for m in months if _month(m) <= today})
    if not grids or not months:
        return 0
    start = date(months[0].year, 1, 1)
    end = quotas.month_end(months[-1])
    grid_ids = [g.pk for g in grids]
    visits: dict[int, dict[int, list]] = defaultdict(lambda: defaultdict(list))
    for grid_id, household_id, day in (
        Visit.objects.filter(grid_id__in=grid_ids, visited_on__gte=start, visited_on__lte=end)
        .order_by("visited_on")
        .values_list("grid_id", "household_id", "visited_on")
    ):
        visits[grid_id][household_id].append(day)
    diary = _counts(DiaryEntry, "day", grid_ids, months[0], end)
    opened = _counts(Errand, "requested_at", grid_ids, months[0], end)
    done = _counts(Errand, "done_at", grid_ids, months[0], end)
    patrols = _counts(Patrol, "started_at", grid_ids, months[0], end)
    households: dict[int, list[int]] = defaultdict(list)
    for grid_id, household_id in Household.objects.filter(grid_id__in=grid_ids).values_list("grid_id", "pk"):
        households[grid_id].append(household_id)
    quota_cache: dict = {}
    rows = []
    now = timezone.now()
    for grid in grids:
        types = quotas.household_types(households[grid.pk], today, path=grid.path)
        if grid.parent_id not in quota_cache:
            quota_cache[grid.parent_id] = quotas.quotas_for(grid.parent)
        for month in months:
            key = (grid.pk, month)
            rows.append(
                GridMonth(
                    jurisdiction=grid.jurisdiction,
                    grid=grid,
                    month=month,
                    path=grid.path,
                    diary_entries=diary.get(key, 0),
                    errands_opened=opened.get(key, 0),
                    errands_done=done.get(key, 0),
                    patrols=patrols.get(key, 0),
                    computed_at=now,
                    **quotas.month_figures(types, quota_cache[grid.parent_id], visits[grid.pk], month),
                )
            )
    with transaction.atomic():
        # The grids' rows lock them: two workers recomputing one grid take turns instead of colliding.
        list(
            Area.objects.select_for_update()
            .filter(pk__in=grid_ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        GridMonth.objects.filter(grid_id__in=grid_ids, month__in=months).delete()
        GridMonth.objects.bulk_create(rows)
    written = len(rows)
    return written


def rebuild(area: Area, today: date | None = None, months: int = 13) -> int:
    """Recompute the last `months` months of every grid under an area."""
    today = today or timezone.localdate()
    first = _month(today)
    wanted = [first]
    for _i in range(months - 1):
        m = wanted[-1]
        wanted.append(date(m.year - (m.month == 1), (m.month - 2) % 12 + 1, 1))
    grids = list(Area.objects.filter(level=Level.GRID, path__startswith=area.path).select_related("parent"))
    total = 0
    by_year: dict[int, list[date]] = defaultdict(list)
    for m in wanted:
        by_year[m.year].append(m)
    for chunk in by_year.values():
        total += recompute(grids, chunk, today)
    return total


def _on_change(event) -> None:
    grid = (
        Area.objects.filter(pk=event.payload.get("grid"), level=Level.GRID).select_related("parent").first()
    )
    if grid is None:
        return
    month = _month(date.fromisoformat(event.payload["day"]))
    recompute([grid], [month])
    if _next_month(month) <= timezone.localdate():
        recompute([grid], [_next_month(month)])


for _topic in ("visit_recorded", "diary_written", "errand_requested", "errand_done", "patrol_started"):
    outbox.handler(f"fieldwork.{_topic}")(_on_change)


@outbox.handler("fieldwork.quota_set")
def _on_quota(event) -> None:
    grids = list(
        Area.objects.filter(level=Level.GRID, parent_id=event.payload.get("community")).select_related(
            "parent"
        )
    )
    recompute(grids, [timezone.localdate()])


def figures(area: Area, year: int) -> dict:
    """The year of an area's fieldwork, by month and by grid, from the rollup."""
    qs = GridMonth.objects.filter(path__startswith=area.path, month__year=year)
    fields = [
        "visits",
        "households_visited",
        "quota_due",
        "quota_met",
        "diary_entries",
        "errands_opened",
        "errands_done",
        "patrols",
    ]
    total = qs.aggregate(**{f: Sum(f) for f in fields})
    total = {f: total[f] or 0 for f in fields}
    by_month = {
        r["month"]: r for r in qs.values("month").annotate(**{f: Sum(f) for f in fields}).order_by("month")
    }
    by_grid = list(
        qs.values("grid_id", "grid__name", "grid__code")
        .annotate(**{f: Sum(f) for f in fields})
        .order_by("grid__code")
    )
    for row in [total, *by_month.values(), *by_grid]:
        row["completion"] = round(100 * row["quota_met"] / row["quota_due"]) if row["quota_due"] else None
    return {"total": total, "months": list(by_month.values()), "grids": by_grid, "has_rows": qs.exists()}
