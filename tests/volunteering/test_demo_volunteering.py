"""The demo step: a year of the demo street's volunteering, points, redemptions, posts, calls,
双报到 members, star snapshots and co-building projects, with a sound ledger and figures."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Max, Min

from civicgrid.party.models import CallState, HomeRegistration, PioneerSnapshot, PostHolding, WhistleCall
from civicgrid.volunteering import ledger, rollups
from civicgrid.volunteering.models import (
    Activity,
    PointsTransaction,
    Project,
    ProjectState,
    Redemption,
    RedemptionState,
    TxKind,
    VolunteeringCount,
)


@pytest.fixture
def demo(db):
    out = StringIO()
    call_command("demo", scale="tiny", stdout=out)
    return out.getvalue()


def test_a_year_of_everything_with_a_sound_ledger_and_figures_that_match_a_rebuild(demo):
    """One demo run checked three ways (each run of the demo costs seconds)."""
    span = Activity.objects.aggregate(first=Min("starts_at"), last=Max("starts_at"))
    assert (span["last"] - span["first"]).days >= 300
    assert PointsTransaction.objects.filter(kind=TxKind.AWARD).count() > 50
    states = set(Redemption.objects.values_list("state", flat=True))
    assert {RedemptionState.CONFIRMED, RedemptionState.CANCELLED} <= states
    assert ledger.check() == []

    # Posts, calls (some raised by cases), 双报到 members, star snapshots, co-building projects.
    assert PostHolding.objects.count() > 5
    assert WhistleCall.objects.filter(state=CallState.CLOSED).count() > 5
    assert WhistleCall.objects.filter(case__isnull=False).exists()
    assert HomeRegistration.objects.count() >= 4
    assert PioneerSnapshot.objects.exists()
    assert Project.objects.filter(state=ProjectState.DONE).exclude(result="").exists()

    # The demo accounts: the resident has points and an upcoming activity; the shop keeper a shop.
    from django.utils import timezone

    from civicgrid.people.models import Resident
    from civicgrid.volunteering.models import PointsAccount, Shop, SignUp

    resident = Resident.objects.get(user__username="resident")
    assert (
        PointsAccount.objects.filter(resident=resident).exclude(balance=0).exists()
        or Redemption.objects.filter(resident=resident).exists()
    )
    assert SignUp.objects.filter(resident=resident, activity__starts_at__gt=timezone.now()).exists()
    assert Shop.objects.filter(keepers__username="shopkeeper").exists()

    # The figures' rollup equals a rebuild from the rows.
    before = sorted(VolunteeringCount.objects.values_list("metric", "community_id", "month", "value"))
    rollups.rebuild()
    assert sorted(VolunteeringCount.objects.values_list("metric", "community_id", "month", "value")) == before
    assert before


def test_rebuilding_the_demo_cleans_up_and_generates_again(demo):
    call_command("demo", scale="tiny", rebuild=True, stdout=StringIO())
    assert ledger.check() == []
    assert Activity.objects.exists()
