"""Figures (办结率, 按期办结率, …) per area and period, read from the rollups (never a scan of cases)."""

from datetime import date

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from civicgrid.areas.models import Area
from civicgrid.cases import rollups
from civicgrid.cases.models import Category
from civicgrid.people import policy
from civicgrid.people.models import Department

from .base import ApiView

BREAKDOWNS = ("category", "department", "month", "child")

FIGURE_FIELDS = {name: serializers.IntegerField() for name in rollups.COUNTERS} | {
    "accepted": serializers.IntegerField(),
    **{name: serializers.FloatField(allow_null=True) for name in rollups.Figures.RATES},
}
FiguresSerializer = inline_serializer("Figures", FIGURE_FIELDS)


def _month(params, name: str) -> date | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    try:
        year, month = (int(part) for part in raw.split("-")[:2])
        return date(year, month, 1)
    except ValueError:
        raise ValidationError({name: [_("Use a month as YYYY-MM.")]}) from None


def _may_read(user, area: Area, department: Department | None) -> bool:
    """Figures of an area within the caller's scope; a department handler reads their department's."""
    if policy.can_view_area_detail(user, area):
        return True
    return department is not None and department.pk in policy.department_ids(user)


@extend_schema(
    tags=["figures"],
    parameters=[
        OpenApiParameter(
            "area", OpenApiTypes.STR, required=True, description="Area code (a grid up to the city)."
        ),
        OpenApiParameter("start", OpenApiTypes.STR, description="First month, YYYY-MM (by month of report)."),
        OpenApiParameter("end", OpenApiTypes.STR, description="Last month, YYYY-MM."),
        OpenApiParameter("category", OpenApiTypes.STR, description="Top category code."),
        OpenApiParameter("department", OpenApiTypes.INT, description="Lead department id."),
        OpenApiParameter(
            "by", OpenApiTypes.STR, enum=BREAKDOWNS, description="Also split the figures by this."
        ),
    ],
    responses=inline_serializer(
        "FiguresReport",
        {
            "area": serializers.CharField(),
            "start": serializers.CharField(allow_null=True),
            "end": serializers.CharField(allow_null=True),
            "totals": FiguresSerializer,
            "breakdown": serializers.ListField(child=serializers.DictField(), required=False),
        },
    ),
)
class FiguresView(ApiView):
    """Counts and rates for an area over a period, optionally for one top category or department,
    optionally split by category, department, month or child area."""

    def get(self, request):
        params = request.query_params
        code = (params.get("area") or "").strip()
        if not code:
            raise ValidationError({"area": [_("Give an area code.")]})
        area = get_object_or_404(Area, code=code)
        start, end = _month(params, "start"), _month(params, "end")
        if start and end and end < start:
            raise ValidationError({"end": [_("The last month is before the first.")]})
        category = None
        if params.get("category"):
            category = Category.objects.filter(code=params["category"], parent__isnull=True).first()
            if category is None:
                raise ValidationError({"category": [_("Unknown top category.")]})
        department = None
        if params.get("department"):
            raw = params["department"]
            department = Department.objects.filter(pk=int(raw)).first() if raw.isdigit() else None
            if department is None:
                raise ValidationError({"department": [_("Unknown department.")]})
        if not _may_read(request.user, area, department):
            raise PermissionDenied(_("This area is outside your scope."))
        totals = rollups.figures(area, start=start, end=end, category=category, department=department)
        body = {
            "area": area.code,
            "start": start.strftime("%Y-%m") if start else None,
            "end": end.strftime("%Y-%m") if end else None,
            "totals": totals.as_dict(),
        }
        by = params.get("by")
        if by:
            if by not in BREAKDOWNS:
                raise ValidationError({"by": [_("Split by one of: %(s)s.") % {"s": ", ".join(BREAKDOWNS)}]})
            rows = rollups.breakdown(area, by=by, start=start, end=end)
            body["breakdown"] = [{"key": _key(by, key), **figures.as_dict()} for key, figures in rows.items()]
        return Response(body)


def _key(by: str, key) -> str:
    if by == "month":
        return key.strftime("%Y-%m")
    if by == "child":
        return Area.objects.filter(pk=key).values_list("code", flat=True).first() or str(key)
    if by == "category":
        return Category.objects.filter(pk=key).values_list("code", flat=True).first() or str(key)
    return str(key)
