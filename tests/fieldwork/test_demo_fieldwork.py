"""The demo street's year of fieldwork (civicgrid/demo/steps/fieldwork.py) through `civicgrid demo`."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Sum

from civicgrid.areas.models import Area
from civicgrid.fieldwork import rollups
from civicgrid.fieldwork.models import DiaryEntry, Errand, FieldReport, GridMonth, Patrol, Visit


@pytest.fixture
def demo(db):
    call_command("demo", scale="tiny", stdout=StringIO())


def test_a_year_of_fieldwork_at_a_realistic_quota_completion(demo, client):
    street = Area.objects.get(level="street")
    visits = Visit.objects.all()
    first, last = (
        visits.order_by("visited_on").first().visited_on,
        visits.order_by("visited_on").last().visited_on,
    )
    assert (last - first).days >= 330
    totals = GridMonth.objects.aggregate(due=Sum("quota_due"), met=Sum("quota_met"))
    assert 0.85 <= totals["met"] / totals["due"] <= 0.95
    for grid_id in GridMonth.objects.values_list("grid_id", flat=True).distinct():
        g = GridMonth.objects.filter(grid_id=grid_id).aggregate(due=Sum("quota_due"), met=Sum("quota_met"))
        assert 0.8 <= g["met"] / g["due"] <= 0.97
    assert DiaryEntry.objects.count() > 100
    assert Errand.objects.filter(state="done").exists() and all(
        e.case.is_errand for e in Errand.objects.all()[:20]
    )
    assert FieldReport.objects.filter(patrol__isnull=False).exists() and Patrol.objects.exists()
    assert rollups.figures(street, last.year)["total"]["visits"] > 0
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="gridworker"))
    assert client.get("/fieldwork/").status_code == 200


def test_the_fieldwork_step_cleans_up_and_generates_the_same_again(demo):
    from civicgrid.demo.city import DEFAULT_SEED, SCALES
    from civicgrid.demo.registry import DemoContext, Progress
    from civicgrid.demo.steps import fieldwork as step

    before = Visit.objects.count()
    ctx = DemoContext(SCALES["tiny"], DEFAULT_SEED, Progress(lambda s: None), lambda s: None)
    step.cleanup(ctx)
    assert not Visit.objects.exists() and not Errand.objects.exists()
    step.generate(ctx)
    assert Visit.objects.count() == before
