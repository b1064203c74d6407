"""The meeting (召开会议): the council 1+7+X invited, attendance, motions, votes (for / against /
abstain) with the quorum and majority of the step, and the minutes. A vote is possible only while
its meeting is open and its topic is in that meeting's step."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from .. import policy
from ..models import Invitation, Meeting, Motion, Vote
from ..workflow import Action, StepKind, VoteChoice, motion_passes, quorum_met
from .common import Locked, StepRefused, actor, event, require
from .councils import members_for


def _locked_meeting(meeting, action, by) -> tuple[Locked, Meeting]:
    meeting = Meeting.objects.get(pk=meeting.pk)
    m = Locked(meeting.topic_id, action, by)
    meeting = Meeting.objects.select_for_update().select_related("step__step").get(pk=meeting.pk)
    if m.step is None or meeting.step_id != m.step.pk:
        raise StepRefused(_("This meeting belongs to a step the topic has left."))
    return m, meeting


@transaction.atomic
def schedule(topic, by, *, title: str, scheduled_at, place: str = "", invite_council: bool = True) -> Meeting:
    """Call a meeting of the current (meeting) step; the council 1+7+X is invited."""
    title = require(title, _("Give the meeting a title."), 120)
    if scheduled_at is None:
        raise ValidationError(_("Say when the meeting is."))
    m = Locked(topic, Action.MEET, by)
    if m.step.step.kind != StepKind.MEETING:
        raise StepRefused(_("Meetings are held in a meeting step."))
    meeting = Meeting.objects.create(
        jurisdiction=m.topic.jurisdiction,
        topic=m.topic,
        step=m.step,
        title=title,
        place=(place or "").strip()[:120],
        scheduled_at=scheduled_at,
        created_by=actor(by),
    )
    if invite_council:
        Invitation.objects.bulk_create(
            [
                Invitation(meeting=meeting, seat=s, user=s.user, label=f"{s.get_kind_display()} · {s.holder}")
                for s in members_for(m.topic)
            ]
        )
    event(
        m.topic, "meeting_scheduled", by, title, data={"meeting": meeting.pk, "at": scheduled_at.isoformat()}
    )
    m.save()
    return meeting


@transaction.atomic
def invite(meeting, by, *, label: str, user=None, votes: bool = True) -> Invitation:
    """Invite someone else: a Party member, a villagers' representative, a department (X)."""
    label = require(label, _("Say who is invited."), 80)
    m, meeting = _locked_meeting(meeting, Action.MEET, by)
    if meeting.closed_at:
        raise StepRefused(_("This meeting is closed."))
    return Invitation.objects.create(meeting=meeting, label=label, user=user, votes=votes)


@transaction.atomic
def open_meeting(meeting, by, *, present: list[int]) -> Meeting:
    """Open the meeting and record who came (invitation ids)."""
    m, meeting = _locked_meeting(meeting, Action.MEET, by)
    if meeting.opened_at:
        raise StepRefused(_("This meeting is already open."))
    ids = set(meeting.invitations.values_list("id", flat=True))
    present = {int(i) for i in present or []}
    if not present <= ids:
        raise ValidationError(_("Attendance can be recorded only for those invited."))
    meeting.invitations.filter(id__in=present).update(attended=True)
    meeting.invitations.exclude(id__in=present).update(attended=False)
    meeting.opened_at = m.now
    meeting.save(update_fields=["opened_at"])
    event(m.topic, "meeting_opened", by, data={"meeting": meeting.pk, "present": len(present)})
    m.save()
    return meeting


@transaction.atomic
def put_motion(meeting, by, *, text: str) -> Motion:
    text = require(text, _("Write the motion."), 2000)
    m, meeting = _locked_meeting(meeting, Action.MEET, by)
    if not meeting.is_open:
        raise StepRefused(_("A motion can be put only while the meeting is open."))
    if meeting.motions.filter(closed_at__isnull=True).exists():
        raise StepRefused(_("Close the vote on the open motion first."))
    motion = Motion.objects.create(meeting=meeting, text=text)
    event(m.topic, "motion_put", by, text, data={"motion": motion.pk})
    return motion


@transaction.atomic
def vote(motion, by, *, choice: str, invitation=None) -> Vote:
    """A council member votes; or the meeting's clerk records a member's show of hands."""
    if choice not in VoteChoice.values:
        raise ValidationError(_("Vote for, against or abstain."))
    motion = Motion.objects.select_related("meeting").get(pk=motion.pk)
    if invitation is None:
        invitation = motion.meeting.invitations.filter(user=by).first()
        if invitation is None:
            raise PermissionDenied(_("You are not invited to this meeting."))
    elif invitation.meeting_id != motion.meeting_id:
        raise ValidationError(_("This member is not invited to this meeting."))
    own = invitation.user_id is not None and invitation.user_id == getattr(by, "pk", None)
    # An invitee votes for themselves (a Party member, a representative: not only seat holders);
    # anyone else must be allowed to record votes. The step must allow voting either way.
    m, meeting = _locked_meeting(motion.meeting, None if own else Action.VOTE, by)
    if own:
        policy.check_step(m.topic, Action.VOTE, m.step)
    elif not policy.runs(by, m.topic.path):
        raise PermissionDenied(_("Only the member, or the meeting's clerk, can record this vote."))
    if not meeting.is_open:
        raise StepRefused(_("Votes are cast only during the meeting."))
    motion = Motion.objects.select_for_update().get(pk=motion.pk)
    if motion.closed_at:
        raise StepRefused(_("The vote on this motion is closed."))
    invitation.refresh_from_db()
    if not invitation.votes:
        raise ValidationError(_("This invitee takes part but does not vote."))
    if not invitation.attended:
        raise ValidationError(_("Only members present at the meeting vote."))
    try:
        with transaction.atomic():
            row = Vote.objects.create(
                motion=motion, invitation=invitation, choice=choice, recorded_by=actor(by)
            )
    except IntegrityError:
        raise ValidationError(_("This member has already voted on this motion.")) from None
    event(m.topic, "voted", by, public=False, data={"motion": motion.pk})
    return row


def tally(motion: Motion, step) -> dict:
    """Count the votes and apply the step's quorum and majority."""
    meeting = motion.meeting
    entitled = meeting.invitations.filter(votes=True).count()
    present = meeting.invitations.filter(votes=True, attended=True).count()
    choices = list(motion.votes.values_list("choice", flat=True))
    counts = {c: choices.count(c) for c in VoteChoice.values}
    met = quorum_met(present, entitled, step.quorum_num, step.quorum_den, step.quorum_strict)
    passed = met and motion_passes(
        step.majority, votes_for=counts["for"], against=counts["against"], present=present, entitled=entitled
    )
    return {
        "entitled": entitled,
        "present": present,
        "for": counts["for"],
        "against": counts["against"],
        "abstain": counts["abstain"],
        "quorum_met": met,
        "passed": passed,
    }


@transaction.atomic
def close_vote(motion, by) -> Motion:
    motion = Motion.objects.select_related("meeting").get(pk=motion.pk)
    m, meeting = _locked_meeting(motion.meeting, Action.MEET, by)
    motion = Motion.objects.select_for_update().get(pk=motion.pk)
    if motion.closed_at:
        raise StepRefused(_("The vote on this motion is already closed."))
    t = tally(motion, meeting.step.step)
    motion.closed_at = m.now
    motion.entitled, motion.present = t["entitled"], t["present"]
    motion.votes_for, motion.votes_against, motion.abstentions = t["for"], t["against"], t["abstain"]
    motion.quorum_met, motion.passed = t["quorum_met"], t["passed"]
    motion.save()
    note = _("passed") if t["passed"] else (_("failed") if t["quorum_met"] else _("no quorum"))
    event(
        m.topic,
        "vote_closed",
        by,
        str(note),
        data={"motion": motion.pk, **{k: t[k] for k in ("for", "against", "abstain", "present", "entitled")}},
    )
    m.save()
    return motion


@transaction.atomic
def close_meeting(meeting, by, *, minutes: str) -> Meeting:
    minutes = require(minutes, _("Write the minutes."), 20000)
    m, meeting = _locked_meeting(meeting, Action.MEET, by)
    if not meeting.is_open:
        raise StepRefused(_("Only an open meeting can be closed."))
    if meeting.motions.filter(closed_at__isnull=True).exists():
        raise StepRefused(_("Close the vote on the open motion first."))
    meeting.minutes = minutes
    meeting.closed_at = m.now
    meeting.save(update_fields=["minutes", "closed_at"])
    event(m.topic, "meeting_closed", by, data={"meeting": meeting.pk})
    m.save()
    return meeting


def minutes_record(meeting) -> dict:
    """The minutes with attendance and each member's vote (for the council and the minutes only)."""
    invitations = list(meeting.invitations.all())
    motions = []
    for motion in meeting.motions.prefetch_related("votes"):
        by_invitation = {v.invitation_id: v.get_choice_display() for v in motion.votes.all()}
        motions.append(
            {
                "motion": motion,
                "votes": [
                    (i.label, by_invitation.get(i.pk, "–")) for i in invitations if i.votes and i.attended
                ],
            }
        )
    return {"invitations": invitations, "motions": motions}
