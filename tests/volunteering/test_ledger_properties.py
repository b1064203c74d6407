"""Property tests for the points ledger: after any sequence of awards, redemptions, cancellations,
reversals and expiries the system sums to zero, every cached balance matches its entries, no
balance goes below its floor, an award is made once, and expiry takes the oldest points first."""

from datetime import timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civicgrid.volunteering import ledger, services
from civicgrid.volunteering.models import (
    AccountKind,
    PointsAccount,
    PointsEntry,
    PointsTransaction,
    TxKind,
)

from .conftest import at

HYPOTHESIS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

ops = st.lists(
    st.one_of(
        st.tuples(st.just("award"), st.integers(0, 2), st.integers(0, 3), st.integers(0, 300)),
        st.tuples(st.just("spend"), st.integers(0, 2), st.integers(1, 6)),
        st.tuples(st.just("reverse"), st.integers(0, 30)),
        st.tuples(st.just("cancel"), st.integers(0, 30)),
        st.tuples(st.just("days"), st.integers(1, 120)),
        st.tuples(st.just("expire")),
    ),
    max_size=25,
)


def _sound(scheme):
    assert ledger.check(scheme) == []
    for account in PointsAccount.objects.filter(scheme=scheme):
        derived = ledger.balance(account)
        assert derived == account.balance
        if account.kind in (AccountKind.PERSON, AccountKind.HOUSEHOLD):
            assert derived >= 0


@pytest.fixture
def world(city, people, residents, make_activity):
    scheme = services.create_scheme(
        city.community,
        "有期限的积分",
        {
            "cap": {"period": "month", "points": 4},
            "expiry_months": 3,
            "bonus_by_post_type": {"care_mutual_aid": 1},
        },
        people.community_staff,
    )
    activities = [
        make_activity(
            f"活动{i}", start=at(2026, 1 + i // 2, 5 + i), scheme=scheme, post_type="care_mutual_aid"
        )
        for i in range(4)
    ]
    return scheme, activities, [residents.a, residents.b, residents.c], people.community_staff


@HYPOTHESIS
@given(steps=ops)
def test_any_sequence_keeps_the_ledger_sound(world, steps):
    scheme, activities, people_, staff = world
    with transaction.atomic():
        clock = at(2026, 1, 1)
        for step in steps:
            kind = step[0]
            try:
                if kind == "award":
                    first = ledger.award(activities[step[2]], people_[step[1]], step[3], at=clock)
                    again = ledger.award(activities[step[2]], people_[step[1]], step[3] + 30, at=clock)
                    assert again.pk == first.pk
                elif kind == "spend":
                    account = ledger.find_holder_account(scheme, people_[step[1]])
                    if account is not None:
                        ledger.spend(account, step[2], at=clock, reason="test")
                elif kind in ("reverse", "cancel"):
                    txs = list(PointsTransaction.objects.filter(scheme=scheme).order_by("id"))
                    if txs:
                        tx = txs[step[1] % len(txs)]
                        ledger.reverse(
                            tx,
                            "mistake",
                            at=clock,
                            kind=TxKind.CANCELLATION if kind == "cancel" else TxKind.REVERSAL,
                        )
                elif kind == "days":
                    clock += timedelta(days=step[1])
                else:
                    ledger.expire(scheme, clock.date(), at=clock)
                    for account in PointsAccount.objects.filter(scheme=scheme, kind=AccountKind.PERSON):
                        assert not ledger.lots(account, on=clock.date()).exists()
            except ledger.LedgerError:
                pass  # refused: nothing was written (checked below)
            _sound(scheme)
        for activity in activities:
            for person in people_:
                assert (
                    PointsTransaction.objects.filter(
                        kind=TxKind.AWARD, activity=activity, resident=person
                    ).count()
                    <= 1
                )
        transaction.set_rollback(True)


@HYPOTHESIS
@given(
    earned=st.lists(st.integers(1, 4), min_size=1, max_size=4),
    spent_share=st.floats(0, 1),
    expire_after=st.integers(0, 4),
)
def test_expiry_takes_the_oldest_points_first(world, earned, spent_share, expire_after):
    """Points earned month by month, some spent, then expiry up to month k: what expires is what is
    left of the oldest months, because spending used the oldest first."""
    scheme, activities, people_, _staff = world
    person = people_[0]
    with transaction.atomic():
        months = []
        for i, points in enumerate(earned):
            tx = ledger.award(
                activities[i], person, points * 60 - 1 if points > 1 else 30, at=at(2026, 1 + i, 10)
            )
            months.append(sum(e.amount for e in tx.entries.all() if e.amount > 0))
        account = ledger.find_holder_account(scheme, person)
        spent = int(sum(months) * spent_share)
        if spent:
            ledger.spend(account, spent, at=at(2026, 6, 1), reason="test")
        k = min(expire_after, len(months))
        # Lots of month i (Jan = 0) expire three months later, on the 10th.
        day = (at(2026, 1 + k, 10) + timedelta(days=90)).date() if k else at(2025, 1, 1).date()
        expired = sum(t.entries.get(amount__lt=0).amount for t in ledger.expire(scheme, day)) * -1
        # Every lot whose expiry date is on or before `day` is due (later months' lots too).
        due = sum(
            m
            for i, m in enumerate(months)
            if ledger.scheme_rules.add_months(at(2026, 1 + i, 10).date(), 3) <= day
        )
        expected = max(due - spent, 0)
        assert expired == expected
        assert account.__class__.objects.get(pk=account.pk).balance == sum(months) - spent - expired
        _sound(scheme)
        transaction.set_rollback(True)


def test_an_award_is_made_once_by_the_database_too(world):
    """Even a second award written around the service is refused by the unique constraint."""
    from django.db import IntegrityError

    scheme, activities, people_, _staff = world
    ledger.award(activities[0], people_[0], 60)
    with pytest.raises(IntegrityError), transaction.atomic():
        PointsTransaction.objects.create(
            scheme=scheme,
            kind=TxKind.AWARD,
            activity=activities[0],
            resident=people_[0],
            jurisdiction="330106",
        )


def test_entries_are_never_zero_and_points_are_whole(world):
    scheme, _activities, people_, _staff = world
    account = ledger.holder_account(scheme, people_[0])
    with pytest.raises(ledger.LedgerError):
        ledger.spend(account, 1.5)
    with pytest.raises(ledger.LedgerError):
        ledger.spend(account, 0)
    assert not PointsEntry.objects.filter(amount=0).exists()
