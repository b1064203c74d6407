"""Errands (便民代办) as data: the states an errand passes through and which move leads where.

    requested ──start──► in_progress ──close──► done
        │                    │
        └──cancel──► cancelled ◄──cancel (before anything was handed in)

The errand's case follows in the closed loop (cases/services.py): `start` accepts the case,
`close` records the result and verifies it (the resident's errand done is the check), `cancel`
records the case as not accepted with the reason.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ErrandState(models.TextChoices):
    REQUESTED = "requested", pgettext_lazy("fieldwork", "requested")
    IN_PROGRESS = "in_progress", pgettext_lazy("fieldwork", "in progress")
    DONE = "done", pgettext_lazy("fieldwork", "done")
    CANCELLED = "cancelled", _("cancelled")


OPEN_ERRAND_STATES = (ErrandState.REQUESTED, ErrandState.IN_PROGRESS)

# action -> (states it may start from, state it leads to, label)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str, object]] = {
    "start": ((ErrandState.REQUESTED,), ErrandState.IN_PROGRESS, pgettext_lazy("errand action", "started")),
    "close": (
        (ErrandState.REQUESTED, ErrandState.IN_PROGRESS),
        ErrandState.DONE,
        pgettext_lazy("errand action", "done"),
    ),
    "cancel": ((ErrandState.REQUESTED,), ErrandState.CANCELLED, pgettext_lazy("errand action", "cancelled")),
    "add_step": (
        (ErrandState.REQUESTED, ErrandState.IN_PROGRESS),
        None,
        pgettext_lazy("errand action", "given a step"),
    ),
}


class IllegalErrandMove(Exception):
    """An errand move its state does not allow."""


def check(action: str, state: str) -> str:
    sources, target, label = TRANSITIONS[action]
    if state not in sources:
        raise IllegalErrandMove(
            _("An errand that is %(state)s cannot be %(action)s.")
            % {"state": ErrandState(state).label, "action": label}
        )
    return target or state
