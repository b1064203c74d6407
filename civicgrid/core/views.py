"""The health check, and the registry of home-page panels (the home page itself is people's).

`core` imports no app: the role home page (`people.home.home`, URL name `home`) asks every
registered provider for its panels through `home_panels`.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection
from django.http import HttpRequest, JsonResponse

from civicgrid.core.access import public_view


@public_view
def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})


# Apps add panels to role home pages: a function (request, role) -> list of {"title", "template", ...}.
# An optional "order" places a panel (lower first, default 50); the role's own panel (people) is 20,
# so an app's call to action (a resident's "report a problem") can come before it with a lower order.
PanelProvider = Callable[[HttpRequest, "str | None"], "list[dict] | None"]
HOME_PANEL_PROVIDERS: list[PanelProvider] = []


def home_panels(request: HttpRequest, role: str | None) -> list[dict]:
    panels: list[dict] = []
    for provider in HOME_PANEL_PROVIDERS:
        panels.extend(provider(request, role) or [])
    return sorted(panels, key=lambda panel: panel.get("order", 50))
