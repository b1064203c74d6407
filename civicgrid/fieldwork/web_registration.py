"""The top-bar link and the home panel of the grid worker's pages (called from FieldworkConfig.ready)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def _is_worker(user) -> bool:
    from . import policy

    return policy.is_worker(user)


def _reads_figures(user) -> bool:
    """Community staff and the levels above (a grid worker has My day)."""
    from civicgrid.people import policy as people_policy

    from . import policy

    return not policy.is_worker(user) and (
        people_policy.is_admin(user)
        or people_policy.has_role(user, *(policy.FIGURES_ROLES - policy.WORKER_ROLES))
    )


def home_panel(request, role) -> list[dict]:
    """A grid worker's visit progress with the way into My day; for community staff and the branch
    secretary, their community's progress per grid (never diary text)."""
    from django.utils import timezone

    from civicgrid.areas.models import Area, Level
    from civicgrid.people import policy as people_policy

    from . import policy, quotas

    today = timezone.localdate()
    grids = policy.worker_grids(request.user)
    if grids:
        rows = [{"grid": g, "progress": quotas.progress(quotas.grid_status(g, today))} for g in grids]
        return [{"title": _("My day"), "template": "fieldwork/panel.html", "order": 5, "rows": rows}]
    communities = [
        a.area
        for a in people_policy.assignments(request.user)
        if a.role in policy.COMMUNITY_ROLES and a.area_id and a.area.level == Level.COMMUNITY
    ]
    panels = []
    for community in communities[:3]:
        grids = list(Area.objects.filter(parent=community, level=Level.GRID).order_by("code")[:20])
        rows = [{"grid": g, "progress": quotas.progress(quotas.grid_status(g, today))} for g in grids]
        panels.append(
            {
                "title": _("Visit progress"),
                "template": "fieldwork/panel_community.html",
                "order": 30,
                "community": community,
                "rows": rows,
            }
        )
    return panels


def register() -> None:
    from civicgrid.core import nav
    from civicgrid.core.views import HOME_PANEL_PROVIDERS

    nav.register(_("My day"), "fieldwork:my_day", visible=_is_worker, order=15)
    nav.register(_("Fieldwork figures"), "fieldwork:figures", visible=_reads_figures, order=70)
    if home_panel not in HOME_PANEL_PROVIDERS:
        HOME_PANEL_PROVIDERS.append(home_panel)
