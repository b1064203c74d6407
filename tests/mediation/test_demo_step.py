"""The demo's mediation step: centres at every level, a year of disputes in every state (some from
cases, some that came back), figures that match the disputes, accounts that log in, and a rerun."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from civicgrid.demo import registry
from civicgrid.demo.accounts import DEMO_PASSWORD, account_table
from civicgrid.mediation import figures, policy, rollups
from civicgrid.mediation.models import Centre, Dispute, DisputeRollup
from civicgrid.mediation.workflow import State

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(monkeypatch):
    registry.steps()
    wanted = {k: v for k, v in registry._steps.items() if k in ("city", "cases", "mediation")}
    monkeypatch.setattr(registry, "_steps", wanted)
    out = StringIO()
    call_command("demo", scale="tiny", stdout=out)
    return out.getvalue()


def test_the_demo_has_a_year_of_disputes_at_every_level_in_every_state(demo):
    assert set(Centre.objects.values_list("level", flat=True)) == {"community", "street", "county"}
    for level in ("community", "street", "county"):
        states = set(Dispute.objects.filter(level=level).values_list("state", flat=True))
        assert {State.AGREED, State.FAILED}.issubset(states), (level, states)
    assert set(Dispute.objects.values_list("state", flat=True)) == set(State.values)
    assert Dispute.objects.filter(case__isnull=False).exists()
    assert Dispute.objects.filter(came_back_from__isnull=False).exists()
    span = Dispute.objects.order_by("received_at")
    assert (span.last().received_at - span.first().received_at).days > 300


def _figures_and_accounts():
    before = sorted(
        DisputeRollup.objects.values_list(
            "month", "centre_id", "dispute_type", "taken_in", "closed", "agreed"
        )
    )
    rollups.rebuild()
    assert (
        sorted(
            DisputeRollup.objects.values_list(
                "month", "centre_id", "dispute_type", "taken_in", "closed", "agreed"
            )
        )
        == before
    )
    User = get_user_model()
    head, mediator = User.objects.get(username="centrehead"), User.objects.get(username="mediator")
    assert head.check_password(DEMO_PASSWORD) and mediator.check_password(DEMO_PASSWORD)
    assert policy.works_mediation(head) and policy.works_mediation(mediator)
    assert Dispute.objects.filter(
        assignments__mediator__user=mediator, state__in=["assigned", "mediating"]
    ).exists()
    table = account_table()
    assert "centrehead" in table and "mediator" in table
    got = figures.figures(
        [""],
        start=Dispute.objects.order_by("received_month").first().received_month,
        end=Dispute.objects.order_by("-received_month").first().received_month,
    )
    assert got.taken_in == Dispute.objects.count()
    assert got.closed == Dispute.objects.filter(closed_at__isnull=False).count()


def test_the_demo_figures_match_the_disputes_the_accounts_log_in_and_a_rebuild_is_clean(demo):
    _figures_and_accounts()
    out = StringIO()
    call_command("demo", scale="tiny", rebuild=True, stdout=out)
    assert get_user_model().objects.filter(username="centrehead").count() == 1
    _figures_and_accounts()
