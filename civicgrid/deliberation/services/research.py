"""Research before the meeting (议前调研): visits, documents and photos, and a short questionnaire to
the affected households (answers counted; public pages never show who answered what)."""

from __future__ import annotations

import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from civicgrid.cases.photos import CleanPhoto, clean_photo
from civicgrid.people import policy as people_policy
from civicgrid.people.models import Role

from .. import policy
from ..models import ResearchKind, ResearchNote, Survey, SurveyAnswer
from ..workflow import Action
from .common import Locked, StepRefused, event, require

MAX_QUESTIONS = 5
MAX_OPTIONS = 6


@transaction.atomic
def add_note(topic, by, *, kind: str, text: str, photo=None) -> ResearchNote:
    """A visit, a document or a photo (checked and stripped of metadata as for cases)."""
    if kind not in ResearchKind.values:
        raise ValidationError(_("Unknown kind of research note."))
    text = require(text, _("Write what was found."))
    clean = None
    if photo is not None:
        clean = photo if isinstance(photo, CleanPhoto) else clean_photo(photo)
    m = Locked(topic, Action.RESEARCH, by)
    note = ResearchNote(topic=m.topic, step=m.step, kind=kind, text=text, by=by)
    if clean is not None:
        note.content_type = clean.content_type
        note.photo.save(f"{secrets.token_hex(8)}.{clean.extension}", ContentFile(clean.content), save=False)
    note.save()
    event(m.topic, "research_noted", by, data={"note": note.pk, "kind": kind}, public=False)
    m.save()
    return note


def _questions(raw) -> list[dict]:
    out = []
    for q in raw or []:
        text = (q.get("text") or "").strip()[:200]
        options = [str(o).strip()[:60] for o in q.get("options") or [] if str(o).strip()]
        if not text or not 2 <= len(options) <= MAX_OPTIONS:
            raise ValidationError(_("Each question needs a text and two to six options."))
        out.append({"text": text, "options": options})
    if not 1 <= len(out) <= MAX_QUESTIONS:
        raise ValidationError(_("A questionnaire has one to five questions."))
    return out


@transaction.atomic
def create_survey(topic, by, *, questions) -> Survey:
    questions = _questions(questions)
    m = Locked(topic, Action.RESEARCH, by)
    if m.topic.surveys.filter(closed_at__isnull=True).exists():
        raise ValidationError(_("This topic already has an open questionnaire."))
    survey = Survey.objects.create(topic=m.topic, questions=questions, created_by=by)
    event(m.topic, "survey_opened", by, data={"survey": survey.pk})
    m.save()
    return survey


def _may_answer_for(user, household, topic) -> bool:
    if not household.path.startswith(topic.path):
        return False
    resident = getattr(user, "resident", None) if getattr(user, "is_authenticated", False) else None
    if resident is not None and resident.household_id == household.pk and policy.is_resident_of(user, topic):
        return True
    if policy.runs(user, topic.path):
        return True
    return people_policy.covers(people_policy.scope_paths(user, {Role.GRID_WORKER}), household.path)


@transaction.atomic
def answer_survey(survey, by, *, household, choices) -> SurveyAnswer:
    """One answer per household (a resident for their own, or a grid worker at the door)."""
    survey = Survey.objects.select_related("topic").get(pk=survey.pk)
    m = Locked(survey.topic, None, by)
    policy_step = m.step
    if not m.topic.is_open or policy_step is None or not policy_step.step.allows_action(Action.RESEARCH):
        raise StepRefused(_("The questionnaire is open only while the topic is being researched."))
    if survey.closed_at is not None:
        raise StepRefused(_("This questionnaire is closed."))
    if not _may_answer_for(by, household, m.topic):
        raise PermissionDenied(_("You may answer only for your own household in this community."))
    choices = list(choices or [])
    if len(choices) != len(survey.questions) or any(
        not isinstance(c, int) or not 0 <= c < len(q["options"])
        for c, q in zip(choices, survey.questions, strict=False)
    ):
        raise ValidationError(_("Answer every question with one of its options."))
    try:
        with transaction.atomic():
            answer = SurveyAnswer.objects.create(survey=survey, household=household, choices=choices, by=by)
    except IntegrityError:
        raise ValidationError(_("This household has already answered.")) from None
    event(m.topic, "survey_answered", by, public=False, data={"survey": survey.pk})
    return answer


@transaction.atomic
def close_survey(survey, by) -> Survey:
    m = Locked(survey.topic, Action.RESEARCH, by)
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    if survey.closed_at is None:
        survey.closed_at = m.now
        survey.save(update_fields=["closed_at"])
        event(m.topic, "survey_closed", by, data={"survey": survey.pk, "answers": survey.answers.count()})
    return survey


def counts(survey) -> list[dict]:
    """Per question: the options and how many households chose each (never who)."""
    tallies = [[0] * len(q["options"]) for q in survey.questions]
    total = 0
    for choices in survey.answers.values_list("choices", flat=True):
        total += 1
        for i, c in enumerate(choices):
            if i < len(tallies) and 0 <= c < len(tallies[i]):
                tallies[i][c] += 1
    return [
        {"text": q["text"], "total": total, "options": list(zip(q["options"], tallies[i], strict=True))}
        for i, q in enumerate(survey.questions)
    ]
