"""Messages to residents and organisers, written by the worker from this app's outbox events into
the in-app inbox (cases' InboxMessage, the one inbox of civicgrid, shown at /cases/staff/inbox/)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from civicgrid.cases.models import InboxMessage

from .models import PointsTransaction, Redemption, SignUp


def _send(user_id, text: str, jurisdiction: str) -> None:
    if user_id:
        InboxMessage.objects.create(
            user_id=user_id, text=text[:300], jurisdiction=jurisdiction, created_at=timezone.now()
        )


def place_given(event) -> None:
    signup = (
        SignUp.objects.filter(pk=event.payload.get("signup")).select_related("activity", "resident").first()
    )
    if signup is None:
        return
    with override("zh-hans"):
        text = _("A place came free: you now have a place in “%(title)s” on %(when)s.") % {
            "title": signup.activity.title,
            "when": timezone.localtime(signup.activity.starts_at).strftime("%Y-%m-%d %H:%M"),
        }
    _send(signup.resident.user_id, text, signup.jurisdiction)


def points_awarded(event) -> None:
    signup = (
        SignUp.objects.filter(pk=event.payload.get("signup")).select_related("activity", "resident").first()
    )
    tx = PointsTransaction.objects.filter(pk=event.payload.get("transaction")).first()
    if signup is None or tx is None:
        return
    points = sum(e.amount for e in tx.entries.all() if e.amount > 0)
    with override("zh-hans"):
        text = _("Thank you: %(points)d points for “%(title)s”.") % {
            "points": points,
            "title": signup.activity.title,
        }
    _send(signup.resident.user_id, text, signup.jurisdiction)


def redeemed(event) -> None:
    redemption = (
        Redemption.objects.filter(pk=event.payload.get("redemption")).select_related("reward__shop").first()
    )
    if redemption is None:
        return
    with override("zh-hans"):
        text = _("%(reward)s is held for you at %(shop)s: show the code %(code)s there.") % {
            "reward": redemption.reward.name,
            "shop": redemption.reward.shop.name,
            "code": redemption.code,
        }
    _send(redemption.resident.user_id, text, redemption.jurisdiction)


def points_reversed(event) -> None:
    tx = (
        PointsTransaction.objects.filter(pk=event.payload.get("transaction"))
        .select_related("resident")
        .first()
    )
    if tx is None or tx.resident is None:
        return
    with override("zh-hans"):
        text = _("A points entry was corrected: %(reason)s") % {"reason": tx.reason}
    _send(tx.resident.user_id, text, tx.jurisdiction)


def call_issued(event) -> None:
    """A whistle call (party app, which sits below the inbox): tell the members who may answer it
    and have an account — Party members living in its area, members of organisations in it, and
    members registered with a community in it (双报到)."""
    from django.db.models import Q

    from civicgrid.party.models import HomeRegistration, WhistleCall
    from civicgrid.people.models import Resident

    call = WhistleCall.objects.filter(pk=event.payload.get("call")).select_related("issuer__area").first()
    if call is None:
        return
    area = call.issuer.area.path
    home = HomeRegistration.objects.filter(path__startswith=area, ended_on__isnull=True).values("member_id")
    users = (
        Resident.objects.filter(user__isnull=False)
        .filter(
            Q(path__startswith=area, is_party_member=True)
            | Q(party_memberships__organization__area__path__startswith=area)
            | Q(pk__in=home)
        )
        .values_list("user_id", flat=True)
        .distinct()
    )
    with override("zh-hans"):
        text = _("Whistle call from %(org)s: %(task)s — %(n)d members needed by %(when)s.") % {
            "org": call.issuer.name,
            "task": call.task,
            "n": call.members_needed,
            "when": timezone.localtime(call.deadline).strftime("%m-%d %H:%M"),
        }
    now = timezone.now()
    InboxMessage.objects.bulk_create(
        [
            InboxMessage(user_id=uid, text=text[:300], jurisdiction=call.jurisdiction, created_at=now)
            for uid in set(users)
        ]
    )
