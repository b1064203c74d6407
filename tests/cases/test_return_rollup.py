"""Returns (退单) rolled up by month of the return (ReturnRollup): the same numbers as counting the
period's return rows of the history under the area, kept by the worker as cases are returned and
placed, rebuilt from the history, and shown by the command centre's league."""

from datetime import date

import pytest
import time_machine
from django.apps import apps
from django.db.models import Count

from civicgrid.areas.models import Level
from civicgrid.areas.services import create_area
from civicgrid.cases import rollups, services
from civicgrid.cases.models import CaseEvent, ReturnRollup

from .conftest import at

MARCH, APRIL = date(2026, 3, 1), date(2026, 4, 1)


def live(area, start, end):
    """The count the rollup replaces: the history's return rows in the months, under the area."""
    from datetime import datetime, time

    from django.utils import timezone

    lo = timezone.make_aware(datetime.combine(start, time.min))
    nxt = rollups._add_months(end, 1)
    hi = timezone.make_aware(datetime.combine(nxt, time.min))
    found = (
        CaseEvent.objects.filter(
            action="return_to_dispatcher", at__gte=lo, at__lt=hi, case__path__startswith=area.path
        )
        .values_list("data__department")
        .annotate(n=Count("id"))
        .values_list("data__department", "n")
    )
    return {k: v for k, v in found if k}


def table():
    return sorted(
        ReturnRollup.objects.values_list("jurisdiction", "month", "area_id", "department_id", "returns")
    )


def step(when, fn, *args, **kwargs):
    with time_machine.travel(when, tick=False):
        return fn(*args, **kwargs)


@pytest.fixture
def returned(city, people, cats, report):
    """Returns by two departments in March and April (one at 23:50 on 31 March, local time), in two
    communities and in a second district."""
    p = people
    district = create_area(level=Level.DISTRICT, code="330108", name="滨江区", parent=city.city)
    street = create_area(level=Level.STREET, code="330108001", name="西兴街道", parent=district)
    community = create_area(level=Level.COMMUNITY, code="330108001001", name="缤纷社区", parent=street)
    far_grid = create_area(level=Level.GRID, code="330108001001001", name="缤纷一网格", parent=community)
    with time_machine.travel(at(2026, 3, 2, 9, 0), tick=False):
        a = report(description="乱停车")
        b = report(area=city.grid2, description="垃圾满溢")
        c = report(area=city.community, description="垃圾满溢")
        far = services.intake(channel="hotline", description="路灯不亮", area=far_grid, by=p.admin).case
    for case, dept, handler in (
        (a, city.dept, p.handler),
        (b, city.dept2, p.other_handler),
        (c, city.dept, p.handler),
    ):
        step(at(2026, 3, 2, 9, 10), services.dispatch, case, p.dispatcher, dept)
        step(at(2026, 3, 2, 9, 20), services.return_to_dispatcher, case, handler, "不属于本部门")
    step(at(2026, 3, 2, 9, 30), services.dispatch, a, p.dispatcher, city.dept2)
    step(at(2026, 3, 2, 9, 40), services.return_to_dispatcher, a, p.other_handler, "也不属于本部门")
    step(at(2026, 3, 31, 23, 30), services.dispatch, b, p.dispatcher, city.dept)
    step(at(2026, 3, 31, 23, 50), services.return_to_dispatcher, b, p.handler, "不属于本部门")  # March
    step(at(2026, 4, 1, 9), services.dispatch, c, p.dispatcher, city.dept2)
    step(at(2026, 4, 1, 9, 10), services.return_to_dispatcher, c, p.other_handler, "不属于本部门")  # April
    step(at(2026, 3, 2, 9, 10), services.dispatch, far, p.admin, city.dept)
    step(at(2026, 3, 2, 9, 20), services.return_to_dispatcher, far, p.admin, "不属于本部门")
    rollups.process_pending()  # as the worker would, every few seconds
    return {"a": a, "b": b, "c": c, "far": far, "district2": district}


def areas(city, returned):
    return [city.city, city.district, city.street, city.community, city.community2, returned["district2"]]


def test_the_rollup_gives_the_history_count_for_every_area_and_period(city, returned):
    periods = [(MARCH, MARCH), (APRIL, APRIL), (MARCH, APRIL), (date(2026, 1, 1), date(2026, 12, 1))]
    for area in areas(city, returned):
        for start, end in periods:
            assert rollups.returns_by_department(area, start, end) == live(area, start, end), (
                area.code,
                start,
            )
    assert rollups.returns_by_department(city.street, MARCH, MARCH) == {city.dept.pk: 3, city.dept2.pk: 2}


def test_a_return_waits_for_the_worker_like_the_other_figures(city, people, report):
    case = report(description="乱停车")
    services.dispatch(case, people.dispatcher, city.dept)
    services.return_to_dispatcher(case, people.handler, "不属于本部门")
    assert rollups.returns_by_department(city.street) == {}
    rollups.process_pending()
    assert rollups.returns_by_department(city.street) == {city.dept.pk: 1}
    rollups.process_pending()  # applied once
    assert rollups.returns_by_department(city.street) == {city.dept.pk: 1}


def test_a_rebuild_gives_the_incremental_table_exactly(city, returned):
    before = table()
    assert before
    ReturnRollup.objects.update(returns=99)
    rollups.rebuild()
    assert table() == before


def test_the_migration_counts_the_returns_already_in_the_history(city, returned):
    from importlib import import_module

    before = table()
    ReturnRollup.objects.all().delete()
    import_module("civicgrid.cases.migrations.0012_return_rollup").count_returns(apps, None)
    assert table() == before


def test_naming_a_building_in_another_community_moves_the_returns(city, people, returned):
    b = returned["b"]  # reported in grid2 (community2), returned twice
    step(at(2026, 4, 2, 9), services.pick_place, b, people.dispatcher, building=city.building)
    rollups.process_pending()
    for area in areas(city, returned):
        assert rollups.returns_by_department(area, MARCH, APRIL) == live(area, MARCH, APRIL), area.code
    assert rollups.returns_by_department(city.community2, MARCH, APRIL) == {}
    rebuilt = table()
    rollups.rebuild()
    assert table() == rebuilt


def test_the_command_centre_league_shows_the_returns(client, people, city, returned):
    step(at(2026, 4, 2, 9), services.dispatch, returned["a"], people.dispatcher, city.dept)
    step(at(2026, 4, 2, 9), services.dispatch, returned["b"], people.dispatcher, city.dept2)
    rollups.process_pending()  # the league's rows are the departments leading cases
    client.force_login(people.leader)
    page = client.get(f"/dashboard/command/{city.street.code}/", {"from": "2026-03", "to": "2026-03"})
    assert page.status_code == 200
    league = {row["name"]: row["returns"] for row in page.context["league"]}
    assert league == {city.dept.name: 3, city.dept2.name: 2}
