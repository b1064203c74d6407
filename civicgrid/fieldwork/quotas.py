"""Visit quotas: what type each household is, how often the community wants it visited, which
households are due, and how far a grid has got. One definition of each rule, used by the pages,
the rollups and the demo.

- A household's type comes from the registry (people.Resident birth years): nobody registered →
  unregistered; one resident aged ELDERLY_AGE or over → elderly living alone (独居老人); every
  resident that old → elderly household; otherwise other households.
- A community sets a quota per type (VisitQuota rows: visits per week, month, quarter or year);
  where it has set none, DEFAULT_QUOTAS apply.
- Periods are calendar periods: weeks run Monday to Sunday, months, quarters and years as usual.
  A household is due while its current period holds fewer visits than its quota.
"""

from __future__ import annotations

import calendar
from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Max

from civicgrid.areas.models import Area, Household
from civicgrid.people.models import Resident

from .models import HouseholdType, Period, Visit, VisitQuota

# 60 and over: the age from which the Law on the Protection of the Rights of the Elderly applies.
ELDERLY_AGE = 60
DEFAULT_QUOTAS: dict[str, tuple[str, int]] = {
    HouseholdType.ELDERLY_ALONE: (Period.WEEK, 1),
    HouseholdType.ELDERLY: (Period.MONTH, 1),
    HouseholdType.GENERAL: (Period.QUARTER, 1),
    HouseholdType.UNREGISTERED: (Period.QUARTER, 1),
}
TYPE_ORDER = [
    HouseholdType.ELDERLY_ALONE,
    HouseholdType.ELDERLY,
    HouseholdType.GENERAL,
    HouseholdType.UNREGISTERED,
]


def classify(birth_years: list[int | None], today: date) -> str:
    """The household type from its residents' birth years (None: not recorded)."""
    if not birth_years:
        return HouseholdType.UNREGISTERED
    elderly = [y is not None and today.year - y >= ELDERLY_AGE for y in birth_years]
    if all(elderly):
        return HouseholdType.ELDERLY_ALONE if len(birth_years) == 1 else HouseholdType.ELDERLY
    return HouseholdType.GENERAL


def household_types(household_ids, today: date, *, path: str | None = None) -> dict[int, str]:
    """{household id: type} in one query (pass the grid's `path` to select by prefix instead)."""
    ids = list(household_ids)
    years: dict[int, list] = {h: [] for h in ids}
    qs = Resident.objects.filter(household_id__isnull=False)
    qs = qs.filter(path__startswith=path) if path else qs.filter(household_id__in=ids)
    for household_id, birth_year in qs.values_list("household_id", "birth_year"):
        if household_id in years:
            years[household_id].append(birth_year)
    return {h: classify(ys, today) for h, ys in years.items()}


def community_of(grid: Area) -> Area | None:
    return grid.parent if grid.parent_id else None


def quotas_for(community: Area | None) -> dict[str, tuple[str, int]]:
    """{household type: (period, visits)} for a community: its own rules over the defaults."""
    found = dict(DEFAULT_QUOTAS)
    if community is not None:
        for q in VisitQuota.objects.filter(community=community):
            found[q.household_type] = (q.period, q.visits)
    return found


def period_bounds(period: str, day: date) -> tuple[date, date]:
    """The calendar period holding `day`: (first day, last day)."""
    if period == Period.WEEK:
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=6)
    if period == Period.MONTH:
        return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])
    if period == Period.QUARTER:
        first = 3 * ((day.month - 1) // 3) + 1
        last = first + 2
        return date(day.year, first, 1), date(day.year, last, calendar.monthrange(day.year, last)[1])
    return date(day.year, 1, 1), date(day.year, 12, 31)


def month_end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def periods_ending_in(period: str, month: date) -> list[tuple[date, date]]:
    """The periods of a kind that end within a month (weeks by their Sunday)."""
    end = month_end(month)
    if period == Period.WEEK:
        first_sunday = month + timedelta(days=(6 - month.weekday()) % 7)
        out = []
        sunday = first_sunday
        while sunday <= end:
            out.append((sunday - timedelta(days=6), sunday))
            sunday += timedelta(days=7)
        return out
    start, last = period_bounds(period, month)
    return [(start, last)] if last == end else []


@dataclass
class HouseholdDue:
    household: Household
    type: str
    period: str
    quota: int
    made: int  # visits in the current period
    due_by: date
    last_visit: date | None

    @property
    def owed(self) -> int:
        return max(0, self.quota - self.made)

    @property
    def type_label(self) -> str:
        return HouseholdType(self.type).label

    @property
    def period_label(self) -> str:
        return Period(self.period).label


@dataclass
class Progress:
    owed: int
    made: int
    households: int
    due_households: int

    @property
    def percent(self) -> int:
        return round(100 * self.made / self.owed) if self.owed else 100


def grid_status(grid: Area, today: date) -> list[HouseholdDue]:
    """Every household of a grid with its type, quota and visits in the current period (3 queries)."""
    households = list(Household.objects.filter(grid=grid).select_related("unit__parent"))
    types = household_types([h.pk for h in households], today, path=grid.path)
    quotas = quotas_for(community_of(grid))
    earliest = min(period_bounds(p, today)[0] for p, _n in quotas.values())
    counts: dict[int, dict] = defaultdict(list)
    for household_id, visited_on in Visit.objects.filter(
        grid=grid, visited_on__gte=earliest, visited_on__lte=today
    ).values_list("household_id", "visited_on"):
        counts[household_id].append(visited_on)
    last = dict(
        Visit.objects.filter(grid=grid)
        .values("household_id")
        .annotate(last=Max("visited_on"))
        .values_list("household_id", "last")
    )
    rows = []
    for h in households:
        kind = types.get(h.pk, HouseholdType.UNREGISTERED)
        period, quota = quotas[kind]
        start, end = period_bounds(period, today)
        made = sum(1 for d in counts.get(h.pk, ()) if start <= d <= end)
        rows.append(HouseholdDue(h, kind, period, quota, made, end, last.get(h.pk)))
    return rows


def due_list(rows: list[HouseholdDue]) -> list[HouseholdDue]:
    """Households still owed a visit in their current period, the longest unvisited first."""
    due = [r for r in rows if r.owed]
    return sorted(
        due, key=lambda r: (r.last_visit or date.min, r.due_by, r.household.path, r.household.number)
    )


def progress(rows: list[HouseholdDue]) -> Progress:
    return Progress(
        owed=sum(r.quota for r in rows),
        made=sum(min(r.made, r.quota) for r in rows),
        households=len(rows),
        due_households=sum(1 for r in rows if r.owed),
    )


def month_figures(
    households: dict[int, str], quotas: dict[str, tuple[str, int]], visits, month: date
) -> dict:
    """A grid's month for the rollup: visits, households visited, quota owed and met by the periods
    ending in the month. `households` maps id → type; `visits` holds (household id, day) pairs, or
    a {household id: sorted days} mapping, covering at least the year up to the month's end."""
    end = month_end(month)
    if isinstance(visits, dict):
        by_household = visits
    else:
        by_household = defaultdict(list)
        for household_id, day in visits:
            by_household[household_id].append(day)
        for days in by_household.values():
            days.sort()
    in_month = 0
    visited = 0
    for days in by_household.values():
        n = bisect_right(days, end) - bisect_left(days, month)
        if n:
            in_month += n
            visited += 1
    due = met = 0
    ending = {period: periods_ending_in(period, month) for period in Period.values}
    for household_id, kind in households.items():
        period, quota = quotas[kind]
        days = by_household.get(household_id, ())
        for start, last in ending[period]:
            due += quota
            met += min(quota, bisect_right(days, last) - bisect_left(days, start))
    return {"visits": in_month, "households_visited": visited, "quota_due": due, "quota_met": met}
