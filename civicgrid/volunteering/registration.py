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
    from django.db.models import Count
    from django.utils.translation import gettext_lazy as _

    from civicgrid.party import pioneer

    from .models import SignUp

    def activities_joined(member_ids, start, end):
        rows = (
            SignUp.objects.filter(
                resident_id__in=member_ids,
                confirmed_at__isnull=False,
                activity__starts_at__date__gte=start,
                activity__starts_at__date__lt=end,
            )
            .values("resident_id")
            .annotate(n=Count("id"))
        )
        return {r["resident_id"]: r["n"] for r in rows}

    pioneer.register_factor("activities_joined", _("activities joined"), activities_joined)
