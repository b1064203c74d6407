"""What the volunteering app plugs into the rest: outbox handlers (inbox messages), periodic jobs
(expiry, rollups), top-bar links, the resident's home panel, and the pioneer index's
"activities joined" factor (called once from VolunteeringConfig.ready)."""

from __future__ import annotations

_done = False


def register() -> None:
    global _done
    if _done:
        return
    _done = True
    from django.db.models import Count
    from django.urls import reverse
    from django.utils.translation import gettext_lazy as _

    from civicgrid.core import nav, outbox
    from civicgrid.core.views import HOME_PANEL_PROVIDERS
    from civicgrid.party import pioneer
    from civicgrid.people import policy as people_policy

    from . import notify, policy, rollups  # noqa: F401  (rollups registers its periodic job)
    from .models import PointsAccount, Shop, SignUp

    outbox.handler("volunteering.place_given")(notify.place_given)
    outbox.handler("volunteering.points_awarded")(notify.points_awarded)
    outbox.handler("volunteering.redeemed")(notify.redeemed)
    outbox.handler("volunteering.points_reversed")(notify.points_reversed)
    outbox.handler("party.call_issued")(notify.call_issued)

    @outbox.periodic(3600, name="volunteering.expiry")
    def expire_points():
        from .services import run_expiry

        return run_expiry()

    def is_resident(user) -> bool:
        return policy.resident_of(user) is not None

    def organises(user) -> bool:
        return bool(people_policy.scope_paths(user, policy.ORGANISE_ROLES))

    nav.register(_("My points"), "volunteering:mine", visible=is_resident, order=15)
    nav.register(
        _("Volunteering"),
        "volunteering:activities",
        visible=lambda u: is_resident(u) or organises(u),
        order=40,
    )
    nav.register(
        _("Shop"),
        "volunteering:shops",
        visible=lambda u: Shop.objects.filter(keepers=u).exists(),
        order=45,
    )
    nav.register(
        _("Co-building"), "volunteering:cobuilding", visible=lambda u: bool(policy.figure_paths(u)), order=60
    )
    nav.register(
        _("Volunteering figures"),
        "volunteering:figures",
        visible=lambda u: bool(policy.figure_paths(u)),
        order=65,
    )

    def resident_panel(request, role):
        from . import ledger

        resident = policy.resident_of(request.user)
        if resident is None:
            return []
        accounts = PointsAccount.objects.filter(ledger.holder_filter(resident))
        return [
            {
                "title": _("My points"),
                "template": "volunteering/panel.html",
                "order": 30,
                "balance": sum(a.balance for a in accounts),
                "links": [
                    {"label": _("My points"), "url": reverse("volunteering:mine")},
                    {"label": _("Find an activity"), "url": reverse("volunteering:activities")},
                ],
            }
        ]

    if resident_panel not in HOME_PANEL_PROVIDERS:
        HOME_PANEL_PROVIDERS.append(resident_panel)

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
