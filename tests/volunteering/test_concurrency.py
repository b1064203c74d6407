"""Races on PostgreSQL: one item left and two residents redeem at once (exactly one gets it); the
resident and the organiser check out at the same moment and two confirmations run at once (one
award)."""

import threading

import pytest
from django.db import connection, connections

from civicgrid.volunteering import ledger, services
from civicgrid.volunteering.models import PointsTransaction, Redemption, Reward, TxKind

from .conftest import at

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


def _earn(activity, pairs, staff):
    import time_machine

    with time_machine.travel(at(2026, 6, 1), tick=False):
        signups = [services.sign_up(activity, r, u) for r, u in pairs]
    for signup in signups:
        services.check_in(signup, staff, at=at(2026, 6, 6, 9))
        services.check_out(signup, staff, at=at(2026, 6, 6, 11))
    return signups


def test_two_residents_redeem_the_last_item_at_once_exactly_one_wins(
    make_activity, residents, people, scheme, shop
):
    activity = make_activity()
    _earn(
        activity, [(residents.a, residents.a_user), (residents.c, residents.c_user)], people.community_staff
    )
    services.confirm_all(activity, people.community_staff)
    reward = services.add_reward(shop, scheme, "最后一袋大米", 2, 1, shop.keeper)
    results = race(
        lambda: services.redeem(reward, residents.a, residents.a_user),
        lambda: services.redeem(reward, residents.c, residents.c_user),
    )
    winners = [r for r in results if isinstance(r, Redemption)]
    losers = [r for r in results if isinstance(r, services.RewardConflict)]
    assert len(winners) == 1 and len(losers) == 1, results
    reward = Reward.objects.get(pk=reward.pk)
    assert reward.stock == 0
    assert Redemption.objects.count() == 1
    assert ledger.check(scheme) == []
    balances = sorted(ledger.find_holder_account(scheme, r).balance for r in (residents.a, residents.c))
    assert balances == [0, 2]


def test_two_confirmations_at_once_make_one_award(make_activity, residents, people, scheme):
    activity = make_activity()
    (signup,) = _earn(activity, [(residents.a, residents.a_user)], people.community_staff)
    results = race(
        lambda: services.confirm_hours(signup, people.community_staff),
        lambda: services.confirm_hours(signup, people.secretary),
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert PointsTransaction.objects.filter(kind=TxKind.AWARD, activity=activity).count() == 1
    assert ledger.find_holder_account(scheme, residents.a).balance == 2
    assert ledger.check(scheme) == []


def test_two_awards_written_at_once_for_the_same_activity_and_person_make_one(
    make_activity, residents, scheme
):
    """Straight at the ledger, around the sign-up lock: the unique constraint keeps it once."""
    activity = make_activity()
    results = race(
        lambda: ledger.award(activity, residents.a, 120),
        lambda: ledger.award(activity, residents.a, 120),
    )
    assert all(isinstance(r, PointsTransaction) for r in results), results
    assert results[0].pk == results[1].pk
    assert ledger.find_holder_account(scheme, residents.a).balance == 2
    assert ledger.check(scheme) == []
