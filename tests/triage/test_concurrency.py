"""Two people acting at once on triage (PostgreSQL): two confirmations of one case, two activations
of different versions, two first saves of one threshold. One wins, the other is told clearly or
its save becomes an update; nothing is left half done."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from civicgrid.cases.services import CaseConflict
from civicgrid.cases.workflow import State
from civicgrid.triage import services
from civicgrid.triage.models import Decision, Threshold, TriageModel
from tests.cases.test_concurrency import race

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite serialises every write transaction, so two writers never overlap; run on PostgreSQL",
    ),
]


def test_two_dispatchers_confirming_at_once_one_wins(city, people, cats, rule, report):
    from civicgrid.people.models import Role
    from civicgrid.people.services import assign_role, create_user

    second = create_user("dispatcher2", "pw-dispatcher2")
    assign_role(second, Role.STREET_DISPATCHER, area=city.street)
    case = report(description="小区门口乱停车，把路都堵了", category=cats.other)
    services.suggestions(case)
    results = race(
        lambda: services.confirm(case.pk, 1, by=people.dispatcher, expected_version=case.version),
        lambda: services.confirm(case.pk, 2, by=second, expected_version=case.version),
    )
    won = [r for r in results if not isinstance(r, Exception)]
    lost = [r for r in results if isinstance(r, Exception)]
    assert len(won) == 1 and len(lost) == 1 and isinstance(lost[0], CaseConflict)
    case.refresh_from_db()
    # Which suggestion wins is the race's: one with a department dispatches, one without registers.
    assert case.state == won[0].state and case.state in (State.DISPATCHED, State.REGISTERED)
    assert case.version == 2
    assert Decision.objects.filter(case=case).count() == 1


def test_two_activations_at_once_leave_one_version_in_use(city, people, history):
    history(2)
    one = services.train(by=people.admin, activate=False)
    two = services.train(by=people.admin, activate=False)
    results = race(
        lambda: services.activate(one, by=people.admin),
        lambda: services.activate(two, by=people.admin),
    )
    assert all(not isinstance(r, Exception) or isinstance(r, ValidationError) for r in results)
    assert TriageModel.objects.filter(active=True).count() == 1


def test_two_first_saves_of_a_threshold_make_one_row(city, people, cats):
    results = race(
        lambda: services.set_threshold(
            by=people.admin,
            jurisdiction=city.district.code,
            category=cats.parking,
            enabled=True,
            min_confidence=0.8,
        ),
        lambda: services.set_threshold(
            by=people.supervisor,
            jurisdiction=city.district.code,
            category=cats.parking,
            enabled=True,
            min_confidence=0.9,
        ),
    )
    assert not any(isinstance(r, Exception) for r in results), results
    assert Threshold.objects.filter(category=cats.parking).count() == 1
