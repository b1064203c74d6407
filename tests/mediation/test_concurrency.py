"""Two staff closing the same dispute at the same moment: one wins, the other is told clearly."""

import threading

import pytest
from django.db import connection, connections

from civicgrid.mediation import services
from civicgrid.mediation.models import Dispute, DisputeEvent, DisputeRollup

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite serialises every write transaction, so two writers never overlap; run on PostgreSQL",
    ),
]


def race(*calls):
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, fn):
        try:
            barrier.wait()
            results[i] = fn()
        except Exception as exc:  # collected for the assertions
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_two_staff_closing_the_same_dispute_at_once_one_wins_the_other_gets_a_conflict(med, take_in):
    d = take_in()
    services.assign(d, med.committee, med.window)
    d.refresh_from_db()
    seen = d.version
    results = race(
        lambda: services.mark_failed(
            d.pk, med.head, reason="分歧太大", route="litigation", expected_version=seen
        ),
        lambda: services.withdraw(d.pk, med.window, reason="双方和解", expected_version=seen),
    )
    winners = [r for r in results if isinstance(r, Dispute)]
    conflicts = [r for r in results if isinstance(r, services.DisputeConflict)]
    assert len(winners) == 1 and len(conflicts) == 1, results
    d.refresh_from_db()
    assert d.version == seen + 1 and d.state == winners[0].state
    assert DisputeEvent.objects.filter(dispute=d, action__in=["mark_failed", "withdraw"]).count() == 1
    row = DisputeRollup.objects.get(centre=med.street_centre)
    assert row.closed == 1 and row.failed + row.withdrawn == 1


def test_without_a_version_the_second_closer_is_refused_by_the_state(med, take_in):
    d = take_in()
    services.assign(d, med.committee, med.window)
    results = race(
        lambda: services.mark_failed(d.pk, med.head, reason="分歧太大", route="litigation"),
        lambda: services.mark_failed(d.pk, med.window, reason="当事人不来", route="arbitration"),
    )
    assert sum(isinstance(r, Dispute) for r in results) == 1
    assert sum(isinstance(r, services.IllegalTransition) for r in results) == 1, results
    assert DisputeRollup.objects.get(centre=med.street_centre).closed == 1


def test_two_windows_taking_in_disputes_at_once_both_count(med, take_in):
    results = race(lambda: take_in(), lambda: take_in(by=med.head))
    assert all(isinstance(r, Dispute) for r in results), results
    assert DisputeRollup.objects.get(centre=med.street_centre).taken_in == 2
