"""Pages of the indices: the indices a user reads, an index with its live ranking and its issues,
editing indicators with a preview, a published issue (with Excel and PDF), the five-colour map, and
grid-affairs admission (requests, decisions, the grids' lists and tasks).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicgrid.areas.models import Area, Level
from civicgrid.core.access import signed_in_view
from civicgrid.core.dbrouter import replica_reads
from civicgrid.people import policy as people_policy
from civicgrid.people.models import Department, Role

from . import export, metrics, policy, reports, scoring, services
from .models import (
    AdmissionRequest,
    AdmissionState,
    Colour,
    Direction,
    GridTask,
    IndexDefinition,
    IndexIssue,
    TaskKind,
)


def _lang() -> str:
    return translation.get_language() or "zh-hans"


def _readable(user):
    return [i for i in IndexDefinition.objects.select_related("owner") if policy.may_read_index(user, i)]


def _index_or_403(request, code: str) -> IndexDefinition:
    index = get_object_or_404(IndexDefinition.objects.select_related("owner"), code=code)
    if not policy.may_read_index(request.user, index):
        raise PermissionDenied
    return index


@replica_reads
@signed_in_view
def index_list(request):
    if not policy.can_read_indices(request.user):
        raise PermissionDenied
    indices = _readable(request.user)
    for i in indices:
        i.latest = i.issues.order_by("-number").first()
    colour_roots = [a for a in people_policy.home_areas(request.user) if reports.child_level(a)]
    return render(request, "indices/list.html", {"indices": indices, "colour_roots": colour_roots[:5]})


@replica_reads
@signed_in_view
def index_detail(request, code: str):
    index = _index_or_403(request, code)
    lang = _lang()
    version = index.current
    start, end = reports.period_for(index)
    lines = reports.lines(index, version.indicators, start, end, lang) if version else []
    indicators = [scoring.Indicator.from_data(d) for d in version.indicators] if version else []
    for ln in lines:
        ln.cells = [ln.values.get(i.code) for i in indicators]
    return render(
        request,
        "indices/detail.html",
        {
            "index": index,
            "version": version,
            "indicators": indicators,
            "lines": lines,
            "start": start,
            "end": end,
            "issues": index.issues.order_by("-number"),
            "versions": index.versions.order_by("-number")[:10],
            "may_edit": policy.may(request.user, "edit_index", index.owner),
            "may_publish": policy.may(request.user, "publish_issue", index.owner),
        },
    )


def _draft_from_post(post) -> list[dict]:
    rows = []
    for i in range(int(post.get("rows", "0") or 0)):
        code = (post.get(f"code-{i}") or "").strip()
        if not code and not (post.get(f"formula-{i}") or "").strip():
            continue  # an empty row left for adding
        rows.append(
            {
                "code": code,
                "name": post.get(f"name-{i}", ""),
                "name_en": post.get(f"name_en-{i}", ""),
                "formula": post.get(f"formula-{i}", ""),
                "direction": post.get(f"direction-{i}", ""),
                "unit": post.get(f"unit-{i}", ""),
                "weight": post.get(f"weight-{i}", ""),
            }
        )
    return rows


@signed_in_view
def index_edit(request, code: str):
    index = _index_or_403(request, code)
    if not policy.may(request.user, "edit_index", index.owner):
        raise PermissionDenied
    version = index.current
    draft = list(version.indicators) if version else []
    problems: list[str] = []
    preview_rows = None
    note = ""
    if request.method == "POST":
        draft = _draft_from_post(request.POST)
        note = request.POST.get("note", "")
        problems = scoring.validate(draft, metrics.names())
        if not problems and "save" in request.POST:
            try:
                saved = services.save_version(index, draft, by=request.user, note=note)
            except ValidationError as e:
                problems = e.messages
            else:
                messages.success(request, _("Saved as version %(n)s.") % {"n": saved.number})
                return redirect("indices:detail", code=index.code)
        if not problems:
            preview_rows = reports.preview(index, draft, _lang())
    rows = [*draft, {}, {}]
    return render(
        request,
        "indices/edit.html",
        {
            "index": index,
            "version": version,
            "rows": rows,
            "row_count": len(rows),
            "problems": problems,
            "preview": preview_rows,
            "note": note,
            "directions": Direction.choices,
            "catalogue": metrics.catalogue(),
        },
    )


@signed_in_view
@require_POST
def index_rollback(request, code: str):
    index = _index_or_403(request, code)
    try:
        saved = services.rollback_version(index, by=request.user)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        messages.success(request, _("Saved as version %(n)s.") % {"n": saved.number})
    return redirect("indices:detail", code=index.code)


@signed_in_view
@require_POST
def index_publish(request, code: str):
    index = _index_or_403(request, code)
    try:
        issue = services.publish_issue(index, by=request.user)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
        return redirect("indices:detail", code=index.code)
    messages.success(request, _("Issue %(n)s is published.") % {"n": issue.number})
    return redirect("indices:issue", code=index.code, number=issue.number)


def _issue(request, code: str, number: int) -> IndexIssue:
    index = _index_or_403(request, code)
    return get_object_or_404(
        IndexIssue.objects.select_related("index", "version"), index=index, number=number
    )


@replica_reads
@signed_in_view
def issue_detail(request, code: str, number: int):
    issue = _issue(request, code, number)
    lang = _lang()
    indicators = [scoring.Indicator.from_data(d) for d in issue.version.indicators]
    groups: dict[str, list] = {}
    for e in issue.entries.order_by("group_code", "rank", "area_name"):
        e.cells = [e.values.get(i.code) for i in indicators]
        groups.setdefault(e.group_name, []).append(e)
    return render(
        request,
        "indices/issue.html",
        {"issue": issue, "index": issue.index, "indicators": indicators, "groups": groups, "lang": lang},
    )


@replica_reads
@signed_in_view
def issue_xlsx(request, code: str, number: int):
    issue = _issue(request, code, number)
    response = HttpResponse(
        export.workbook(issue, _lang()),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{issue.index.code}-{issue.number}.xlsx"'
    return response


@replica_reads
@signed_in_view
def issue_pdf(request, code: str, number: int):
    issue = _issue(request, code, number)
    response = HttpResponse(export.pdf(issue, _lang()), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{issue.index.code}-{issue.number}.pdf"'
    return response


# --- five-colour map -------------------------------------------------------------------------

LEGEND = [(c.value, c.label) for c in Colour]


@replica_reads
@signed_in_view
def colour_map(request, code: str):
    area = get_object_or_404(Area, code=code)
    if not people_policy.can_view_area_detail(request.user, area) or not policy.can_read_indices(
        request.user
    ):
        raise PermissionDenied
    level = reports.child_level(area)
    if level is None:
        raise PermissionDenied
    lang = _lang()
    coloured = reports.colour_map(area, level, lang)
    fills = {}
    for c in coloured:
        colour = c.result.colour
        c.colour_label = Colour(colour).label if colour else ""
        if colour:
            reason = "; ".join(f"{n}: {v:.2f}" for n, v, _c in c.result.reasons)
            fills[c.area.code] = (f"colour-{colour}", f"{Colour(colour).label} · {reason}")
        else:
            fills[c.area.code] = ("colour-none", _("no data"))
    ancestors = [a for a in area.ancestors() if people_policy.can_view_area_detail(request.user, a)]
    return render(
        request,
        "indices/colours.html",
        {
            "area": area,
            "level_label": Level(level).label,
            "coloured": coloured,
            "coloured_areas": [c.area for c in coloured],
            "fills": fills,
            "legend": LEGEND,
            "crumbs": ancestors,
            "drill": level != Level.GRID,
            "search_url": reverse("cases:search"),
        },
    )


# --- grid-affairs admission ------------------------------------------------------------------


def _my_departments(user) -> list[Department]:
    ids = people_policy.department_ids(user)
    return list(Department.objects.filter(pk__in=ids).select_related("area"))


def _my_grids(user) -> list[Area]:
    return [
        a.area
        for a in people_policy.assignments(user)
        if a.role == Role.GRID_WORKER and a.area_id and a.area.level == Level.GRID
    ]


@signed_in_view
def admission(request):
    user = request.user
    if not policy.sees_admission(user):
        raise PermissionDenied
    departments = _my_departments(user)
    own = AdmissionRequest.objects.filter(department__in=departments).select_related("department", "district")
    decide_paths = people_policy.scope_paths(user, policy.ACTIONS["decide_admission"])
    to_decide = (
        AdmissionRequest.objects.filter(people_policy.path_q(decide_paths, "district__path"))
        .select_related("department", "district")
        .order_by("state", "-filed_at")
        if decide_paths
        else AdmissionRequest.objects.none()
    )
    my_tasks = GridTask.objects.filter(worker=user).select_related("request", "grid").order_by("-month")[:50]
    grids = _my_grids(user)
    lists = [(g, services.admission_list(g)) for g in grids]
    roots = [
        a
        for a in people_policy.home_areas(user)
        if policy.may(user, "assign_task", a) and a.level != Level.GRID
    ]
    workload = [(root, *reports.workload(root)) for root in roots[:2]]
    month = timezone.localdate().replace(day=1)
    return render(
        request,
        "indices/admission.html",
        {
            "departments": departments,
            "own": own[:100],
            "to_decide": to_decide[:100],
            "my_tasks": my_tasks,
            "my_hours": sum((t.hours for t in my_tasks if t.month == month), Decimal(0)),
            "lists": lists,
            "workload": workload,
            "kinds": TaskKind.choices,
        },
    )


def _decimal(value, default="0") -> Decimal:
    try:
        return Decimal(value or default)
    except (InvalidOperation, TypeError):
        raise ValidationError([_("“%(value)s” is not a number.") % {"value": value}]) from None


def _date(value) -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValidationError([_("“%(value)s” is not a date.") % {"value": value or ""}]) from None


@signed_in_view
def admission_new(request):
    user = request.user
    departments = _my_departments(user)
    if not departments:
        raise PermissionDenied
    problems: list[str] = []
    data = request.POST if request.method == "POST" else {}
    department = departments[0]
    if data.get("department"):
        department = next((d for d in departments if str(d.pk) == data.get("department")), None)
        if department is None:
            raise PermissionDenied
    grids = list(
        Area.objects.filter(level=Level.GRID, path__startswith=department.area.path).order_by("code")[:500]
    )
    if request.method == "POST":
        try:
            chosen = [g for g in grids if str(g.pk) in set(request.POST.getlist("grids"))]
            req = services.file_request(
                department=department,
                by=user,
                title=data.get("title", ""),
                kind=data.get("kind", TaskKind.OTHER)
                if data.get("kind") in TaskKind.values
                else TaskKind.OTHER,
                description=data.get("description", ""),
                grids=chosen,
                hours_per_grid=_decimal(data.get("hours_per_grid")),
                funding_yuan=_decimal(data.get("funding_yuan")),
                people=int(_decimal(data.get("people"))),
                starts_on=_date(data.get("starts_on")),
                ends_on=_date(data.get("ends_on")),
            )
        except ValidationError as e:
            problems = e.messages
        else:
            messages.success(request, _("The request is filed; the district decides it."))
            return redirect("indices:admission_detail", pk=req.pk)
    return render(
        request,
        "indices/admission_new.html",
        {
            "departments": departments,
            "department": department,
            "grids": grids,
            "chosen": set(request.POST.getlist("grids")) if request.method == "POST" else set(),
            "data": data,
            "problems": problems,
            "kinds": TaskKind.choices,
        },
    )


@signed_in_view
def admission_detail(request, pk: int):
    req = get_object_or_404(AdmissionRequest.objects.select_related("department", "district"), pk=pk)
    user = request.user
    if not policy.may_read_admission(user, req):
        raise PermissionDenied
    problems: list[str] = []
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action in ("approve", "refuse"):
                services.decide_request(
                    req,
                    by=user,
                    approve=action == "approve",
                    reason=request.POST.get("reason", ""),
                    expected_version=int(request.POST.get("version") or 0) or None,
                )
                messages.success(request, _("Decided."))
            elif action == "withdraw":
                services.withdraw_request(req, by=user)
                messages.success(request, _("Withdrawn."))
            elif action == "assign":
                grid_id, _sep, worker_id = (request.POST.get("target") or "").partition(":")
                grid = get_object_or_404(Area, pk=int(grid_id) if grid_id.isdigit() else 0, level=Level.GRID)
                worker = _grid_worker(grid, worker_id)
                services.assign_task(
                    req,
                    grid=grid,
                    worker=worker,
                    month=_date((request.POST.get("month") or "") + "-01"),
                    by=user,
                )
                messages.success(request, _("The task is given to the grid worker."))
            else:
                raise ValidationError([_("Unknown action.")])
        except services.Conflict as e:
            problems = [str(e)]
        except ValidationError as e:
            problems = e.messages
        if not problems:
            return redirect("indices:admission_detail", pk=req.pk)
        req.refresh_from_db()
    assignable = [g for g in req.grids.order_by("code") if policy.may_assign_task(user, g)]
    workers = {g.pk: _workers_of(g) for g in assignable}
    return render(
        request,
        "indices/admission_detail.html",
        {
            "req": req,
            "grids": req.grids.order_by("code"),
            "events": req.events.select_related("actor"),
            "tasks": req.tasks.select_related("grid", "worker").order_by("-month", "grid__code")[:200],
            "may_decide": req.state == AdmissionState.PENDING and policy.may_decide_admission(user, req),
            "may_withdraw": req.state == AdmissionState.PENDING
            and policy.may_file_admission(user, req.department),
            "assignable": [(g, workers[g.pk]) for g in assignable if workers[g.pk]],
            "approved": req.state == AdmissionState.APPROVED,
            "month": timezone.localdate().strftime("%Y-%m"),
            "problems": problems,
        },
    )


def _workers_of(grid: Area):
    from civicgrid.people.models import RoleAssignment

    return [
        ra.user
        for ra in RoleAssignment.objects.filter(
            role=Role.GRID_WORKER, area=grid, ended_on__isnull=True
        ).select_related("user")
    ]


def _grid_worker(grid: Area, user_id):
    for w in _workers_of(grid):
        if str(w.pk) == str(user_id):
            return w
    raise ValidationError([_("Choose the grid worker of %(grid)s.") % {"grid": grid.name}])


@signed_in_view
@require_POST
def task_done(request, pk: int):
    task = get_object_or_404(GridTask, pk=pk)
    services.complete_task(task, by=request.user)
    messages.success(request, _("Marked as done."))
    return redirect("indices:admission")
