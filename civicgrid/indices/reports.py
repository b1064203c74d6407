"""Read-only views of the indices: live scores, the preview of a change, the five-colour map, the
grids' admitted workload. Everything reads the rollups through metrics.for_areas (a few queries
whatever the number of areas or cases).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from civicgrid.areas.models import Area, Level

from . import metrics, scoring
from .models import AreaPeerGroup, ColourRule, GridTask, IndexDefinition


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def period_for(index: IndexDefinition, end: date | None = None) -> tuple[date, date]:
    """The months an issue reads: `index.months` months ending with `end` (default: last month)."""
    if end is None:
        today = timezone.localdate()
        end = add_months(date(today.year, today.month, 1), -1)
    end = date(end.year, end.month, 1)
    return add_months(end, -(index.months - 1)), end


def ranked_areas(index: IndexDefinition) -> list[Area]:
    return list(Area.objects.filter(level=index.level, path__startswith=index.owner.path).order_by("code"))


def groups_for(areas: list[Area], lang: str | None = None) -> dict[int, tuple[str, str]]:
    links = AreaPeerGroup.objects.filter(area__in=areas).select_related("group")
    out = {}
    for link in links:
        g = link.group
        out[link.area_id] = (g.code, g.name_en if lang and lang.startswith("en") and g.name_en else g.name)
    return out


def lines(
    index: IndexDefinition, indicators: list[dict], start: date, end: date, lang=None
) -> list[scoring.Line]:
    areas = ranked_areas(index)
    values = metrics.for_areas(areas, start, end)
    parsed = [scoring.Indicator.from_data(d) for d in indicators]
    return scoring.score(parsed, areas, groups_for(areas, lang), values, metrics.names())


@dataclass
class PreviewRow:
    area: Area
    group_name: str
    score_now: float
    rank_now: int
    score_draft: float
    rank_draft: int

    @property
    def rank_change(self) -> int:
        return self.rank_now - self.rank_draft


def preview(index: IndexDefinition, draft: list[dict], lang=None) -> list[PreviewRow]:
    """What a change of indicators would do to the scores and ranks, before it is saved."""
    start, end = period_for(index)
    current = index.current
    now = {ln.area.pk: ln for ln in lines(index, current.indicators, start, end, lang)} if current else {}
    rows = []
    for ln in lines(index, draft, start, end, lang):
        old = now.get(ln.area.pk)
        rows.append(
            PreviewRow(
                ln.area,
                ln.group_name,
                old.score if old else 0.0,
                old.rank if old else 0,
                ln.score,
                ln.rank,
            )
        )
    return rows


# --- five-colour map -------------------------------------------------------------------------


@dataclass
class Coloured:
    area: Area
    result: scoring.ColourResult


def rules_for(area: Area, level: str) -> list[ColourRule]:
    """The colour rules that apply to areas of `level` under `area`: those of its district (or above)."""
    codes = area.ancestor_codes() + [area.code]
    return list(ColourRule.objects.filter(owner__code__in=codes, level=level).order_by("name"))


def colour_map(root: Area, level: str, lang=None) -> list[Coloured]:
    """Every area of `level` under `root` with its colour and the reasons for it."""
    rules = rules_for(root, level)
    areas = list(Area.objects.filter(level=level, path__startswith=root.path).order_by("code"))
    if not rules or not areas:
        return [Coloured(a, scoring.ColourResult(None, [], [])) for a in areas]
    today = timezone.localdate()
    this_month = date(today.year, today.month, 1)
    by_months: dict[int, dict] = {}
    for months in {r.months for r in rules}:
        by_months[months] = metrics.for_areas(areas, add_months(this_month, -(months - 1)), this_month)
    names = metrics.names()
    out = []
    for area in areas:
        results = []
        for rule in rules:
            results.append(scoring.colour_of([rule], by_months[rule.months][area.pk], names, lang))
        seen = [v for r in results for v in r.values]
        coloured = [s for s in seen if s[2] is not None]
        if not coloured:
            out.append(Coloured(area, scoring.ColourResult(None, [], seen)))
            continue
        worst = min(coloured, key=lambda s: scoring.COLOURS.index(s[2]))[2]
        out.append(Coloured(area, scoring.ColourResult(worst, [s for s in coloured if s[2] == worst], seen)))
    return out


def child_level(area: Area) -> str | None:
    return {
        Level.CITY: Level.DISTRICT,
        Level.DISTRICT: Level.STREET,
        Level.STREET: Level.COMMUNITY,
        Level.COMMUNITY: Level.GRID,
    }.get(area.level)


# --- admitted workload -----------------------------------------------------------------------


def workload(root: Area, months: int = 6) -> tuple[list[date], list[tuple[Area, list[Decimal]]]]:
    """Hours of admitted tasks per grid and month under `root` (the grids' workload figure)."""
    today = timezone.localdate()
    last = date(today.year, today.month, 1)
    cols = [add_months(last, -i) for i in range(months - 1, -1, -1)]
    grids = list(Area.objects.filter(level=Level.GRID, path__startswith=root.path).order_by("code"))
    sums = (
        GridTask.objects.filter(grid__in=grids, month__gte=cols[0], month__lte=cols[-1])
        .values("grid_id", "month")
        .annotate(hours=Sum("hours"))
    )
    table: dict[int, dict[date, Decimal]] = defaultdict(dict)
    for row in sums:
        table[row["grid_id"]][row["month"]] = row["hours"]
    return cols, [(g, [table[g.pk].get(m, Decimal(0)) for m in cols]) for g in grids if g.pk in table]


def my_day_tasks(user, today: date) -> list:
    """The grid worker's admitted tasks of this month not done yet, for fieldwork's "My day"."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from civicgrid.fieldwork.tasks import Task

    month = date(today.year, today.month, 1)
    open_tasks = GridTask.objects.filter(worker=user, month=month, done_at__isnull=True).select_related(
        "request", "grid"
    )
    url = reverse("indices:admission") + "#my-tasks"
    return [
        Task(
            title=_("%(task)s · %(grid)s · %(hours)s h")
            % {"task": t.request.title, "grid": t.grid.name, "hours": t.hours},
            url=url,
            due=add_months(month, 1),
            source="indices",
        )
        for t in open_tasks
    ]
