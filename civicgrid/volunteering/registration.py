"""What the volunteering app plugs into the rest: outbox handlers, periodic jobs, top-bar links,
home panels, and the pioneer index's "activities joined" factor (called from VolunteeringConfig.ready)."""

from __future__ import annotations

_done = False


def register() -> None:
    global _done
    if _done:
        return
    _done = True
    from civicgrid.core import outbox

    from . import notify

    outbox.handler("volunteering.place_given")(notify.place_given)
    outbox.handler("volunteering.points_awarded")(notify.points_awarded)
    outbox.handler("volunteering.redeemed")(notify.redeemed)
    outbox.handler("volunteering.points_reversed")(notify.points_reversed)
