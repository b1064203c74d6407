"""Two deciders on one concentrated-problem proposal at once (accept against dismiss, accept
against accept, accept against a dispatcher merging the same cases): one wins, no deadlock."""

import pytest
from django.db import connection

from civicgrid.cases import services
from civicgrid.cases.models import Case, ClusterProposal, ProposalState
from civicgrid.cases.workflow import State
from tests.cases.test_concurrency import race

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite serialises every write transaction, so two writers never overlap; run on PostgreSQL",
    ),
]

TEXTS = [
    "小区东门晚上车辆乱停，消防通道被堵",
    "东门车辆乱停堵住消防通道",
    "晚上东门乱停车，消防通道堵了",
    "车辆乱停，东门消防通道被占",
    "东门口车辆乱停放，堵塞消防通道",
]


@pytest.fixture
def proposal(city, people, cats):
    for t in TEXTS:
        services.intake(channel="resident_app", description=t, category=cats.parking, unit=city.unit)
    (p,) = services.propose_clusters(community=city.community)
    return p


def test_accept_against_dismiss_one_wins(city, people, proposal):
    results = race(
        lambda: services.accept_proposal(proposal.pk, people.secretary),
        lambda: services.dismiss_proposal(proposal.pk, people.community_staff, reason="不是同一问题"),
    )
    winners = [r for r in results if isinstance(r, ClusterProposal)]
    losers = [r for r in results if isinstance(r, services.ProposalConflict)]
    assert len(winners) == 1 and len(losers) == 1, results
    p = ClusterProposal.objects.get(pk=proposal.pk)
    assert p.state == winners[0].state
    merged = Case.objects.filter(state=State.MERGED).count()
    assert merged == (4 if p.state == ProposalState.ACCEPTED else 0)


def test_two_accepts_one_wins(city, people, proposal):
    results = race(
        lambda: services.accept_proposal(proposal.pk, people.secretary),
        lambda: services.accept_proposal(proposal.pk, people.dispatcher),
    )
    assert sum(isinstance(r, ClusterProposal) for r in results) == 1, results
    assert sum(isinstance(r, services.ProposalConflict) for r in results) == 1, results
    assert Case.objects.filter(state=State.MERGED).count() == 4


def test_accept_against_a_merge_of_the_same_cases_never_deadlocks(city, people, proposal):
    ids = sorted(proposal.cases.values_list("pk", flat=True))
    # the dispatcher merges the earliest into the latest, locking in id order as well
    results = race(
        lambda: services.accept_proposal(proposal.pk, people.secretary),
        lambda: services.merge(ids[:2], ids[-1], people.dispatcher),
    )
    assert not any("deadlock" in str(r).lower() for r in results), results
    assert any(not isinstance(r, Exception) for r in results), results
