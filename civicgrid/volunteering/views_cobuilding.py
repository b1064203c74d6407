"""Co-building pages: a community's page (its needs, suggested resources, projects) and a unit's
page (its resources and projects) show both sides of the three lists."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicgrid.areas.models import Area, Level
from civicgrid.core.access import signed_in_view
from civicgrid.people import policy as people_policy

from . import policy, services
from .models import CoBuildingUnit, Need, NeedState, Project, ProjectState, Resource, ResourceType


def _errors(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


@signed_in_view
def index(request):
    paths = people_policy.scope_paths(request.user, policy.FIGURES_ROLES | {"grid_worker"})
    communities = (
        list(Area.objects.filter(level=Level.COMMUNITY).filter(people_policy.path_q(paths))[:200])
        if paths
        else []
    )
    units = list(CoBuildingUnit.objects.filter(contacts=request.user))
    if not communities and not units:
        raise PermissionDenied
    if len(units) == 1 and not communities:
        return redirect("volunteering:cobuilding_unit", units[0].pk)
    if len(communities) == 1 and not units:
        return redirect("volunteering:cobuilding_community", communities[0].code)
    return render(request, "volunteering/cobuilding_index.html", {"communities": communities, "units": units})


@signed_in_view
def community(request, code):
    area = get_object_or_404(Area, code=code, level=Level.COMMUNITY)
    if not policy.can_view_cobuilding(request.user, area.path):
        raise PermissionDenied
    may_manage = policy.can_manage(request.user, area)
    if request.method == "POST":
        if not may_manage:
            raise PermissionDenied
        try:
            services.list_need(
                area,
                request.POST.get("resource_type", ""),
                request.POST.get("title", ""),
                request.user,
                request.POST.get("description", ""),
            )
            messages.success(request, _("The need is listed."))
        except ValidationError as exc:
            _errors(request, exc)
        return redirect("volunteering:cobuilding_community", area.code)
    needs = list(Need.objects.filter(community=area).order_by("state", "-listed_at"))
    for need in needs:
        need.suggestions = services.suggest_resources(need, limit=5) if need.state == NeedState.OPEN else []
    projects = Project.objects.filter(community=area).select_related("unit", "need", "resource")
    units = CoBuildingUnit.objects.filter(paired_communities=area).prefetch_related("resources")
    return render(
        request,
        "volunteering/cobuilding_community.html",
        {
            "community": area,
            "needs": needs,
            "projects": projects,
            "units": units,
            "may_manage": may_manage,
            "types": ResourceType.choices,
            "next_states": {
                ProjectState.AGREED: [ProjectState.IN_PROGRESS, ProjectState.DROPPED],
                ProjectState.IN_PROGRESS: [ProjectState.DONE, ProjectState.DROPPED],
            },
        },
    )


@signed_in_view
def unit(request, pk):
    item = get_object_or_404(CoBuildingUnit, pk=pk)
    if not policy.can_view_unit(request.user, item):
        raise PermissionDenied
    may_edit = policy.can_edit_unit(request.user, item)
    if request.method == "POST":
        if not may_edit:
            raise PermissionDenied
        area = Area.objects.filter(pk=request.POST.get("area") or 0).first() or item.area
        try:
            services.add_resource(
                item,
                request.POST.get("resource_type", ""),
                request.POST.get("title", ""),
                area,
                request.user,
                request.POST.get("description", ""),
            )
            messages.success(request, _("The resource is listed."))
        except ValidationError as exc:
            _errors(request, exc)
        return redirect("volunteering:cobuilding_unit", item.pk)
    communities = list(item.paired_communities.all())
    open_needs = Need.objects.filter(state=NeedState.OPEN, community__in=communities).select_related(
        "community"
    )
    return render(
        request,
        "volunteering/cobuilding_unit.html",
        {
            "unit": item,
            "resources": Resource.objects.filter(unit=item).select_related("area"),
            "projects": Project.objects.filter(unit=item).select_related("community", "need"),
            "communities": communities,
            "open_needs": open_needs,
            "may_edit": may_edit,
            "types": ResourceType.choices,
            "areas": [item.area, *communities],
        },
    )


@require_POST
@signed_in_view
def pair(request, pk):
    need = get_object_or_404(Need, pk=pk)
    resource = get_object_or_404(Resource, pk=request.POST.get("resource") or 0)
    try:
        services.start_project(need, resource, request.user, agreed_on=timezone.localdate())
        messages.success(request, _("The project is recorded."))
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("volunteering:cobuilding_community", need.community.code)


@require_POST
@signed_in_view
def move(request, pk):
    project = get_object_or_404(Project, pk=pk)
    try:
        services.move_project(
            project, request.POST.get("to", ""), request.user, note=request.POST.get("note", "")
        )
        messages.success(request, _("The project is updated."))
    except ValidationError as exc:
        _errors(request, exc)
    if request.POST.get("back") == "unit":
        return redirect("volunteering:cobuilding_unit", project.unit_id)
    return redirect("volunteering:cobuilding_community", project.community.code)
