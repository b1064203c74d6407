"""Who may see and do what, decided in one place from the user's role assignments (role × scope).

A grid worker sees their grid; a street dispatcher their street; a department handler their
department; a resident only their own reports; a leader reads their scope without changing it.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from civicgrid.areas.models import Area

from .models import Role, RoleAssignment

# Roles that may reveal personal data within their scope (each reveal is logged).
UNMASK_ROLES = {Role.GRID_WORKER, Role.COMMUNITY_STAFF, Role.BRANCH_SECRETARY, Role.ADMINISTRATOR}
# Roles that act on areas (as opposed to a department, or a resident acting for themselves).
AREA_STAFF_ROLES = {
    Role.UNIT_STEWARD,
    Role.BUILDING_LEADER,
    Role.GRID_WORKER,
    Role.BRANCH_SECRETARY,
    Role.COMMUNITY_STAFF,
    Role.STREET_DISPATCHER,
    Role.DISTRICT_SUPERVISOR,
    Role.LEADER,
    Role.ADMINISTRATOR,
}
READ_ONLY_ROLES = {Role.LEADER}

# Order in which a user's "main" role is chosen for their home page (most senior first).
ROLE_PRIORITY = [
    Role.ADMINISTRATOR,
    Role.LEADER,
    Role.DISTRICT_SUPERVISOR,
    Role.STREET_DISPATCHER,
    Role.DEPARTMENT_HANDLER,
    Role.COMMUNITY_STAFF,
    Role.BRANCH_SECRETARY,
    Role.GRID_WORKER,
    Role.BUILDING_LEADER,
    Role.UNIT_STEWARD,
    Role.RESIDENT,
]


def assignments(user) -> list[RoleAssignment]:
    """Active assignments of a user, cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_civicgrid_roles", None)
    if cached is None:
        today = timezone.localdate()
        cached = list(
            RoleAssignment.objects.filter(user=user)
            .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=today))
            .select_related("area", "department")
        )
        user._civicgrid_roles = cached
    return cached


def roles(user) -> set[str]:
    found = {a.role for a in assignments(user)}
    if getattr(user, "is_superuser", False):
        found.add(Role.ADMINISTRATOR)
    return found


def has_role(user, *wanted: str) -> bool:
    return bool(roles(user) & set(wanted))


def is_admin(user) -> bool:
    return getattr(user, "is_superuser", False) or has_role(user, Role.ADMINISTRATOR)


def main_role(user) -> str | None:
    held = roles(user)
    return next((r for r in ROLE_PRIORITY if r in held), None)


def home_role_label(user) -> str:
    role = main_role(user)
    return Role(role).label if role else ""


def scope_paths(user, wanted: set[str] | None = None) -> list[str]:
    """Area paths the user holds a role over (optionally only for the given roles)."""
    if is_admin(user) and (wanted is None or Role.ADMINISTRATOR in wanted):
        return [""]  # the empty prefix covers every path
    return [a.area.path for a in assignments(user) if a.area_id and (wanted is None or a.role in wanted)]


def department_ids(user) -> list[int]:
    return [
        a.department_id for a in assignments(user) if a.department_id and a.role == Role.DEPARTMENT_HANDLER
    ]


def path_q(paths: list[str], field: str = "path") -> Q:
    """A filter selecting rows whose `field` lies under any of `paths` (matches nothing if none)."""
    if "" in paths:
        return Q()
    q = Q(pk__in=[])
    for p in paths:
        q |= Q(**{f"{field}__startswith": p})
    return q


def covers(paths: list[str], path: str) -> bool:
    return any(path.startswith(p) for p in paths)


def can_view_area(user, area: Area) -> bool:
    """Within a scope of theirs, or an ancestor of one (so the tree can be walked down to it)."""
    paths = scope_paths(user, AREA_STAFF_ROLES)
    return covers(paths, area.path) or any(p.startswith(area.path) for p in paths)


def can_view_area_detail(user, area: Area) -> bool:
    """Households and people of an area: only within a scope, not merely above it."""
    return covers(scope_paths(user, AREA_STAFF_ROLES), area.path)


def visible_areas(user, qs=None):
    qs = Area.objects.all() if qs is None else qs
    paths = scope_paths(user, AREA_STAFF_ROLES)
    if "" in paths:
        return qs
    ancestor_codes = {code for p in paths for code in p.split("/") if code}
    return qs.filter(path_q(paths) | Q(code__in=ancestor_codes))


def can_unmask(user, path: str) -> bool:
    return covers(scope_paths(user, UNMASK_ROLES), path)


def can_edit(user) -> bool:
    """Leaders read; they never write."""
    held = roles(user)
    return bool(held) and not held <= READ_ONLY_ROLES


def home_areas(user) -> list[Area]:
    """The areas a user's home page starts from: their own scopes, the broadest first."""
    if is_admin(user):
        return list(Area.objects.filter(parent__isnull=True))
    seen: dict[str, Area] = {}
    for a in assignments(user):
        if a.area_id and a.role in AREA_STAFF_ROLES:
            seen.setdefault(a.area.path, a.area)
    return sorted(seen.values(), key=lambda a: (len(a.path), a.path))
