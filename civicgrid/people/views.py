"""Households and their members (masked), the deliberate unmask action, the access log, and the
role home panels (a grid worker's grid, a street's overview, a department, a resident's household).
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, render
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from civicgrid.areas.models import Area, Household, Level
from civicgrid.core.access import signed_in_view
from civicgrid.core.models import AccessLog
from civicgrid.core.pii import log_unmasked_view

from . import area_views, policy
from .models import Resident, Role, RoleAssignment

# ---------------------------------------------------------------- household and unmasking

UNMASK_REASONS = [
    ("visit", _("household visit")),
    ("case", _("handling a case")),
    ("errand", _("errand run for the resident")),
    ("records", _("checking or correcting records")),
    ("emergency", _("emergency contact")),
    ("other", _("other (explain below)")),
]
UNMASKED_FIELDS = ["name", "phone", "id_number"]
# How the access log names the fields that were shown.
FIELD_LABELS = {
    "name": _("full name"),
    "phone": _("phone"),
    "id_number": _("ID number"),
    "address": _("address"),
    "birth_year": _("birth year"),
}


class UnmaskForm(forms.Form):
    member = forms.ChoiceField(label=_("Whose details"))
    reason = forms.ChoiceField(label=_("Reason"), choices=[("", "—"), *UNMASK_REASONS])
    note = forms.CharField(label=_("Note"), max_length=150, required=False)

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.members = list(members)
        self.fields["member"].choices = [("all", _("all members of the household"))] + [
            (str(m.pk), m.masked_name) for m in self.members
        ]

    def clean(self):
        data = super().clean()
        if data.get("reason") == "other" and not (data.get("note") or "").strip():
            self.add_error("note", _("Say why you need the full details."))
        return data

    def chosen(self) -> list[Resident]:
        member = self.cleaned_data["member"]
        return self.members if member == "all" else [m for m in self.members if str(m.pk) == member]

    def reason_text(self) -> str:
        """The reason as written to the access log, in the site's language so every reader can read it."""
        with translation.override(settings.LANGUAGE_CODE):
            text = str(dict(UNMASK_REASONS)[self.cleaned_data["reason"]])
            note = (self.cleaned_data.get("note") or "").strip()
            return f"{text}: {note}" if note else text


def _household_for(user, pk) -> Household:
    household = get_object_or_404(Household.objects.select_related("unit", "grid"), pk=pk)
    if not policy.can_view_area_detail(user, household.unit):
        raise PermissionDenied
    return household


def _household_page(request, household, *, form=None, unmasked=(), logs=(), status=200):
    members = list(household.members.order_by("id"))
    can_unmask = policy.can_unmask(request.user, household.path)
    if can_unmask and form is None:
        form = UnmaskForm(members=members)
    unit = household.unit
    return render(
        request,
        "people/household.html",
        {
            "household": household,
            "area": unit,
            "ancestors": unit.ancestors(),
            "members": members,
            "unmasked": {m.pk for m in unmasked},
            "logs": logs,
            "can_unmask": can_unmask and bool(members),
            "form": form,
            "now": timezone.now(),
        },
        status=status,
    )


@signed_in_view
def household(request, pk):
    return _household_page(request, _household_for(request.user, pk))


@never_cache
@require_POST
@signed_in_view
def unmask(request, pk):
    """Show a household's members in full, for a stated reason; every reveal is logged first."""
    household = _household_for(request.user, pk)
    if not policy.can_unmask(request.user, household.path):
        raise PermissionDenied
    members = list(household.members.order_by("id"))
    form = UnmaskForm(request.POST, members=members)
    if not form.is_valid():
        return _household_page(request, household, form=form, status=400)
    chosen = form.chosen()
    reason = form.reason_text()
    logs = [
        log_unmasked_view(
            user=request.user, subject=m, fields=UNMASKED_FIELDS, reason=reason, request=request
        )
        for m in chosen
    ]
    return _household_page(request, household, form=form, unmasked=chosen, logs=logs)


# ---------------------------------------------------------------- access log (administrators)


class AccessLogFilter(forms.Form):
    user = forms.CharField(label=_("User"), required=False)
    subject = forms.CharField(
        label=_("Subject"), required=False, help_text=_("e.g. people.resident#12 or 12")
    )
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


def filter_access_log(qs, data: dict):
    if data.get("user"):
        qs = qs.filter(
            Q(user__username__icontains=data["user"])
            | Q(user__first_name__icontains=data["user"])
            | Q(user__last_name__icontains=data["user"])
        )
    subject = (data.get("subject") or "").strip()
    if subject:
        subject_type, _sep, subject_id = subject.rpartition("#")
        qs = qs.filter(subject_id=subject_id.strip())
        if subject_type:
            qs = qs.filter(subject_type=subject_type.strip().lower())
    if data.get("date_from"):
        qs = qs.filter(at__date__gte=data["date_from"])
    if data.get("date_to"):
        qs = qs.filter(at__date__lte=data["date_to"])
    return qs


@signed_in_view
def access_log(request):
    if not policy.is_admin(request.user):
        raise PermissionDenied
    form = AccessLogFilter(request.GET or None)
    qs = AccessLog.objects.select_related("user").order_by("-at", "-id")
    if form.is_bound and form.is_valid():
        qs = filter_access_log(qs, form.cleaned_data)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    residents = Resident.objects.in_bulk(
        [int(r.subject_id) for r in rows if r.subject_type == "people.resident" and r.subject_id.isdigit()]
    )
    for row in rows:
        row.field_labels = "、".join(str(FIELD_LABELS.get(f, f)) for f in row.fields.split(",") if f)
        resident = residents.get(int(row.subject_id)) if row.subject_id.isdigit() else None
        row.subject_label = resident.masked_name if row.subject_type == "people.resident" and resident else ""
        row.household_id = (
            resident.household_id if row.subject_type == "people.resident" and resident else None
        )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "people/access_log.html",
        {"form": form, "page": page, "rows": rows, "query": query.urlencode()},
    )


# ---------------------------------------------------------------- role home panels

AREA_OVERVIEW_ROLES = {Role.ADMINISTRATOR, Role.LEADER, Role.DISTRICT_SUPERVISOR, Role.STREET_DISPATCHER}
COMMUNITY_ROLES = {Role.COMMUNITY_STAFF, Role.BRANCH_SECRETARY}
# The role's own panel sits here; apps' panels choose their place around it (lower comes first).
ROLE_PANEL_ORDER = 20
MAX_HOME_AREAS = 5


def _areas_for(user, role) -> list[Area]:
    """The areas the user holds `role` over, broadest first (administrators: the top of the tree)."""
    if role == Role.ADMINISTRATOR:
        return policy.home_areas(user)[:MAX_HOME_AREAS]
    found = {a.area.path: a.area for a in policy.assignments(user) if a.role == role and a.area_id}
    return [found[p] for p in sorted(found, key=lambda p: (len(p), p))][:MAX_HOME_AREAS]


def _grid_panel(request, grid: Area, mine: set[str]) -> dict:
    buildings = list(Area.objects.filter(parent=grid, level=Level.BUILDING))
    return {
        "title": grid.name,
        "template": "people/panels/grid.html",
        "order": ROLE_PANEL_ORDER,
        "grid": grid,
        "community": grid.parent,
        "households": grid.grid_households.count(),
        "buildings": len(buildings),
        "building_list": buildings,
        "people": area_views.people_totals(grid),
        "map": area_views.grid_map(
            request.user, grid, highlight=mine | {grid.code}, buildings=buildings, label=grid.name
        ),
    }


def _local_panel(request, area: Area, mine: set[str]) -> dict:
    """A building leader's building or a unit steward's unit."""
    units = list(area.children.filter(level=Level.UNIT)) if area.level == Level.BUILDING else [area]
    grid_code = area_views.grid_code_of(area)
    grid = Area.objects.filter(code=grid_code).first() if grid_code else None
    return {
        "title": area.name,
        "template": "people/panels/local.html",
        "order": ROLE_PANEL_ORDER,
        "area": area,
        "grid": grid,
        "units": units,
        "households": Household.objects.filter(path__startswith=area.path).count(),
        "people": area_views.people_totals(area),
        "grid_workers": area_views.staff_names(Role.GRID_WORKER, [grid]).get(grid.id, []) if grid else [],
        "map": area_views.grid_map(request.user, grid, highlight=mine, label=grid.name) if grid else "",
    }


def _community_panel(request, community: Area, mine: set[str]) -> dict:
    grids = list(community.children.filter(level=Level.GRID))
    return {
        "title": community.name,
        "template": "people/panels/community.html",
        "order": ROLE_PANEL_ORDER,
        "area": community,
        "totals": area_views.subtree_totals(community),
        "grid_rows": area_views.grid_rows(grids),
        "mine": mine,
        "map": area_views.area_map(request.user, community, grids, highlight=mine),
    }


def _overview_panel(request, area: Area, mine: set[str]) -> dict:
    children = list(policy.visible_areas(request.user, area.children.all()))
    return {
        "title": area.name,
        "template": "people/panels/overview.html",
        "order": ROLE_PANEL_ORDER,
        "area": area,
        "totals": area_views.subtree_totals(area),
        "rows": area_views.child_rows(area, children),
        "mine": mine,
        "map": area_views.area_map(request.user, area, children, highlight=mine),
        "show_grids": area_views.map_shows_grids(area),
        "is_admin": policy.is_admin(request.user),
    }


def _department_panels(request) -> list[dict]:
    departments = [
        a.department for a in policy.assignments(request.user) if a.role == Role.DEPARTMENT_HANDLER
    ]
    if not departments:
        return []
    today = timezone.localdate()
    colleagues: dict[int, list[str]] = {}
    for a in (
        RoleAssignment.objects.filter(role=Role.DEPARTMENT_HANDLER, department__in=departments)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=today))
        .select_related("user")
        .order_by("user__username")
    ):
        colleagues.setdefault(a.department_id, []).append(a.user.get_full_name() or a.user.username)
    served: dict[int, list[Area]] = {}
    for link in Area.served_by.through.objects.filter(department__in=departments).select_related("area"):
        served.setdefault(link.department_id, []).append(link.area)
    belongs = Area.objects.in_bulk([d.area_id for d in departments])
    return [
        {
            "title": d.name,
            "template": "people/panels/department.html",
            "order": ROLE_PANEL_ORDER,
            "department": d,
            "belongs_to": belongs.get(d.area_id),
            "served": served.get(d.id, []),
            "handlers": colleagues.get(d.id, []),
        }
        for d in departments
    ]


def _resident_panel(request) -> list[dict]:
    resident = (
        Resident.objects.filter(user=request.user)
        .select_related("household__grid__parent", "household__unit__parent")
        .first()
    )
    if resident is None or resident.household is None:
        return [
            {
                "title": _("My household"),
                "template": "people/panels/resident.html",
                "order": ROLE_PANEL_ORDER,
                "resident": resident,
            }
        ]
    household = resident.household
    grid = household.grid
    return [
        {
            "title": _("My household"),
            "template": "people/panels/resident.html",
            "order": ROLE_PANEL_ORDER,
            "resident": resident,
            "household": household,
            "members": list(household.members.order_by("id")),
            "grid": grid,
            "grid_workers": area_views.staff_names(Role.GRID_WORKER, [grid]).get(grid.id, []),
        }
    ]


def role_home_panels(request, role) -> list[dict]:
    """The panel a role's home page is built around (registered in core.views.HOME_PANEL_PROVIDERS)."""
    user = request.user
    if role is None:
        return []
    mine = area_views.my_codes(user)
    if role in AREA_OVERVIEW_ROLES:
        panels = []
        for area in _areas_for(user, role):
            if area.level == Level.COMMUNITY:
                panels.append(_community_panel(request, area, mine))
            elif area.level == Level.GRID:
                panels.append(_grid_panel(request, area, mine))
            else:
                panels.append(_overview_panel(request, area, mine))
        return panels
    if role in COMMUNITY_ROLES:
        return [_community_panel(request, a, mine) for a in _areas_for(user, role)]
    if role == Role.GRID_WORKER:
        return [_grid_panel(request, g, mine) for g in _areas_for(user, role)]
    if role in (Role.BUILDING_LEADER, Role.UNIT_STEWARD):
        return [_local_panel(request, a, mine) for a in _areas_for(user, role)]
    if role == Role.DEPARTMENT_HANDLER:
        return _department_panels(request)
    if role == Role.RESIDENT:
        return _resident_panel(request)
    return []
