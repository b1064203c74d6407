"""GET /areas/lookup?lng=…&lat=…[&crs=gcj02] → the grid a point lies in, as JSON.

A point outside every grid is an ordinary answer (`{"found": false, "message": …}`, status 200),
not an error page; only a malformed request gets a 400.
"""

import math

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from civicgrid.core.access import public_view

from .lookup import find_grid, normalise_crs


def _coordinate(raw: str | None, low: float, high: float) -> float | None:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) and low <= value <= high else None


@public_view  # answers 401 JSON to strangers itself (a script's fetch wants JSON, not a redirect)
@require_GET
def lookup(request):
    if not request.user.is_authenticated:
        return JsonResponse({"found": False, "message": _("Please log in first.")}, status=401)
    lng = _coordinate(request.GET.get("lng"), -180.0, 180.0)
    lat = _coordinate(request.GET.get("lat"), -90.0, 90.0)
    if lng is None or lat is None:
        return JsonResponse(
            {"found": False, "message": _("Give the longitude (lng) and latitude (lat) as numbers.")},
            status=400,
        )
    try:
        crs = normalise_crs(request.GET.get("crs", "wgs84"))
    except ValueError:
        return JsonResponse(
            {"found": False, "message": _("Unknown coordinate system: use wgs84 or gcj02.")}, status=400
        )
    return JsonResponse(find_grid(lng, lat, crs=crs).as_dict(), json_dumps_params={"ensure_ascii": False})
