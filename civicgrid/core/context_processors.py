from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from civicgrid.core import nav


def civicgrid(request: HttpRequest) -> dict:
    """Settings and the top-bar links every page needs (the role label comes from people)."""
    return {
        "CIVICGRID_TILE_URL": settings.CIVICGRID_TILE_URL,
        "nav_extra": nav.items_for(request.user),
    }
