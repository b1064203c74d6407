"""Who may see the branch plan of a community and who may set up branches (party app's one place)."""

from __future__ import annotations

from civicgrid.areas.models import Area, Level
from civicgrid.people import policy
from civicgrid.people.models import Role

# A branch is set up by decision of the community committee; its staff record the decision.
SET_UP_ROLES = {Role.COMMUNITY_STAFF, Role.ADMINISTRATOR}
# Who reads the plan: the community, branch secretaries, and the levels above that supervise it.
VIEW_ROLES = SET_UP_ROLES | {
    Role.BRANCH_SECRETARY,
    Role.STREET_DISPATCHER,
    Role.DISTRICT_SUPERVISOR,
    Role.LEADER,
}


def can_view_branch_plan(user, community: Area) -> bool:
    return policy.covers(policy.scope_paths(user, VIEW_ROLES), community.path)


def can_set_up_branches(user, community: Area) -> bool:
    return policy.can_edit(user) and policy.covers(policy.scope_paths(user, SET_UP_ROLES), community.path)


def plan_communities(user):
    """Communities whose branch plan the user may read."""
    paths = policy.scope_paths(user, VIEW_ROLES)
    return Area.objects.filter(level=Level.COMMUNITY).filter(policy.path_q(paths))


# --------------------------------------------------------------- posts, calls, 双报到, stars

# Who leads an organisation's posts, calls and board: its secretary, branch secretaries and
# community staff over its area, administrators.
LEAD_ROLES = {Role.BRANCH_SECRETARY, Role.COMMUNITY_STAFF, Role.ADMINISTRATOR}
# Who reads a board or a call's roll without leading it: the levels above.
READ_ROLES = LEAD_ROLES | {Role.STREET_DISPATCHER, Role.DISTRICT_SUPERVISOR, Role.LEADER}


def can_lead(user, org) -> bool:
    """Set posts and holders, blow the whistle, close calls, publish the stars of `org`."""
    if not policy.can_edit(user) and not getattr(user, "is_superuser", False):
        return False
    if org.secretary_id and org.secretary_id == getattr(user, "pk", None):
        return True
    return policy.covers(policy.scope_paths(user, LEAD_ROLES), org.area.path)


def can_read(user, org) -> bool:
    if org.secretary_id and org.secretary_id == getattr(user, "pk", None):
        return True
    return policy.covers(policy.scope_paths(user, READ_ROLES), org.area.path)


def member_of(user):
    """The Party member behind an account (a resident marked as a member or holding a membership)."""
    if not getattr(user, "is_authenticated", False):
        return None
    try:
        resident = user.resident
    except Exception:  # RelatedObjectDoesNotExist
        return None
    if resident.is_party_member or resident.party_memberships.exists():
        return resident
    return None


def led_organizations(user):
    """Organisations whose posts, calls and board the user may read."""
    from .models import PartyOrganization

    paths = policy.scope_paths(user, READ_ROLES)
    q = policy.path_q(paths, "area__path")
    if getattr(user, "is_authenticated", False):
        from django.db.models import Q

        q |= Q(secretary=user)
    return PartyOrganization.objects.filter(q)


def leads_area(user, path: str) -> bool:
    """Branch secretaries, community staff and administrators over `path` (e.g. a home community)."""
    return policy.can_edit(user) and policy.covers(policy.scope_paths(user, LEAD_ROLES), path)


def can_read_board(user, org) -> bool:
    """The star board hangs where the branch's own members see it, and its readers above."""
    if can_read(user, org):
        return True
    member = member_of(user)
    return member is not None and member.party_memberships.filter(organization=org).exists()
