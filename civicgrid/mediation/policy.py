"""Who may see and do what with a dispute, in one place.

- Centre staff (head and window staff) of a dispute's centre: everything, parties' data included.
- Mediators assigned to a dispute: its parties, and the mediation actions (sessions, agreement,
  outcome, follow-up); not intake, assignment or withdrawal.
- Staff of a higher-level centre whose area covers the dispute's centre, and area staff (people's
  roles: community staff, street dispatcher, district supervisor, leader, administrator) over its
  area: the dispute's summary and the figures, never its parties.
- Everyone else, the public included: nothing of a dispute.

The state part comes from workflow.TRANSITIONS; services call `check(user, action, dispute)`.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.people import policy as people_policy
from civicgrid.people.models import Role

from .models import Assignment, Centre, CentreStaff, Dispute, Mediator, StaffRole

# Area roles (people.Role) that read disputes' summaries and figures within their scope.
AREA_READERS = {
    Role.COMMUNITY_STAFF,
    Role.STREET_DISPATCHER,
    Role.DISTRICT_SUPERVISOR,
    Role.LEADER,
    Role.ADMINISTRATOR,
}
# Actions an assigned mediator may take (the rest are the centre's).
MEDIATOR_ACTIONS = {
    "declare_conflict",
    "schedule_session",
    "record_session",
    "draft_agreement",
    "confirm_party",
    "mark_agreed",
    "mark_failed",
    "refer_judicial",
    "record_judicial_result",
    "record_follow_up",
    "comment",
}
CENTRE_ACTIONS = MEDIATOR_ACTIONS | {"assign", "add_mediator", "withdraw"}


def _active_q(prefix: str = "") -> Q:
    today = timezone.localdate()
    return Q(**{f"{prefix}ended_on__isnull": True}) | Q(**{f"{prefix}ended_on__gt": today})


def memberships(user) -> list[CentreStaff]:
    """Active centre memberships of a user, cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_mediation_staff", None)
    if cached is None:
        cached = list(CentreStaff.objects.filter(_active_q(), user=user).select_related("centre"))
        user._mediation_staff = cached
    return cached


def mediator_records(user) -> list[Mediator]:
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_mediation_mediators", None)
    if cached is None:
        cached = list(Mediator.objects.filter(user=user, active=True).select_related("centre"))
        user._mediation_mediators = cached
    return cached


def staff_centre_ids(user, *, head_only: bool = False) -> set[int]:
    return {m.centre_id for m in memberships(user) if not head_only or m.role == StaffRole.HEAD}


def is_centre_staff(user, centre_id: int) -> bool:
    return centre_id in staff_centre_ids(user)


def is_head(user, centre_id: int) -> bool:
    return centre_id in staff_centre_ids(user, head_only=True)


def is_assigned(user, dispute: Dispute) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return Assignment.objects.filter(dispute_id=dispute.pk, mediator__user=user).exists()


def _reader_paths(user) -> list[str]:
    """Paths whose disputes' summaries the user may read (higher-level centres, area readers)."""
    paths = [m.centre.path for m in memberships(user)]
    paths += people_policy.scope_paths(user, AREA_READERS)
    return paths


def works_mediation(user) -> bool:
    return bool(memberships(user) or mediator_records(user))


def can_view(user, dispute: Dispute) -> bool:
    """The dispute's summary (type, state, dates, centre): never shown to the public."""
    if not getattr(user, "is_authenticated", False):
        return False
    if is_centre_staff(user, dispute.centre_id) or is_assigned(user, dispute):
        return True
    return people_policy.covers(_reader_paths(user), dispute.path)


def can_view_parties(user, dispute: Dispute) -> bool:
    """Parties' data: the centre's own staff and the assigned mediators only."""
    return is_centre_staff(user, dispute.centre_id) or is_assigned(user, dispute)


def can(user, action: str, dispute: Dispute) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if action in CENTRE_ACTIONS and is_centre_staff(user, dispute.centre_id):
        return True
    return action in MEDIATOR_ACTIONS and is_assigned(user, dispute)


def check(user, action: str, dispute: Dispute) -> None:
    if not can(user, action, dispute):
        raise PermissionDenied(_("You may not do this on this dispute."))


def can_intake(user, centre: Centre) -> bool:
    return is_centre_staff(user, centre.pk)


def can_manage_roster(user, centre: Centre) -> bool:
    """Add staff and mediators: the centre's head, or an administrator."""
    return people_policy.is_admin(user) or is_head(user, centre.pk)


def intake_centres(user):
    return Centre.objects.filter(pk__in=staff_centre_ids(user), active=True)


def visible_disputes(user, qs=None):
    """Disputes whose summary the user may see."""
    qs = Dispute.objects.all() if qs is None else qs
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    q = Q(centre_id__in=staff_centre_ids(user)) | Q(assignments__mediator__user=user)
    paths = _reader_paths(user)
    if paths:
        q |= people_policy.path_q(paths)
    return qs.filter(q).distinct()


def figure_centres(user):
    """Centres whose figures the user may read: their own and those below, and their area scope's."""
    paths = _reader_paths(user)
    if not paths:
        return Centre.objects.none()
    return Centre.objects.filter(people_policy.path_q(paths))


def can_read_figures(user) -> bool:
    return bool(_reader_paths(user))
