"""The audit log of administrative writes: `record(...)`, called by the services that make them.

    before = audit.snapshot(area, ["code", "parent_id"])
    ... change the area ...
    audit.record(actor=by, action="areas.area.move", subject=area, before=before,
                 after=audit.snapshot(area, ["code", "parent_id"]))

Rows are append-only (`AuditEntry` refuses updates and deletes; the admin shows them read-only).
"""

from __future__ import annotations

import datetime
import decimal
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from django.db import models

from .models import AuditEntry

JsonValue = Any


def _json(value: Any) -> JsonValue:
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple | set | frozenset):
        items = [_json(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    return value


def snapshot(instance: models.Model, fields: Iterable[str] | None = None) -> dict[str, JsonValue]:
    """JSON-ready values of an instance's fields (attribute names: `parent_id` for a foreign key).

    Without `fields`, every concrete field. Many-to-many values are given by the caller.
    """
    names = list(fields) if fields is not None else [f.attname for f in instance._meta.concrete_fields]
    return {name: _json(getattr(instance, name)) for name in names}


@dataclass(frozen=True)
class Named:
    """A subject that is not a model row (a database partition, a file): its kind and its name."""

    label: str
    pk: str

    def __str__(self) -> str:
        return self.pk

    @property
    def _meta(self) -> SimpleNamespace:
        return SimpleNamespace(label_lower=self.label)


def record(
    *,
    actor: Any,
    action: str,
    subject: models.Model | Named,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
    jurisdiction: str | None = None,
) -> AuditEntry:
    """Write one audit row; call it inside the transaction of the write it describes.

    `actor` is the user who made the write (None for the system). With both `before` and `after`
    only the fields that differ are kept.
    """
    before = {k: _json(v) for k, v in (before or {}).items()}
    after = {k: _json(v) for k, v in (after or {}).items()}
    if before and after:
        changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
        before = {k: v for k, v in before.items() if k in changed}
        after = {k: v for k, v in after.items() if k in changed}
    user = actor if getattr(actor, "is_authenticated", False) else None
    if jurisdiction is None:
        jurisdiction = getattr(subject, "jurisdiction", "") or ""
    return AuditEntry.objects.create(
        actor=user,
        actor_name=getattr(user, "username", "") if user is not None else "",
        action=action[:60],
        subject_type=subject._meta.label_lower,
        subject_id=str(subject.pk),
        subject_repr=str(subject)[:200],
        before=before,
        after=after,
        reason=reason[:200],
        jurisdiction=jurisdiction[:12],
    )
