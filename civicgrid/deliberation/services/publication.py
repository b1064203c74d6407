"""The legality review (法治副书记 / legal steward) before publication, the publication (公示) and
the residents' objections, each answered before implementation starts."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from ..models import LegalReview, Objection, Publication
from ..workflow import Action
from .common import Locked, StepRefused, event, require
from .topics import passed_motion


@transaction.atomic
def review(topic, by, *, lawful: bool, opinion: str) -> LegalReview:
    """Record the legality review of the resolution passed at this step's meeting."""
    opinion = require(opinion, _("Write the review's opinion."), 4000)
    m = Locked(topic, Action.REVIEW, by)
    motion = passed_motion(m.step)
    if motion is None:
        raise StepRefused(_("There is no resolution to review yet: no motion has been passed."))
    row = LegalReview.objects.create(
        topic=m.topic, motion=motion, reviewer=by, lawful=bool(lawful), opinion=opinion
    )
    event(m.topic, "reviewed", by, opinion, data={"lawful": bool(lawful), "motion": motion.pk})
    m.save()
    return row


def current_publication(topic) -> Publication | None:
    return topic.publications.order_by("-starts_at", "-id").first()


@transaction.atomic
def object_to(topic, by, *, text: str) -> Objection:
    """A resident of the community objects to the published resolution (during its period)."""
    text = require(text, _("Say what you object to."), 2000)
    m = Locked(topic, Action.OBJECT, by)
    publication = Publication.objects.filter(step=m.step).order_by("-starts_at").first()
    if publication is None or not (publication.starts_at <= m.now < publication.ends_at):
        raise StepRefused(_("Objections are taken while the resolution is published."))
    row = Objection.objects.create(publication=publication, topic=m.topic, by=by, text=text)
    event(m.topic, "objected", by, public=True, data={"objection": row.pk})
    m.save()
    return row


@transaction.atomic
def answer(objection, by, *, text: str) -> Objection:
    """Answer an objection (publicly, without the objector's name)."""
    text = require(text, _("Write the answer."), 2000)
    objection = Objection.objects.get(pk=objection.pk)
    m = Locked(objection.topic_id, Action.ANSWER, by)
    objection = Objection.objects.select_for_update().get(pk=objection.pk)
    if objection.answered_at:
        raise StepRefused(_("This objection has already been answered."))
    objection.answer = text
    objection.answered_by = by
    objection.answered_at = m.now
    objection.save(update_fields=["answer", "answered_by", "answered_at"])
    event(m.topic, "objection_answered", by, text, data={"objection": objection.pk})
    m.save()
    return objection
