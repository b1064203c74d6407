"""Figures for leaders, read from rollup tables that the worker keeps current.

Grain
-----
Cases are counted in the month they were reported (their cohort). Each case adds to one row per
area node of its ancestry (decision 0060): for the city, district, street and community along it, one
row in `CategoryRollup` (month, area, top-level category) and one in `DepartmentRollup` (month, area,
lead department); for its grid, one row in `GridRollup` (month, grid: the totals, no split). Never
buildings or units. Grids are nine in ten of the nodes, and a grid's month has about twelve cases, so
splitting them by category and department made the tables nearly as large as the cases; a grid's
split by category or department is read from its own cases instead (`_from_cases`: the path-prefix
index, with the same counter sums as the rebuild), a few hundred rows a year. A figure for any
other area and any run of months reads at most months × (categories or departments) rows, whatever
the number of cases (five years of a province: 60 × 8 category rows). Every row carries its area's
jurisdiction (the tenant key: a city's row the city's code), which is part of the rows' unique key.

How the tables stay current
---------------------------
`contribution(case)` is what one case adds to its rows, as a pure function of the case. Every
service that changes a case stores `delta(before, after)` in the CaseEvent it writes (flag
`rollup_pending`), in the same transaction. The worker job `process_pending()` sums the pending
deltas and adds them to the tables (one upsert per touched row), then clears the flags. The deadline
sweep, which changes cases in bulk, adds its deltas directly in its own transaction. So the
tables always equal the sum of `contribution()` over all cases, which is exactly what
`rebuild()` (command `civicgrid rebuild_rollups`) recomputes, all three tables, from the cases for repair: in SQL,
a month per transaction, with the same counters written as sums over the cases (`_counter_sql`).

Returns (退单)
-------------
`ReturnRollup` counts returns by the month of the return (not the case's cohort), per area node along
the case's ancestry (city down to community) and the department that returned the case (the
`department` of the history row): the command centre's league reads it instead of counting the
history rows of the period (a year of a city's history is millions of rows). The return service
stores the return's entry in its history row (`data["returns"]`, flag `rollup_pending`), and naming
the building of a case (`pick_place`) stores the entries that move the case's returns when the areas
along its path change; the worker adds them with the other deltas (`process_pending`), and `rebuild()`
recounts the returns from the history. Like the other tables, it follows an area moved in the tree
only after `rebuild_rollups`.

Counters (per row; "counted" means neither not accepted nor merged into another case)
-------------------------------------------------------------------------------------
reported            every case taken in
not_accepted        cases not accepted (不予受理)
merged              duplicates merged into a main case
settled_on_spot     general cases (一般性), settled on the spot
responded           counted cases taken on by their handler (responded_at set)
responded_on_time   … taken on by their respond-by time
closed              counted cases closed now
closed_on_time      closed cases handled by their resolve-by time (handled_at <= resolve_due)
closed_reworked     closed cases that needed rework at least once
closed_unsatisfied  closed cases whose latest rating is unsatisfied
overdue_open        open cases, not on hold, past their resolve-by time (flagged by the sweep)
on_hold             cases on hold (挂账) now
rated               counted cases with a rating; satisfied / basically / unsatisfied: by rating
close_seconds       sum over closed cases of the seconds from report to close

Rates (None when the denominator is 0); accepted = reported − not_accepted − merged
-----------------------------------------------------------------------------------
completion_rate     办结率     closed ÷ accepted
on_time_rate        按期办结率 closed_on_time ÷ (closed + overdue_open)
                    i.e. on-time closes ÷ (closes due − on hold): the cases that were due are the
                    closed ones and the open ones past their deadline; cases on hold are left out
response_rate       响应率     responded_on_time ÷ accepted
resolution_rate     解决率     (closed − closed_unsatisfied) ÷ closed: of the closed cases, the share
                    the reporter did not rate as unsatisfied (not solved)
satisfaction_rate   满意率     (satisfied + basically) ÷ rated
rework_rate         返工率     closed_reworked ÷ closed
avg_close_hours     平均办结时长 close_seconds ÷ closed ÷ 3600 (hours of real time, report to close)
"""

from __future__ import annotations

import threading
import time as _time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.db.models import Count, Max, Min, QuerySet, Sum
from django.utils import timezone

from civicgrid.areas.models import Area, Level
from civicgrid.core import caches, parallel
from civicgrid.core.pooling import require_session

from .models import (
    ROLLUP_COUNTERS,
    Case,
    CaseEvent,
    CategoryRollup,
    DepartmentRollup,
    GridRollup,
    ReturnRollup,
)
from .workflow import RUNNING_STATES, Kind, Rating, State

COUNTERS = tuple(ROLLUP_COUNTERS)  # the rollup tables' counter columns (cases/models.py)
ROLLUP_LEVELS = {Level.CITY, Level.DISTRICT, Level.STREET, Level.COMMUNITY, Level.GRID}
# The levels with category and department rows; grids have one total row a month (GridRollup).
SPLIT_LEVELS = ROLLUP_LEVELS - {Level.GRID}


def month_of(moment) -> date:
    local = timezone.localtime(moment)
    return date(local.year, local.month, 1)


def contribution(case: Case) -> tuple[tuple, dict[str, int]]:
    """(key, counters) that this case adds; key = (month ISO, path, top category id, department id)."""
    state = case.state
    counted = state not in (State.NOT_ACCEPTED, State.MERGED)
    closed = state == State.CLOSED
    c = {
        "reported": 1,
        "not_accepted": int(state == State.NOT_ACCEPTED),
        "merged": int(state == State.MERGED),
        "settled_on_spot": int(case.kind == Kind.GENERAL and closed),
        "responded": int(counted and case.responded_at is not None),
        "responded_on_time": int(
            counted
            and case.responded_at is not None
            and (case.respond_due is None or case.responded_at <= case.respond_due)
        ),
        "closed": int(closed),
        "closed_on_time": int(
            closed
            and case.handled_at is not None
            and (case.resolve_due is None or case.handled_at <= case.resolve_due)
        ),
        "closed_reworked": int(closed and case.rework_count > 0),
        "closed_unsatisfied": int(closed and case.rating == Rating.UNSATISFIED),
        "overdue_open": int(state in RUNNING_STATES and case.resolution_overdue_at is not None),
        "on_hold": int(state == State.ON_HOLD),
        "rated": int(counted and bool(case.rating)),
        "satisfied": int(counted and case.rating == Rating.SATISFIED),
        "basically": int(counted and case.rating == Rating.BASICALLY),
        "unsatisfied": int(counted and case.rating == Rating.UNSATISFIED),
        "close_seconds": int((case.closed_at - case.reported_at).total_seconds())
        if closed and case.closed_at
        else 0,
    }
    month = case.reported_month or month_of(case.reported_at)
    key = (month.isoformat(), area_path(case), case.top_category_id, case.department_id)
    return key, {k: v for k, v in c.items() if v}


def area_path(case: Case) -> str:
    """The case's path cut at its grid (buildings and units have no rollup rows)."""
    return cut_path(case.path, int(case.unit_id is not None) + int(case.building_id is not None))


def cut_path(path: str, cut: int) -> str:
    """A path without its last `cut` codes."""
    codes = [c for c in path.split("/") if c]
    if cut:
        codes = codes[:-cut]
    return "/".join(codes) + "/"


def delta(before: tuple | None, after: tuple | None) -> list:
    """The change between two contributions, as JSON-ready [key..., {counter: delta}] entries."""
    acc: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    if before:
        for k, v in before[1].items():
            acc[before[0]][k] -= v
    if after:
        for k, v in after[1].items():
            acc[after[0]][k] += v
    out = []
    for key, counters in acc.items():
        nonzero = {k: v for k, v in counters.items() if v}
        if nonzero:
            out.append([*key, nonzero])
    return out


# --- the area ancestry of a path, cached per process --------------------------------------------

# code → (id, jurisdiction) of every area at a rollup level; kept by the rule of core.caches
# (cleared at once when the area tree changes in this process), and reloaded at once when a path
# names a code not yet known.


def _load_rollup_areas() -> dict[str, tuple[int, str, bool]]:
    rows = Area.objects.filter(level__in=ROLLUP_LEVELS).values_list("code", "id", "jurisdiction", "level")
    return {code: (pk, jurisdiction, level == Level.GRID) for code, pk, jurisdiction, level in rows}


_areas = caches.TimedValue("cases.rollup_areas", _load_rollup_areas, topics=[caches.AREAS])


def _rollup_areas() -> dict[str, tuple[int, str, bool]]:
    return _areas.get()


def forget_areas(*args, **kwargs) -> None:
    _areas.clear()


def ancestry_levels(path: str) -> list[tuple[int, str, bool]]:
    """(area id, the area's jurisdiction, whether it is a grid) of the rollup levels along a path."""
    codes = [c for c in path.split("/") if c]
    by_code = _rollup_areas()
    if any(c not in by_code for c in codes):  # an area created since the cache was loaded
        forget_areas()
        by_code = _rollup_areas()
    return [by_code[c] for c in codes if c in by_code]


def ancestry(path: str) -> list[tuple[int, str]]:
    """(area id, the area's jurisdiction) of the rollup levels along a path (city … grid)."""
    return [(pk, jurisdiction) for pk, jurisdiction, _grid in ancestry_levels(path)]


def ancestry_ids(path: str) -> list[int]:
    """Area ids of the rollup levels along a path (city … grid)."""
    return [pk for pk, _jurisdiction in ancestry(path)]


# --- adding deltas to the tables ---------------------------------------------------------------


def _expand(entries) -> tuple[dict, dict, dict]:
    """Sum entries into per-row deltas for the three tables, keyed (month, area id, jurisdiction[, dim
    id]): a grid's row has no dimension, the levels above it one row per category and per department."""
    cat_rows: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    dept_rows: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    grid_rows: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for month, path, category_id, department_id, counters in entries:
        for area_id, jurisdiction, is_grid in ancestry_levels(path):
            if is_grid:
                grow = grid_rows[(month, area_id, jurisdiction)]
                for k, v in counters.items():
                    grow[k] += v
                continue
            row = cat_rows[(month, area_id, jurisdiction, category_id)]
            for k, v in counters.items():
                row[k] += v
            if department_id:
                drow = dept_rows[(month, area_id, jurisdiction, department_id)]
                for k, v in counters.items():
                    drow[k] += v
    return cat_rows, dept_rows, grid_rows


def _upsert(model, dim: str | None, rows: dict) -> None:
    rows = {key: counters for key, counters in rows.items() if any(counters.values())}
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    dims = [f"{dim}_id"] if dim else []
    cols = ["month", "area_id", "jurisdiction", *dims, *COUNTERS]
    qcols = ", ".join(connection.ops.quote_name(c) for c in cols)
    updates = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in COUNTERS)
    placeholders = "(" + ", ".join(["%s"] * len(cols)) + ")"
    items = list(rows.items())
    with connection.cursor() as cursor:
        for start in range(0, len(items), 500):
            chunk = items[start : start + 500]
            params = []
            for key, counters in chunk:
                params += [*key, *(counters.get(c, 0) for c in COUNTERS)]
            cursor.execute(
                f"INSERT INTO {table} ({qcols}) VALUES {', '.join([placeholders] * len(chunk))} "
                f"ON CONFLICT (area_id, month, {''.join(d + ', ' for d in dims)}jurisdiction) "
                f"DO UPDATE SET {updates}",
                params,
            )
        # A row that no case counts any more (a case moved to another department or category) goes,
        # as a rebuild would not write it.
        emptied = [key for key, counters in items if counters.get("reported", 0) < 0]
        for start in range(0, len(emptied), 500):
            chunk = emptied[start : start + 500]
            match = (
                "(month = %s AND area_id = %s AND jurisdiction = %s"
                + "".join(f" AND {d} = %s" for d in dims)
                + ")"
            )
            cursor.execute(
                f"DELETE FROM {table} WHERE reported = 0 AND ({' OR '.join([match] * len(chunk))})",
                [v for key in chunk for v in key],
            )


def apply(entries) -> None:
    """Add delta entries ([month, path, category id, department id, {counter: n}]) to the tables."""
    cat_rows, dept_rows, grid_rows = _expand(entries)
    _upsert(CategoryRollup, "category", cat_rows)
    _upsert(DepartmentRollup, "department", dept_rows)
    _upsert(GridRollup, None, grid_rows)


# --- returns (退单) by the month of the return ------------------------------------------------------

RETURN_ACTION = "return_to_dispatcher"


def _return_rows(items) -> dict[tuple, int]:
    """(month, area path, department id, n) items summed into rows (month, area id, jurisdiction,
    department id) → n at the levels above grids; a return without a department counts nowhere."""
    rows: dict[tuple, int] = defaultdict(int)
    for month, path, department_id, n in items:
        if not department_id:
            continue
        for area_id, jurisdiction, is_grid in ancestry_levels(path):
            if not is_grid:
                rows[(month, area_id, jurisdiction, int(department_id))] += n
    return rows


def _upsert_returns(rows: dict[tuple, int]) -> None:
    rows = {key: n for key, n in rows.items() if n}
    if not rows:
        return
    table = connection.ops.quote_name(ReturnRollup._meta.db_table)
    items = list(rows.items())
    with connection.cursor() as cursor:
        for start in range(0, len(items), 500):
            chunk = items[start : start + 500]
            cursor.execute(
                f"INSERT INTO {table} (month, area_id, jurisdiction, department_id, returns) VALUES "
                + ", ".join(["(%s, %s, %s, %s, %s)"] * len(chunk))
                + " ON CONFLICT (area_id, month, department_id, jurisdiction) "
                f"DO UPDATE SET returns = {table}.returns + excluded.returns",
                [v for key, n in chunk for v in (*key, n)],
            )
        emptied = [key for key, n in items if n < 0]  # a row no return counts any more goes
        for start in range(0, len(emptied), 500):
            chunk = emptied[start : start + 500]
            match = "(month = %s AND area_id = %s AND jurisdiction = %s AND department_id = %s)"
            cursor.execute(
                f"DELETE FROM {table} WHERE returns <= 0 AND ({' OR '.join([match] * len(chunk))})",
                [v for key in chunk for v in key],
            )


def return_entries(case: Case, department_id: int | None, at, n: int = 1) -> list:
    """What one return of `case` by `department_id` at `at` adds (n=-1: takes back), as JSON-ready
    [month ISO, area path, department id, n] entries for the history row (`data["returns"]`); the
    worker adds them with the other pending deltas."""
    if not department_id:
        return []
    return [[month_of(at).isoformat(), area_path(case), int(department_id), n]]


def moved_returns(case: Case, old_area_path: str, new_area_path: str) -> list:
    """The entries that move the case's returns to the areas along its new path (a building named),
    when those areas differ."""
    if ancestry(old_area_path) == ancestry(new_area_path):
        return []
    found = CaseEvent.objects.filter(case_id=case.pk, action=RETURN_ACTION).values_list("at", "data")
    out = []
    for at, data in found:
        department_id = (data or {}).get("department")
        if department_id:
            month = month_of(at).isoformat()
            out += [
                [month, old_area_path, int(department_id), -1],
                [month, new_area_path, int(department_id), 1],
            ]
    return out


def apply_returns(entries) -> None:
    """Add return entries ([month ISO, area path, department id, n]) to ReturnRollup."""
    items = [(date.fromisoformat(m) if isinstance(m, str) else m, path, d, n) for m, path, d, n in entries]
    _upsert_returns(_return_rows(items))


def returns_by_department(
    area: Area | int, start: date | None = None, end: date | None = None
) -> dict[int, int]:
    """Returns in the months from `start` to `end` (by month of the return) per department that returned
    the case, for an area above the grids."""
    area_id, _is_grid, _path = _node(area)
    rows = (
        _months(ReturnRollup.objects.filter(area_id=area_id), start, end)
        .values("department_id")
        .annotate(n=Sum("returns"))
        .order_by("department_id")
    )
    return {row["department_id"]: int(row["n"]) for row in rows if row["n"]}


def _rebuild_returns(month: date) -> None:
    """Replace one month's return rows by the count of that month's return history rows."""
    tz = timezone.get_default_timezone()
    nxt = _add_months(month, 1)
    lo, hi = datetime(month.year, month.month, 1, tzinfo=tz), datetime(nxt.year, nxt.month, 1, tzinfo=tz)
    ReturnRollup.objects.filter(month=month).delete()
    found = (
        CaseEvent.objects.filter(action=RETURN_ACTION, at__gte=lo, at__lt=hi)
        .order_by()
        .values_list("case__path", "case__unit_id", "case__building_id", "data__department")
        .annotate(n=Count("id"))
    )
    items = [
        (month, cut_path(path, int(unit_id is not None) + int(building_id is not None)), department_id, n)
        for path, unit_id, building_id, department_id, n in found
    ]
    _upsert_returns(_return_rows(items))


def process_pending(batch: int = 5000) -> int:
    """Add the pending events' deltas to the tables; returns how many events were rolled up."""
    total = 0
    while True:
        with transaction.atomic():
            qs = CaseEvent.objects.filter(rollup_pending=True).order_by("id")
            if connection.features.has_select_for_update_skip_locked:
                qs = qs.select_for_update(skip_locked=True)
            events = list(qs.values_list("id", "data")[:batch])
            if not events:
                return total
            entries = [entry for _, data in events for entry in (data or {}).get("rollup", [])]
            apply(entries)
            apply_returns([entry for _, data in events for entry in (data or {}).get("returns", [])])
            CaseEvent.objects.filter(id__in=[i for i, _ in events]).update(rollup_pending=False)
            total += len(events)
        if len(events) < batch:
            return total


# --- rebuilding from the cases -----------------------------------------------------------------

# Scratch tables of a rebuild (temporary: private to the connection, dropped at the end).
GROUPS = "cases_rebuild_groups"  # one month's cases summed by (path, cut, category, department)
PATHS = "cases_rebuild_paths"  # (path, cut) → area_path: the path cut at its grid, as area_path() does
ANCESTRY = "cases_rebuild_ancestry"  # area_path → (area id, jurisdiction) of each rollup level along it
WORK_MEM = "64MB"  # PostgreSQL's memory for a month's sorts and groupings (per transaction, SET LOCAL)


def _counter_sql() -> tuple[list[str], list]:
    """SQL sums over the cases, one per counter, that equal the sum of contribution() (see above)."""
    q = connection.ops.quote_name
    counted = f"{q('state')} NOT IN (%s, %s)"
    counted_p = [State.NOT_ACCEPTED, State.MERGED]
    closed, closed_p = f"{q('state')} = %s", [State.CLOSED]
    running = ", ".join(["%s"] * len(RUNNING_STATES))
    conditions: dict[str, tuple[str, list]] = {
        "not_accepted": (f"{q('state')} = %s", [State.NOT_ACCEPTED]),
        "merged": (f"{q('state')} = %s", [State.MERGED]),
        "settled_on_spot": (f"kind = %s AND {closed}", [Kind.GENERAL, *closed_p]),
        "responded": (f"{counted} AND responded_at IS NOT NULL", counted_p),
        "responded_on_time": (
            f"{counted} AND responded_at IS NOT NULL AND (respond_due IS NULL OR responded_at <= respond_due)",
            counted_p,
        ),
        "closed": (closed, closed_p),
        "closed_on_time": (
            f"{closed} AND handled_at IS NOT NULL AND (resolve_due IS NULL OR handled_at <= resolve_due)",
            closed_p,
        ),
        "closed_reworked": (f"{closed} AND rework_count > 0", closed_p),
        "closed_unsatisfied": (f"{closed} AND rating = %s", [*closed_p, Rating.UNSATISFIED]),
        "overdue_open": (
            f"{q('state')} IN ({running}) AND resolution_overdue_at IS NOT NULL",
            list(RUNNING_STATES),
        ),
        "on_hold": (f"{q('state')} = %s", [State.ON_HOLD]),
        "rated": (f"{counted} AND rating <> ''", counted_p),
        "satisfied": (f"{counted} AND rating = %s", [*counted_p, Rating.SATISFIED]),
        "basically": (f"{counted} AND rating = %s", [*counted_p, Rating.BASICALLY]),
        "unsatisfied": (f"{counted} AND rating = %s", [*counted_p, Rating.UNSATISFIED]),
    }
    if connection.vendor == "postgresql":
        seconds = "trunc(EXTRACT(EPOCH FROM (closed_at - reported_at)))::bigint"
    else:
        # SQLite keeps naive UTC text ("2026-03-02 01:00:00.123456"): whole seconds from strftime,
        # microseconds from the text, truncated toward zero like int(timedelta.total_seconds()).
        def micro(col):
            return f"CAST(substr({col} || '000000', 21, 6) AS INTEGER)"

        seconds = (
            "(((CAST(strftime('%%s', closed_at) AS INTEGER) - CAST(strftime('%%s', reported_at) AS INTEGER))"
            f" * 1000000 + {micro('closed_at')} - {micro('reported_at')}) / 1000000)"
        )
    sums, params = ["COUNT(*)"], []
    for name in COUNTERS[1:]:
        if name == "close_seconds":
            sums.append(f"SUM(CASE WHEN {closed} AND closed_at IS NOT NULL THEN {seconds} ELSE 0 END)")
            params += closed_p
        else:
            sql, p = conditions[name]
            sums.append(f"SUM(CASE WHEN {sql} THEN 1 ELSE 0 END)")
            params += p
    assert len(sums) == len(COUNTERS)
    return sums, params


ROLLUP_MODELS = (CategoryRollup, DepartmentRollup, GridRollup)


def _add_months(month: date, n: int) -> date:
    m = month.year * 12 + month.month - 1 + n
    return date(m // 12, m % 12 + 1, 1)


def months_to_rebuild() -> list[date]:
    """Every month that has cases or rollup rows. Cases are found through their report time (indexed);
    `reported_month` is the month of `reported_at` (one month of margin on either side)."""
    span = Case.objects.aggregate(first=Min("reported_at"), last=Max("reported_at"))
    months: set[date] = set()
    if span["first"] is not None:
        month, last = _add_months(month_of(span["first"]), -1), _add_months(month_of(span["last"]), 1)
        returned = CaseEvent.objects.filter(action=RETURN_ACTION).aggregate(last=Max("at"))["last"]
        if returned is not None:  # a return comes after the report, maybe months after the last one
            last = max(last, month_of(returned))
        while month <= last:
            months.add(month)
            month = _add_months(month, 1)
    for model in (*ROLLUP_MODELS, ReturnRollup):
        months |= set(model.objects.order_by().values_list("month", flat=True).distinct())
    return sorted(months)


class _Rebuild:
    """The set-based rebuild, one month per transaction (see rebuild())."""

    def __init__(self):
        self.q = connection.ops.quote_name
        self.sums, self.sum_params = _counter_sql()
        self.known: set[str] = set()  # area paths whose ancestry is in ANCESTRY already

    def create_tables(self, cursor) -> None:
        big = "bigint" if connection.vendor == "postgresql" else "integer"
        counters = ", ".join(f"{c} {big} NOT NULL" for c in COUNTERS)
        self.drop_tables(cursor)
        cursor.execute(
            f"CREATE TEMPORARY TABLE {GROUPS} (month date NOT NULL, path varchar(255) NOT NULL, "
            f"cut integer NOT NULL, category_id {big} NOT NULL, department_id {big}, {counters})"
        )
        cursor.execute(
            f"CREATE TEMPORARY TABLE {PATHS} (path varchar(255) NOT NULL, cut integer NOT NULL, "
            "area_path varchar(255) NOT NULL, PRIMARY KEY (path, cut))"
        )
        cursor.execute(
            f"CREATE TEMPORARY TABLE {ANCESTRY} (area_path varchar(255) NOT NULL, area_id {big} NOT NULL, "
            "jurisdiction varchar(12) NOT NULL, is_grid integer NOT NULL, PRIMARY KEY (area_path, area_id))"
        )

    def drop_tables(self, cursor) -> None:
        schema = "pg_temp" if connection.vendor == "postgresql" else "temp"  # never a table of the same name
        for table in (GROUPS, PATHS, ANCESTRY):
            cursor.execute(f"DROP TABLE IF EXISTS {schema}.{table}")

    def month(self, month: date) -> int:
        """Replace one month's rows in both tables by the sums of that month's cases."""
        tz = timezone.get_default_timezone()
        lo = datetime(month.year, month.month, 1, tzinfo=tz) - timedelta(days=1)
        nxt = _add_months(month, 1)
        hi = datetime(nxt.year, nxt.month, 1, tzinfo=tz) + timedelta(days=1)
        ops = connection.ops
        where = "reported_month = %s AND reported_at >= %s AND reported_at < %s"
        where_params = [ops.adapt_datefield_value(month), ops.adapt_datetimefield_value(lo)]
        where_params.append(ops.adapt_datetimefield_value(hi))
        cases = Case.objects.filter(reported_month=month, reported_at__gte=lo, reported_at__lt=hi)
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # Writes to cases wait until this month is rebuilt (reads go on), so that no change
                # is counted both in the pending deltas cleared below and in the sums taken after.
                cursor.execute(f"LOCK TABLE {self.q(Case._meta.db_table)} IN SHARE MODE")
                # Room to group a month's cases in memory rather than in batches on disk.
                cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
            # The month's pending deltas are in the sums below: clear them (waiting for a worker
            # that is adding some right now, whose rows the DELETE below then sees and removes).
            CaseEvent.objects.filter(rollup_pending=True, case_id__in=cases.values("id")).update(
                rollup_pending=False
            )
            for model in ROLLUP_MODELS:
                model.objects.filter(month=month).delete()
            cursor.execute(f"DELETE FROM {GROUPS}", [])
            cut = "(CASE WHEN unit_id IS NULL THEN 0 ELSE 1 END + CASE WHEN building_id IS NULL THEN 0 ELSE 1 END)"
            cursor.execute(
                f"INSERT INTO {GROUPS} (month, path, cut, category_id, department_id, {', '.join(COUNTERS)}) "
                f"SELECT reported_month, path, {cut}, top_category_id, department_id, {', '.join(self.sums)} "
                f"FROM {self.q(Case._meta.db_table)} WHERE {where} GROUP BY 1, 2, 3, 4, 5",
                [*self.sum_params, *where_params],
            )
            _rebuild_returns(month)
            cursor.execute(f"SELECT COALESCE(SUM(reported), 0) FROM {GROUPS}", [])
            counted = int(cursor.fetchone()[0])
            if not counted:
                return 0
            self.add_paths(cursor)
            sums = ", ".join(f"SUM(g.{c})" for c in COUNTERS)
            for model, dim, only in (
                (CategoryRollup, "category_id", "a.is_grid = 0"),
                (DepartmentRollup, "department_id", "a.is_grid = 0 AND g.department_id IS NOT NULL"),
                (GridRollup, None, "a.is_grid = 1"),
            ):
                dims = f"g.{dim}, " if dim else ""
                # An area has one jurisdiction: MAX() takes it without grouping by text.
                cursor.execute(
                    f"INSERT INTO {self.q(model._meta.db_table)} "
                    f"(jurisdiction, month, area_id, {dim + ', ' if dim else ''}{', '.join(COUNTERS)}) "
                    f"SELECT MAX(a.jurisdiction), %s, a.area_id, {dims}{sums} FROM {GROUPS} g "
                    f"JOIN {PATHS} p ON p.path = g.path AND p.cut = g.cut "
                    f"JOIN {ANCESTRY} a ON a.area_path = p.area_path WHERE {only} "
                    f"GROUP BY a.area_id{', g.' + dim if dim else ''}",
                    [where_params[0]],
                )
        return counted

    def add_paths(self, cursor) -> None:
        """Map the month's new (path, cut) pairs to their area path, and each new area path to the
        areas along it (in Python, with the same ancestry() as the incremental upkeep)."""
        cursor.execute(
            f"SELECT DISTINCT g.path, g.cut FROM {GROUPS} g WHERE NOT EXISTS "
            f"(SELECT 1 FROM {PATHS} p WHERE p.path = g.path AND p.cut = g.cut)",
            [],
        )
        paths, ancestors = [], []
        for path, cut in cursor.fetchall():
            key = cut_path(path, cut)
            paths.append((path, cut, key))
            if key not in self.known:
                self.known.add(key)
                ancestors += [
                    (key, pk, jurisdiction, int(grid)) for pk, jurisdiction, grid in ancestry_levels(key)
                ]
        for table, rows in ((PATHS, paths), (ANCESTRY, ancestors)):
            marks = ", ".join(["%s"] * (3 if table == PATHS else 4))
            for start in range(0, len(rows), 5000):
                cursor.executemany(f"INSERT INTO {table} VALUES ({marks})", rows[start : start + 5000])
            if rows and connection.vendor == "postgresql":
                cursor.execute(f"ANALYZE {table}")  # temporary tables get no statistics otherwise


def rebuild(progress=None, jobs: int = 1) -> int:
    """Recompute both tables from the cases (repair); returns the number of cases counted.

    Set-based, a month per transaction: the month's cases are summed by (path, category,
    department) in one GROUP BY, each distinct path is mapped once to the areas along it (the rollup
    levels, each with its jurisdiction), and one INSERT … SELECT per table writes every level's rows.
    The month's rows are replaced in the same transaction (readers see the old month or the new one),
    with writes to cases held off meanwhile on PostgreSQL. Memory and each transaction's size are
    bounded by a month of cases, and the result equals the sum of contribution() over the cases.
    `progress(month, cases, seconds)` is called after each month.

    `jobs` > 1 (PostgreSQL, outside a transaction: see core/parallel.py): the months are shared out
    among that many connections, each working through its own interleaved list of them with its own
    scratch tables; months are independent (the SHARE locks of two months' transactions do not
    conflict). `progress` is then called from those connections' threads, one call at a time.
    """
    require_session("the rollup rebuild")
    forget_areas()
    months = months_to_rebuild()
    jobs = parallel.usable_jobs(min(jobs, len(months)))
    if jobs > 1:
        return _rebuild_on_connections(months, jobs, progress)
    job = _Rebuild()
    with connection.cursor() as cursor:
        job.create_tables(cursor)
    total = 0
    try:
        for month in months:
            started = _time.perf_counter()
            counted = job.month(month)
            total += counted
            if progress is not None:
                progress(month, counted, _time.perf_counter() - started)
        return total
    finally:
        if not connection.needs_rollback:  # else they go with the transaction being rolled back
            with connection.cursor() as cursor:
                job.drop_tables(cursor)


def _rebuild_on_connections(months: list[date], jobs: int, progress) -> int:
    """rebuild()'s months on `jobs` connections: months[i::jobs] on the i-th (so that each has early
    and late months alike), each with a _Rebuild of its own."""
    said = threading.Lock()

    def share(months_of_one: list[date]) -> int:
        job = _Rebuild()  # its scratch tables are in this thread's connection, closed after
        with connection.cursor() as cursor:
            job.create_tables(cursor)
        total = 0
        for month in months_of_one:
            started = _time.perf_counter()
            counted = job.month(month)
            total += counted
            if progress is not None:
                with said:
                    progress(month, counted, _time.perf_counter() - started)
        return total

    totals: list[int] = []
    parallel.each_on_connections(
        jobs, [months[i::jobs] for i in range(jobs)], share, lambda _months, n: totals.append(n)
    )
    return sum(totals)


# --- reading figures ---------------------------------------------------------------------------


@dataclass
class Figures:
    counts: dict[str, int]

    def __getattr__(self, name):
        counts = self.__dict__.get("counts", {})
        if name in counts:
            return counts[name]
        raise AttributeError(name)

    @staticmethod
    def _rate(num: float, den: float) -> float | None:
        return num / den if den else None

    @property
    def accepted(self) -> int:
        c = self.counts
        return c["reported"] - c["not_accepted"] - c["merged"]

    @property
    def completion_rate(self):
        return self._rate(self.counts["closed"], self.accepted)

    @property
    def on_time_rate(self):
        c = self.counts
        return self._rate(c["closed_on_time"], c["closed"] + c["overdue_open"])

    @property
    def response_rate(self):
        return self._rate(self.counts["responded_on_time"], self.accepted)

    @property
    def resolution_rate(self):
        c = self.counts
        return self._rate(c["closed"] - c["closed_unsatisfied"], c["closed"])

    @property
    def satisfaction_rate(self):
        c = self.counts
        return self._rate(c["satisfied"] + c["basically"], c["rated"])

    @property
    def rework_rate(self):
        c = self.counts
        return self._rate(c["closed_reworked"], c["closed"])

    @property
    def avg_close_hours(self):
        c = self.counts
        return self._rate(c["close_seconds"] / 3600.0, c["closed"])

    RATES = (
        "completion_rate",
        "on_time_rate",
        "response_rate",
        "resolution_rate",
        "satisfaction_rate",
        "rework_rate",
        "avg_close_hours",
    )

    def as_dict(self) -> dict:
        out = dict(self.counts)
        out["accepted"] = self.accepted
        for name in self.RATES:
            out[name] = getattr(self, name)
        return out


def _sum(qs) -> dict[str, int]:
    agg = qs.aggregate(**{c: Sum(c) for c in COUNTERS})
    return {c: int(agg[c] or 0) for c in COUNTERS}


def _months(qs, start: date | None, end: date | None):
    if start:
        qs = qs.filter(month__gte=date(start.year, start.month, 1))
    if end:
        qs = qs.filter(month__lte=date(end.year, end.month, 1))
    return qs


def _grouped(qs, key: str) -> dict:
    """Figures per value of `key` over a rollup queryset, in the key's order."""
    sums = {f"s_{c}": Sum(c) for c in COUNTERS}
    out = {}
    for row in qs.values(key).annotate(**sums).order_by(key):
        out[row[key]] = Figures({c: int(row[f"s_{c}"] or 0) for c in COUNTERS})
    return out


def _category_id(category) -> int | None:
    if category is None:
        return None
    return category if isinstance(category, int) else (category.parent_id or category.pk)


def _department_id(department) -> int | None:
    if department is None:
        return None
    return department if isinstance(department, int) else department.pk


def _node(area: Area | int) -> tuple[int, bool, str]:
    """(id, whether it is a grid, path) of an area given as an Area or an id."""
    if isinstance(area, Area):
        return area.pk, area.level == Level.GRID, area.path
    row = Area.objects.filter(pk=int(area)).values_list("level", "path").first()
    if row is None:
        return int(area), False, ""
    return int(area), row[0] == Level.GRID, row[1]


def _like_prefix(path: str) -> str:
    return path.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _from_cases(
    path: str,
    start: date | None,
    end: date | None,
    *,
    category_id: int | None = None,
    department_id: int | None = None,
    by: str | None = None,
) -> dict:
    """Figures of the cases under one grid, summed in SQL with the rebuild's own counter sums (so they
    equal the sum of contribution() over those cases), optionally grouped by a column of the cases.

    A grid holds a few hundred cases a year: the path-prefix index finds them, and the report-time
    bounds (a day of margin either side, as the rebuild) let PostgreSQL skip partitions of other months.
    """
    ops = connection.ops
    sums, params = _counter_sql()
    where = ["path LIKE %s ESCAPE '\\'"]
    where_params: list = [_like_prefix(path)]
    tz = timezone.get_default_timezone()
    if start:
        first = date(start.year, start.month, 1)
        where.append("reported_month >= %s AND reported_at >= %s")
        lo = datetime(first.year, first.month, 1, tzinfo=tz) - timedelta(days=1)
        where_params += [ops.adapt_datefield_value(first), ops.adapt_datetimefield_value(lo)]
    if end:
        last = date(end.year, end.month, 1)
        nxt = _add_months(last, 1)
        hi = datetime(nxt.year, nxt.month, 1, tzinfo=tz) + timedelta(days=1)
        where.append("reported_month <= %s AND reported_at < %s")
        where_params += [ops.adapt_datefield_value(last), ops.adapt_datetimefield_value(hi)]
    if category_id is not None:
        where.append("top_category_id = %s")
        where_params.append(category_id)
    if department_id is not None:
        where.append("department_id = %s")
        where_params.append(department_id)
    select = f"{by}, " if by else ""
    group = f" GROUP BY {by} ORDER BY {by}" if by else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {select}{', '.join(sums)} FROM {connection.ops.quote_name(Case._meta.db_table)} "
            f"WHERE {' AND '.join(where)}{group}",
            [*params, *where_params],
        )
        rows = cursor.fetchall()
    out = {}
    for row in rows:
        key, values = (row[0], row[1:]) if by else (None, row)
        if by == "department_id" and key is None:
            # As DepartmentRollup: only cases with a lead department. Left out here rather than by a
            # `department_id IS NOT NULL` condition, which PostgreSQL would read from the department
            # index (every case that has one) and AND with the grid's few paths: 150 ms instead of 4.
            continue
        counts = {c: int(v or 0) for c, v in zip(COUNTERS, values, strict=True)}
        if counts["reported"] or not by:
            out[key] = Figures(counts)
    return out


def figures(
    area: Area | int,
    *,
    start: date | None = None,
    end: date | None = None,
    category=None,
    department=None,
) -> Figures:
    """Figures for an area (any level down to grid) over the months from `start` to `end`
    (inclusive, by month of report), optionally for one top-level category or one department.

    A grid's totals come from GridRollup; a grid's figures for one category or department from its
    cases (a grid has no split rows); every other level from CategoryRollup or DepartmentRollup."""
    area_id, is_grid, path = _node(area)
    cat_id, dept_id = _category_id(category), _department_id(department)
    qs: QuerySet[CategoryRollup] | QuerySet[DepartmentRollup] | QuerySet[GridRollup]
    if is_grid:
        if cat_id is None and dept_id is None:
            return Figures(_sum(_months(GridRollup.objects.filter(area_id=area_id), start, end)))
        return _from_cases(path, start, end, category_id=cat_id, department_id=dept_id)[None]
    if dept_id is not None:
        qs = DepartmentRollup.objects.filter(area_id=area_id, department_id=dept_id)
    else:
        by_category = CategoryRollup.objects.filter(area_id=area_id)
        if cat_id is not None:
            by_category = by_category.filter(category_id=cat_id)
        qs = by_category
    return Figures(_sum(_months(qs, start, end)))


def by_area(
    areas,
    start: date | None = None,
    end: date | None = None,
    *,
    category=None,
    department=None,
) -> dict[int, Figures]:
    """Figures of each of several areas (Area objects of the rollup levels), optionally for one category
    or one department; an area with no case in the period is left out. One query per table for the
    levels above grids and for the grids' totals; one query per grid for a grid's category or
    department figures (from its cases)."""
    cat_id, dept_id = _category_id(category), _department_id(department)
    grids = [a for a in areas if a.level == Level.GRID]
    others = [a.pk for a in areas if a.level != Level.GRID]
    out: dict[int, Figures] = {}
    if others:
        qs: QuerySet[CategoryRollup] | QuerySet[DepartmentRollup]
        if dept_id is not None:
            qs = DepartmentRollup.objects.filter(area_id__in=others, department_id=dept_id)
        else:
            qs = CategoryRollup.objects.filter(area_id__in=others)
            if cat_id is not None:
                qs = qs.filter(category_id=cat_id)
        out.update(_grouped(_months(qs, start, end), "area_id"))
    if grids and cat_id is None and dept_id is None:
        out.update(
            _grouped(
                _months(GridRollup.objects.filter(area_id__in=[g.pk for g in grids]), start, end), "area_id"
            )
        )
    elif grids:
        for grid in grids:
            found = _from_cases(grid.path, start, end, category_id=cat_id, department_id=dept_id)[None]
            if found.reported:
                out[grid.pk] = found
    return dict(sorted(out.items()))


def breakdown(
    area: Area | int, *, by: str, start: date | None = None, end: date | None = None
) -> dict[int | str, Figures]:
    """Figures for an area split by "category", "department", "month" or "child" (child areas)."""
    area_id, is_grid, path = _node(area)
    if by == "department":
        if is_grid:
            return _from_cases(path, start, end, by="department_id")
        return _grouped(
            _months(DepartmentRollup.objects.filter(area_id=area_id), start, end), "department_id"
        )
    if by == "category":
        if is_grid:
            return _from_cases(path, start, end, by="top_category_id")
        return _grouped(_months(CategoryRollup.objects.filter(area_id=area_id), start, end), "category_id")
    if by == "month":
        model = GridRollup if is_grid else CategoryRollup
        return _grouped(_months(model.objects.filter(area_id=area_id), start, end), "month")
    if by == "child":
        children = list(
            Area.objects.filter(parent_id=area_id, level__in=ROLLUP_LEVELS).only("id", "level", "path")
        )
        return {pk: f for pk, f in by_area(children, start, end).items()}
    raise ValueError(f"unknown breakdown {by!r}")
