"""The set-based rebuild (civicgrid rebuild_rollups) gives exactly the tables that the incremental
upkeep keeps, for cases of every shape: placed at a unit, a building, a grid, a community, a building
given as an area, in another district; across a month's end in local time; in every kind of state;
with closing times to the microsecond; moved to another department or category on the way."""

import threading
from datetime import date
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection

from civicgrid.areas.models import Level
from civicgrid.areas.services import create_area
from civicgrid.cases import rollups, services, sweeps
from civicgrid.cases.models import Case, CaseEvent, CategoryRollup, DepartmentRollup, GridRollup, ReturnRollup

from .conftest import at

KEYS = ("jurisdiction", "month", "area_id")


def snapshot():
    return (
        sorted(CategoryRollup.objects.values_list(*KEYS, "category_id", *rollups.COUNTERS)),
        sorted(DepartmentRollup.objects.values_list(*KEYS, "department_id", *rollups.COUNTERS)),
        sorted(GridRollup.objects.values_list(*KEYS, *rollups.COUNTERS)),
    )


def step(when, fn, *args, **kwargs):
    with time_machine.travel(when, tick=False):
        return fn(*args, **kwargs)


@pytest.fixture
def many(city, people, cats, report):
    """Cases of every shape over March and April 2026, rolled up as they went."""
    p = people
    district = create_area(level=Level.DISTRICT, code="330108", name="滨江区", parent=city.city)
    street = create_area(level=Level.STREET, code="330108001", name="西兴街道", parent=district)
    community = create_area(level=Level.COMMUNITY, code="330108001001", name="缤纷社区", parent=street)
    far_grid = create_area(
        level=Level.GRID, code="330108001001001", name="缤纷一网格", parent=community, kind="N"
    )
    c = {}
    with time_machine.travel(at(2026, 3, 2, 9, 0, 0, 700000), tick=False):
        c["unit"] = report(description="乱停车")
        c["building"] = report(building=city.building, description="乱停车")
        c["grid"] = report(area=city.grid2, description="垃圾满溢")
        c["community"] = report(area=city.community, description="垃圾满溢")
        c["building_as_area"] = report(area=city.building, description="消防通道堵塞")
        c["far"] = services.intake(channel="hotline", description="路灯不亮", area=far_grid, by=p.admin).case
        c["refused"] = report(description="乱停车")
        c["duplicate"] = report(description="乱停车")
        c["held"] = report(description="乱停车")
        c["moved"] = report(area=city.grid_x, description="乱停车")  # the only case in its grid
    step(
        at(2026, 3, 2, 9, 10),
        services.settle_on_spot,
        by=p.steward,
        description="楼道堆物",
        result="已清理",
        unit=city.unit,
    )
    for name in ("unit", "building", "held", "moved"):
        step(at(2026, 3, 2, 9, 20), services.dispatch, c[name], p.dispatcher, city.dept)
    rollups.process_pending()  # as the worker would, every few seconds
    step(
        at(2026, 3, 2, 9, 25),
        services.dispatch,
        c["community"],
        p.dispatcher,
        city.dept2,
        category=cats.rubbish,
    )
    step(at(2026, 3, 2, 9, 30), services.not_accept, c["refused"], p.grid_worker, "重复上报")
    step(at(2026, 3, 2, 9, 30), services.merge, [c["duplicate"]], c["unit"], p.dispatcher)
    step(at(2026, 3, 2, 9, 40), services.return_to_dispatcher, c["moved"], p.handler, "不属于本部门")
    step(
        at(2026, 3, 2, 9, 50), services.dispatch, c["moved"], p.dispatcher, city.dept2, category=cats.rubbish
    )
    step(at(2026, 3, 2, 9, 55), services.accept, c["held"], p.handler)
    step(
        at(2026, 3, 2, 10),
        services.put_on_hold,
        c["held"],
        p.dispatcher,
        until=date(2026, 3, 30),
        reason="待预算",
    )
    for name in ("unit", "building"):
        step(at(2026, 3, 2, 10, 5), services.accept, c[name], p.handler)
        step(at(2026, 3, 2, 15), services.mark_handled, c[name], p.handler, "已处理")
    step(at(2026, 3, 2, 15, 30, 0, 200000), services.verify, c["unit"], p.grid_worker, passed=True)
    step(at(2026, 3, 2, 15, 30), services.verify, c["building"], p.grid_worker, passed=False, note="仍未处理")
    step(at(2026, 3, 2, 16), services.rate, c["unit"], p.resident_user, rating="satisfied")
    step(at(2026, 3, 20, 9), sweeps.sweep)  # the grid, community and rework cases are overdue now
    # Across the month's end, local time (15:30 and 16:10 on 31 March in UTC).
    c["march_last"] = step(at(2026, 3, 31, 23, 30), report, description="噪音扰民")
    c["april_first"] = step(at(2026, 4, 1, 0, 10), report, description="噪音扰民")
    step(at(2026, 4, 1, 9), services.dispatch, c["march_last"], p.dispatcher, city.dept)
    rollups.process_pending()
    return c


def test_the_cases_fall_in_the_months_of_their_local_report_time(many):
    assert many["march_last"].reported_month == date(2026, 3, 1)
    assert many["april_first"].reported_month == date(2026, 4, 1)


def test_rebuilding_gives_the_incremental_tables_exactly(city, many):
    incremental = snapshot()
    assert rollups.rebuild() == Case.objects.count() == 13
    assert snapshot() == incremental
    assert rollups.figures(city.city).reported == 13
    assert rollups.figures(city.street, start=date(2026, 4, 1)).reported == 1


def test_close_times_count_whole_seconds_as_the_incremental_upkeep_does(city, many):
    rollups.rebuild()
    unit = many["unit"]
    assert rollups.figures(city.street, category=unit.top_category_id).close_seconds == int(
        (Case.objects.get(pk=unit.pk).closed_at - unit.reported_at).total_seconds()
    )


def test_a_row_that_no_case_counts_any_more_goes(city, cats, many):
    # "moved" went from the lead department to another and from 城市管理 to 环境卫生: its grid's
    # figures for the first department and category are gone, and no row is left at zero.
    assert rollups.figures(city.grid_x, department=city.dept).reported == 0
    assert rollups.figures(city.grid_x, category=cats.city_top).reported == 0
    assert list(rollups.breakdown(city.grid_x, by="category")) == [cats.rubbish.parent_id]
    assert GridRollup.objects.get(area=city.grid_x).reported == 1
    assert not CategoryRollup.objects.filter(area__level=Level.GRID).exists()
    assert not DepartmentRollup.objects.filter(area__level=Level.GRID).exists()
    for model in (CategoryRollup, DepartmentRollup, GridRollup):
        assert not model.objects.filter(reported=0).exists()
    assert rollups.figures(city.street, department=city.dept2).reported == 2


def test_a_rebuild_counts_each_pending_change_once(city, people, many):
    responded = rollups.figures(city.street).responded
    services.accept(many["march_last"], people.handler)  # its delta is still pending
    assert CaseEvent.objects.filter(rollup_pending=True).exists()
    rollups.rebuild()
    rebuilt = snapshot()
    assert not CaseEvent.objects.filter(rollup_pending=True).exists()
    assert rollups.process_pending() == 0
    assert snapshot() == rebuilt
    assert rollups.figures(city.street).responded == responded + 1


def test_a_rebuild_removes_rows_that_no_case_makes(city, cats, many):
    stale = dict.fromkeys(rollups.COUNTERS, 1)
    CategoryRollup.objects.create(
        month=date(2020, 1, 1), area=city.grid, category=cats.city_top, jurisdiction="330106", **stale
    )
    CategoryRollup.objects.filter(area=city.city).update(reported=99)
    rollups.rebuild()
    assert not CategoryRollup.objects.filter(month=date(2020, 1, 1)).exists()
    assert rollups.figures(city.city).reported == 13


def test_a_rebuild_with_no_cases_empties_the_tables(city, cats, db):
    CategoryRollup.objects.create(
        month=date(2026, 3, 1), area=city.grid, category=cats.city_top, jurisdiction="330106"
    )
    assert rollups.rebuild() == 0
    assert not CategoryRollup.objects.exists()


def test_the_command_shows_each_month_when_asked(many):
    out = StringIO()
    call_command("rebuild_rollups", verbosity=2, stdout=out)
    text = out.getvalue()
    assert "2026-03: 12 cases" in text and "2026-04: 1 cases" in text
    assert "rollups rebuilt from 13 cases" in text


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has one connection: jobs fall back to 1")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_rebuild_on_two_connections_gives_the_tables_of_one(many):
    incremental = snapshot()
    returns = sorted(ReturnRollup.objects.values_list("month", "area_id", "department_id", "returns"))
    calls = []
    counted = rollups.rebuild(progress=lambda month, n, _s: calls.append((month, threading.current_thread().name)), jobs=2)
    assert snapshot() == incremental
    assert sorted(ReturnRollup.objects.values_list("month", "area_id", "department_id", "returns")) == returns
    assert counted == rollups.rebuild()
    assert len({name for _m, name in calls}) == 2  # each share of the months on a connection of its own
    assert sorted(m for m, _n in calls) == rollups.months_to_rebuild()
    assert snapshot() == incremental
