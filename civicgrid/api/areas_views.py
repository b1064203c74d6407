"""Areas, read-only, scoped through people.policy exactly as the area pages are."""

from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from civicgrid.areas.models import Area, Level
from civicgrid.people import policy
from civicgrid.people.models import Department

from .base import ApiListView, ApiView


class AreaSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Area
        fields = ["code", "name", "level", "parent", "path", "kind", "lng", "lat", "households_count"]


class AreaDetailSerializer(AreaSerializer):
    children = serializers.SerializerMethodField()

    class Meta(AreaSerializer.Meta):
        fields = AreaSerializer.Meta.fields + ["floors", "shape", "children"]

    def get_children(self, area) -> list[dict]:
        user = self.context["request"].user
        return AreaSerializer(policy.visible_areas(user, area.children.all()), many=True).data


class DepartmentSerializer(serializers.ModelSerializer):
    area = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Department
        fields = ["id", "code", "name", "area", "active"]


@extend_schema(
    tags=["areas"],
    parameters=[
        OpenApiParameter(
            "level", OpenApiTypes.STR, enum=Level.values, description="Only areas of this level."
        ),
        OpenApiParameter(
            "parent", OpenApiTypes.STR, description="Only the children of the area with this code."
        ),
        OpenApiParameter("q", OpenApiTypes.STR, description="Name or code contains this text."),
    ],
)
class AreaList(ApiListView):
    """Areas the caller may see: their scopes, what lies below, and the ancestors above them."""

    serializer_class = AreaSerializer

    def get_queryset(self):
        qs = policy.visible_areas(self.request.user, Area.objects.select_related("parent"))
        params = self.request.query_params
        if params.get("level"):
            qs = qs.filter(level=params["level"])
        if params.get("parent"):
            qs = qs.filter(parent__code=params["parent"])
        if params.get("q"):
            text = params["q"].strip()
            qs = qs.filter(Q(name__icontains=text) | Q(code__startswith=text))
        return qs.order_by("path")


@extend_schema(tags=["areas"], responses=AreaDetailSerializer)
class AreaDetail(ApiView):
    """One area with its visible children."""

    def get(self, request, code: str):
        area = get_object_or_404(Area.objects.select_related("parent"), code=code)
        if not policy.can_view_area(request.user, area):
            raise PermissionDenied(_("This area is outside your scope."))
        return Response(AreaDetailSerializer(area, context={"request": request}).data)


@extend_schema(tags=["areas"])
class DepartmentList(ApiListView):
    """Functional departments (the targets of dispatch); names only, no personal data."""

    serializer_class = DepartmentSerializer
    queryset = Department.objects.select_related("area").order_by("code")
