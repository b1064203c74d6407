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


def test_a_year_of_activities_points_and_redemptions_with_a_sound_ledger(demo):
    span = Activity.objects.aggregate(first=Min("starts_at"), last=Max("starts_at"))
    assert (span["last"] - span["first"]).days >= 300
    assert PointsTransaction.objects.filter(kind=TxKind.AWARD).count() > 50
    states = set(Redemption.objects.values_list("state", flat=True))
    assert {RedemptionState.CONFIRMED, RedemptionState.CANCELLED} <= states
    assert ledger.check() == []


def test_posts_calls_shuangbaodao_stars_and_projects(demo):
    assert PostHolding.objects.count() > 5
    assert WhistleCall.objects.filter(state=CallState.CLOSED).count() > 5
    assert WhistleCall.objects.filter(case__isnull=False).exists()
    assert HomeRegistration.objects.count() >= 4
    assert PioneerSnapshot.objects.exists()
    assert Project.objects.filter(state=ProjectState.DONE).exclude(result="").exists()


def test_the_figures_rollup_matches_a_rebuild(demo):
    before = sorted(VolunteeringCount.objects.values_list("metric", "community_id", "month", "value"))
    rollups.rebuild()
    assert sorted(VolunteeringCount.objects.values_list("metric", "community_id", "month", "value")) == before
    assert before


def test_rebuilding_the_demo_cleans_up_and_generates_again(demo):
    call_command("demo", scale="tiny", rebuild=True, stdout=StringIO())
    assert ledger.check() == []
    assert Activity.objects.exists()
