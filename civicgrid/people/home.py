"""The home page made for the user's main role, and the role label every page shows.

It lives in `people` (the roles and scopes are people's); `core` keeps only the panel registry
(`core.views.HOME_PANEL_PROVIDERS`), so apps above add their panels without importing this module.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from civicgrid.core import views as core_views
from civicgrid.core.access import signed_in_view

from . import policy


@signed_in_view
def home(request: HttpRequest) -> HttpResponse:
    """A home page made for the user's main role: their areas and their work."""
    role = policy.main_role(request.user)
    return render(
        request,
        "people/home.html",
        {
            "role": role,
            "home_areas": policy.home_areas(request.user),
            "home_panels": core_views.home_panels(request, role),
        },
    )


def role_context(request: HttpRequest) -> dict:
    """Context processor: the label of the user's main role for the top bar."""
    user = request.user
    return {"role_label": policy.home_role_label(user) if user.is_authenticated else ""}
