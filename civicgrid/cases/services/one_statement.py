"""PostgreSQL's one-statement intake: a report's case, history row and outbox row written by one
statement (the three INSERTs the ORM would send, chained by their RETURNING ids).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from contextlib import nullcontext
from datetime import datetime
from functools import lru_cache
from typing import Any

from django.contrib.auth.models import User
from django.db import connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model
from django.utils import timezone

from civicgrid.core.models import OutboxEvent
from civicgrid.people.models import Resident

from ..models import (
    Case,
    CaseEvent,
)
from ..workflow import (
    Kind,
)
from .moves import Actor, _event_fields

_REPORT_TEMPLATE: dict[str, tuple] = {}


def _one_statement(using: str) -> bool:
    """Whether the database takes a report's three rows in one statement (PostgreSQL does)."""
    return connections[using].vendor == "postgresql"


def _report_template(connection: BaseDatabaseWrapper) -> tuple:
    """One statement writing a report's case, history row and outbox row (PostgreSQL): the three
    INSERTs the ORM would send, chained by their RETURNING ids, in one round trip. Returns the
    statement with a `{}` slot per value, the fields in slot order, and the sub-select that finds
    the reporting account's resident record as `Resident.objects.filter(user=…).first()` would."""
    if connection.alias not in _REPORT_TEMPLATE:
        # Django's _meta API is loosely typed; this builder reads it as Any.
        qn: Callable[[Any], str] = connection.ops.quote_name
        resident: Any = Resident._meta

        def columns(model: type[Model], skip: Collection[str]) -> list[Any]:
            return [f for f in model._meta.concrete_fields if not f.primary_key and f.name not in skip]

        def names(fields: list[Any]) -> str:
            return ", ".join(qn(f.column) for f in fields)

        def slots(fields: list[Any]) -> str:
            return ", ".join(["{}"] * len(fields))

        case_fields = columns(Case, ())
        event_fields = columns(CaseEvent, {"case"})
        outbox_fields = columns(OutboxEvent, {"payload"})
        order = ", ".join(
            qn(resident.get_field(name.lstrip("-")).column) + (" DESC" if name[0] == "-" else "")
            for name in resident.ordering
        )
        find_reporter = (
            f"(SELECT {qn(resident.pk.column)} FROM {qn(resident.db_table)} "
            f"WHERE {qn(resident.get_field('user').column)} = %s ORDER BY {order} LIMIT 1)"
        )
        template = (
            f"WITH c AS (INSERT INTO {qn(Case._meta.db_table)} ({names(case_fields)}) "
            f"VALUES ({slots(case_fields)}) RETURNING {qn(Case._meta.pk.column)} AS id, "
            f"{qn(Case._meta.get_field('reporter').column)} AS reporter_id), "
            f"e AS (INSERT INTO {qn(CaseEvent._meta.db_table)} "
            f"({qn(CaseEvent._meta.get_field('case').column)}, {names(event_fields)}) "
            f"VALUES ((SELECT id FROM c), {slots(event_fields)}) "
            f"RETURNING {qn(CaseEvent._meta.pk.column)} AS id), "
            f"o AS (INSERT INTO {qn(OutboxEvent._meta.db_table)} "
            f"({qn(OutboxEvent._meta.get_field('payload').column)}, {names(outbox_fields)}) "
            "VALUES (jsonb_build_object('case', (SELECT id FROM c), 'event', (SELECT id FROM e)) || {}, "
            f"{slots(outbox_fields)})) "
            "SELECT (SELECT id FROM c), (SELECT reporter_id FROM c)"
        )
        _REPORT_TEMPLATE[connection.alias] = (
            template,
            case_fields,
            event_fields,
            outbox_fields,
            find_reporter,
        )
    return _REPORT_TEMPLATE[connection.alias]


@lru_cache(maxsize=64)
def _report_sql(template: str, slots: tuple[str, ...]) -> str:
    return template.format(*slots)


def _slot(value: object) -> str:
    """NULL, TRUE, FALSE and '' are written into the statement (a new report has many): psycopg
    parses a statement once and reuses the parse only when it has at most 50 parameters."""
    if value is None:
        return "NULL"
    if value is True:
        return "TRUE"
    if value is False:
        return "FALSE"
    if value.__class__ is str and not value:
        return "''"
    return "%s"


def _insert_report(
    case: Case,
    by: Actor,
    channel: str,
    extra: dict | None,
    now: datetime,
    kind: str,
    using: str,
    reporter_user: User | None = None,
) -> None:
    """intake's writes on PostgreSQL (no photos, no automatic dispatch): the same rows as
    `case.save()`, `_event(…)` and `_emit(…)`, sent as one statement (atomic by itself)."""
    connection = connections[using]
    template, case_fields, event_fields, outbox_fields, find_reporter = _report_template(connection)
    event = CaseEvent(
        **_event_fields(
            case,
            "report",
            by,
            "",
            case.state,
            public=True,
            data={"channel": channel, **({"extra": extra} if extra else {})},
            before=None,
            at=now,
        )
    )
    emitted_at = timezone.now()  # as outbox.emit stamps its row
    row = OutboxEvent(
        topic="case.reported",
        jurisdiction=case.jurisdiction or "",
        created_at=emitted_at,
        available_at=emitted_at,
    )
    payload = {"state": case.state, "kind": kind, "emergency": kind == Kind.EMERGENCY, "dispatched": False}
    values = [f.get_db_prep_save(f.pre_save(case, True), connection) for f in case_fields]
    slots = [_slot(value) for value in values]
    if reporter_user is not None:
        at = next(i for i, f in enumerate(case_fields) if f.name == "reporter")
        values[at], slots[at] = reporter_user.pk, find_reporter
    for value in (
        *(f.get_db_prep_save(f.pre_save(event, True), connection) for f in event_fields),
        OutboxEvent._meta.get_field("payload").get_db_prep_save(payload, connection),
        *(f.get_db_prep_save(f.pre_save(row, True), connection) for f in outbox_fields),
    ):
        values.append(value)
        slots.append(_slot(value))
    params = [value for value, slot in zip(values, slots, strict=True) if "%s" in slot]
    sql = _report_sql(template, tuple(slots))
    # Inside a caller's transaction a savepoint keeps it usable when the client key is taken.
    savepoint = transaction.atomic(using=using) if connection.in_atomic_block else nullcontext()
    with savepoint, connection.cursor() as cursor:
        cursor.execute(sql, params)
        case.pk, reporter_id = cursor.fetchone()
    if reporter_user is not None:
        case.reporter_id = reporter_id
    case._state.adding = False
    case._state.db = using
