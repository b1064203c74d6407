"""The move/emit machinery every service uses: lock the case, check permission, state and
version, then write the case, its history row (CaseEvent, with its rollup delta) and the outbox row.

`_Move(case, action, by, expected_version)` does the checks; `.finish()` writes. `history_row` builds
every column of a history row, for the ORM, the one-statement intake and the sweep's INSERT … SELECT.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypeAlias, cast

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.core import outbox
from civicgrid.people import policy as people_policy

from .. import policy, rollups, workflow
from ..models import Case, CaseEvent, Category


class CaseConflict(Exception):
    """Someone else acted on the case after the caller loaded it (optimistic check)."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            message or _("Someone else has already acted on this case. Reload it and try again.")
        )


# The types the services take: the acting user (an account, anonymous, or None for the system and
# the public), a case or its id, a category by instance, id or code.
Actor: TypeAlias = "User | AnonymousUser | None"
CaseRef: TypeAlias = "Case | int"
CategoryRef: TypeAlias = "Category | int | str"


def _now() -> datetime:
    return timezone.now()


def _case_id(case: CaseRef) -> int:
    return case.pk if isinstance(case, Case) else int(case)


def _actor(by: Actor) -> User | None:
    """The account acting, or None for the system, the public and anonymous visitors."""
    return cast("User", by) if getattr(by, "is_authenticated", False) else None


def _level_of(user: Actor) -> str | None:
    """The highest chain level the user holds (for reports by stewards and leaders)."""
    held = people_policy.roles(user)
    for level in reversed(workflow.LEVEL_ORDER):
        if workflow.LEVEL_ROLE[workflow.CaseLevel(level)] in held:
            return level
    return None


def _event(
    case: Case,
    action: str,
    by: Actor,
    from_state: str,
    to_state: str,
    note: str = "",
    *,
    public: bool | None = None,
    data: dict | None = None,
    before: tuple | None = None,
    at: datetime | None = None,
) -> CaseEvent:
    event = CaseEvent.objects.create(
        case=case,
        **_event_fields(
            case, action, by, from_state, to_state, note, public=public, data=data, before=before, at=at
        ),
    )
    if case.updated_at is None or case.updated_at < event.at:  # a move saved it with the case already
        Case.objects.filter(pk=case.pk).update(updated_at=event.at)
        case.updated_at = event.at
    return event


FROM_HISTORY_SQL = (
    "UPDATE cases_case SET updated_at = m.last FROM (SELECT case_id, max(at) AS last FROM cases_caseevent "
    "GROUP BY case_id) m WHERE m.case_id = cases_case.id AND cases_case.updated_at IS NULL"
)


def mark_changed_from_history() -> int:
    """Bulk loads (the demo) write cases and history rows apart: give every case without one the time
    of its latest history row, in one statement. Returns the number of cases marked."""
    with connection.cursor() as cursor:
        cursor.execute(FROM_HISTORY_SQL)
        return cursor.rowcount


def history_row(
    *,
    jurisdiction: str,
    action: str,
    by: Actor = None,
    from_state: str = "",
    to_state: str = "",
    note: str = "",
    public: bool | None = None,
    data: dict | None = None,
    at: datetime | None = None,
    rollup_pending: bool = False,
) -> dict:
    """Every column of a history row (CaseEvent) but the case, by field name: the one builder that
    the services, the one-statement intake and the sweep's set-based INSERT all use."""
    if public is None:
        transition = workflow.TRANSITIONS.get(action)
        public = transition.public if transition else True
    return {
        "jurisdiction": jurisdiction,
        "actor": _actor(by),
        "action": action,
        "from_state": from_state,
        "to_state": to_state,
        "note": note,
        "at": at or _now(),
        "public": public,
        "data": dict(data or {}),
        "rollup_pending": rollup_pending,
    }


def _event_fields(
    case: Case,
    action: str,
    by: Actor,
    from_state: str,
    to_state: str,
    note: str = "",
    *,
    public: bool | None,
    data: dict | None,
    before: tuple | None,
    at: datetime | None,
) -> dict:
    """The columns of a history row (all but the case), with the rollup delta the action makes."""
    data = dict(data or {})
    change = rollups.delta(before, rollups.contribution(case))
    if change:
        data["rollup"] = change
    return history_row(
        jurisdiction=case.jurisdiction,
        action=action,
        by=by,
        from_state=from_state,
        to_state=to_state,
        note=note,
        public=public,
        data=data,
        at=at,
        rollup_pending=bool(change) or bool(data.get("returns")),
    )


def _emit(case: Case, action: str, event: CaseEvent, **extra: object) -> None:
    outbox.emit(
        f"case.{action}",
        {"case": case.pk, "event": event.pk, "state": case.state, **extra},
        jurisdiction=case.jurisdiction,
    )


class _Move:
    """Context for one action on one case: lock, checks, then `finish()` writes history and outbox."""

    def __init__(
        self, case: CaseRef, action: str, by: Actor, expected_version: int | None, *, system: bool = False
    ) -> None:
        self.action = action
        self.by = by
        # Lock the case row alone: a join in FOR UPDATE would drop the row when a concurrent move has
        # just changed its category (PostgreSQL rechecks the join against the new row: DoesNotExist).
        self.case = Case.objects.select_for_update(of=("self",)).get(pk=_case_id(case))
        if expected_version is not None and int(expected_version) != self.case.version:
            raise CaseConflict()
        if not system:
            policy.check(by, action, self.case)
        self.from_state = self.case.state
        self.to_state = workflow.check(action, self.case.state)
        self.before = rollups.contribution(self.case)
        self.now = _now()

    def finish(
        self,
        note: str = "",
        *,
        to_state: str | None = None,
        public: bool | None = None,
        data: dict | None = None,
        emit: bool = True,
        **emit_extra: object,
    ) -> Case:
        case = self.case
        case.state = to_state or self.to_state
        case.version += 1
        case.updated_at = self.now  # the time of the history row below
        case.save()
        event = _event(
            case,
            self.action,
            self.by,
            self.from_state,
            case.state,
            note,
            public=public,
            data=data,
            before=self.before,
            at=self.now,
        )
        if emit:
            _emit(case, self.action, event, **emit_extra)
        return case


def _require(text: str, message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError(message)
    return text
