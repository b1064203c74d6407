"""A second `civicgrid demo` reuses the city; --rebuild throws it away and generates it again;
other apps add steps through the registry."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError

from civicgrid.areas.models import Area, Household, Level
from civicgrid.areas.services import create_area
from civicgrid.demo import registry
from civicgrid.demo.accounts import ACCOUNTS
from civicgrid.demo.models import DemoRun
from civicgrid.people.models import Resident

from .conftest import run_demo


def test_a_second_run_without_rebuild_reuses_the_data_and_prints_the_accounts_again(tiny_city):
    before = (
        list(Area.objects.values_list("pk", flat=True)),
        Household.objects.count(),
        DemoRun.objects.get().pk,
    )
    output = run_demo(scale="tiny")
    assert "Reusing" in output or "沿用" in output
    after = (
        list(Area.objects.values_list("pk", flat=True)),
        Household.objects.count(),
        DemoRun.objects.get().pk,
    )
    assert after == before
    for account in ACCOUNTS:
        assert account.username in output


def test_the_generating_run_prints_progress_and_the_accounts(db):
    output = run_demo(scale="tiny")
    assert "rows/s" in output or "每秒" in output
    assert "civicgrid-demo" in output and "gridworker" in output


def test_rebuild_deletes_everything_and_generates_it_again(tiny_city):
    grid = Area.objects.filter(level=Level.GRID).first()
    name, count = grid.name, Resident.objects.count()
    Area.objects.filter(pk=grid.pk).update(name="改过的网格")
    Resident.objects.filter(pk=Resident.objects.first().pk).delete()
    get_user_model().objects.filter(username="leader").update(first_name="changed")
    run_demo(scale="tiny", rebuild=True)
    assert Area.objects.get(code=grid.code).name == name
    assert Resident.objects.count() == count
    assert get_user_model().objects.get(username="leader").first_name != "changed"
    assert DemoRun.objects.count() == 1


def test_rebuild_keeps_accounts_that_are_not_demo_accounts(tiny_city, django_user_model):
    mine = django_user_model.objects.create_user("ops", "ops@example.org", "pw-ops-123")
    run_demo(scale="tiny", rebuild=True)
    assert django_user_model.objects.filter(pk=mine.pk).exists()


def test_the_demo_refuses_to_mix_with_areas_it_did_not_make(db):
    create_area(level=Level.DISTRICT, code="330106", name="西湖区")
    with pytest.raises(CommandError):
        run_demo(scale="tiny")
    assert Area.objects.count() == 1


@pytest.fixture
def extra_step():
    calls = []

    def generate(ctx):
        assert Area.objects.filter(level=Level.GRID).exists()  # the base city is already there
        calls.append(("generate", ctx.scale.name, ctx.seed))

    def cleanup(ctx):
        assert Area.objects.exists()  # runs before the base city is deleted
        calls.append(("cleanup",))

    registry.register_step("test-extra", generate, cleanup, order=50)
    yield calls
    registry._steps.pop("test-extra", None)


def test_registered_steps_run_after_the_city_and_clean_up_before_it(db, extra_step):
    run_demo(scale="tiny", seed=5)
    assert extra_step == [("generate", "tiny", 5)]
    run_demo(scale="tiny", seed=5, rebuild=True)
    assert extra_step == [("generate", "tiny", 5), ("cleanup",), ("generate", "tiny", 5)]


def test_a_step_registered_later_is_added_to_an_existing_city_without_rebuild(tiny_city, extra_step):
    areas = set(Area.objects.values_list("pk", flat=True))
    run_demo(scale="small")  # the city stays tiny: steps use the scale it was made with
    assert extra_step == [("generate", "tiny", DemoRun.objects.get().seed)]
    assert set(Area.objects.values_list("pk", flat=True)) == areas
    assert DemoRun.objects.get().steps == ["city", "test-extra"]


def test_only_generates_the_named_steps_and_a_later_run_adds_the_rest(db, extra_step):
    run_demo(scale="tiny", only=["city"])
    assert extra_step == [] and DemoRun.objects.get().steps == ["city"]
    run_demo(scale="tiny")
    assert [call[0] for call in extra_step] == ["generate"]
    with pytest.raises(CommandError):
        run_demo(scale="tiny", only=["no-such-step"])
