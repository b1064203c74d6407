"""Auto-dispatch above the district's per-category threshold: off by default; above it the case is
dispatched (through cases.services.dispatch, as the system), below it the dispatcher decides;
petitions and emergencies never go automatically, whatever the threshold."""

import pytest

from civicgrid.cases.models import CaseEvent
from civicgrid.cases.workflow import Kind, State
from civicgrid.core import outbox
from civicgrid.triage import services
from civicgrid.triage.models import Decision, Outcome

TEXT = "小区门口乱停车，占用消防通道旁的车位"


@pytest.fixture
def threshold(city, people, cats):
    def make(min_confidence, enabled=True, category=None):
        return services.set_threshold(
            by=people.admin,
            jurisdiction=city.district.code,
            category=category or cats.parking,
            enabled=enabled,
            min_confidence=min_confidence,
        )

    return make


def top_confidence(case):
    return services.compute(case)[0].confidence


def test_off_by_default_the_dispatcher_decides(city, cats, rule, report):
    case = report(description=TEXT, category=cats.other)
    outbox.drain()
    case.refresh_from_db()
    assert case.state == State.SUBMITTED and case.department is None
    assert services.auto_reason(case, services.suggestions(case)[0]) == "off"


def test_above_the_threshold_the_case_is_dispatched_and_the_decision_recorded(
    city, cats, rule, report, threshold
):
    threshold(0.5)
    case = report(description=TEXT, category=cats.other)
    assert top_confidence(case) >= 0.5
    outbox.drain()
    case.refresh_from_db()
    assert case.state == State.DISPATCHED
    assert case.department == city.dept and case.category == cats.parking
    event = CaseEvent.objects.filter(case=case, action="dispatch").get()
    assert event.actor is None and event.data["automatic"] is True
    decision = Decision.objects.get(case=case)
    assert decision.outcome == Outcome.AUTO and decision.suggested_rank == 1 and decision.event_id == event.pk


def test_below_the_threshold_the_dispatcher_decides(city, cats, rule, report, threshold):
    threshold(1.0)
    case = report(description=TEXT, category=cats.other)
    outbox.drain()
    case.refresh_from_db()
    assert case.state == State.SUBMITTED and case.department is None
    assert services.auto_reason(case, services.suggestions(case)[0]) == "below"


@pytest.mark.parametrize("channel", ["petition_letter", "petition_visit", "petition_online"])
def test_petitions_are_never_dispatched_automatically(city, people, cats, rule, report, threshold, channel):
    threshold(0.5)
    case = report(
        description=TEXT, category=cats.other, channel=channel, by=people.dispatcher, area=city.grid
    )
    outbox.drain()
    case.refresh_from_db()
    assert case.department is None and case.state != State.DISPATCHED
    assert services.auto_reason(case, services.suggestions(case)[0]) == "petition"


def test_emergencies_are_never_dispatched_automatically(city, cats, rule, report, threshold):
    threshold(0.5)
    case = report(description=TEXT, category=cats.other, kind=Kind.EMERGENCY)
    outbox.drain()
    case.refresh_from_db()
    assert case.department is None
    assert services.auto_reason(case, services.suggestions(case)[0]) == "emergency"


def test_a_department_learned_from_history_is_never_used_alone(city, cats, report, threshold):
    threshold(0.5)  # no dispatch rule for 乱停车 in this street
    case = report(description=TEXT, category=cats.other)
    outbox.drain()
    case.refresh_from_db()
    assert case.state == State.SUBMITTED
    assert services.auto_reason(case, services.suggestions(case)[0]) == "no_rule"


def test_only_the_districts_administrator_sets_thresholds_with_a_clear_error(city, people, cats):
    from django.core.exceptions import PermissionDenied, ValidationError

    with pytest.raises(PermissionDenied):
        services.set_threshold(
            by=people.dispatcher,
            jurisdiction=city.district.code,
            category=cats.parking,
            enabled=True,
            min_confidence=0.9,
        )
    row = services.set_threshold(
        by=people.supervisor,
        jurisdiction=city.district.code,
        category=cats.parking,
        enabled=True,
        min_confidence=0.8,
    )
    assert row.enabled and row.min_confidence == 0.8
    for bad in ("0.2", "abc", "1.5"):
        with pytest.raises(ValidationError):
            services.set_threshold(
                by=people.admin,
                jurisdiction=city.district.code,
                category=cats.parking,
                enabled=True,
                min_confidence=bad,
            )
    row.refresh_from_db()
    assert row.min_confidence == 0.8
