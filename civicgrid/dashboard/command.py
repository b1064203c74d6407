"""The command centre (指挥中心) of a street, district or city: what is open, overdue and urgent now,
today's intake by channel, heat by category on the offline map, the department league table, the
five-colour state of the areas below, and the latest index issue; every figure links to the cases
behind it (the cases search, which shows only what the viewer may see). A big-screen mode
(1920×1080, dark) refreshes its live figures every minute from `live/` without reloading the page.

Figures come from the rollups, the returns (退单) too; the only live reads are two small ones bounded
by the area's open emergencies and today's intake.
"""

from __future__ import annotations

from datetime import datetime, time
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from civicgrid.areas.models import Area, Level
from civicgrid.cases import rollups, workflow
from civicgrid.cases.models import Case
from civicgrid.core.access import signed_in_view
from civicgrid.core.dbrouter import replica_reads
from civicgrid.deliberation.models import Topic
from civicgrid.deliberation.workflow import TopicStatus
from civicgrid.indices import policy as indices_policy
from civicgrid.indices import reports as indices_reports
from civicgrid.indices.models import Colour, IndexDefinition
from civicgrid.mediation import workflow as mediation_workflow
from civicgrid.mediation.models import Dispute
from civicgrid.people.models import Department

from . import figures

COMMAND_LEVELS = {Level.CITY, Level.DISTRICT, Level.STREET}
HEAT_STEPS = 5


def _area_or_403(request, code: str) -> Area:
    area = get_object_or_404(Area, code=code)
    if area.level not in COMMAND_LEVELS:
        raise Http404
    if not indices_policy.may(request.user, "command_centre", area):
        raise PermissionDenied
    return area


@replica_reads
@signed_in_view
def command_home(request):
    areas = [a for a in indices_policy.command_areas(request.user) if a.level in COMMAND_LEVELS]
    if not areas:
        raise PermissionDenied
    return redirect("dashboard:command", code=areas[0].code)


def _search(**params) -> str:
    return reverse("cases:search") + "?" + urlencode({k: v for k, v in params.items() if v not in (None, "")})


def live_figures(area: Area) -> dict:
    """The figures of 'now' (one rollup sum and two small live counts)."""
    counts = rollups.figures(area).counts  # every month: the current state of every case
    accepted = counts["reported"] - counts["not_accepted"] - counts["merged"]
    open_now = accepted - counts["closed"]
    emergency = Case.objects.filter(
        path__startswith=area.path, kind=workflow.Kind.EMERGENCY, state__in=list(workflow.OPEN_STATES)
    ).count()
    start = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
    today = dict(
        Case.objects.filter(path__startswith=area.path, reported_at__gte=start)
        .values_list("channel")
        .annotate(n=Count("id"))
        .values_list("channel", "n")
    )
    return {
        "open": open_now,
        "overdue": counts["overdue_open"],
        "on_hold": counts["on_hold"],
        "emergency": emergency,
        "today": sum(today.values()),
        "today_by_channel": {str(workflow.Channel(k).label): v for k, v in sorted(today.items())},
        "at": timezone.localtime().strftime("%H:%M"),
    }


def in_progress(area: Area) -> dict:
    """Mediation and deliberation under way in the area (two counts over small tables)."""
    disputes = Dispute.objects.filter(
        path__startswith=area.path, state__in=list(mediation_workflow.OPEN_STATES)
    )
    return {
        "disputes": disputes.count(),
        "disputes_at_risk": disputes.filter(urgency=mediation_workflow.Urgency.RISK).count(),
        "topics": Topic.objects.filter(path__startswith=area.path, status=TopicStatus.OPEN).count(),
    }


def _league(area: Area, period) -> tuple[list[dict], int]:
    """The league's rows (the busiest departments, figures.DEPARTMENT_ROWS at most) and how many
    departments had figures in the period."""
    every = rollups.breakdown(area, by="department", start=period.start, end=period.end)
    by_dept = figures.busiest_departments(every, figures.DEPARTMENT_ROWS)
    names = dict(Department.objects.filter(pk__in=by_dept).values_list("pk", "name"))
    returns = rollups.returns_by_department(area, period.start, period.end)
    rows = []
    for dept_id, f in by_dept.items():
        rows.append(
            {
                "name": names.get(dept_id, "?"),
                "reported": f.reported,
                "closed": f.closed,
                "on_time_rate": f.on_time_rate,
                "satisfaction_rate": f.satisfaction_rate,
                "returns": returns.get(dept_id, 0),
                "overdue": f.overdue_open,
                "overdue_url": _search(department=dept_id, overdue="on", area=area.code),
                "cases_url": _search(department=dept_id, area=area.code),
            }
        )
    rows.sort(key=lambda r: (-(r["on_time_rate"] or 0), -(r["satisfaction_rate"] or 0), r["name"]))
    return rows, len(every)


def _heat(area: Area, children: list[Area], period, category_id: int | None) -> dict[str, tuple[str, str]]:
    found = rollups.by_area(children, period.start, period.end, category=category_id or None)
    sums = {pk: f.reported for pk, f in found.items()}
    top = max(sums.values(), default=0)
    fills = {}
    for child in children:
        n = sums.get(child.pk, 0) or 0
        step = 0 if not top else min(HEAT_STEPS, 1 + int(n / top * (HEAT_STEPS - 1) + 0.5)) if n else 0
        fills[child.code] = (f"heat-{step}", _("%(n)s cases reported") % {"n": n})
    return fills


@replica_reads
@signed_in_view
def command(request, code: str):
    area = _area_or_403(request, code)
    lang = translation.get_language()
    period = figures.parse_period(request.GET)
    live = live_figures(area)
    child_level = indices_reports.child_level(area)
    children = (
        list(Area.objects.filter(parent=area, level=child_level).order_by("code")) if child_level else []
    )
    categories = figures.top_categories()
    category_id = None
    try:
        category_id = int(request.GET.get("category") or 0) or None
    except ValueError:
        category_id = None
    colours = indices_reports.colour_map(area, child_level, lang) if child_level else []
    colour_counts = {c.value: 0 for c in Colour}
    for c in colours:
        if c.result.colour:
            colour_counts[c.result.colour] += 1
    red = [c for c in colours if c.result.colour == Colour.RED]
    indices = [
        i
        for i in IndexDefinition.objects.select_related("owner")
        if indices_policy.may_read_index(request.user, i)
        and (area.path.startswith(i.owner.path) or i.owner.path.startswith(area.path))
    ]
    latest = []
    for i in indices:
        issue = i.issues.order_by("-number").first()
        if issue:
            latest.append((i, issue))
    summary = rollups.figures(area, start=period.start, end=period.end)
    league, league_total = _league(area, period)
    return render(
        request,
        "dashboard/command.html",
        {
            "area": area,
            "period": period,
            "live": live,
            "screen": request.GET.get("screen") == "1",
            "children": children,
            "heat": _heat(area, children, period, category_id),
            "categories": categories,
            "category_id": category_id,
            "league": league,
            "league_total": league_total,
            "colour_counts": [(Colour(k).label, k, v) for k, v in colour_counts.items()],
            "red": red,
            "latest": latest,
            "progress": in_progress(area),
            "summary": summary,
            "rates": [(key, label, kind, getattr(summary, key)) for key, label, kind in figures.RATES[:5]],
            "links": {
                "open": _search(area=area.code, state="open"),
                "emergency": _search(area=area.code, state="open", kind=workflow.Kind.EMERGENCY.value),
                "overdue": _search(area=area.code, overdue="on"),
                "today": _search(area=area.code, reported_from=timezone.localdate().isoformat()),
                "colours": reverse("indices:colours", args=[area.code]),
                "figures": reverse("dashboard:area", args=[area.code]),
                "mediation": reverse("mediation:index"),
                "deliberation": reverse("deliberation:index"),
            },
            "live_url": reverse("dashboard:command_live", args=[area.code]),
            "screen_url": reverse("dashboard:command", args=[area.code]) + "?screen=1",
        },
    )


@replica_reads
@signed_in_view
def command_live(request, code: str):
    area = _area_or_403(request, code)
    return JsonResponse(live_figures(area))
