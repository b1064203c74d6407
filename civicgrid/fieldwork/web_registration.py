"""The top-bar link and the home panel of the grid worker's pages (called from FieldworkConfig.ready)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def _is_worker(user) -> bool:
    from . import policy

    return policy.is_worker(user)


def home_panel(request, role) -> list[dict]:
    from django.utils import timezone

    from . import policy, quotas

    grids = policy.worker_grids(request.user)
    if not grids:
        return []
    today = timezone.localdate()
    rows = [{"grid": g, "progress": quotas.progress(quotas.grid_status(g, today))} for g in grids]
    return [{"title": _("My day"), "template": "fieldwork/panel.html", "order": 5, "rows": rows}]


def register() -> None:
    from civicgrid.core import nav
    from civicgrid.core.views import HOME_PANEL_PROVIDERS

    nav.register(_("My day"), "fieldwork:my_day", visible=_is_worker, order=15)
    if home_panel not in HOME_PANEL_PROVIDERS:
        HOME_PANEL_PROVIDERS.append(home_panel)
