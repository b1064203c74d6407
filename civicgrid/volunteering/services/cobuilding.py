"""Co-building (共建): units list resources (资源清单), communities list needs (需求清单), projects
pair them (项目清单) with a status, a history and a result; matching suggests resources for a need."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, IntegerField, Q, Value, When
from django.db.models.functions import Length
from django.utils.translation import gettext as _

from civicgrid.areas.models import Area, Level

from .. import policy
from ..models import (
    CoBuildingUnit,
    Need,
    NeedState,
    Project,
    ProjectEvent,
    ProjectState,
    Resource,
    ResourceType,
)

# Which project state may follow which.
PROJECT_TRANSITIONS = {
    ProjectState.AGREED: {ProjectState.IN_PROGRESS, ProjectState.DROPPED},
    ProjectState.IN_PROGRESS: {ProjectState.DONE, ProjectState.DROPPED},
    ProjectState.DONE: set(),
    ProjectState.DROPPED: set(),
}


def create_unit(name: str, area: Area, by, *, communities=(), contacts=()) -> CoBuildingUnit:
    if not policy.can_manage(by, area) and not any(policy.can_manage(by, c) for c in communities):
        raise PermissionDenied(_("Only community staff record co-building units."))
    if not name.strip():
        raise ValidationError(_("A unit needs a name."))
    with transaction.atomic():
        unit = CoBuildingUnit.objects.create(name=name.strip(), area=area, jurisdiction=area.jurisdiction)
        unit.paired_communities.set(communities)
        unit.contacts.set(contacts)
    return unit


def add_resource(
    unit: CoBuildingUnit, resource_type: str, title: str, area: Area, by, description: str = ""
) -> Resource:
    if not policy.can_edit_unit(by, unit):
        raise PermissionDenied(_("Only the unit or its paired community lists its resources."))
    if resource_type not in ResourceType.values:
        raise ValidationError(_("Choose the type of resource."))
    if not title.strip():
        raise ValidationError(_("A resource needs a title."))
    return Resource.objects.create(
        unit=unit,
        resource_type=resource_type,
        title=title.strip(),
        description=description.strip(),
        area=area,
        jurisdiction=unit.jurisdiction,
    )


def list_need(community: Area, resource_type: str, title: str, by, description: str = "") -> Need:
    if community.level != Level.COMMUNITY:
        raise ValidationError(_("Needs are listed by a community."))
    if not policy.can_manage(by, community):
        raise PermissionDenied(_("Only community staff list the community's needs."))
    if resource_type not in ResourceType.values:
        raise ValidationError(_("Choose the type of resource needed."))
    if not title.strip():
        raise ValidationError(_("A need needs a title."))
    return Need.objects.create(
        community=community,
        resource_type=resource_type,
        title=title.strip(),
        description=description.strip(),
        listed_by=by,
        jurisdiction=community.jurisdiction,
    )


def suggest_resources(need: Need, limit: int = 10) -> list[Resource]:
    """Resources on offer of the need's type whose area covers the community or lies in its street,
    nearest first: offered to this community, then paired units, then the street, then wider."""
    street_path = "/".join(need.path.split("/")[:-2]) + "/"
    prefixes = [need.path[: i + 1] for i, ch in enumerate(need.path) if ch == "/"]
    qs = (
        Resource.objects.filter(active=True, resource_type=need.resource_type)
        .filter(Q(path__in=prefixes) | Q(path__startswith=street_path))
        .exclude(projects__need=need)
        .select_related("unit")
        .annotate(
            paired=Case(
                When(unit__paired_communities=need.community_id, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
            here=Case(When(path=need.path, then=Value(0)), default=Value(1), output_field=IntegerField()),
            depth=Length("path"),
        )
        .order_by("here", "paired", "-depth", "unit__name", "title")
    )
    seen, found = set(), []
    for resource in qs:
        if resource.pk not in seen:
            seen.add(resource.pk)
            found.append(resource)
        if len(found) >= limit:
            break
    return found


def start_project(need: Need, resource: Resource, by, *, title: str = "", agreed_on: date) -> Project:
    """Pair a need with a resource: a project, agreed by the community and the unit."""
    if not policy.can_manage(by, need.community):
        raise PermissionDenied(_("Only community staff record co-building projects."))
    if resource.resource_type != need.resource_type:
        raise ValidationError(_("This resource is not of the type the need asks for."))
    with transaction.atomic():
        need = Need.objects.select_for_update().get(pk=need.pk)
        if need.state in (NeedState.MET, NeedState.WITHDRAWN):
            raise ValidationError(_("This need is no longer open."))
        project = Project.objects.create(
            need=need,
            resource=resource,
            unit=resource.unit,
            community=need.community,
            title=(title or need.title).strip(),
            agreed_on=agreed_on,
            jurisdiction=need.jurisdiction,
        )
        ProjectEvent.objects.create(
            project=project, by=by, at=project_time(agreed_on), to_state=ProjectState.AGREED
        )
        need.state = NeedState.PAIRED
        need.save(update_fields=["state"])
    return project


def project_time(day: date):
    from datetime import datetime, time

    from django.utils import timezone

    if day == timezone.localdate():
        return timezone.now()
    return timezone.make_aware(datetime.combine(day, time(10, 0)))


def move_project(project: Project, to_state: str, by, *, note: str = "", on: date | None = None) -> Project:
    """Move a project on (agreed → in progress → done, or dropped); done needs a result."""
    if not (policy.can_manage(by, project.community) or policy.is_unit_contact(by, project.unit)):
        raise PermissionDenied(_("Only the community or the unit update a project."))
    from django.utils import timezone

    on = on or timezone.localdate()
    with transaction.atomic():
        project = Project.objects.select_for_update().get(pk=project.pk)
        if to_state not in PROJECT_TRANSITIONS.get(project.state, set()):
            raise ValidationError(
                _("A project cannot go from %(a)s to %(b)s.")
                % {
                    "a": ProjectState(project.state).label,
                    "b": ProjectState(to_state).label if to_state in ProjectState.values else to_state,
                }
            )
        if to_state == ProjectState.DONE and not note.strip():
            raise ValidationError(_("Say what the project achieved."))
        ProjectEvent.objects.create(
            project=project,
            by=by,
            at=project_time(on),
            from_state=project.state,
            to_state=to_state,
            note=note.strip(),
        )
        project.state = to_state
        fields = ["state"]
        if to_state in (ProjectState.DONE, ProjectState.DROPPED):
            project.finished_on, project.result = on, note.strip()
            fields += ["finished_on", "result"]
        project.save(update_fields=fields)
        need = Need.objects.select_for_update().get(pk=project.need_id)
        if to_state == ProjectState.DONE:
            need.state = NeedState.MET
        elif (
            to_state == ProjectState.DROPPED
            and not need.projects.exclude(state=ProjectState.DROPPED).exists()
        ):
            need.state = NeedState.OPEN
        need.save(update_fields=["state"])
    return project
