"""Who may read and change indices, colour rules, the command centre and the admission list.

Rules as data: each action names the roles that may take it; the scope check is the same prefix
test everywhere (people.policy). Leaders read; the district (its supervisors, or an administrator)
changes indicators, thresholds and peer groups and publishes issues; departments file admission
requests for their own department; the district decides them; community staff and street
dispatchers give admitted tasks to the grid workers of grids in their scope.
"""

from __future__ import annotations

from civicgrid.areas.models import Area
from civicgrid.people import policy as people
from civicgrid.people.models import Role

R = Role
READ_ROLES = {
    R.LEADER,
    R.DISTRICT_SUPERVISOR,
    R.STREET_DISPATCHER,
    R.COMMUNITY_STAFF,
    R.BRANCH_SECRETARY,
    R.ADMINISTRATOR,
}
ACTIONS: dict[str, set[str]] = {
    "read_index": READ_ROLES,
    "edit_index": {R.DISTRICT_SUPERVISOR, R.ADMINISTRATOR},
    "publish_issue": {R.DISTRICT_SUPERVISOR, R.ADMINISTRATOR},
    "edit_colours": {R.DISTRICT_SUPERVISOR, R.ADMINISTRATOR},
    "set_peer_group": {R.DISTRICT_SUPERVISOR, R.ADMINISTRATOR},
    "command_centre": {R.LEADER, R.DISTRICT_SUPERVISOR, R.STREET_DISPATCHER, R.ADMINISTRATOR},
    "decide_admission": {R.DISTRICT_SUPERVISOR, R.ADMINISTRATOR},
    "assign_task": {R.COMMUNITY_STAFF, R.STREET_DISPATCHER, R.ADMINISTRATOR},
    "read_admission": {
        R.LEADER,
        R.DISTRICT_SUPERVISOR,
        R.STREET_DISPATCHER,
        R.COMMUNITY_STAFF,
        R.GRID_WORKER,
        R.ADMINISTRATOR,
    },
}


def _paths(user, action: str) -> list[str]:
    return people.scope_paths(user, ACTIONS[action])


def may(user, action: str, area: Area) -> bool:
    """The user holds a role for `action` over `area` (their scope contains it)."""
    return people.covers(_paths(user, action), area.path)


def may_read_index(user, index) -> bool:
    """Published figures of a district's index: readers anywhere within the district, or above it."""
    paths = _paths(user, "read_index")
    owner = index.owner.path
    return any(owner.startswith(p) or p.startswith(owner) for p in paths)


def can_read_indices(user) -> bool:
    return bool(_paths(user, "read_index"))


def command_areas(user) -> list[Area]:
    return [a for a in people.home_areas(user) if may(user, "command_centre", a)]


def may_file_admission(user, department) -> bool:
    return department.pk in people.department_ids(user)


def may_decide_admission(user, request) -> bool:
    return may(user, "decide_admission", request.district)


def may_assign_task(user, grid: Area) -> bool:
    return may(user, "assign_task", grid)


def may_read_admission(user, request) -> bool:
    if request.department_id in people.department_ids(user):
        return True
    paths = _paths(user, "read_admission")
    return people.covers(paths, request.district.path) or any(
        p.startswith(request.district.path) for p in paths
    )


def sees_admission(user) -> bool:
    return bool(people.department_ids(user)) or bool(_paths(user, "read_admission"))
