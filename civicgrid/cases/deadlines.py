"""Deadlines of a case, in working time (core/workcalendar.py), and how close a case is to them.

- respond_due: by when the handler must take the case on (accept), counted from registration
  (or from dispatch when dispatched);
- resolve_due: by when it must be handled, counted from registration; moved by granted extensions
  and by the working time spent on hold;
- level_due: by when the current holder in the five-level chain must act before the case goes one
  level up by itself (only while no department holds it);
- remind_at: when the sweep sends a reminder, at the start of the last AMBER_SHARE of the time left.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from civicgrid.core.workcalendar import add_working_hours

from .workflow import AMBER_SHARE, LEVEL_HOURS, CaseLevel


def reminder_time(start: datetime, due: datetime) -> datetime:
    return start + (due - start) * (1 - AMBER_SHARE)


def level_due(level: str, start: datetime) -> datetime | None:
    hours = LEVEL_HOURS.get(CaseLevel(level)) if level in LEVEL_HOURS else None
    return add_working_hours(start, hours) if hours else None


def start_clock(case, start: datetime, *, respond: bool = True) -> None:
    """Set respond_due, resolve_due and remind_at from the case's category, counted from `start`."""
    category = case.category
    case.clock_started_at = start
    if respond:
        case.respond_due = add_working_hours(start, category.respond_hours)
    case.resolve_due = add_working_hours(start, category.resolve_hours)
    case.remind_at = reminder_time(start, case.resolve_due)
    case.reminded_at = None


@dataclass(frozen=True)
class TimeStatus:
    due: datetime | None
    colour: str  # "green", "amber", "red", or "" when no clock runs
    share_left: float | None  # 1.0 at the start, 0 at the limit, negative after it
    which: str  # "respond", "resolve", or ""

    @property
    def overdue(self) -> bool:
        return self.colour == "red"


NO_CLOCK = TimeStatus(None, "", None, "")


def time_status(case, now: datetime | None = None) -> TimeStatus:
    """The deadline that matters now (models.clock_of), and its colour: amber in the last
    AMBER_SHARE, red once it has passed, i.e. exactly when `models.is_overdue`."""
    from .models import clock_of

    due, which = clock_of(case)
    if due is None:
        return NO_CLOCK
    now = now or timezone.now()
    start = case.clock_started_at or case.reported_at
    total = (due - start).total_seconds()
    left = (due - now).total_seconds()
    share = left / total if total > 0 else (1.0 if left > 0 else -1.0)
    if left < 0:
        colour = "red"
    elif share <= AMBER_SHARE:
        colour = "amber"
    else:
        colour = "green"
    return TimeStatus(due, colour, share, which)
