"""Figures fixtures: the cases app's fixtures, and a hand-made month of cases with known figures."""

from types import SimpleNamespace

import pytest

from civicgrid.cases import rollups, services, sweeps
from tests.cases.conftest import at, cats, monday_morning, report, rule  # noqa: F401


@pytest.fixture
def march(city, people, cats, report, monday_morning):  # noqa: F811
    """Five cases reported in March 2026 in the street, with figures worked out by hand:

    A  grid 1, dispatched to 城管, handled and closed two hours after the report, rated satisfied
    B  grid 1, dispatched to 城管, failed verification once (rework), closed four hours after the
       report, rated basically satisfied
    C  grid 1, not accepted
    D  葛岭 grid, dispatched to 水务所, taken on, then left past its resolve-by time (overdue)
    E  grid 1, merged into A

    street: reported 5, accepted 3, closed 2 (both on time, one reworked), overdue 1, rated 2
    (both satisfied or basically); responded on time 3; average time to close 3 hours.
    """
    m = SimpleNamespace()
    m.a = report(description="小区门口乱停车", category=cats.parking)
    m.b = report(description="垃圾没有清运", category=cats.rubbish)
    m.c = report(description="邻居装修吵", category=cats.other)
    m.d = report(description="门口乱停车", category=cats.parking, unit=city.unit3)
    m.e = report(description="门口乱停车", category=cats.parking)
    for case in (m.a, m.b):
        services.accept(services.dispatch(case, people.dispatcher, city.dept), people.handler)
    services.accept(services.dispatch(m.d, people.dispatcher, city.dept2), people.other_handler)
    services.not_accept(m.c, people.grid_worker, "属于私人纠纷")
    services.merge([m.e], m.a, people.dispatcher)

    monday_morning.move_to(at(2026, 3, 2, 11, 0))
    services.verify(services.mark_handled(m.a, people.handler, "已清理"), people.grid_worker, passed=True)
    services.rate(m.a, people.resident_user, rating="satisfied")
    services.mark_handled(m.b, people.handler, "已清运")
    services.verify(m.b, people.grid_worker, passed=False, note="还有残留")
    monday_morning.move_to(at(2026, 3, 2, 13, 0))
    services.mark_handled(m.b, people.handler, "已全部清运")
    services.verify(m.b, people.grid_worker, passed=True)
    services.rate(m.b, people.resident_user, rating="basically")

    monday_morning.move_to(at(2026, 3, 10, 9, 0))  # D is past its resolve-by time
    sweeps.sweep()
    rollups.process_pending()
    return m
