"""Residents' and public pages: the one-step report (no account needed), the private follow page
and "my reports", the rating, and the problem wall and echo wall (问题墙 + 回音壁).

Every write goes through cases/services/ (intake, rate). Nothing here shows a person: staff
appear by role or department, contact details stay masked, and the wall's text has personal details
taken out (views/public_parts.py).
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F, Q
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_http_methods

from civicgrid.areas.models import Area, Level
from civicgrid.core import ratelimit
from civicgrid.core.access import keyed_view, public_view, signed_in_view
from civicgrid.core.clientaddr import client_ip
from civicgrid.core.dbrouter import replica_reads
from civicgrid.people.models import Resident

from .. import rollups, services
from ..forms import RatingForm, ReportForm, new_client_key
from ..models import Attachment, Case, Category
from ..photos import MAX_PHOTOS
from ..workflow import OPEN_STATES, Channel, IllegalTransition, State
from .public_parts import (
    buildings_under,
    communities_by_street,
    public_text,
    stage,
    time_left,
    timeline,
    timelines,
)

SESSION_KEY = "cases_follow"  # {case id: follow token} of the reports made in this browser
SESSION_KEEP = 20
WALL_PAGE_SIZE = 20
WALL_MONTHS = 12
# Area fields the pages need (never the shapes, which can be large).
AREA_FIELDS = ("id", "code", "name", "path", "level", "parent_id", "jurisdiction")


def _private(response):
    """Follow pages carry a secret in their address: keep it out of caches, referrers and indexes.

    "same-origin", not "no-referrer": with no-referrer a browser sends `Origin: null` on the page's
    own POSTs (the rating form), which Django's CSRF check refuses.
    """
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _remember(request, case: Case, token: str) -> None:
    kept = dict(request.session.get(SESSION_KEY, {}))
    kept.pop(str(case.pk), None)
    kept[str(case.pk)] = token
    request.session[SESSION_KEY] = dict(list(kept.items())[-SESSION_KEEP:])


def _remembered(request) -> dict[str, str]:
    return request.session.get(SESSION_KEY, {}) if hasattr(request, "session") else {}


def _user(request):
    return request.user if request.user.is_authenticated else None


# --- report ------------------------------------------------------------------------------------


def _preselect(request) -> dict:
    """Initial place: `?at=<area code>` (a QR code on a building or notice board), else the
    signed-in resident's own community."""
    initial = {k: request.GET[k][:4000] for k in ("description", "address") if request.GET.get(k)}
    areas = Area.objects.only(*AREA_FIELDS)
    code = request.GET.get("at", "").strip()
    area = areas.filter(code=code).first() if code else None
    if area is None and request.GET.get("community", "").isdigit():
        area = areas.filter(pk=int(request.GET["community"]), level=Level.COMMUNITY).first()
    if area is None and request.user.is_authenticated:
        home = Resident.objects.filter(user=request.user).values_list("household__path", flat=True).first()
        if home:
            area = areas.filter(code__in=_path_codes(home), level=Level.COMMUNITY).first()
    if area is None:
        return initial
    if area.level == Level.UNIT:
        initial["unit"] = area
        initial["building"] = area.parent
    elif area.level == Level.BUILDING:
        initial["building"] = area
    if area.level in (Level.COMMUNITY, Level.GRID, Level.BUILDING, Level.UNIT):
        initial["community"] = areas.filter(code__in=area.ancestor_codes(), level=Level.COMMUNITY).first()
    return initial


def _bound_area(form, name: str):
    """The area a form field holds (bound data or initial), for pre-filling the pickers."""
    if form.is_bound:
        value = form.data.get(name)
        if not value:
            return None
        try:
            return Area.objects.only(*AREA_FIELDS).filter(pk=int(value)).first()
        except (TypeError, ValueError):
            return None
    return form.initial.get(name)


def _picked_id(form, name: str) -> str:
    value = form.data.get(name, "") if form.is_bound else form.initial.get(name)
    return str(getattr(value, "pk", value) or "")


@public_view
@require_http_methods(["GET", "POST"])
def report(request):
    """一键上报: photos, a description, the place and an optional contact, in one step."""
    status = 200
    if request.method == "POST":
        form = ReportForm(request.POST, request.FILES)
        if not _anonymous_report_allowed(request):
            form.is_valid()
            form.add_error(
                None,
                _(
                    "Too many reports from this network in the last hour. Please try again later or call 12345."
                ),
            )
            status = 429
        elif form.is_valid():
            d = form.cleaned_data
            try:
                result = services.intake(
                    channel=Channel.RESIDENT_APP,
                    by=_user(request),
                    description=d["description"],
                    photos=d["photos"],
                    client_key=d["client_key"],
                    **form.place_kwargs(),
                    **form.contact_kwargs(),
                )
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            else:
                _remember(request, result.case, result.token)
                return redirect("cases:report_done", pk=result.case.pk)
    else:
        form = ReportForm(initial={"client_key": new_client_key(), **_preselect(request)})
    community = _bound_area(form, "community")
    recent_ids = [int(pk) for pk in _remembered(request)]
    recent = list(Case.objects.filter(pk__in=recent_ids).only("id", "jurisdiction", "reported_at", "state"))
    recent.sort(key=lambda c: c.reported_at, reverse=True)
    tokens = _remembered(request)
    return render(
        request,
        "cases/public/report.html",
        {
            "form": form,
            "streets": communities_by_street(),
            "community": community,
            "buildings": buildings_under(community) if community else [],
            "building_id": _picked_id(form, "building"),
            "unit_id": _picked_id(form, "unit"),
            "recent": [
                {"case": c, "stage": stage(c.state), "token": tokens.get(str(c.pk))} for c in recent[:5]
            ],
            "max_photos": MAX_PHOTOS,
            "max_mb": _max_mb(),
        },
        status=status,
    )


def _anonymous_report_allowed(request) -> bool:
    """Reports without an account are limited per address, so a script cannot flood the queues."""
    if request.user.is_authenticated:
        return True
    address = client_ip(request)
    return ratelimit.hit(f"report:{address}", settings.CIVICGRID_ANONYMOUS_REPORTS_PER_HOUR, 3600).allowed


def _max_mb() -> int:
    from ..photos import MAX_BYTES

    return MAX_BYTES // (1024 * 1024)


@public_view
def report_done(request, pk: int):
    """The reference code and the private follow link, right after a report (this browser only)."""
    token = _remembered(request).get(str(pk))
    if not token:
        raise Http404
    case = get_object_or_404(Case, pk=pk)
    follow_url = request.build_absolute_uri(reverse("cases:follow", args=[token]))
    return _private(
        render(
            request,
            "cases/public/report_done.html",
            {"case": case, "follow_url": follow_url, "stage": stage(case.state)},
        )
    )


@public_view
@require_GET
@cache_control(public=True, max_age=300)
def places(request):
    """Buildings and their units within an area (a community, or a grid), for the place pickers."""
    try:
        area = Area.objects.get(
            pk=int(request.GET.get("area", "")),
            level__in=(Level.COMMUNITY, Level.GRID, Level.BUILDING, Level.UNIT),
        )
    except (ValueError, Area.DoesNotExist):
        return JsonResponse({"buildings": [], "message": _("Pick a community first.")}, status=404)
    return JsonResponse({"buildings": buildings_under(area)}, json_dumps_params={"ensure_ascii": False})


@public_view
@require_GET
def where(request):
    """Which community and grid a point (the browser's WGS84 location) lies in."""
    from civicgrid.areas.lookup import find_grid, read_point

    point = read_point(request.GET)
    if point is None:
        return JsonResponse({"found": False, "message": _("Location missing.")}, status=400)
    match = find_grid(*point)
    if not match:
        return JsonResponse(
            {
                "found": False,
                "message": _("This place is outside the grids we serve. Choose the community instead."),
            }
        )
    r = match.record
    community = Area.objects.filter(code=r.community_code).values("id").first()
    return JsonResponse(
        {
            "found": True,
            "grid": r.name,
            "community": {"id": community["id"] if community else None, "name": r.community_name},
            "street": r.street_name,
        },
        json_dumps_params={"ensure_ascii": False},
    )


# --- follow and rate -----------------------------------------------------------------------------


def _place_names(codes: set[str]) -> dict[str, str]:
    return dict(Area.objects.filter(code__in=codes).values_list("code", "name")) if codes else {}


def _path_codes(path: str) -> list[str]:
    return [c for c in (path or "").split("/") if c]


def place_label(case: Case, names: dict[str, str], *, coarse: bool) -> str:
    """Community · grid (the public wall), plus building and unit on the reporter's own page."""
    codes = _path_codes(case.path)
    shown = (codes[3:5] or codes[2:3]) if coarse else codes[2:]
    return " · ".join(names[c] for c in shown if c in names)


def _follow(request, case: Case, *, token: str | None):
    """The follow page: state, time left, what was done and by which department, the rating."""
    main = case.main_case
    form = None
    can_rate = (
        main.pk == case.pk
        and case.state == State.CLOSED
        and not (case.rated_at and case.closed_at and case.rated_at >= case.closed_at)
    )
    if request.method == "POST":
        form = RatingForm(request.POST)
        if not can_rate:
            messages.error(request, _("This report cannot be rated now."))
            return redirect(request.path)
        if form.is_valid():
            reporter = request.user.is_authenticated and case.reporter_user_id == request.user.pk
            try:
                rated = services.rate(
                    case,
                    request.user if reporter else None,
                    rating=form.cleaned_data["rating"],
                    comment=form.cleaned_data["comment"],
                    token=None if reporter else token,
                )
            except (ValidationError, PermissionDenied, IllegalTransition) as exc:
                messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
            else:
                if rated.state == State.REWORK:
                    messages.warning(
                        request,
                        _(
                            "We are sorry the result did not satisfy you. The case has been reopened to be handled again."
                        ),
                    )
                else:
                    messages.success(request, _("Thank you for your rating."))
                return redirect(request.path)
    elif can_rate:
        form = RatingForm()
    codes = set(_path_codes(case.path)) | set(_path_codes(main.path))
    names = _place_names(codes)
    photos = list(
        Attachment.objects.filter(case_id__in={case.pk, main.pk})
        .order_by("at", "id")
        .only("file", "kind", "case_id")
    )
    own = timeline(case, for_public=False)
    main_lines = timeline(main, for_public=False) if main.pk != case.pk else []
    context = {
        "case": case,
        "main": main,
        "stage": stage(case.shown_state),
        "place": place_label(case, names, coarse=False),
        "timeline": own,
        "main_timeline": main_lines,
        "time_left": time_left(main),
        "result": main.result if main.state in (State.HANDLED, State.CLOSED) else "",
        "photos": photos,
        "form": form,
        "can_rate": can_rate,
        "token": token,
        "is_reporter": request.user.is_authenticated and case.reporter_user_id == request.user.pk,
    }
    return _private(render(request, "cases/public/follow.html", context))


def _follow_timeline_context(case: Case) -> dict:
    """What a follower of someone else's case sees: the public view of it (the wall's)."""
    main = case.main_case
    names = _place_names(set(_path_codes(main.path)))
    return {
        "case": main,
        "stage": stage(main.state),
        "place": place_label(main, names, coarse=True),
        "timeline": timeline(main, for_public=True),
        "time_left": time_left(main),
        "result": public_text(main.result) if main.state in (State.HANDLED, State.CLOSED) else "",
    }


@replica_reads
@keyed_view
@require_http_methods(["GET", "POST"])
def follow(request, token: str):
    """The private follow link: whoever holds it sees the case's progress (never contact details)."""
    case = services.case_for_token(token)
    if case is None:
        raise Http404(_("This follow link is not valid."))
    return _follow(request, case, token=token)


@signed_in_view
@require_http_methods(["GET", "POST"])
def my_case(request, pk: int):
    case = get_object_or_404(Case, pk=pk, reporter_user=request.user)
    return _follow(request, case, token=None)


@signed_in_view
def mine(request):
    """My reports: every case the signed-in resident reported, newest first."""
    page = _page_number(request)
    qs = (
        Case.objects.filter(reporter_user=request.user)
        .select_related("category")
        .order_by("-reported_at", "-id")
    )
    rows = list(qs[(page - 1) * WALL_PAGE_SIZE : page * WALL_PAGE_SIZE + 1])
    has_next = len(rows) > WALL_PAGE_SIZE
    rows = rows[:WALL_PAGE_SIZE]
    items = [{"case": c, "stage": stage(c.state), "time_left": time_left(c)} for c in rows]
    return render(
        request,
        "cases/public/mine.html",
        {"items": items, "page": page, "has_next": has_next, "has_previous": page > 1},
    )


# --- the problem wall and echo wall -----------------------------------------------------------------


def _page_number(request) -> int:
    try:
        return max(1, min(int(request.GET.get("page", 1)), 500))
    except ValueError:
        return 1


def _months_back(today: date, months: int) -> date:
    index = today.year * 12 + today.month - 1 - (months - 1)
    return date(index // 12, index % 12 + 1, 1)


def _counts(figures) -> dict:
    c = figures.counts
    accepted = figures.accepted
    return {
        "raised": c["reported"] - c["merged"],
        "done": c["closed"],
        "in_progress": max(0, accepted - c["closed"]),
        "satisfaction": figures.satisfaction_rate,
        "rated": c["rated"],
    }


def hidden_category_ids() -> list[int]:
    """Categories whose cases never appear on the wall (their own or their parent's flag)."""
    return list(
        Category.objects.filter(Q(public=False) | Q(parent__public=False)).values_list("pk", flat=True)
    )


@replica_reads
@public_view
def wall_index(request):
    """Pick a street (or go straight to it when there is only one)."""
    streets = list(
        Area.objects.filter(level=Level.STREET)
        .select_related("parent")
        .only("code", "name", "parent__name")
        .order_by("code")
    )
    if len(streets) == 1:
        return redirect("cases:wall", code=streets[0].code)
    return render(request, "cases/public/wall_index.html", {"streets": streets})


WALL_TABS = ("all", "open", "done")


@replica_reads
@public_view
def wall(request, code: str):
    """问题墙 + 回音壁 for a street, community or grid: what was raised, done and in progress, and
    the latest public cases with what was done, without personal details. Open to everyone."""
    area = get_object_or_404(
        Area.objects.only(*AREA_FIELDS),
        code=code,
        level__in=(Level.STREET, Level.COMMUNITY, Level.GRID),
    )
    show = request.GET.get("show", "all")
    if show not in WALL_TABS:
        show = "all"
    page = _page_number(request)
    start = _months_back(timezone.localdate(), WALL_MONTHS)
    totals = _counts(rollups.figures(area, start=start))
    children = []
    if area.level in (Level.STREET, Level.COMMUNITY):
        figures = rollups.breakdown(area, by="child", start=start)
        for child in Area.objects.filter(parent_id=area.pk).only("id", "code", "name").order_by("code"):
            children.append({"area": child, **_counts(figures.get(child.pk, rollups.Figures(_zero())))})

    qs = (
        Case.objects.filter(path__startswith=area.path, public=True, registered_at__isnull=False)
        .exclude(state__in=(State.MERGED, State.NOT_ACCEPTED))
        .exclude(category_id__in=hidden_category_ids())
    )
    if show == "open":
        qs = qs.filter(state__in=OPEN_STATES).order_by("-reported_at", "-id")
    elif show == "done":
        qs = qs.filter(state=State.CLOSED).order_by("-closed_at", "-id")
    else:
        qs = qs.order_by("-reported_at", "-id")
    qs = (
        qs.select_related("category", "department")
        .annotate(reporter_name=F("reporter__name"))
        .only(
            "id",
            "jurisdiction",
            "path",
            "title",
            "state",
            "kind",
            "is_errand",
            "reported_at",
            "closed_at",
            "result",
            "rating",
            "contact_name",
            "reporter_user_id",
            "category__name",
            "category__name_en",
            "department__name",
        )
    )
    offset = (page - 1) * WALL_PAGE_SIZE
    cases = list(qs[offset : offset + WALL_PAGE_SIZE + 1])
    has_next = len(cases) > WALL_PAGE_SIZE
    cases = cases[:WALL_PAGE_SIZE]
    timelines(cases, for_public=True)
    names = _place_names({c for case in cases for c in _path_codes(case.path)[2:5]})
    items = []
    for case in cases:
        names_of_case = [n for n in (case.contact_name, case.reporter_name) if n]
        steps = [line for line in case.timeline if line["action"] not in ("report", "comment")]
        items.append(
            {
                "case": case,
                "stage": stage(case.state),
                "title": public_text(case.title, names_of_case),
                "place": place_label(case, names, coarse=True),
                "result": public_text(case.result, names_of_case) if case.state == State.CLOSED else "",
                "last_step": steps[-1] if steps else None,
                "notes": [line for line in case.timeline if line["note"] and line["action"] != "rate"],
            }
        )
    ancestors = list(
        Area.objects.filter(code__in=area.ancestor_codes(), level__in=(Level.STREET, Level.COMMUNITY))
        .exclude(pk=area.pk)
        .only("code", "name")
        .order_by("code")
    )
    return render(
        request,
        "cases/public/wall.html",
        {
            "area": area,
            "ancestors": ancestors,
            "totals": totals,
            "children": children,
            "items": items,
            "show": show,
            "page": page,
            "has_next": has_next,
            "has_previous": page > 1,
            "since": start,
        },
    )


def _zero() -> dict:
    return {c: 0 for c in rollups.COUNTERS}
