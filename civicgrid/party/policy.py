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
