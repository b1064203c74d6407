"""What the volunteering app plugs into the rest: outbox handlers, periodic jobs, top-bar links,
home panels, and the pioneer index's "activities joined" factor (called from VolunteeringConfig.ready)."""

from __future__ import annotations


def register() -> None:
    pass
