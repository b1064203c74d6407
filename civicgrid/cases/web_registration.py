"""Top-bar links and home-page panels of the residents' pages, the problem wall and the intake
pages (called once from CasesConfig.ready)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def _is_resident(user) -> bool:
    from civicgrid.people import policy
    from civicgrid.people.models import Role

    return policy.has_role(user, Role.RESIDENT)


def _can_field_report(user) -> bool:
    from .views.intake import can_field_report

    return can_field_report(user)


def _has_desk(user) -> bool:
    """Those who take calls and letters (a department may enter transfers too, by the same page,
    but gets no link: it is not their daily work)."""
    from civicgrid.people import policy

    from .views.intake import DESK_ROLES

    return policy.is_admin(user) or policy.has_role(user, *DESK_ROLES)


def intake_home_panels(request, role) -> list[dict]:
    """A resident's "report a problem" with their latest reports; the field report for the five-level
    chain; the hotline and petition desk for those who take calls and letters."""
    from .models import Case
    from .views.public_parts import stage

    user = request.user
    panels = []
    if _is_resident(user):
        latest = list(
            Case.objects.filter(reporter_user=user).only(
                "id", "jurisdiction", "reported_at", "state", "title"
            )[:3]
        )
        panels.append(
            {
                "title": _("Report a problem"),
                "template": "cases/public/panels/resident.html",
                "order": 10,
                "latest": [{"case": c, "stage": stage(c.state)} for c in latest],
            }
        )
    if _can_field_report(user):
        panels.append({"title": _("Field report"), "template": "cases/intake/panels/field.html", "order": 15})
    if _has_desk(user):
        panels.append(
            {
                "title": _("Hotline and petition desk"),
                "template": "cases/intake/panels/desk.html",
                "order": 16,
            }
        )
    return panels


def register() -> None:
    from civicgrid.core import nav
    from civicgrid.core.views import HOME_PANEL_PROVIDERS

    nav.register(_("Report a problem"), "cases:report", visible=_is_resident, order=5)
    nav.register(_("My reports"), "cases:mine", visible=_is_resident, order=6)
    nav.register(_("Field report"), "cases:field_report", visible=_can_field_report, order=15)
    nav.register(_("Hotline desk"), "cases:desk", visible=_has_desk, order=16)
    nav.register(_("Problem wall"), "cases:wall_index", order=85)
    if intake_home_panels not in HOME_PANEL_PROVIDERS:
        HOME_PANEL_PROVIDERS.append(intake_home_panels)
