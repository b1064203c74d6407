"""Who may see and do what in fieldwork, decided here (role × scope × action).

- A grid worker records visits, diary entries, patrol rounds, reports and errands in their own
  grid(s) only, and sees only their own grid's households.
- The visit diary's text is read by its author. Community staff (and the community's branch
  secretary) see their community's visit progress and how many diary entries there are; they read
  an entry's text only by unmasking it, which is written to the access log first (core/pii.py).
- Community staff set their community's visit quotas; they and the grid worker work its errands.
- Street, district, leaders and administrators read the figures of their scope.
Nothing here is ever shown on public pages.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from civicgrid.areas.models import Area, Household, Level
from civicgrid.people import policy as people_policy
from civicgrid.people.models import Role

WORKER_ROLES = {Role.GRID_WORKER}
COMMUNITY_ROLES = {Role.COMMUNITY_STAFF, Role.BRANCH_SECRETARY}
DIARY_UNMASK_ROLES = {Role.COMMUNITY_STAFF}
QUOTA_ROLES = {Role.COMMUNITY_STAFF}
FIGURES_ROLES = {
    Role.GRID_WORKER,
    Role.COMMUNITY_STAFF,
    Role.BRANCH_SECRETARY,
    Role.STREET_DISPATCHER,
    Role.DISTRICT_SUPERVISOR,
    Role.LEADER,
    Role.ADMINISTRATOR,
}


def worker_grids(user) -> list[Area]:
    """The grids a user works as grid worker, in code order."""
    grids = {
        a.area.pk: a.area
        for a in people_policy.assignments(user)
        if a.role == Role.GRID_WORKER and a.area_id and a.area.level == Level.GRID
    }
    return sorted(grids.values(), key=lambda g: g.path)


def is_worker(user) -> bool:
    return bool(worker_grids(user))


def _covers(user, roles, path: str) -> bool:
    return people_policy.covers(people_policy.scope_paths(user, set(roles)), path)


def works_in(user, path: str) -> bool:
    """Whether the user is the grid worker of the grid holding `path`."""
    return any(path.startswith(g.path) for g in worker_grids(user))


def can_record(user, household: Household) -> bool:
    return works_in(user, household.path)


def check_household(user, household: Household) -> None:
    if not can_record(user, household):
        raise PermissionDenied(
            _("This household is not in your grid; you can record visits only in your own grid.")
        )


def check_grid(user, grid: Area) -> None:
    if not works_in(user, grid.path):
        raise PermissionDenied(_("You are not the grid worker of this grid."))


def visible_households(user, qs=None):
    """A grid worker's own grid's households (nobody else works with this list)."""
    qs = Household.objects.all() if qs is None else qs
    grids = worker_grids(user)
    return qs.filter(grid__in=grids) if grids else qs.none()


def can_view_progress(user, area: Area) -> bool:
    """Visit progress and figures of an area: its grid worker, the community and the levels above."""
    if people_policy.is_admin(user):
        return True
    if works_in(user, area.path):
        return True
    return _covers(user, FIGURES_ROLES - {Role.GRID_WORKER}, area.path)


def can_read_diary(user, entry) -> bool:
    """The text, without unmasking: only the worker who wrote it."""
    return getattr(user, "is_authenticated", False) and entry.worker_id == user.pk


def can_unmask_diary(user, entry) -> bool:
    """Community staff of the entry's community may read it by a logged unmask."""
    return _covers(user, DIARY_UNMASK_ROLES, entry.path)


def can_see_diary_counts(user, area: Area) -> bool:
    """How many entries each worker wrote (not their text): the community's staff and secretary."""
    return people_policy.is_admin(user) or _covers(user, COMMUNITY_ROLES, area.path)


def can_set_quota(user, community: Area) -> bool:
    if community.level != Level.COMMUNITY:
        return False
    return people_policy.is_admin(user) or _covers(user, QUOTA_ROLES, community.path)


def can_take_errand(user, household: Household) -> bool:
    """Record a resident's errand: their grid worker, or the community's staff."""
    return works_in(user, household.path) or _covers(user, {Role.COMMUNITY_STAFF}, household.path)


def can_work_errand(user, errand) -> bool:
    return works_in(user, errand.path) or _covers(user, {Role.COMMUNITY_STAFF}, errand.path)


def can_view_errand(user, errand) -> bool:
    return can_work_errand(user, errand) or _covers(user, COMMUNITY_ROLES | {Role.ADMINISTRATOR}, errand.path)


def can_view_visit(user, visit) -> bool:
    """The visit record (not the diary): its worker, and the community's staff."""
    return (
        visit.worker_id == user.pk or works_in(user, visit.path) or _covers(user, COMMUNITY_ROLES, visit.path)
    )


def check(allowed: bool, message: str | None = None) -> None:
    if not allowed:
        raise PermissionDenied(message or _("You may not do this."))
