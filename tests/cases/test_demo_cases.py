"""The demo street's year of cases (civicgrid/demo/steps/cases.py) through `civicgrid demo`."""

from io import StringIO

import pytest
from django.core.management import call_command

from civicgrid.areas.models import Area
from civicgrid.cases import rollups, sweeps
from civicgrid.cases.models import Case, CaseEvent, CategoryRollup, GridRollup, InboxMessage
from civicgrid.cases.workflow import State


@pytest.fixture
def demo(db):
    call_command("demo", scale="tiny", stdout=StringIO())


def test_a_year_of_cases_in_every_state(demo):
    states = set(Case.objects.values_list("state", flat=True))
    assert states == set(State.values)
    first = Case.objects.order_by("reported_at").first().reported_at
    last = Case.objects.order_by("reported_at").last().reported_at
    assert (last - first).days >= 330


def test_every_case_has_its_history_and_facts_in_order(demo):
    for case in Case.objects.all():
        events = list(CaseEvent.objects.filter(case=case).order_by("at", "id"))
        assert events and events[0].action in ("report", "settle_on_spot")
        assert events[-1].to_state == case.state or events[-1].action.startswith(("overdue", "auto_escalate"))
        if case.state == State.CLOSED:
            assert case.reported_at <= case.closed_at and case.handled_at <= case.closed_at


def test_the_figures_match_a_rebuild_and_look_real(demo):
    street = Area.objects.get(level="street")
    sweeps.sweep()
    rollups.process_pending()

    def tables():
        return (
            sorted(CategoryRollup.objects.values_list("month", "area_id", "category_id", *rollups.COUNTERS)),
            sorted(GridRollup.objects.values_list("month", "area_id", *rollups.COUNTERS)),
        )

    before = tables()
    rollups.rebuild()
    assert tables() == before
    f = rollups.figures(street)
    assert f.reported == Case.objects.count()
    assert 0.8 < f.completion_rate < 1 and 0.8 < f.satisfaction_rate <= 1


def test_the_demo_accounts_find_work_waiting(demo):
    for username in ("gridworker", "handler", "resident"):
        assert InboxMessage.objects.filter(user__username=username).exists(), username
    assert Case.objects.filter(reporter_user__username="resident").count() >= 3


def test_the_cases_step_cleans_up_and_generates_again(demo):
    from civicgrid.demo.city import SCALES
    from civicgrid.demo.registry import DemoContext, Progress
    from civicgrid.demo.steps import cases as demo_steps

    ctx = DemoContext(
        scale=SCALES["tiny"], seed=2024, progress=Progress(lambda line: None), write=lambda line: None
    )
    # The steps above cases (mediation, deliberation, …) point at cases: they go first, as in a rebuild.
    from civicgrid.demo import registry

    for step in reversed(registry.steps()):
        if step.order > 100:
            step.cleanup(ctx)
    # Other steps add cases through the services too, so the step is compared with itself.
    demo_steps.cleanup(ctx)
    assert not Case.objects.exists() and not CategoryRollup.objects.exists()
    demo_steps.generate(ctx)
    count = Case.objects.count()
    demo_steps.cleanup(ctx)
    assert not Case.objects.exists()
    demo_steps.generate(ctx)
    assert count > 100 and abs(Case.objects.count() - count) <= 2
