"""The demo has an address-only report matched to its unit and a concentrated-problem proposal."""

from io import StringIO

import pytest
from django.core.management import call_command

from civicgrid.cases.models import ClusterProposal, PlaceMatch, ProposalState
from civicgrid.demo import registry


@pytest.fixture
def demo(db, monkeypatch):
    registry.steps()  # import every step module; then run only the city and this step
    kept = {name: registry._steps[name] for name in ("city", "place_and_duplicates")}
    monkeypatch.setattr(registry, "_steps", kept)
    call_command("demo", scale="tiny", stdout=StringIO())


def test_the_demo_has_a_matched_address_and_a_proposal(demo):
    matched = PlaceMatch.objects.filter(status="matched", level="unit", used=True)
    assert matched.exists()
    case = matched.first().case
    assert case.unit_id and case.lng is not None  # the building's point
    assert PlaceMatch.objects.filter(level="compound").exists()  # the one the dispatcher picks
    proposal = ClusterProposal.objects.get(state=ProposalState.PROPOSED, theme__contains="消防通道")
    assert proposal.cases.count() >= 5
