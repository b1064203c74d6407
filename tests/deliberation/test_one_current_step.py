"""Exactly one current step per topic: the database refuses a second one (SQLite and PostgreSQL)."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from civicgrid.deliberation.models import TopicStep


def test_the_database_refuses_a_second_current_step(walk, frozen):
    topic = walk("decide")
    other = topic.procedure.steps.get(code="research")
    with pytest.raises(IntegrityError), transaction.atomic():
        TopicStep.objects.create(topic=topic, step=other, started_at=timezone.now())
    assert TopicStep.objects.filter(topic=topic, ended_at__isnull=True).count() == 1


def test_ended_steps_do_not_count_and_a_step_cannot_end_before_it_starts(walk, frozen):
    topic = walk("research")
    assert TopicStep.objects.filter(topic=topic).count() == 3
    current = TopicStep.objects.get(topic=topic, ended_at__isnull=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        TopicStep.objects.filter(pk=current.pk).update(
            ended_at=current.started_at - timezone.timedelta(days=1)
        )
