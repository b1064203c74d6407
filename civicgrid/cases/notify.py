"""Notifications, sent by the worker from outbox events written by the services and the sweep.

Three ways out: the in-app inbox (staff, and residents with an account), email where an address
exists (the reporter's contact email, a department's email), and signed webhooks for integrations
(an SMS gateway, say). A webhook delivery and each email are outbox events of their own, so a
failing endpoint or mail server is retried on its own without sending the inbox messages (or the
other mail) twice.

Who hears of what is the table `RECIPIENTS` below: action → who. "reporter" also reaches the
reporters of merged duplicates and the residents who follow the case (CaseFollower).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import urllib.request
from datetime import datetime

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from civicgrid.core import outbox
from civicgrid.people.models import Role, RoleAssignment

from .models import Case, CaseEvent, InboxMessage, WebhookEndpoint
from .workflow import LEVEL_ROLE, CaseLevel, action_label

log = logging.getLogger("civicgrid.notify")

# action → groups to notify. "reporter" also reaches the reporters of merged duplicates.
RECIPIENTS: dict[str, tuple[str, ...]] = {
    "reported": ("level",),
    "register": ("reporter",),
    "not_accept": ("reporter",),
    "dispatch": ("department",),
    "accept": ("reporter",),
    "return_to_dispatcher": ("dispatchers",),
    "request_extension": ("dispatchers",),
    "decide_extension": ("department",),
    "put_on_hold": ("department", "reporter"),
    "resume": ("department",),
    "mark_handled": ("reporter", "verifiers"),
    "verify_pass": ("reporter",),
    "verify_fail": ("department", "level"),
    "rate": ("department",),
    "reopen": ("department", "level"),
    "escalate": ("level",),
    "supervise": ("department", "level"),
    "merge": ("reporter",),
    "flag_for_deliberation": ("community",),
    "settled_on_spot": (),
    "pick_place": (),
}
EMERGENCY_ROLES = (Role.COMMUNITY_STAFF, Role.STREET_DISPATCHER, Role.DISTRICT_SUPERVISOR)
WEBHOOK_TIMEOUT = 5


def _ancestor_paths(path: str) -> list[str]:
    codes = [c for c in path.split("/") if c]
    return ["/".join(codes[: i + 1]) + "/" for i in range(len(codes))]


def _active(qs):
    today = timezone.localdate()
    return qs.filter(Q(ended_on__isnull=True) | Q(ended_on__gt=today))


def area_holders(case: Case, roles) -> set[int]:
    """Users holding any of `roles` over an area that contains the case's place."""
    qs = _active(
        RoleAssignment.objects.filter(role__in=list(roles), area__path__in=_ancestor_paths(case.path))
    )
    return set(qs.values_list("user_id", flat=True))


def department_handlers(department_ids) -> set[int]:
    ids = [d for d in department_ids if d]
    if not ids:
        return set()
    qs = _active(RoleAssignment.objects.filter(role=Role.DEPARTMENT_HANDLER, department_id__in=ids))
    return set(qs.values_list("user_id", flat=True))


def level_holders(case: Case) -> set[int]:
    try:
        role = LEVEL_ROLE[CaseLevel(case.level)]
    except ValueError:
        return set()
    return area_holders(case, [role])


def recipients(case: Case, groups, *, emergency: bool = False) -> tuple[set[int], set[int]]:
    """(staff user ids, reporter user ids) for the groups named."""
    staff: set[int] = set()
    reporters: set[int] = set()
    for group in groups:
        if group == "level":
            staff |= area_holders(case, EMERGENCY_ROLES) if emergency else level_holders(case)
            if case.department_id:
                staff |= department_handlers([case.department_id])
        elif group == "department":
            staff |= department_handlers([case.department_id, *case.assisting.values_list("pk", flat=True)])
            if not case.department_id:
                staff |= level_holders(case)
        elif group == "dispatchers":
            staff |= area_holders(case, [Role.STREET_DISPATCHER])
        elif group == "verifiers":
            staff |= area_holders(case, [Role.GRID_WORKER])
        elif group == "community":
            staff |= area_holders(case, [Role.COMMUNITY_STAFF, Role.BRANCH_SECRETARY])
        elif group == "reporter":
            reporters |= {
                uid
                for uid in [
                    case.reporter_user_id,
                    *case.duplicates.values_list("reporter_user_id", flat=True),
                    *case.followers.values_list("user_id", flat=True),
                ]
                if uid
            }
    return staff, reporters


def _text(case: Case, action: str, note: str = "") -> str:
    with override(settings.LANGUAGE_CODE):
        label = action_label(action)
        text = _("Case %(ref)s: %(what)s.") % {"ref": case.ref, "what": label}
        if note:
            text += " " + note
        return text[:300]


def _email_reporters(case: Case, subject: str, body: str) -> None:
    addresses = [
        a
        for a in [
            case.contact_email,
            *case.duplicates.values_list("contact_email", flat=True),
            *case.followers.exclude(email="").values_list("email", flat=True),
        ]
        if a
    ]
    outbox.emit_email(subject, body, addresses, jurisdiction=case.jurisdiction)  # its own event


def notify_case_event(event) -> None:
    payload = event.payload
    action = event.topic.split(".", 1)[1]
    case = Case.objects.filter(pk=payload.get("case")).select_related("department").first()
    if case is None:
        return
    groups = RECIPIENTS.get(action, ())
    emergency = bool(payload.get("emergency"))
    if action == "rate" and payload.get("rating") == "unsatisfied":
        groups = ("department", "supervisors")
    history = CaseEvent.objects.filter(pk=payload.get("event")).first()
    note = history.note if history and history.public else ""
    staff, reporters = recipients(case, groups, emergency=emergency)
    if "supervisors" in groups:
        staff |= area_holders(case, [Role.DISTRICT_SUPERVISOR])
    text = _text(case, action, note)
    now = timezone.now()
    InboxMessage.objects.bulk_create(
        [
            InboxMessage(user_id=uid, case=case, jurisdiction=case.jurisdiction, text=text, created_at=now)
            for uid in sorted(staff | reporters)
        ]
    )
    if "reporter" in groups:
        _email_reporters(case, text[:78], text)
    if action == "dispatch" and case.department and case.department.email:
        outbox.emit_email(text[:78], text, [case.department.email], jurisdiction=case.jurisdiction)
    queue_webhooks(
        event.topic,
        {"topic": event.topic, "case": case.ref, "state": case.state, "at": now.isoformat()},
        jurisdiction=case.jurisdiction,
    )


def notify_swept(event) -> None:
    """Inbox messages for the cases a sweep touched, in batches, found through the history rows the
    sweep wrote (indexed by time) rather than by scanning the cases."""
    mark = datetime.fromisoformat(event.payload["mark"])
    steps = {
        "remind": ("remind", ("department",)),
        "escalate": ("auto_escalate", ("level",)),
        "overdue_response": ("overdue_response", ("department", "dispatchers")),
        "overdue_resolution": ("overdue_resolution", ("department", "dispatchers")),
    }
    now = timezone.now()
    for step, (action, groups) in steps.items():
        if not event.payload.get(step):
            continue
        case_ids = CaseEvent.objects.filter(at=mark, action=action, actor__isnull=True).values("case_id")
        batch: list[InboxMessage] = []
        for case in Case.objects.filter(pk__in=case_ids).iterator(chunk_size=2000):
            staff, _reporters = recipients(case, groups)
            text = _text(case, action)
            batch += [
                InboxMessage(
                    user_id=uid, case=case, jurisdiction=case.jurisdiction, text=text, created_at=now
                )
                for uid in sorted(staff)
            ]
            if len(batch) >= 5000:
                InboxMessage.objects.bulk_create(batch)
                batch = []
        InboxMessage.objects.bulk_create(batch)
    queue_webhooks(event.topic, {"topic": event.topic, **event.payload})


# --- webhooks ----------------------------------------------------------------------------------


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def queue_webhooks(topic: str, body: dict, *, jurisdiction: str = "") -> int:
    n = 0
    for endpoint in WebhookEndpoint.objects.filter(active=True):
        if endpoint.topics and topic not in endpoint.topics:
            continue
        outbox.emit("webhook.deliver", {"endpoint": endpoint.pk, "body": body}, jurisdiction=jurisdiction)
        n += 1
    return n


def deliver_webhook(event) -> None:
    endpoint = WebhookEndpoint.objects.filter(pk=event.payload["endpoint"], active=True).first()
    if endpoint is None:
        return
    body = json.dumps(event.payload["body"], ensure_ascii=False, sort_keys=True).encode()
    request = urllib.request.Request(
        endpoint.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "X-Civicgrid-Signature": sign(endpoint.secret, body),
            "X-Civicgrid-Event": str(event.pk),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT) as response:  # noqa: S310 (admin-set URL)
            status = f"HTTP {response.status}"
    except Exception as exc:
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            last_status=str(exc)[:120], last_sent_at=timezone.now()
        )
        raise
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(last_status=status, last_sent_at=timezone.now())


def _register() -> None:
    topics = set(RECIPIENTS) | {"reported", "settled_on_spot"}
    for action in topics:
        outbox.handler(f"case.{action}")(notify_case_event)
    outbox.handler("cases.swept")(notify_swept)
    outbox.handler("webhook.deliver")(deliver_webhook)


_register()
