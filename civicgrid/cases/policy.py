"""Who may see and do what with a case: role × scope × state, in one place.

- Area staff (unit steward … community, street dispatcher, district supervisor) act on cases whose
  place lies within an area they hold a role over (a grid worker their grid, a dispatcher their street).
- A department handler acts on the cases of their department (lead; assisting ones may read and comment).
- A resident sees and rates their own reports; anyone holding a case's follow link may follow it.
- A leader reads their scope and never writes.

The state part comes from workflow.TRANSITIONS (which action from which state, by which roles);
this module adds whose case it is. Services call `check(user, action, case)`.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.translation import gettext as _

from civicgrid.people import policy as people_policy
from civicgrid.people.models import Role

from . import workflow
from .models import Case
from .workflow import LEVEL_ORDER, LEVEL_ROLE, STAFF_CHANNELS, CaseLevel

# Roles whose area scope lets them read cases.
AREA_READERS = people_policy.AREA_STAFF_ROLES
# Area roles that work cases (everything but the read-only leader).
AREA_ACTORS = AREA_READERS - {Role.LEADER}


def _is_admin(user) -> bool:
    return people_policy.is_admin(user)


def _paths(user, roles) -> list[str]:
    return people_policy.scope_paths(user, set(roles))


def visible_cases(user, qs=None):
    """The cases a user may see: their scope's, their department's, their own reports."""
    qs = Case.objects.all() if qs is None else qs
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if _is_admin(user):
        return qs
    q = Q(reporter_user=user)
    paths = _paths(user, AREA_READERS)
    if paths:
        q |= people_policy.path_q(paths)
    dept_ids = people_policy.department_ids(user)
    if dept_ids:
        q |= Q(department_id__in=dept_ids) | Q(assisting__in=dept_ids)
        return qs.filter(q).distinct()
    return qs.filter(q)


def in_area_scope(user, case: Case, roles=AREA_READERS) -> bool:
    if _is_admin(user):
        return True
    return people_policy.covers(_paths(user, roles), case.path)


def is_lead_handler(user, case: Case) -> bool:
    return bool(case.department_id) and case.department_id in people_policy.department_ids(user)


def is_assisting_handler(user, case: Case) -> bool:
    ids = people_policy.department_ids(user)
    return bool(ids) and case.pk is not None and case.assisting.filter(pk__in=ids).exists()


def is_reporter(user, case: Case) -> bool:
    return getattr(user, "is_authenticated", False) and case.reporter_user_id == user.pk


def can_view(user, case: Case) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return (
        _is_admin(user)
        or is_reporter(user, case)
        or in_area_scope(user, case)
        or is_lead_handler(user, case)
        or is_assisting_handler(user, case)
    )


def holds_level(user, case: Case, level: str | None = None) -> bool:
    """Whether the user holds the case's level in the chain (or a higher one) over its place."""
    if _is_admin(user):
        return True
    level = level or case.level
    index = LEVEL_ORDER.index(level) if level in LEVEL_ORDER else 0
    roles = {LEVEL_ROLE[CaseLevel(lv)] for lv in LEVEL_ORDER[index:]}
    return in_area_scope(user, case, roles)


def _dispatcher(user, case: Case) -> bool:
    return in_area_scope(user, case, workflow.DISPATCH)


def _handler(user, case: Case) -> bool:
    if case.department_id:
        return is_lead_handler(user, case)
    return holds_level(user, case) or _dispatcher(user, case)


# What each scope rule of workflow.Transition.scope checks (see the list in workflow.py).
SCOPE_RULES = {
    workflow.AREA: lambda user, case, t: in_area_scope(user, case, t.scope_roles or t.roles),
    workflow.AREA_STAFF: lambda user, case, t: in_area_scope(user, case, AREA_ACTORS),
    workflow.HANDLER: lambda user, case, t: _handler(user, case),
    workflow.CHAIN_HOLDER: lambda user, case, t: holds_level(user, case),
    workflow.DISPATCHER: lambda user, case, t: _dispatcher(user, case),
    workflow.LEAD_HANDLER: lambda user, case, t: is_lead_handler(user, case),
    workflow.ASSISTING_HANDLER: lambda user, case, t: is_assisting_handler(user, case),
    workflow.REPORTER: lambda user, case, t: is_reporter(user, case),
    workflow.VIEWER: lambda user, case, t: can_view(user, case),
}


def _may(user, action: str, case: Case) -> bool:
    """The role and scope part of the rule for `action` (the state part is workflow.check's): the
    user holds one of the action's roles, and the case is theirs by one of its scope rules."""
    if not getattr(user, "is_authenticated", False):
        return False
    if _is_admin(user):
        return True
    transition = workflow.TRANSITIONS[action]
    if not people_policy.roles(user) & transition.roles:
        return False
    return any(SCOPE_RULES[rule](user, case, transition) for rule in transition.scope)


def can(user, action: str, case: Case) -> bool:
    """May `user` take `action` on `case` now (role, scope and state)?"""
    transition = workflow.TRANSITIONS.get(action)
    if transition is None or case.state not in transition.sources:
        return False
    return _may(user, action, case)


def check(user, action: str, case: Case) -> None:
    """Raise PermissionDenied (translated) unless the user's role and scope allow the action.

    The state is checked separately by workflow.check, which raises IllegalTransition.
    """
    if action not in workflow.TRANSITIONS or not _may(user, action, case):
        raise PermissionDenied(_("You may not do this on this case."))


def available_actions(user, case: Case) -> list[str]:
    """The actions the user can take on the case now (for buttons and API hints)."""
    return [a for a in workflow.allowed_actions(case.state) if _may(user, a, case)]


def can_intake(user, channel: str, place_path: str | None) -> bool:
    """Residents and the public report through the public channels; staff channels need staff."""
    if channel not in STAFF_CHANNELS:
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    if _is_admin(user):
        return True
    if channel == "department_transfer":
        return bool(people_policy.department_ids(user)) or bool(_paths(user, AREA_ACTORS))
    if channel in ("hotline", "petition_letter", "petition_visit"):
        return bool(_paths(user, AREA_ACTORS))
    paths = _paths(user, AREA_ACTORS)
    if place_path is None:
        return bool(paths)
    return people_policy.covers(paths, place_path)


def can_settle_on_spot(user, place_path: str) -> bool:
    if _is_admin(user):
        return True
    return people_policy.covers(_paths(user, workflow.CHAIN), place_path)


def can_view_contact(user, case: Case) -> bool:
    """Unmasked contact details: staff who work the case in its area (each view is logged)."""
    return can_view(user, case) and (people_policy.can_unmask(user, case.path) or is_lead_handler(user, case))


def is_read_only(user) -> bool:
    return not people_policy.can_edit(user)


# --- concentrated-problem proposals (集中突出) ------------------------------------------------------

# Who decides a proposal: the community's Party branch and residents' committee, and dispatchers above.
PROPOSAL_DECIDERS = {Role.BRANCH_SECRETARY, Role.COMMUNITY_STAFF} | workflow.DISPATCH
# Who may read the proposals of a community (the leader reads, never decides).
PROPOSAL_READERS = PROPOSAL_DECIDERS | {Role.GRID_WORKER, Role.LEADER}


def can_view_proposals(user, community_path: str) -> bool:
    """Readers whose scope covers the community, or lies inside it (a grid worker of one of its grids)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if _is_admin(user):
        return True
    paths = _paths(user, PROPOSAL_READERS)
    return any(community_path.startswith(p) or p.startswith(community_path) for p in paths)


def can_decide_proposal(user, community_path: str) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if _is_admin(user):
        return True
    return people_policy.covers(_paths(user, PROPOSAL_DECIDERS), community_path)
