"""The province loader (`civicgrid demo --scale province`) at a tiny size, on PostgreSQL only."""

import threading
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from civicgrid.areas.models import Area, Level
from civicgrid.cases import rollups
from civicgrid.cases.models import Case, CategoryRollup, DepartmentRollup
from civicgrid.cases.workflow import State
from civicgrid.demo import province
from civicgrid.demo.models import DemoRun

TINY = province.Size(fraction=0.001, years=0.25, cases_per_year=2400)

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the province loader is PostgreSQL only"
)


def per_month() -> list[tuple]:
    """Cases by month, before the last 60 days (those are drawn by case id, and a rolled-back month
    leaves a gap in the ids), and the total."""
    cut = (timezone.now() - timedelta(days=province.RECENT_DAYS + 40)).date().replace(day=1)
    months = Case.objects.filter(reported_month__lt=cut).values_list("reported_month")
    return [*months.order_by("reported_month").annotate(n=Count("id")), ("all", Case.objects.count())]


def rollup_rows() -> list[tuple]:
    keys = ("month", "area_id", "reported", "closed", "closed_on_time", "overdue_open", "on_hold", "close_seconds")
    return sorted(
        [("c", r["category_id"], *(r[k] for k in keys)) for r in CategoryRollup.objects.values("category_id", *keys)]
        + [("d", r["department_id"], *(r[k] for k in keys)) for r in DepartmentRollup.objects.values("department_id", *keys)]
    )


def rollup_rows_by_code() -> list[tuple]:
    """The rollup rows, with areas, departments and categories by code (reloaded, they have other ids)."""
    keys = ("month", "area__code", "reported", "closed", "closed_on_time", "overdue_open", "on_hold", "close_seconds")
    return sorted(
        [("c", r["category__code"], *(r[k] for k in keys)) for r in CategoryRollup.objects.values("category__code", *keys)]
        + [("d", r["department__code"], *(r[k] for k in keys)) for r in DepartmentRollup.objects.values("department__code", *keys)]
    )


def restart_case_numbers() -> None:
    """Cases numbered from 1 again, as in a new database (their grids are drawn from their numbers)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT setval(pg_get_serial_sequence('cases_case', 'id'), 1, false)")


@pytest.mark.django_db
def test_province_scale_refuses_sqlite_with_a_message():
    if connection.vendor == "postgresql":
        pytest.skip("the refusal is for other databases")
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("demo", scale="province", stdout=StringIO())


@needs_postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_province_rows_follow_the_area_tree_and_rollups_equal_a_rebuild():
    out = StringIO()
    call_command("demo", scale="province", fraction=0.001, years=0.25, cases_per_year=2400, stdout=out)
    run = DemoRun.objects.get()
    assert run.finished_at is not None and "province:done" in run.steps
    assert Area.objects.filter(level=Level.CITY).count() == 1
    grids = Area.objects.filter(level=Level.GRID)
    assert grids.count() >= 60
    assert sum(grids.values_list("households_count", flat=True)) > 60 * 150
    cases = Case.objects.count()
    assert cases > 400
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM cases_case c JOIN areas_area g ON g.id = c.grid_id "
            "WHERE c.path <> g.path OR c.jurisdiction <> g.jurisdiction"
        )
        assert cursor.fetchone()[0] == 0
        cursor.execute(
            "SELECT count(*) FROM cases_case c JOIN people_department d ON d.id = c.department_id "
            "JOIN areas_area g ON g.id = c.grid_id WHERE NOT g.path LIKE (SELECT path FROM areas_area WHERE id = d.area_id) || '%%'"
        )
        assert cursor.fetchone()[0] == 0  # every case's department serves the case's street
        cursor.execute(
            "SELECT count(*) FROM cases_case WHERE reported_at > now() OR closed_at < reported_at "
            "OR handled_at < reported_at OR registered_at < reported_at OR respond_due < reported_at"
        )
        assert cursor.fetchone()[0] == 0
        cursor.execute(
            "SELECT count(*) FROM cases_caseevent e JOIN cases_case c ON c.id = e.case_id "
            "WHERE e.at < c.reported_at OR e.at > now() OR e.jurisdiction <> c.jurisdiction"
        )
        assert cursor.fetchone()[0] == 0
        cursor.execute("SELECT count(*) FROM cases_case c WHERE NOT EXISTS (SELECT 1 FROM cases_caseevent e WHERE e.case_id = c.id)")
        assert cursor.fetchone()[0] == 0
        cursor.execute("SELECT count(*) FROM cases_case_default")
        assert cursor.fetchone()[0] == 0  # every case in a range of the case table made for it
        cursor.execute(
            "SELECT count(*) FROM cases_case c WHERE c.updated_at IS DISTINCT FROM "
            "(SELECT max(e.at) FROM cases_caseevent e WHERE e.case_id = c.id)"
        )
        assert cursor.fetchone()[0] == 0  # each case's last change is its latest history row
        cursor.execute("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'demo_province_%%'")
        assert cursor.fetchone()[0] == 0  # the loader's own tables are gone
        cursor.execute(
            "SELECT count(*) FROM pg_index x JOIN pg_class t ON t.oid = x.indrelid "
            "WHERE t.relname IN ('cases_case', 'cases_caseevent') AND NOT x.indisvalid"
        )
        assert cursor.fetchone()[0] == 0  # recreated indexes cover every partition
        cursor.execute("SELECT count(*) FROM pg_indexes WHERE tablename = 'cases_caseevent' AND indexname = 'caseevent_case_at'")
        assert cursor.fetchone()[0] == 1
    states = set(Case.objects.values_list("state", flat=True))
    assert {State.CLOSED, State.IN_PROGRESS, State.ON_HOLD, State.NOT_ACCEPTED, State.MERGED} <= states
    assert not Case.objects.filter(state=State.MERGED, merged_into__isnull=True).exists()
    before = rollup_rows()
    assert before
    rollups.rebuild()
    assert rollup_rows() == before


@needs_postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("jobs", [1, 2])
def test_an_interrupted_province_load_resumes_without_duplicates(monkeypatch, jobs):
    out = StringIO()
    # First run: two months, then stop (as if interrupted between chunks).
    province.load(lambda text: out.write(text + "\n"), TINY, seed=7, stop_after=2, jobs=jobs)
    months_done = [s for s in DemoRun.objects.get().steps if s.startswith("province:month:")]
    assert len(months_done) == 2
    after_two = Case.objects.count()
    assert after_two > 0

    # Second run dies half-way through its first month: that month's rows must roll back.
    real_mark = province._mark

    def crash(run, name):  # on two connections, the unit running beside it rolls back too
        if name.startswith("month:") or name == "recent":
            raise KeyboardInterrupt
        real_mark(run, name)

    monkeypatch.setattr(province, "_mark", crash)
    with pytest.raises(KeyboardInterrupt):
        province.load(lambda text: None, TINY, seed=7, jobs=jobs)
    assert Case.objects.count() == after_two
    steps = DemoRun.objects.get().steps
    assert [s for s in steps if s.startswith("province:month:")] == months_done and "province:recent" not in steps
    monkeypatch.setattr(province, "_mark", real_mark)

    # Third run finishes; the totals equal those of one uninterrupted load of the same size.
    province.load(lambda text: None, TINY, seed=7, jobs=jobs)
    resumed = per_month()
    assert resumed[-1][1] > after_two
    months = [s for s in DemoRun.objects.get().steps if s.startswith("province:month:")]
    assert len(months) == len(set(months))
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM (SELECT follow_token_hash FROM cases_case GROUP BY 1 HAVING count(*) > 1) d")
        assert cursor.fetchone()[0] == 0
        cursor.execute("SELECT count(*) FROM pg_indexes WHERE tablename = 'cases_case' AND indexname = 'case_state_path'")
        assert cursor.fetchone()[0] == 1  # the dropped indexes came back

    province.delete_all()
    assert Case.objects.count() == 0 and not DemoRun.objects.exists()
    province.load(lambda text: None, TINY, seed=7)
    assert per_month() == resumed


@needs_postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_load_on_two_connections_equals_a_load_on_one(monkeypatch):
    threads = set()
    real_expand = province._expand

    def expand(*args):
        threads.add(threading.current_thread().name)
        return real_expand(*args)

    monkeypatch.setattr(province, "_expand", expand)
    loads = []
    with time_machine.travel(timezone.now(), tick=True) as traveller:
        started = timezone.now()
        for jobs in (1, 2):
            traveller.move_to(started)  # both loads at the same time of day: the same deadlines due
            restart_case_numbers()
            threads.clear()
            figures = province.load(lambda text: None, TINY, seed=7, jobs=jobs)
            assert figures["jobs"] == jobs
            months = list(Case.objects.values_list("reported_month").annotate(n=Count("id")).order_by("reported_month"))
            loads.append((months, rollup_rows_by_code(), sorted(DemoRun.objects.get().steps), set(threads)))
            province.delete_all()
    (months_1, rollups_1, steps_1, threads_1), (months_2, rollups_2, steps_2, threads_2) = loads
    assert threads_1 == {threading.current_thread().name}
    assert len(threads_2) == 2 and threading.current_thread().name not in threads_2  # two connections of its own
    assert months_2 == months_1 and len(months_1) >= 4
    assert rollups_2 == rollups_1 and rollups_1
    assert steps_2 == steps_1
