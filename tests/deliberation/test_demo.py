"""The demo step (civicgrid/demo/steps/deliberation.py) through `civicgrid demo`: the pilot figures,
every step of both procedures, and a topic raised by concentrated cases whose cases were closed."""

from io import StringIO

import pytest
from django.core.management import call_command

from civicgrid.cases.workflow import State
from civicgrid.deliberation import procedures, rollups
from civicgrid.deliberation.models import Topic, TopicCase, TopicStep
from civicgrid.deliberation.workflow import TopicStatus


@pytest.fixture
def demo(db):
    call_command("demo", scale="tiny", stdout=StringIO())


def test_the_demo_has_the_pilot_figures_and_every_step_of_both_procedures(demo):
    assert Topic.objects.count() == 61
    assert Topic.objects.filter(status=TopicStatus.CARRIED_OUT).count() == 33
    for code, spec in procedures.REGISTRY.items():
        open_steps = set(
            Topic.objects.filter(procedure__code=code, status="open").values_list("step_code", flat=True)
        )
        assert open_steps == {s.code for s in spec.steps}, code
    assert Topic.objects.filter(status=TopicStatus.DECLINED).exclude(decision_reason="").exists()
    carried = Topic.objects.filter(source="cases", status=TopicStatus.CARRIED_OUT).get()
    links = list(TopicCase.objects.filter(topic=carried).select_related("case"))
    assert links and all(
        link.case.state == State.CLOSED and carried.ref in link.case.result for link in links
    )
    for topic in Topic.objects.all():
        assert TopicStep.objects.filter(topic=topic, ended_at__isnull=True).count() == 1
    street = Topic.objects.first().community.parent
    figures = rollups.figures(street)
    assert (figures["raised"], figures["carried_out"]) == (61, 33) and figures["avg_days"] > 10
