"""The deadline sweep, run by `civicgrid worker` every minute.

Each step is one set-based UPDATE over the cases that are due (read through a partial index that
holds exactly those cases, see models.SWEEP_*), followed by INSERT … SELECT statements for the
history rows and supervision orders of the same cases, found again by the step's timestamp mark.
No Python loop runs over cases, so the time depends on how many cases fall due, not on how many are
open. Notifications are sent afterwards by the outbox handler for "cases.swept" (cases/notify.py).

Steps:
1. remind      remind_at passed: a reminder before the resolve-by time (the start of the amber
               share), or the review date of a case on hold;
2. escalate    level_due passed while the case is still in the five-level chain: one level up, with
               the next level's own limit (past the community it waits for the street's dispatcher);
3. response    respond_due passed without a response: automatic supervision order (督办);
4. resolution  resolve_due passed before the case was handled: automatic supervision order, and the
               case counts as overdue in the rollups (added here, in the same transaction).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Case as When_
from django.db.models import CharField, DateTimeField, F, Value, When
from django.utils import timezone

from civicgrid.core import outbox

from . import rollups, workflow
from .deadlines import level_due
from .models import SWEEP_LEVEL, SWEEP_REMIND, SWEEP_RESOLVE, SWEEP_RESPOND, Case, CaseEvent, SupervisionOrder

log = logging.getLogger("civicgrid.sweep")

SWEEP_SECONDS = 60
# Working hours a supervision order gives to act.
SUPERVISION_HOURS = 8


def _t(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _json_level() -> str:
    if connection.vendor == "postgresql":
        return "jsonb_build_object('level', level, 'automatic', true)"
    return "json_object('level', level, 'automatic', json('true'))"


def _json_empty() -> str:
    return "'{}'::jsonb" if connection.vendor == "postgresql" else "'{}'"


def _dt(value: datetime):
    """A datetime as the database driver expects it in raw SQL (SQLite stores naive UTC text)."""
    return connection.ops.adapt_datetimefield_value(value)


def _insert_events(action: str, mark_column: str, mark: datetime, public: bool, data_sql: str) -> int:
    sql = (
        f"INSERT INTO {_t(CaseEvent)} (case_id, actor_id, action, from_state, to_state, note, at, public, data, "
        f"rollup_pending) SELECT id, NULL, %s, state, state, '', %s, %s, {data_sql}, %s "
        f"FROM {_t(Case)} WHERE {mark_column} = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [action, _dt(mark), public, False, _dt(mark)])
        return cursor.rowcount


def _insert_orders(reason: str, mark_column: str, mark: datetime, due: datetime) -> int:
    sql = (
        f"INSERT INTO {_t(SupervisionOrder)} (case_id, issued_by_id, reason, note, due, at) "
        f"SELECT id, NULL, %s, '', %s, %s FROM {_t(Case)} WHERE {mark_column} = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [reason, _dt(due), _dt(mark), _dt(mark)])
        return cursor.rowcount


def _remind(now: datetime) -> int:
    n = Case.objects.filter(SWEEP_REMIND, remind_at__lte=now).update(
        remind_at=None, reminded_at=now, version=F("version") + 1
    )
    if n:
        _insert_events("remind", "reminded_at", now, False, _json_empty())
    return n


def _escalate(now: datetime) -> int:
    whens_level, whens_due = [], []
    for level in workflow.CHAIN_LEVELS:
        up = workflow.next_level(level)
        whens_level.append(When(level=level, then=Value(up)))
        whens_due.append(
            When(level=level, then=Value(level_due(up, now) if up in workflow.LEVEL_HOURS else None))
        )
    n = Case.objects.filter(SWEEP_LEVEL, level_due__lte=now, level__in=workflow.CHAIN_LEVELS).update(
        level=When_(*whens_level, default=F("level"), output_field=CharField()),
        level_due=When_(*whens_due, default=Value(None), output_field=DateTimeField()),
        escalated_at=now,
        version=F("version") + 1,
    )
    if n:
        _insert_events("auto_escalate", "escalated_at", now, True, _json_level())
    return n


def _overdue_response(now: datetime, due: datetime) -> int:
    n = Case.objects.filter(SWEEP_RESPOND, respond_due__lte=now).update(
        response_overdue_at=now, version=F("version") + 1
    )
    if n:
        _insert_events("overdue_response", "response_overdue_at", now, False, _json_empty())
        _insert_orders("overdue_response", "response_overdue_at", now, due)
    return n


def _overdue_resolution(now: datetime, due: datetime) -> int:
    n = Case.objects.filter(SWEEP_RESOLVE, resolve_due__lte=now).update(
        resolution_overdue_at=now, version=F("version") + 1
    )
    if n:
        _insert_events("overdue_resolution", "resolution_overdue_at", now, False, _json_empty())
        _insert_orders("overdue_resolution", "resolution_overdue_at", now, due)
        # The newly overdue cases now count in overdue_open: add them to the rollups, grouped.
        rows = Case.objects.filter(resolution_overdue_at=now, state__in=workflow.RUNNING_STATES).values_list(
            "reported_month", "path", "unit_id", "building_id", "top_category_id", "department_id"
        )
        groups: dict[tuple, int] = defaultdict(int)
        for month, path, unit_id, building_id, category_id, department_id in rows.iterator(chunk_size=10000):
            codes = [c for c in path.split("/") if c]
            drop = int(unit_id is not None) + int(building_id is not None)
            key_path = "/".join(codes[: len(codes) - drop]) + "/"
            groups[(month.isoformat(), key_path, category_id, department_id)] += 1
        rollups.apply([[*key, {"overdue_open": count}] for key, count in groups.items()])
    return n


def sweep(now: datetime | None = None) -> dict[str, int]:
    """Run every step once; returns how many cases each step touched."""
    now = now or timezone.now()
    from civicgrid.core.workcalendar import add_working_hours

    due = add_working_hours(now, SUPERVISION_HOURS)
    counts = {}
    with transaction.atomic():
        counts["remind"] = _remind(now)
        counts["escalate"] = _escalate(now)
        counts["overdue_response"] = _overdue_response(now, due)
        counts["overdue_resolution"] = _overdue_resolution(now, due)
        if any(counts.values()):
            outbox.emit("cases.swept", {"mark": now.isoformat(), **counts})
    return counts


@outbox.periodic(SWEEP_SECONDS, name="cases.sweep")
def periodic_sweep():
    counts = sweep()
    if any(counts.values()):
        log.info("sweep: %s", counts)
    return counts


@outbox.periodic(5, name="cases.rollups")
def periodic_rollups():
    return rollups.process_pending()
