"""What every deliberation service shares: errors, the current step, the locked topic, history."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.core import outbox

from .. import policy
from ..models import Topic, TopicEvent, TopicStep


class StepRefused(ValidationError):
    """What the topic's current step (or its status) does not allow, or what leaving it still needs."""


class TopicConflict(Exception):
    """Someone else acted on the topic after the caller loaded it."""

    def __init__(self, message: str | None = None):
        super().__init__(
            message or _("Someone else has already acted on this topic. Reload it and try again.")
        )


def now():
    return timezone.now()


def actor(by):
    return by if getattr(by, "is_authenticated", False) else None


def require(text: str, message: str, limit: int = 4000) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError(message)
    return text[:limit]


def current_step(topic) -> TopicStep | None:
    """The topic's one current step (cached on the object for the request)."""
    cached = getattr(topic, "_current_step", None)
    if cached is None and topic.pk:
        cached = TopicStep.objects.select_related("step").filter(topic=topic, ended_at__isnull=True).first()
        topic._current_step = cached
    return cached


def event(topic: Topic, action: str, by, note: str = "", *, step=None, data=None, public=True, at=None):
    """Write the history row and the outbox row of an action (inside its transaction)."""
    step = step or current_step(topic)
    row = TopicEvent.objects.create(
        jurisdiction=topic.jurisdiction,
        topic=topic,
        step=step,
        action=action,
        actor=actor(by),
        note=note,
        data=data or {},
        public=public,
        at=at or now(),
    )
    outbox.emit(
        f"deliberation.{action}",
        {"topic": topic.pk, "event": row.pk, "step": topic.step_code},
        jurisdiction=topic.jurisdiction,
    )
    return row


class Locked:
    """One action on one topic: lock the row, compare the version, check the step and the role."""

    def __init__(self, topic, action: str | None, by, *, expected_version=None, task=None, system=False):
        pk = topic.pk if isinstance(topic, Topic) else int(topic)
        self.topic = Topic.objects.select_for_update().select_related("procedure", "community").get(pk=pk)
        if expected_version is not None and int(expected_version) != self.topic.version:
            raise TopicConflict()
        self.step = current_step(self.topic)
        self.by = by
        self.now = now()
        if action is not None and not system:
            policy.check(by, action, self.topic, task=task, step=self.step)

    def save(self, *fields: str) -> Topic:
        self.topic.version += 1
        self.topic.save(update_fields=["version", *fields])
        return self.topic
