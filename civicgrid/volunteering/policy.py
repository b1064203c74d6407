"""Who may do what in volunteering, decided here only (role × scope × action).

- Points schemes, shops and co-building needs: community staff (and administrators) in scope.
- Activities: community staff, branch secretaries and grid workers organise within their scope;
  the organiser of an activity manages it (roll, check-in list, hours).
- Residents (anyone with a resident record) sign up, check in with the organiser's code, see their
  own points and redeem them.
- Shops: a shop's keepers confirm redemptions by the code the resident shows.
- Figures: staff of the area and the levels above it, read-only leaders included.
"""

from __future__ import annotations

from civicgrid.areas.models import Area
from civicgrid.people import policy
from civicgrid.people.models import Role

MANAGE_ROLES = {Role.COMMUNITY_STAFF, Role.ADMINISTRATOR}
ORGANISE_ROLES = MANAGE_ROLES | {Role.BRANCH_SECRETARY, Role.GRID_WORKER}
FIGURES_ROLES = MANAGE_ROLES | {
    Role.BRANCH_SECRETARY,
    Role.STREET_DISPATCHER,
    Role.DISTRICT_SUPERVISOR,
    Role.LEADER,
}


def resident_of(user):
    """The resident record behind an account (None for staff-only accounts)."""
    if not getattr(user, "is_authenticated", False):
        return None
    try:
        return user.resident
    except Exception:  # RelatedObjectDoesNotExist
        return None


def _in_scope(user, roles: set[str], path: str) -> bool:
    return policy.covers(policy.scope_paths(user, roles), path)


def can_manage(user, area: Area | str) -> bool:
    path = area if isinstance(area, str) else area.path
    return policy.can_edit(user) and _in_scope(user, MANAGE_ROLES, path)


def can_organise(user, area: Area | str) -> bool:
    path = area if isinstance(area, str) else area.path
    return policy.can_edit(user) and _in_scope(user, ORGANISE_ROLES, path)


def can_run_activity(user, activity) -> bool:
    """The organiser, or anyone who may organise where it takes place."""
    if not getattr(user, "is_authenticated", False):
        return False
    return activity.organiser_id == user.pk or can_organise(user, activity.path)


def can_sign_up(user) -> bool:
    return resident_of(user) is not None


def can_keep_shop(user, shop) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return shop.keepers.filter(pk=user.pk).exists() or can_manage(user, shop.path)


def can_view_figures(user, area: Area | str) -> bool:
    path = area if isinstance(area, str) else area.path
    return _in_scope(user, FIGURES_ROLES, path)


def figure_paths(user) -> list[str]:
    return policy.scope_paths(user, FIGURES_ROLES)


def can_view_cobuilding(user, path: str) -> bool:
    return _in_scope(user, FIGURES_ROLES | {Role.GRID_WORKER}, path)


def is_unit_contact(user, unit) -> bool:
    return getattr(user, "is_authenticated", False) and unit.contacts.filter(pk=user.pk).exists()


def can_edit_unit(user, unit) -> bool:
    """A unit's own contacts list its resources; community staff record them for it."""
    return (
        is_unit_contact(user, unit)
        or can_manage(user, unit.path)
        or any(can_manage(user, c.path) for c in unit.paired_communities.all())
    )


def can_view_unit(user, unit) -> bool:
    """A unit's page: its contacts, and staff over it or over any community it is paired with."""
    return (
        is_unit_contact(user, unit)
        or can_view_cobuilding(user, unit.path)
        or any(can_view_cobuilding(user, c.path) for c in unit.paired_communities.all())
    )
