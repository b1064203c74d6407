"""Top-bar links, the home panel and the case-page panel (called from MediationConfig.ready)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from civicgrid.cases.panels import CASE_PANEL_PROVIDERS
    from civicgrid.core import nav
    from civicgrid.core.views import HOME_PANEL_PROVIDERS

    from . import policy, views

    nav.register(
        _("Mediation"),
        "mediation:index",
        visible=lambda u: policy.works_mediation(u) or policy.can_read_figures(u),
        order=40,
    )
    nav.register(_("Mediation figures"), "mediation:figures", visible=policy.can_read_figures, order=41)
    if views.home_panel not in HOME_PANEL_PROVIDERS:
        HOME_PANEL_PROVIDERS.append(views.home_panel)
    if views.case_panel not in CASE_PANEL_PROVIDERS:
        CASE_PANEL_PROVIDERS.append(views.case_panel)
