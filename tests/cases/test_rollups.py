"""The figures, each formula checked on a hand-made set of cases (March 2026, one grid).

A  closed on time, satisfied
B  failed verification once, handled late, closed, basically satisfied (overdue while in rework)
C  in progress and past its deadline (flagged by the sweep)
D  on hold
E  not accepted
F  merged into A
G  unsatisfied, reopened once, closed on time, unsatisfied again (goes to the supervisor)
H  reported a day later, taken on after its respond-by time, still in progress
"""

from datetime import date

import pytest
import time_machine

from civicgrid.cases import rollups, services, sweeps
from civicgrid.cases.models import CategoryRollup, DepartmentRollup, GridRollup

from .conftest import at


def step(when, fn, *args, **kwargs):
    with time_machine.travel(when, tick=False):
        return fn(*args, **kwargs)


@pytest.fixture
def march(city, people, report):
    p = people
    mon = lambda h, m=0: at(2026, 3, 2, h, m)  # noqa: E731
    c = {}
    with time_machine.travel(mon(9), tick=False):
        for name in "ABCDEFG":
            c[name] = report(description="乱停车")  # respond 4 h (Mon 14:00), resolve 16 h (Wed 9:00)
    for name in "ABCDG":
        step(mon(9, 10), services.dispatch, c[name], p.dispatcher, city.dept)
        step(mon(9, 20), services.accept, c[name], p.handler)
    step(mon(9, 30), services.not_accept, c["E"], p.grid_worker, "重复上报")
    step(mon(9, 30), services.merge, [c["F"]], c["A"], p.dispatcher)
    step(mon(10), services.put_on_hold, c["D"], p.dispatcher, until=date(2026, 3, 30), reason="待预算")
    for name in "ABG":
        step(mon(15), services.mark_handled, c[name], p.handler, "已处理")
    step(mon(15, 30), services.verify, c["A"], p.grid_worker, passed=True)
    step(mon(15, 30), services.verify, c["B"], p.grid_worker, passed=False, note="车辆仍在")
    step(mon(15, 30), services.verify, c["G"], p.grid_worker, passed=True)
    step(mon(16), services.rate, c["A"], p.resident_user, rating="satisfied")
    step(mon(16), services.rate, c["G"], p.resident_user, rating="unsatisfied")  # reopens
    step(at(2026, 3, 3, 9), lambda: c.__setitem__("H", report(description="乱停车")))
    step(at(2026, 3, 3, 10), services.mark_handled, c["G"], p.handler, "再次处理")
    step(at(2026, 3, 3, 10, 30), services.verify, c["G"], p.grid_worker, passed=True)
    step(
        at(2026, 3, 3, 11), services.rate, c["G"], p.resident_user, rating="unsatisfied"
    )  # to the supervisor
    step(at(2026, 3, 3, 9, 10), services.dispatch, c["H"], p.dispatcher, city.dept)
    step(at(2026, 3, 3, 15), services.accept, c["H"], p.handler)  # respond-by: dispatch + 4 h = Tue 14:10
    step(at(2026, 3, 4, 9, 30), sweeps.sweep)  # flags B (in rework) and C as overdue
    step(at(2026, 3, 4, 10), services.mark_handled, c["B"], p.handler, "已拖离")
    step(at(2026, 3, 4, 10, 30), services.verify, c["B"], p.grid_worker, passed=True)
    step(at(2026, 3, 4, 11), services.rate, c["B"], p.resident_user, rating="basically")
    rollups.process_pending()
    return c


EXPECTED = {
    "reported": 8,
    "not_accepted": 1,
    "merged": 1,
    "responded": 6,
    "responded_on_time": 5,
    "closed": 3,
    "closed_on_time": 2,
    "closed_reworked": 2,
    "closed_unsatisfied": 1,
    "overdue_open": 1,
    "on_hold": 1,
    "rated": 3,
    "satisfied": 1,
    "basically": 1,
    "unsatisfied": 1,
    "close_seconds": int((6.5 + 49.5 + 25.5) * 3600),
}


def test_the_counters(city, march):
    f = rollups.figures(city.street, start=date(2026, 3, 1), end=date(2026, 3, 31))
    assert {k: f.counts[k] for k in EXPECTED} == EXPECTED
    assert f.accepted == 6


def test_completion_rate_is_closed_over_accepted(city, march):
    assert rollups.figures(city.street).completion_rate == pytest.approx(3 / 6)


def test_on_time_rate_is_on_time_closes_over_closes_due_less_those_on_hold(city, march):
    # due: A, B, G (closed) and C (open, past its deadline); D on hold is left out; on time: A, G
    assert rollups.figures(city.street).on_time_rate == pytest.approx(2 / 4)


def test_response_rate_is_responses_on_time_over_accepted(city, march):
    assert rollups.figures(city.street).response_rate == pytest.approx(5 / 6)


def test_resolution_rate_is_closed_not_rated_unsatisfied_over_closed(city, march):
    assert rollups.figures(city.street).resolution_rate == pytest.approx(2 / 3)


def test_satisfaction_rate_is_satisfied_or_basically_over_rated(city, march):
    assert rollups.figures(city.street).satisfaction_rate == pytest.approx(2 / 3)


def test_rework_rate_is_closed_after_rework_over_closed(city, march):
    assert rollups.figures(city.street).rework_rate == pytest.approx(2 / 3)


def test_average_time_to_close_is_in_hours_from_report_to_close(city, march):
    assert rollups.figures(city.street).avg_close_hours == pytest.approx((6.5 + 49.5 + 25.5) / 3)


def test_every_level_of_the_ancestry_has_the_same_figures_and_siblings_none(city, march):
    for area in (city.city, city.district, city.street, city.community, city.grid):
        assert rollups.figures(area).counts == rollups.figures(city.street).counts
    assert rollups.figures(city.community2).reported == 0
    assert rollups.figures(city.street, start=date(2026, 4, 1)).reported == 0


def test_department_and_category_views(city, cats, march):
    by_dept = rollups.figures(city.street, department=city.dept)
    assert by_dept.reported == 6 and by_dept.closed == 3  # E and F never reached a department
    assert rollups.figures(city.street, category=cats.parking).reported == 8
    assert rollups.figures(city.street, category=cats.fire_lane).reported == 0
    split = rollups.breakdown(city.street, by="child")
    assert split[city.community.pk].reported == 8 and city.community2.pk not in split
    assert rollups.breakdown(city.street, by="month")[date(2026, 3, 1)].closed == 3


def test_rates_without_a_denominator_are_none(city, db):
    f = rollups.figures(city.street)
    assert f.completion_rate is None and f.avg_close_hours is None
    assert f.as_dict()["on_time_rate"] is None


def test_rebuilding_from_the_cases_gives_the_same_tables(city, march):
    def snapshot():
        return (
            sorted(
                CategoryRollup.objects.values_list(
                    "jurisdiction", "month", "area_id", "category_id", *rollups.COUNTERS
                )
            ),
            sorted(
                DepartmentRollup.objects.values_list(
                    "jurisdiction", "month", "area_id", "department_id", *rollups.COUNTERS
                )
            ),
            sorted(GridRollup.objects.values_list("jurisdiction", "month", "area_id", *rollups.COUNTERS)),
        )

    incremental = snapshot()
    assert rollups.rebuild() == 8
    assert snapshot() == incremental


def test_a_figure_reads_a_few_rows_not_the_cases(city, march, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        rollups.figures(city.city, start=date(2026, 1, 1), end=date(2026, 12, 31)).as_dict()
