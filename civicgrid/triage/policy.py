"""Who may see and do what in triage, in one place.

- The suggestions panel on a case: whoever may see the case's staff page and dispatch or register
  it (a street dispatcher or district supervisor over the case's place, an administrator); the
  confirm action is checked again by the cases services.
- The triage page (the model in use, its evaluation, suggestion accuracy in one's scope):
  dispatchers, district supervisors and administrators.
- Training, activating and rolling back models: administrators.
- A district's auto-dispatch thresholds: an administrator, or a district supervisor of that district.
"""

from __future__ import annotations

from civicgrid.areas.models import Area, Level
from civicgrid.people import policy as people_policy
from civicgrid.people.models import Role

TRIAGE_ROLES = {Role.STREET_DISPATCHER, Role.DISTRICT_SUPERVISOR, Role.ADMINISTRATOR}


def can_view_triage(user) -> bool:
    return people_policy.is_admin(user) or people_policy.has_role(user, *TRIAGE_ROLES)


def scope_paths(user) -> list[str]:
    """The area paths whose decisions the user's accuracy figure counts."""
    return people_policy.scope_paths(user, TRIAGE_ROLES)


def can_manage_models(user) -> bool:
    return people_policy.is_admin(user)


def threshold_districts(user) -> list[Area]:
    """The districts whose thresholds the user may set."""
    qs = Area.objects.filter(level=Level.DISTRICT).order_by("code")
    if people_policy.is_admin(user):
        return list(qs)
    paths = people_policy.scope_paths(user, {Role.DISTRICT_SUPERVISOR})
    return [a for a in qs if any(a.path.startswith(p) for p in paths)]


def can_set_thresholds(user, jurisdiction: str) -> bool:
    if people_policy.is_admin(user):
        return True
    return any(a.code == jurisdiction for a in threshold_districts(user))
