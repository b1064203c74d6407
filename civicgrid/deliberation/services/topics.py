"""Topics: raised (by residents, from concentrated cases, by the branch, at the joint meeting),
supported, commented on, taken up or declined, and moved from step to step."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from civicgrid.cases import services as case_services
from civicgrid.cases.workflow import Kind

from .. import policy, rollups
from ..models import (
    Comment,
    Council,
    JointMeeting,
    LegalReview,
    Motion,
    ProcedureStep,
    Publication,
    ResearchNote,
    Support,
    SurveyAnswer,
    Topic,
    TopicCase,
    TopicStep,
)
from ..workflow import Action, StepKind, TopicSource, TopicStatus
from .common import Locked, StepRefused, actor, current_step, event, now, require
from .councils import council_for

TITLE_MAX = 120


def _first_step(procedure) -> ProcedureStep:
    step = procedure.steps.order_by("order").first()
    if step is None:
        raise ValidationError(_("This procedure has no steps."))
    return step


def _next_step(topic, current: TopicStep) -> ProcedureStep | None:
    return topic.procedure.steps.filter(order__gt=current.step.order).order_by("order").first()


def _create(
    community, by, *, title, description, source, compound=None, joint_meeting=None, at=None
) -> Topic:
    title = require(title, _("Give the topic a title."), TITLE_MAX)
    description = require(description, _("Say what the topic is about."))
    if compound is not None and compound.community_id != community.pk:
        raise ValidationError(_("The compound is not in this community."))
    council = Council.objects.select_for_update().get(pk=council_for(community).pk)  # numbers in order
    procedure = council.procedure
    first = _first_step(procedure)
    if not first.allows_action(Action.PROPOSE):
        raise StepRefused(_("The first step of this procedure does not take new topics."))
    moment = at or now()
    number = (Topic.objects.filter(community=community).aggregate(n=Max("number"))["n"] or 0) + 1
    topic = Topic.objects.create(
        jurisdiction=community.jurisdiction,
        number=number,
        community=community,
        path=community.path,
        compound=compound,
        procedure=procedure,
        title=title,
        description=description,
        source=source,
        proposed_by=actor(by),
        joint_meeting=joint_meeting,
        step_code=first.code,
        step_order=first.order,
        raised_at=moment,
    )
    step = TopicStep.objects.create(topic=topic, step=first, started_at=moment, started_by=actor(by))
    topic._current_step = step
    event(topic, "raised", by, title, step=step, data={"source": source}, at=moment)
    rollups.bump(topic, raised=1)
    return topic


@transaction.atomic
def propose(
    community, by, *, title: str, description: str, compound=None, source: str | None = None
) -> Topic:
    """A resident (on the phone) or the branch raises a topic in their community."""
    if not policy.can_propose_in(by, community):
        raise PermissionDenied(_("You may raise topics only in your own community."))
    staff = policy.runs(by, community.path)
    if source is None:
        source = TopicSource.BRANCH if staff else TopicSource.RESIDENT
    if source not in (TopicSource.RESIDENT, TopicSource.BRANCH) or (
        source == TopicSource.BRANCH and not staff
    ):
        raise ValidationError(_("Choose where the topic comes from."))
    return _create(community, by, title=title, description=description, source=source, compound=compound)


@transaction.atomic
def raise_from_joint_meeting(meeting: JointMeeting, by, *, title: str, description: str) -> Topic:
    """A topic the compound's joint meeting (四位一体) raised."""
    community = meeting.compound.community
    if not policy.runs(by, community.path):
        raise PermissionDenied(_("You may not raise topics for this community."))
    if meeting.held_on is None:
        raise ValidationError(_("Record the joint meeting as held before raising its topics."))
    return _create(
        community,
        by,
        title=title,
        description=description,
        source=TopicSource.JOINT_MEETING,
        compound=meeting.compound,
        joint_meeting=meeting,
    )


def _community_of(case):
    from civicgrid.areas.models import Area, Level

    codes = [c for c in case.path.split("/") if c]
    return Area.objects.filter(level=Level.COMMUNITY, code__in=codes).first()


@transaction.atomic
def raise_from_cases(cases: Iterable, by, *, title: str, description: str, note: str = "") -> Topic:
    """集中突出: concentrated cases raised by many residents become one topic, linked both ways.
    Cases not yet flagged are flagged for deliberation through the cases service."""
    cases = list(cases)
    if not cases:
        raise ValidationError(_("Choose the cases that raise this topic."))
    communities = {getattr(_community_of(c), "pk", None) for c in cases}
    if len(communities) != 1 or None in communities:
        raise ValidationError(_("The cases of one topic must lie in one community."))
    community = _community_of(cases[0])
    if not policy.runs(by, community.path):
        raise PermissionDenied(_("You may not raise topics for this community."))
    linked = TopicCase.objects.filter(case__in=cases).select_related("topic").first()
    if linked:
        raise ValidationError(
            _("Case %(ref)s already belongs to topic %(topic)s.")
            % {"ref": linked.case.ref, "topic": linked.topic.ref}
        )
    topic = _create(community, by, title=title, description=description, source=TopicSource.CASES)
    for case in cases:
        if case.kind != Kind.CONCENTRATED or case.flagged_for_deliberation_at is None:
            case_services.flag_for_deliberation(case, by, note=note or title)
        TopicCase.objects.create(topic=topic, case=case, raised=True, linked_by=actor(by))
    event(topic, "cases_linked", by, data={"cases": [c.pk for c in cases]}, public=False)
    return topic


@transaction.atomic
def link_case(topic, case, by, *, expected_version=None) -> TopicCase:
    """Link one more case to an open topic (it will close when the topic is carried out)."""
    m = Locked(topic, None, by, expected_version=expected_version)
    if not policy.runs(by, m.topic.path) or not m.topic.is_open:
        raise PermissionDenied(_("You may not link cases to this topic."))
    if not case.path.startswith(m.topic.path):
        raise ValidationError(_("The case is not in this topic's community."))
    try:
        with transaction.atomic():
            link = TopicCase.objects.create(topic=m.topic, case=case, raised=False, linked_by=actor(by))
    except IntegrityError:
        raise ValidationError(_("This case already belongs to a topic.")) from None
    event(m.topic, "case_linked", by, data={"case": case.pk}, public=False)
    m.save()
    return link


@transaction.atomic
def support(topic, by) -> Topic:
    """A resident of the community supports a topic (once)."""
    m = Locked(topic, Action.SUPPORT, by)
    if m.topic.proposed_by_id == by.pk:
        raise ValidationError(_("You raised this topic; the supports of others count."))
    try:
        with transaction.atomic():
            Support.objects.create(topic=m.topic, user=by)
    except IntegrityError:
        raise ValidationError(_("You already support this topic.")) from None
    m.topic.supports_count += 1
    event(m.topic, "supported", by, public=False)
    return m.save("supports_count")


@transaction.atomic
def comment(topic, by, text: str) -> Comment:
    """The residents' forum (居民议事园): a comment on the topic, shown without the author's name."""
    text = require(text, pgettext("deliberation", "Write a comment."), 2000)
    m = Locked(topic, Action.COMMENT, by)
    row = Comment.objects.create(topic=m.topic, step=m.step, author=by, text=text)
    event(m.topic, "commented", by, public=False, data={"comment": row.pk})
    m.save()
    return row


def _move(m: Locked, target: ProcedureStep, outcome: str) -> Topic:
    """End the current step and start `target`, with its entry work (a publication opens)."""
    topic = m.topic
    old = m.step
    old.ended_at = m.now
    old.ended_by = actor(m.by)
    old.outcome = outcome[:200]
    old.save(update_fields=["ended_at", "ended_by", "outcome"])
    new = TopicStep.objects.create(topic=topic, step=target, started_at=m.now, started_by=actor(m.by))
    topic._current_step = new
    topic.step_code = target.code
    topic.step_order = target.order
    fields = ["step_code", "step_order"]
    if target.kind == StepKind.PUBLISH:
        Publication.objects.create(
            topic=topic,
            step=new,
            text=topic.resolution,
            starts_at=m.now,
            ends_at=m.now + timedelta(days=target.publication_days),
        )
    event(topic, "advanced", m.by, outcome, step=new, data={"from": old.step.code, "to": target.code})
    return m.save(*fields)


def passed_motion(step: TopicStep) -> Motion | None:
    """The last motion passed in a closed meeting of this step."""
    return (
        Motion.objects.filter(meeting__step=step, meeting__closed_at__isnull=False, passed=True)
        .order_by("-closed_at", "-id")
        .first()
    )


def lawful_review(motion: Motion) -> LegalReview | None:
    review = motion.legal_reviews.order_by("-at", "-id").first()
    return review if review and review.lawful else None


def _leave_check(m: Locked, target: ProcedureStep | None) -> dict:
    topic, step = m.topic, m.step
    kind = step.step.kind
    if kind == StepKind.DECIDE:
        raise StepRefused(_("Take the topic up or decline it, with a reason."))
    if kind == StepKind.FOLLOW_UP or target is None:
        raise StepRefused(_("The topic is carried out when every follow-up task is done."))
    if kind == StepKind.COLLECT and topic.source == TopicSource.RESIDENT:
        need = topic.procedure.support_threshold
        if topic.supports_count < need:
            raise StepRefused(
                _("A residents' topic needs %(need)s supports to go on; it has %(have)s.")
                % {"need": need, "have": topic.supports_count}
            )
    if kind == StepKind.RESEARCH:
        has_notes = ResearchNote.objects.filter(topic=topic).exists()
        has_answers = SurveyAnswer.objects.filter(survey__topic=topic).exists()
        if not (has_notes or has_answers):
            raise StepRefused(_("Record the research first: a visit, a document or questionnaire answers."))
    if kind == StepKind.MEETING:
        motion = passed_motion(step)
        if motion is None:
            raise StepRefused(_("No motion has been passed at a closed meeting of this step."))
        if target.kind == StepKind.PUBLISH:
            if lawful_review(motion) is None:
                raise StepRefused(
                    _("The resolution cannot be published before the legality review found it lawful.")
                )
            return {"resolution": motion}
    if kind == StepKind.PUBLISH:
        publication = Publication.objects.filter(step=step).order_by("-starts_at").first()
        if publication and m.now < publication.ends_at:
            raise StepRefused(
                _("The resolution is published until %(end)s; implementation starts after that.")
                % {"end": publication.ends_at.strftime("%Y-%m-%d %H:%M")}
            )
        if topic.objections.filter(answered_at__isnull=True).exists():
            raise StepRefused(_("Every objection must be answered before implementation starts."))
    return {}


@transaction.atomic
def advance(topic, by, *, note: str = "", expected_version=None) -> Topic:
    """Move the topic to its procedure's next step, when the current step's kind allows it."""
    m = Locked(topic, Action.ADVANCE, by, expected_version=expected_version)
    target = _next_step(m.topic, m.step)
    found = _leave_check(m, target)
    fields = []
    if "resolution" in found:
        m.topic.resolution = found["resolution"].text
        m.topic.resolved_at = m.now
        fields += ["resolution", "resolved_at"]
        rollups.bump(m.topic, resolved=1)
    if fields:
        m.topic.save(update_fields=fields)
    return _move(m, target, (note or "").strip() or str(target.label))


@transaction.atomic
def take_up(topic, by, *, reason: str, expected_version=None) -> Topic:
    """确定议题: the council takes the topic up, with a public reason; research follows."""
    reason = require(reason, _("Give the public reason for taking the topic up."), 1000)
    m = Locked(topic, Action.DECIDE, by, expected_version=expected_version)
    if m.step.step.kind != StepKind.DECIDE:
        raise StepRefused(_("Topics are taken up in the deciding step."))
    target = _next_step(m.topic, m.step)
    if target is None:
        raise StepRefused(_("This procedure has no step after the decision."))
    m.topic.taken_up_at = m.now
    m.topic.decision_reason = reason
    m.topic.save(update_fields=["taken_up_at", "decision_reason"])
    rollups.bump(m.topic, taken_up=1)
    event(m.topic, "taken_up", by, reason)
    return _move(m, target, reason)


@transaction.atomic
def decline(topic, by, *, reason: str, expected_version=None) -> Topic:
    """The council declines the topic with a public reason; it stays on the public page."""
    reason = require(reason, _("Give the public reason for declining the topic."), 1000)
    m = Locked(topic, Action.DECIDE, by, expected_version=expected_version)
    if m.step.step.kind != StepKind.DECIDE:
        raise StepRefused(_("Topics are declined in the deciding step."))
    m.topic.status = TopicStatus.DECLINED
    m.topic.declined_at = m.now
    m.topic.decision_reason = reason
    m.step.outcome = reason[:200]
    m.step.save(update_fields=["outcome"])
    rollups.bump(m.topic, declined=1)
    event(m.topic, "declined", by, reason)
    return m.save("status", "declined_at", "decision_reason")


def history(topic, *, public_only: bool = False):
    qs = topic.events.select_related("step__step").order_by("at", "id")
    return qs.filter(public=True) if public_only else qs


__all__ = [
    "propose",
    "raise_from_joint_meeting",
    "raise_from_cases",
    "link_case",
    "support",
    "comment",
    "advance",
    "take_up",
    "decline",
    "passed_motion",
    "lawful_review",
    "history",
    "current_step",
]
