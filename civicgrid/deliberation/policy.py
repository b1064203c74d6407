"""Who may see and do what in deliberation: role × scope × the topic's current step, in one place.

- The current step's `allows` list (data, per procedure) says which actions are possible at all.
- ACTION_ROLES says who may take each action; the scope is the topic's community:
  residents act on topics of their own community; the community's staff and Party branch secretary
  run the deliberation; grid workers of the community do research; a council member votes; the
  council's legal seat (法治副书记 / legal steward) reviews; a task's owner reports its progress.
- Leaders and street or district staff read their scope; they do not act here.
- Public pages show topics, resolutions and progress without personal data; a member's vote is shown
  only to the council (and the community's staff) and in the minutes.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.translation import gettext as _

from civicgrid.areas.models import Area, Level
from civicgrid.people import policy as people_policy
from civicgrid.people.models import Role

from .workflow import Action, SeatKind, TopicStatus

RUNNERS = {Role.BRANCH_SECRETARY, Role.COMMUNITY_STAFF}
READERS = people_policy.AREA_STAFF_ROLES

# Who may take each action (council members and the legal seat are checked by seat, below).
ACTION_ROLES: dict[str, set[str]] = {
    Action.PROPOSE: {Role.RESIDENT} | RUNNERS,
    Action.SUPPORT: {Role.RESIDENT},
    Action.COMMENT: {Role.RESIDENT, Role.GRID_WORKER} | RUNNERS,
    Action.DECIDE: RUNNERS,
    Action.RESEARCH: {Role.GRID_WORKER} | RUNNERS,
    Action.MEET: RUNNERS,
    Action.VOTE: RUNNERS,  # recording the show of hands; members vote for themselves too (seat)
    Action.REVIEW: set(),  # the legal seat only (seat check)
    Action.OBJECT: {Role.RESIDENT},
    Action.ANSWER: RUNNERS,
    Action.IMPLEMENT: RUNNERS,  # and a task's owner for their task
    Action.ADVANCE: RUNNERS,
}
# Actions a council seat holder may take on their council's topics as a member.
MEMBER_ACTIONS = {Action.COMMENT, Action.VOTE}


def _authenticated(user) -> bool:
    return getattr(user, "is_authenticated", False)


def resident_community_paths(user) -> list[str]:
    """Paths of the communities a resident lives in (from their resident role and household)."""
    if not _authenticated(user):
        return []
    cached = getattr(user, "_delib_resident_paths", None)
    if cached is not None:
        return cached
    paths = list(people_policy.scope_paths(user, {Role.RESIDENT})) if not people_policy.is_admin(user) else []
    resident = getattr(user, "resident", None) if hasattr(user, "resident") else None
    if resident is not None and resident.path:
        paths.append(resident.path)
    codes = {c for p in paths for c in p.split("/") if c}
    found = (
        list(Area.objects.filter(level=Level.COMMUNITY, code__in=codes).values_list("path", flat=True))
        if codes
        else []
    )
    user._delib_resident_paths = found
    return found


def seats(user):
    """Active council seats the user holds (cached for the request)."""
    if not _authenticated(user):
        return []
    cached = getattr(user, "_delib_seats", None)
    if cached is None:
        from .models import CouncilSeat

        cached = list(CouncilSeat.objects.filter(user=user, active=True).select_related("council"))
        user._delib_seats = cached
    return cached


def holds_seat(user, topic, kinds=None) -> bool:
    for s in seats(user):
        if s.council.path == topic.path and (kinds is None or s.kind in kinds):
            if s.topic_id is None or s.topic_id == topic.pk:
                return True
    return False


def is_resident_of(user, topic) -> bool:
    return people_policy.has_role(user, Role.RESIDENT) and topic.path in resident_community_paths(user)


def runs(user, path: str) -> bool:
    """Runs deliberation in the community at `path` (its staff, its branch secretary, an admin)."""
    return people_policy.is_admin(user) or people_policy.covers(
        people_policy.scope_paths(user, RUNNERS), path
    )


def _grid_worker_in(user, path: str) -> bool:
    return any(p.startswith(path) for p in people_policy.scope_paths(user, {Role.GRID_WORKER}))


def can_view(user, topic) -> bool:
    """The staff page of a topic (the public page is open to all and shows no personal data)."""
    if not _authenticated(user):
        return False
    if people_policy.is_admin(user) or is_resident_of(user, topic) or holds_seat(user, topic):
        return True
    paths = people_policy.scope_paths(user, READERS)
    return people_policy.covers(paths, topic.path) or any(p.startswith(topic.path) for p in paths)


def can_view_council_page(user, topic) -> bool:
    """The council's page of a topic (seat labels, research notes, linked cases, meetings): staff in
    scope and council members; residents use the public page."""
    if not can_view(user, topic):
        return False
    if people_policy.is_admin(user) or holds_seat(user, topic):
        return True
    paths = people_policy.scope_paths(user, READERS)
    return people_policy.covers(paths, topic.path) or any(p.startswith(topic.path) for p in paths)


def visible_topics(user, qs=None):
    from .models import Topic

    qs = Topic.objects.all() if qs is None else qs
    if not _authenticated(user):
        return qs.none()
    if people_policy.is_admin(user):
        return qs
    paths = people_policy.scope_paths(user, READERS)
    q = people_policy.path_q(paths)
    # grid workers and stewards below a community see its topics too
    for p in paths:
        codes = [c for c in p.split("/") if c]
        for i in range(1, len(codes)):
            q |= Q(path="/".join(codes[:i]) + "/")
    for p in resident_community_paths(user):
        q |= Q(path=p)
    for s in seats(user):
        q |= Q(path=s.council.path)
    return qs.filter(q)


def _role_allows(user, action: str, topic, *, task=None) -> bool:
    if not _authenticated(user):
        return False
    if people_policy.is_admin(user):
        return True
    if action == Action.REVIEW:
        return holds_seat(user, topic, {SeatKind.LEGAL})
    if action in MEMBER_ACTIONS and holds_seat(user, topic):
        return True
    if action == Action.IMPLEMENT and task is not None and task.owner_id == user.pk:
        return True
    wanted = ACTION_ROLES.get(action, set())
    held = people_policy.roles(user) & wanted
    if not held:
        return False
    if Role.RESIDENT in held and is_resident_of(user, topic):
        return True
    if held & RUNNERS and runs(user, topic.path):
        return True
    if Role.GRID_WORKER in held and _grid_worker_in(user, topic.path):
        return True
    return False


def step_allows(topic, action: str, step=None) -> bool:
    from .services.common import current_step

    current = step or current_step(topic)
    return current is not None and current.step.allows_action(action)


def can(user, action: str, topic, *, task=None, step=None) -> bool:
    """May `user` take `action` on `topic` now (open topic, current step allows it, role and scope)?"""
    if topic.status != TopicStatus.OPEN:
        return False
    return step_allows(topic, action, step) and _role_allows(user, action, topic, task=task)


def check(user, action: str, topic, *, task=None, step=None) -> None:
    """Raise a translated refusal unless the action is possible now. The step is checked first, so
    the message says why (a vote outside its meeting step, an objection after publication, …)."""
    check_step(topic, action, step)
    if not _role_allows(user, action, topic, task=task):
        raise PermissionDenied(_("You may not do this on this topic."))


def check_step(topic, action: str, step=None) -> None:
    """Raise StepRefused unless the topic is open and its current step allows `action`."""
    from .services.common import StepRefused, current_step

    if topic.status != TopicStatus.OPEN:
        raise StepRefused(
            _("This topic is %(status)s; nothing more can be done on it.")
            % {"status": TopicStatus(topic.status).label}
        )
    current = step or current_step(topic)
    if current is None or not current.step.allows_action(action):
        raise StepRefused(
            _("The current step, “%(step)s”, does not allow this: %(action)s.")
            % {"step": current.step.label if current else "–", "action": Action(action).label}
        )


def available_actions(user, topic) -> list[str]:
    from .services.common import current_step

    current = current_step(topic)
    return [a for a in Action.values if can(user, a, topic, step=current)]


def can_view_votes(user, topic) -> bool:
    """Each member's vote: the council, the community's staff and the minutes only."""
    return _authenticated(user) and (runs(user, topic.path) or holds_seat(user, topic))


def can_propose_in(user, community) -> bool:
    if not _authenticated(user):
        return False
    if runs(user, community.path):
        return True
    return people_policy.has_role(user, Role.RESIDENT) and community.path in resident_community_paths(user)


def can_run_joint_meetings(user, community_path: str) -> bool:
    return runs(user, community_path)


def can_view_figures(user, area) -> bool:
    return people_policy.is_admin(user) or people_policy.can_view_area(user, area)


def communities_run_by(user):
    qs = Area.objects.filter(level=Level.COMMUNITY)
    if people_policy.is_admin(user):
        return qs
    return qs.filter(people_policy.path_q(people_policy.scope_paths(user, RUNNERS)))
