from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

from civicgrid.core.access import public_view, signed_in_view
from civicgrid.people import policy


@public_view
def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})


@signed_in_view
def home(request):
    """A home page made for the user's main role: their areas and their work."""
    role = policy.main_role(request.user)
    return render(
        request,
        "core/home.html",
        {
            "role": role,
            "home_areas": policy.home_areas(request.user),
            "home_panels": home_panels(request, role),
        },
    )


# Apps add panels to role home pages: a function (request, role) -> list of {"title", "template", ...}.
# An optional "order" places a panel (lower first, default 50); the role's own panel (people) is 20,
# so an app's call to action (a resident's "report a problem") can come before it with a lower order.
HOME_PANEL_PROVIDERS: list = []


def home_panels(request, role):
    panels = []
    for provider in HOME_PANEL_PROVIDERS:
        panels.extend(provider(request, role) or [])
    return sorted(panels, key=lambda panel: panel.get("order", 50))
