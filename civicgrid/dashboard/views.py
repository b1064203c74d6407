"""Figures pages (command centre): an area's rates and counts for a period, by child area, department,
category and month, with drill-down links and an Excel export of the same tables. Read-only; every
number comes from the rollups (dashboard/figures.py).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import pgettext

from civicgrid.areas.models import Area
from civicgrid.cases import rollups
from civicgrid.core.access import signed_in_view
from civicgrid.core.dbrouter import replica_reads
from civicgrid.people import policy as people_policy
from civicgrid.people.models import Department, Role

from . import export, figures


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@replica_reads
@signed_in_view
def index(request):
    """Where the figures start for this user: their broadest area, or their department."""
    user = request.user
    areas = figures.figure_areas(user)
    if areas:
        return redirect("dashboard:area", code=areas[0].code)
    for assignment in people_policy.assignments(user):
        if assignment.role == Role.DEPARTMENT_HANDLER and assignment.department_id:
            dept = assignment.department
            return redirect(
                reverse("dashboard:area", args=[dept.area.code]) + "?" + urlencode({"department": dept.pk})
            )
    raise PermissionDenied


def _load(request, code: str, department_rows: int | None = None):
    """The area, period and filters of a request; 404 for an unknown area, 403 outside the scope."""
    area = get_object_or_404(Area, code=code)
    if area.level not in rollups.ROLLUP_LEVELS:
        raise Http404
    user = request.user
    department = None
    dept_id = _int(request.GET.get("department"))
    if dept_id:
        department = Department.objects.select_related("area").filter(pk=dept_id).first()
        if department is None:
            raise Http404
    if not figures.may_view_area(user, area) and not figures.department_scope(user, department, area):
        raise PermissionDenied
    categories = figures.top_categories()
    departments = figures.departments_for(area) if figures.may_view_area(user, area) else []
    category = None
    cat_id = _int(request.GET.get("category"))
    if cat_id and department is None:
        category = next((c for c in categories if c.pk == cat_id), None)
    period = figures.parse_period(request.GET)
    report = figures.build(
        area,
        period,
        category=category,
        department=department,
        lang=translation.get_language(),
        categories=categories,
        departments=departments,
        department_rows=department_rows,
    )
    report.departments_list = departments
    return area, period, category, department, report


def _query(period, **extra) -> str:
    params = period.query()
    params.update({k: v for k, v in extra.items() if v})
    return urlencode(params)


@replica_reads
@signed_in_view
def area(request, code: str):
    area, period, category, department, report = _load(request, code, department_rows=figures.DEPARTMENT_ROWS)
    user = request.user
    base_filter = {
        "category": category.pk if category else None,
        "department": department.pk if department else None,
    }
    for row in report.children:
        row.link = reverse("dashboard:area", args=[row.code]) + "?" + _query(period, **base_filter)
    for row in report.departments:
        row.link = reverse("dashboard:area", args=[area.code]) + "?" + _query(period, department=row.key)
    for row in report.categories:
        row.link = reverse("dashboard:area", args=[area.code]) + "?" + _query(period, category=row.key)
    ancestors = [a for a in area.ancestors() if a.level in rollups.ROLLUP_LEVELS]
    crumbs = [
        (a, reverse("dashboard:area", args=[a.code]) + "?" + _query(period, **base_filter))
        for a in ancestors
        if figures.may_view_area(user, a) or figures.department_scope(user, department, a)
    ]
    show_filters = figures.may_view_area(user, area)
    return render(
        request,
        "dashboard/area.html",
        {
            "area": area,
            "crumbs": crumbs,
            "period": period,
            "category": category,
            "category_label": figures.category_name(category, translation.get_language()) if category else "",
            "department": department,
            "report": report,
            "summary": report.summary,
            "rates": [(key, label, kind, getattr(report.summary, key)) for key, label, kind in figures.RATES],
            "counts": [(key, label, getattr(report.summary, key)) for key, label in figures.COUNTS],
            "columns": figures.TABLE_COLUMNS,
            "categories": report.top_categories if show_filters else [],
            "departments": report.departments_list if show_filters else [],
            "show_filters": show_filters,
            "export_url": reverse("dashboard:export", args=[area.code]) + "?" + _query(period, **base_filter),
            "clear_url": reverse("dashboard:area", args=[area.code]) + "?" + _query(period),
            "year_links": _year_links(area, period, base_filter),
        },
    )


def _year_links(area, period, base_filter) -> list[tuple[str, str, bool]]:
    this_year = timezone.localdate().year
    out = []
    for year in (this_year, this_year - 1):
        params = {"year": year, **{k: v for k, v in base_filter.items() if v}}
        url = reverse("dashboard:area", args=[area.code]) + "?" + urlencode(params)
        out.append((str(year), url, period.year == year))
    return out


@replica_reads
@signed_in_view
def area_export(request, code: str):
    area, period, category, department, report = _load(request, code)
    content = export.workbook(
        report,
        category_label=figures.category_name(category, translation.get_language()) if category else "",
    )
    name = f"figures-{area.code}-{period.start_param}-{period.end_param}.xlsx"
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def leader_home_panel(request, role) -> list[dict]:
    """Leaders and supervisors land on the figures: this year's headline rates for each of their areas."""
    if role not in (Role.LEADER, Role.DISTRICT_SUPERVISOR):
        return []
    period = figures.parse_period({})
    panels = []
    for area in figures.figure_areas(request.user)[:3]:
        summary = rollups.figures(area, start=period.start, end=period.end)
        panels.append(
            {
                "title": pgettext("dashboard", "Figures"),
                "template": "dashboard/panel.html",
                "order": 5,
                "area": area,
                "period": period,
                "summary": summary,
                "rates": [(key, label, kind, getattr(summary, key)) for key, label, kind in figures.RATES],
                "url": reverse("dashboard:area", args=[area.code]),
            }
        )
    return panels
