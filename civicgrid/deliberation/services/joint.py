"""The compound's joint meeting (四位一体: branch, police office, owners' committee, property company),
at least once a quarter: scheduling, the record of a held meeting, the overdue flag and reminders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.areas.models import Compound
from civicgrid.core import outbox

from .. import policy
from ..models import JointMeeting, JointMeetingReminder
from ..workflow import JointParty
from .common import actor, require

# Reminders go out this many days before a quarter ends without a joint meeting.
REMIND_DAYS = 14


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def next_quarter(start: date) -> date:
    return date(start.year + (start.month == 10), (start.month + 2) % 12 + 1, 1)


def previous_quarter(start: date) -> date:
    return date(start.year - (start.month == 1), (start.month - 4) % 12 + 1, 1)


def quarter_label(start: date) -> str:
    return f"{start.year}Q{(start.month - 1) // 3 + 1}"


@dataclass
class JointStatus:
    compound: Compound
    last_held: date | None
    held_this_quarter: bool
    due_by: date  # the last day of this quarter
    overdue: bool  # the previous quarter passed without one
    remind: bool  # the quarter is nearly over and none was held


def joint_status(
    compound: Compound, today: date | None = None, *, last_held: date | None = None
) -> JointStatus:
    today = today or timezone.localdate()
    if last_held is None:
        last_held = JointMeeting.objects.filter(compound=compound, held_on__isnull=False).aggregate(
            d=Max("held_on")
        )["d"]
    start = quarter_start(today)
    end = next_quarter(start) - timedelta(days=1)
    held_now = bool(last_held and last_held >= start)
    overdue = not held_now and (last_held is None or last_held < previous_quarter(start))
    remind = not held_now and (overdue or (end - today).days < REMIND_DAYS)
    return JointStatus(compound, last_held, held_now, end, overdue, remind)


def statuses(compounds, today: date | None = None) -> list[JointStatus]:
    compounds = list(compounds)
    last = dict(
        JointMeeting.objects.filter(compound__in=compounds, held_on__isnull=False)
        .values("compound")
        .annotate(d=Max("held_on"))
        .values_list("compound", "d")
    )
    return [joint_status(c, today, last_held=last.get(c.pk)) for c in compounds]


def _check(by, compound) -> None:
    if not policy.can_run_joint_meetings(by, compound.community.path):
        raise PermissionDenied(_("You may not arrange this compound's joint meetings."))


@transaction.atomic
def schedule_joint_meeting(compound, by, *, scheduled_for: date) -> JointMeeting:
    _check(by, compound)
    if scheduled_for is None:
        raise ValidationError(_("Say when the joint meeting is."))
    return JointMeeting.objects.create(compound=compound, scheduled_for=scheduled_for, created_by=actor(by))


@transaction.atomic
def hold_joint_meeting(meeting, by, *, held_on: date, parties, minutes: str) -> JointMeeting:
    meeting = (
        JointMeeting.objects.select_for_update().select_related("compound__community").get(pk=meeting.pk)
    )
    _check(by, meeting.compound)
    minutes = require(minutes, _("Write the minutes."), 20000)
    parties = [p for p in JointParty.values if p in set(parties or [])]
    if len(parties) < 2:
        raise ValidationError(_("A joint meeting needs at least two of its four parties present."))
    if held_on is None or held_on > timezone.localdate():
        raise ValidationError(_("A meeting is recorded as held on a day that has come."))
    if meeting.held_on:
        raise ValidationError(_("This joint meeting is already recorded."))
    meeting.held_on, meeting.parties, meeting.minutes = held_on, parties, minutes
    meeting.save(update_fields=["held_on", "parties", "minutes", "path", "jurisdiction"])
    outbox.emit("deliberation.joint_meeting_held", {"meeting": meeting.pk}, jurisdiction=meeting.jurisdiction)
    return meeting


def send_joint_reminders(today: date | None = None) -> int:
    """Remind each compound whose quarter is ending (or passed) without a joint meeting, once a
    quarter (the worker runs this hourly)."""
    today = today or timezone.localdate()
    label = quarter_label(quarter_start(today))
    done = set(JointMeetingReminder.objects.filter(quarter=label).values_list("compound_id", flat=True))
    sent = 0
    compounds = Compound.objects.select_related("community").exclude(pk__in=done)
    for status in statuses(compounds, today):
        if not status.remind:
            continue
        c = status.compound
        try:
            with transaction.atomic():
                JointMeetingReminder.objects.create(
                    compound=c, path=c.community.path, quarter=label, jurisdiction=c.jurisdiction
                )
                outbox.emit(
                    "deliberation.joint_meeting_due",
                    {"compound": c.pk, "quarter": label, "overdue": status.overdue},
                    jurisdiction=c.jurisdiction,
                )
        except IntegrityError:
            continue
        sent += 1
    return sent
