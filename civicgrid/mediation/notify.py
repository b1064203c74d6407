"""Notifications from the outbox events the mediation services and the sweep write.

Messages go to the staff inbox (the one the top bar's Inbox shows). Who hears of what:

    intake            the centre's staff; with a risk of escalation, its head at once, flagged
    assign / add_     the mediator assigned
    schedule_session  the assigned mediators (the notice and the SMS-ready text are on the session)
    remind            the assigned mediators and the centre's staff
    escalate          the centre's head and the heads of the centres above that serve it
    case_feedback     the holders of the linked case (community staff, dispatchers of its area)
    mark_agreed / mark_failed / withdraw   the centre's head
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from civicgrid.cases.models import InboxMessage
from civicgrid.core import outbox
from civicgrid.people.models import Role, RoleAssignment

from .models import Assignment, CentreStaff, Dispute, Mediator, Session, StaffRole
from .workflow import Urgency, action_label


def _staff(centre_ids, *, heads_only=False) -> set[int]:
    today = timezone.localdate()
    qs = CentreStaff.objects.filter(centre_id__in=list(centre_ids)).filter(
        Q(ended_on__isnull=True) | Q(ended_on__gt=today)
    )
    if heads_only:
        qs = qs.filter(role=StaffRole.HEAD)
    return set(qs.values_list("user_id", flat=True))


def _mediators(dispute_id) -> set[int]:
    return set(Assignment.objects.filter(dispute_id=dispute_id).values_list("mediator__user_id", flat=True))


def _above_heads(d: Dispute) -> set[int]:
    from .models import Centre

    codes = [c for c in d.path.split("/") if c]
    paths = ["/".join(codes[: i + 1]) + "/" for i in range(len(codes) - 1)]
    return _staff(Centre.objects.filter(path__in=paths).values_list("pk", flat=True), heads_only=True)


def _case_holders(case_path: str) -> set[int]:
    codes = [c for c in case_path.split("/") if c]
    paths = ["/".join(codes[: i + 1]) + "/" for i in range(len(codes))]
    today = timezone.localdate()
    qs = RoleAssignment.objects.filter(
        role__in=[Role.COMMUNITY_STAFF, Role.STREET_DISPATCHER], area__path__in=paths
    ).filter(Q(ended_on__isnull=True) | Q(ended_on__gt=today))
    return set(qs.values_list("user_id", flat=True))


def post(user_ids, text: str, *, dispute: Dispute, case_id=None) -> int:
    """Put a message in each user's inbox."""
    now = timezone.now()
    rows = [
        InboxMessage(
            user_id=uid, case_id=case_id, jurisdiction=dispute.jurisdiction, text=text[:300], created_at=now
        )
        for uid in sorted(set(user_ids))
    ]
    InboxMessage.objects.bulk_create(rows)
    return len(rows)


def _text(d: Dispute, action: str, extra: str = "") -> str:
    with override(settings.LANGUAGE_CODE):
        text = _("Dispute %(ref)s (%(centre)s): %(what)s.") % {
            "ref": d.ref,
            "centre": d.centre.name,
            "what": action_label(action),
        }
        return f"{text} {extra}".strip()


def on_event(event) -> None:
    action = event.topic.split(".", 1)[1]
    d = Dispute.objects.filter(pk=event.payload.get("dispute")).select_related("centre").first()
    if d is None:
        return
    payload = event.payload
    users: set[int] = set()
    extra = ""
    case_id = d.case_id
    if action == "intake":
        users = _staff([d.centre_id])
        if payload.get("risk") or d.urgency == Urgency.RISK:
            heads = _staff([d.centre_id], heads_only=True)
            with override(settings.LANGUAGE_CODE):
                flag = _(
                    "RISK OF ESCALATION: dispute %(ref)s (%(summary)s) needs the head's attention now."
                ) % {
                    "ref": d.ref,
                    "summary": d.summary,
                }
            post(heads, flag, dispute=d, case_id=case_id)
            users -= heads
        extra = d.summary
    elif action in ("assign", "add_mediator"):
        m = Mediator.objects.filter(pk=payload.get("mediator")).first()
        users = {m.user_id} if m else set()
        extra = d.summary
    elif action == "schedule_session":
        s = Session.objects.filter(pk=payload.get("session")).first()
        users = _mediators(d.pk)
        extra = s.sms_text if s else ""
    elif action == "remind":
        users = _mediators(d.pk) | _staff([d.centre_id])
        extra = _("settle by %(due)s") % {"due": timezone.localtime(d.due_at).strftime("%Y-%m-%d %H:%M")}
    elif action == "escalate":
        users = _staff([d.centre_id], heads_only=True) | _above_heads(d)
    elif action == "case_feedback" and d.case_id:
        if payload.get("how") == "notified":
            users = _case_holders(d.case.path)
        with override(settings.LANGUAGE_CODE):
            extra = payload.get("text", "")
    elif action in ("mark_agreed", "mark_failed", "withdraw"):
        users = _staff([d.centre_id], heads_only=True)
    if users:
        post(users, _text(d, action, extra), dispute=d, case_id=case_id)


for _topic in (
    "intake",
    "assign",
    "add_mediator",
    "schedule_session",
    "remind",
    "escalate",
    "case_feedback",
    "mark_agreed",
    "mark_failed",
    "withdraw",
):
    outbox.handler(f"mediation.{_topic}")(on_event)
