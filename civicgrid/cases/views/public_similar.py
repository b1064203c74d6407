""" "Already reported — follow that one instead?": the report page asks, after the resident has
typed, for open public cases like theirs (`similar`, JSON, masked text only: no reporter, no
contact, no room numbers); one click makes them a follower of that case (`follow_existing`), with
a private link of their own (`following`) — no new case is made.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from civicgrid.areas.models import Area, Level
from civicgrid.core import ratelimit
from civicgrid.core.access import keyed_view, public_view
from civicgrid.core.clientaddr import client_ip

from .. import services
from ..duplicates import find_duplicates
from ..models import Case
from .public import _follow_timeline_context, _private, _user
from .public_parts import case_names, public_text, stage

FOLLOWING_KEY = "cases_following"  # {case id: follower token} of the cases followed in this browser
SIMILAR_PER_HOUR = 600
MIN_TEXT = 4


def _float(value: str) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if -180.0 <= number <= 180.0 else None


def _area(value: str, *levels: str) -> Area | None:
    if not (value or "").isdigit():
        return None
    return (
        Area.objects.filter(pk=int(value), level__in=levels)
        .only("id", "path", "level", "parent_id", "lng", "lat", "jurisdiction")
        .first()
    )


@public_view
@require_GET
def similar(request):
    """Open public cases like the one being typed, for the report page (JSON)."""
    if not ratelimit.hit(f"similar:{client_ip(request)}", SIMILAR_PER_HOUR, 3600).allowed:
        return JsonResponse(
            {"cases": [], "message": _("Too many requests. Please wait a moment.")}, status=429
        )
    q = request.GET
    description = (q.get("description") or "").strip()[:1000]
    if len(description) < MIN_TEXT:
        return JsonResponse({"cases": []})
    unit = _area(q.get("unit", ""), Level.UNIT)
    building = _area(q.get("building", ""), Level.BUILDING) or (unit.parent if unit else None)
    community = _area(q.get("community", ""), Level.COMMUNITY)
    lng, lat = _float(q.get("lng", "")), _float(q.get("lat", ""))
    if lng is None or lat is None:
        lng = lat = None
    address = (q.get("address") or "").strip()[:200]
    if building is None and lng is None and address:
        from civicgrid.areas.addresses import match_address

        m = match_address(address, within=community)
        if m.best is not None and m.best.building_id:
            building = Area.objects.filter(pk=m.best.building_id).only("id", "path", "lng", "lat").first()
            if m.best.unit_id:
                unit = Area.objects.filter(pk=m.best.unit_id).only("id", "path").first()
    if building is not None and lng is None and building.lng is not None:
        lng, lat = building.lng, building.lat
    category = services.triage(description, None)
    within = community.path if community else ""
    if not within and building is None and lng is None:
        return JsonResponse({"cases": []})
    found = find_duplicates(
        description=description,
        category=category,
        lng=lng,
        lat=lat,
        building_id=building.pk if building else None,
        unit_id=unit.pk if unit else None,
        within=within or (building.path.split("/")[0] + "/" if building else ""),
        public_only=True,
    )
    shown = [d for d in found if d.case.category.public]
    return JsonResponse(
        {
            "cases": [
                {
                    "id": d.case.pk,
                    "ref": d.case.ref,
                    "text": public_text(d.case.title or d.case.description, case_names(d.case))[:80],
                    "stage": stage(d.case.state)["short"],
                    "reported": d.case.reported_at.date().isoformat(),
                    "follow": reverse("cases:follow_existing", args=[d.case.pk]),
                }
                for d in shown
            ]
        },
        json_dumps_params={"ensure_ascii": False},
    )


@public_view
@require_POST
def follow_existing(request, pk: int):
    """Follow this open case instead of reporting it again."""
    case = get_object_or_404(Case.objects.select_related("category"), pk=pk)
    if (
        not request.user.is_authenticated
        and not ratelimit.hit(
            f"follow:{client_ip(request)}", settings.CIVICGRID_ANONYMOUS_REPORTS_PER_HOUR, 3600
        ).allowed
    ):
        messages.error(
            request, _("Too many requests from this network in the last hour. Please try again later.")
        )
        return redirect("cases:report")
    try:
        followed, token = services.follow_case(case, by=_user(request), email=request.POST.get("email", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("cases:report")
    kept = dict(request.session.get(FOLLOWING_KEY, {}))
    kept[str(followed.pk)] = token
    request.session[FOLLOWING_KEY] = dict(list(kept.items())[-20:])
    messages.success(
        request, _("You now follow this case: you will hear of its progress. No new report was made.")
    )
    return redirect("cases:following", token=token)


@keyed_view
@require_GET
def following(request, token: str):
    """A follower's private link: the case's progress as the public sees it (never the reporter)."""
    case = services.case_for_follower_token(token)
    if case is None:
        raise Http404(_("This follow link is not valid."))
    context = _follow_timeline_context(case)
    main = context["case"]
    reporter = main.reporter.name if main.reporter_id and main.reporter else ""
    context["text"] = public_text(main.description, [main.contact_name, reporter])
    context["follow_url"] = request.build_absolute_uri(reverse("cases:following", args=[token]))
    return _private(render(request, "cases/public/following.html", context))
