"""Two people acting on the same topic at once: one wins, the other is told clearly."""

import threading

import pytest
from django.db import connection, connections

from civicgrid.deliberation import services
from civicgrid.deliberation.models import Topic, TopicStep

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="SQLite serialises every write; run on PostgreSQL"
    ),
]


def race(*calls):
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, fn):
        try:
            barrier.wait()
            results[i] = fn()
        except Exception as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_two_staff_taking_up_and_declining_at_once_one_wins(walk, people):
    topic = walk("decide")
    seen = topic.version
    results = race(
        lambda: services.take_up(topic.pk, people.secretary, reason="涉及安全", expected_version=seen),
        lambda: services.decline(topic.pk, people.community_staff, reason="不属于", expected_version=seen),
    )
    winners = [r for r in results if isinstance(r, Topic)]
    conflicts = [r for r in results if isinstance(r, services.TopicConflict)]
    assert len(winners) == 1 and len(conflicts) == 1, results
    assert TopicStep.objects.filter(topic_id=topic.pk, ended_at__isnull=True).count() == 1


def test_two_residents_supporting_at_once_both_count(walk, residents):
    topic = walk("collect")
    race(lambda: services.support(topic.pk, residents[0]), lambda: services.support(topic.pk, residents[1]))
    topic.refresh_from_db()
    assert topic.supports_count == 2 == topic.supports.count()
