"""The deadline sweep, run by `civicgrid worker` every minute (`civicgrid sweep` runs it once).

Each step is one set-based UPDATE over the cases that are due, read through a partial index that
holds exactly the cases the step looks at (models.SWEEP_*), so the cost depends on how many cases
fall due, never on how many are open. The same statement writes the history rows and supervision
orders of the updated cases: on PostgreSQL one statement per step (UPDATE … RETURNING inside a
WITH, feeding INSERT … SELECT); on SQLite an UPDATE … RETURNING followed by INSERT … SELECT over the
returned ids. No query runs per case. Notifications are sent afterwards by the outbox handler for
"cases.swept" (cases/notify.py).

Steps:
1. remind      remind_at passed: a reminder before the resolve-by time (the start of the amber
               share), or the review date of a case on hold;
2. escalate    level_due passed while the case is still in the five-level chain: one level up, with
               the next level's own limit (past the community it waits for the street's dispatcher);
3. response    respond_due passed without a response: automatic supervision order (督办);
4. resolution  resolve_due passed before the case was handled: automatic supervision order, and the
               case now counts as overdue in the rollups (added here, in the same transaction).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from civicgrid.core import outbox

from . import rollups, workflow
from .deadlines import level_due
from .models import SWEEP_LEVEL, SWEEP_REMIND, SWEEP_RESOLVE, SWEEP_RESPOND, Case, CaseEvent, SupervisionOrder
from .workflow import SUPERVISION_HOURS

log = logging.getLogger("civicgrid.sweep")

SWEEP_SECONDS = 60
# Most cases one step takes in one transaction: a backlog is worked off in several short
# transactions, so no sweep holds row locks for long (and cases someone is acting on are skipped,
# SKIP LOCKED, and picked up by the next batch or the next minute).
BATCH = 2000
# Columns returned for each updated case (the rollup key and the history row's state).
KEYS = ["reported_month", "path", "unit_id", "building_id", "top_category_id", "department_id"]
RETURNING = ["id", "state", "level", "jurisdiction", *KEYS]


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _dt(value: datetime):
    """A datetime as the database driver expects it in raw SQL (SQLite stores naive UTC text)."""
    return connection.ops.adapt_datetimefield_value(value)


def _where(condition, due_field: str, now: datetime, batch: int) -> tuple[str, list]:
    """The WHERE clause (SQL, params) of a step: the ids of at most `batch` due cases, earliest
    first, found by its partial-index condition and `due_field <= now` (compiled by Django, so that it
    matches the index predicate exactly) and locked unless someone else holds them."""
    query = Case.objects.filter(condition, **{f"{due_field}__lte": now}).query
    compiler = query.get_compiler(connection=connection)
    sql, params = compiler.compile(query.where)
    lock = " FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    table = _q(Case._meta.db_table)
    inner = f"SELECT id FROM {table} WHERE {sql} ORDER BY {_q(due_field)} LIMIT %s{lock}"
    return f"{table}.id IN ({inner})", [*params, batch]


@dataclass
class Step:
    name: str  # key in the sweep's counts
    action: str  # CaseEvent.action of the history rows
    condition: object  # the partial-index condition (models.SWEEP_*)
    due_field: str
    public: bool  # shown on the public timeline
    order_reason: str | None  # supervision order written for each case, if any
    counts_overdue: bool = False  # add to overdue_open in the rollups


STEPS = [
    Step("remind", "remind", SWEEP_REMIND, "remind_at", False, None),
    Step("escalate", "auto_escalate", SWEEP_LEVEL, "level_due", True, None),
    Step("overdue_response", "overdue_response", SWEEP_RESPOND, "respond_due", False, "overdue_response"),
    Step(
        "overdue_resolution",
        "overdue_resolution",
        SWEEP_RESOLVE,
        "resolve_due",
        False,
        "overdue_resolution",
        counts_overdue=True,
    ),  # fmt: skip
]


def _set_clause(step: Step, now: datetime) -> tuple[str, list]:
    """SET … for a step's UPDATE (every change bumps the version for the optimistic check and marks
    the case changed at the time of its history row)."""
    mark = _dt(now)
    if step.name == "remind":
        return (
            f"{_q('remind_at')} = NULL, {_q('reminded_at')} = %s, {_q('updated_at')} = %s, version = version + 1",
            [mark, mark],
        )
    if step.name == "escalate":
        level_cases, due_cases, params_level, params_due = [], [], [], []
        for level in workflow.CHAIN_LEVELS:
            up = workflow.next_level(level)
            level_cases.append("WHEN %s THEN %s")
            params_level += [level, up]
            due = level_due(up, now) if up in workflow.LEVEL_HOURS else None
            due_cases.append("WHEN %s THEN %s")
            params_due += [level, _dt(due) if due else None]
        cast = "::timestamptz" if connection.vendor == "postgresql" else ""
        sql = (
            f"{_q('level')} = CASE {_q('level')} {' '.join(level_cases)} ELSE {_q('level')} END, "
            f"{_q('level_due')} = (CASE {_q('level')} {' '.join(due_cases)} ELSE NULL END){cast}, "
            f"{_q('escalated_at')} = %s, {_q('updated_at')} = %s, version = version + 1"
        )
        return sql, params_level + params_due + [mark, mark]
    column = "response_overdue_at" if step.name == "overdue_response" else "resolution_overdue_at"
    return f"{_q(column)} = %s, {_q('updated_at')} = %s, version = version + 1", [mark, mark]


def _escalation_data_sql(source: str) -> str:
    """The data of an automatic escalation's history row: the level the swept case reached."""
    if connection.vendor == "postgresql":
        return f"jsonb_build_object('level', {source}.{_q('level')}, 'automatic', true)"
    return f"json_object('level', {source}.{_q('level')}, 'automatic', json('true'))"


def _history_sql(step: Step, source: str, now: datetime) -> tuple[str, str, list]:
    """(column list, SELECT list over `source`, its params) of the history rows: every CaseEvent
    column, valued by the services' one builder (services.history_row); the case, its jurisdiction
    and its state (and the level an escalation reached) come from each swept row."""
    from .services import history_row

    row = history_row(jurisdiction="", action=step.action, public=step.public, at=now)
    per_row = {
        "case": f"{source}.id",
        "jurisdiction": f"{source}.jurisdiction",
        "from_state": f"{source}.{_q('state')}",
        "to_state": f"{source}.{_q('state')}",
    }
    if step.name == "escalate":
        per_row["data"] = _escalation_data_sql(source)
    columns, select, params = [], [], []
    for f in CaseEvent._meta.concrete_fields:
        if f.primary_key:
            continue
        columns.append(_q(f.get_attname_column()[1] or f.name))
        if f.name in per_row:
            select.append(per_row[f.name])
        else:
            value = f.get_db_prep_save(row[f.name], connection)
            if value is None:
                select.append("NULL")
            else:
                select.append("%s")
                params.append(value)
    return ", ".join(columns), ", ".join(select), params


def _run_postgresql(step: Step, now: datetime, order_due: datetime, batch: int) -> list[tuple]:
    where, where_params = _where(step.condition, step.due_field, now, batch)
    set_sql, set_params = _set_clause(step, now)
    table = _q(Case._meta.db_table)
    cols, select, history_params = _history_sql(step, "due", now)
    sql = (
        f"WITH due AS (UPDATE {table} SET {set_sql} WHERE {where} RETURNING {', '.join(RETURNING)}), "
        f"history AS (INSERT INTO {_q(CaseEvent._meta.db_table)} ({cols}) SELECT {select} FROM due)"
    )
    params = [*set_params, *where_params, *history_params]
    if step.order_reason:
        sql += (
            f", orders AS (INSERT INTO {_q(SupervisionOrder._meta.db_table)} "
            f"(case_id, jurisdiction, issued_by_id, reason, note, due, at) "
            f"SELECT id, jurisdiction, NULL, %s, '', %s, %s FROM due)"
        )
        params += [step.order_reason, _dt(order_due), _dt(now)]
    keys = ", ".join(KEYS)
    sql += f" SELECT {keys}, count(*) FROM due GROUP BY {keys}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _run_sqlite(step: Step, now: datetime, order_due: datetime, batch: int) -> list[tuple]:
    where, where_params = _where(step.condition, step.due_field, now, batch)
    set_sql, set_params = _set_clause(step, now)
    table = _q(Case._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {set_sql} WHERE {where} RETURNING {', '.join(RETURNING)}",
            [*set_params, *where_params],
        )
        rows = cursor.fetchall()
        ids = [r[0] for r in rows]
        cols, select, history_params = _history_sql(step, table, now)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"INSERT INTO {_q(CaseEvent._meta.db_table)} ({cols}) SELECT {select} FROM {table} "
                f"WHERE id IN ({marks})",
                [*history_params, *chunk],
            )
            if step.order_reason:
                cursor.execute(
                    f"INSERT INTO {_q(SupervisionOrder._meta.db_table)} "
                    f"(case_id, jurisdiction, issued_by_id, reason, note, due, at) "
                    f"SELECT id, jurisdiction, NULL, %s, '', %s, %s FROM {table} WHERE id IN ({marks})",
                    [step.order_reason, _dt(order_due), _dt(now), *chunk],
                )
    groups: dict[tuple, int] = defaultdict(int)
    for row in rows:
        groups[tuple(row[len(RETURNING) - len(KEYS) :])] += 1
    return [(*key, n) for key, n in groups.items()]


def _rollup_entries(groups: list[tuple]) -> list:
    entries: dict[tuple, int] = defaultdict(int)
    for month, path, unit_id, building_id, category_id, department_id, n in groups:
        codes = [c for c in path.split("/") if c]
        drop = int(unit_id is not None) + int(building_id is not None)
        key_path = "/".join(codes[: len(codes) - drop]) + "/"
        if isinstance(month, str):
            month = datetime.fromisoformat(month).date()
        entries[(month.isoformat(), key_path, category_id, department_id)] += n
    return [[*key, {"overdue_open": n}] for key, n in entries.items()]


def sweep(now: datetime | None = None, batch: int = BATCH) -> dict[str, int]:
    """Run every step once, in one transaction, on at most `batch` cases each; returns how many cases
    each step touched (a step that touched `batch` may have more waiting: see `sweep_all`)."""
    from civicgrid.core.workcalendar import add_working_hours

    now = now or timezone.now()
    order_due = add_working_hours(now, SUPERVISION_HOURS)
    run = _run_postgresql if connection.vendor == "postgresql" else _run_sqlite
    counts = {}
    with transaction.atomic():
        for step in STEPS:
            groups = run(step, now, order_due, batch)
            counts[step.name] = sum(g[-1] for g in groups)
            if step.counts_overdue and groups:
                rollups.apply(_rollup_entries(groups))
        if any(counts.values()):
            outbox.emit("cases.swept", {"mark": now.isoformat(), **counts})
    return counts


def sweep_all(now: datetime | None = None, batch: int = BATCH) -> tuple[dict[str, int], int]:
    """Sweep until nothing due is left: (total counts, number of transactions). Each batch gets its
    own timestamp (a microsecond apart), which is how its notifications find its cases."""
    now = now or timezone.now()
    totals: dict[str, int] = {}
    rounds = 0
    while True:
        counts = sweep(now + timedelta(microseconds=rounds), batch)
        rounds += 1
        for key, n in counts.items():
            totals[key] = totals.get(key, 0) + n
        if max(counts.values()) < batch:
            return totals, rounds


@outbox.periodic(SWEEP_SECONDS, name="cases.sweep")
def periodic_sweep():
    counts, _rounds = sweep_all()
    if any(counts.values()):
        log.info("sweep: %s", counts)
    return counts


@outbox.periodic(5, name="cases.rollups")
def periodic_rollups():
    return rollups.process_pending()
