"""A rebuild while people work (PostgreSQL): a change to a case waits for the month being rebuilt, or
the rebuild waits for the change, and either way the change is counted once."""

import threading
import time

import pytest
from django.db import connection, connections, transaction

from civicgrid.cases import rollups, services
from civicgrid.cases.models import CategoryRollup, DepartmentRollup, GridRollup

pytestmark = [
    pytest.mark.postgres,
    # serialized_rollback: the categories and calendar seeded by migrations survive the flush after the test
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite serialises every write transaction, so a rebuild and a change never overlap",
    ),
]


def snapshot():
    keys = ("jurisdiction", "month", "area_id")
    return (
        sorted(CategoryRollup.objects.values_list(*keys, "category_id", *rollups.COUNTERS)),
        sorted(DepartmentRollup.objects.values_list(*keys, "department_id", *rollups.COUNTERS)),
        sorted(GridRollup.objects.values_list(*keys, *rollups.COUNTERS)),
    )


def in_thread(fn):
    outcome = {}

    def run():
        try:
            outcome["result"] = fn()
        except Exception as exc:  # checked by the test
            outcome["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def wait_until_someone_waits_for_a_lock():
    for _i in range(200):
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
            if cursor.fetchone()[0]:
                return
        time.sleep(0.025)
    raise AssertionError("nobody waited for a lock")


@pytest.fixture
def dispatched(city, people, report):
    case = services.dispatch(report(), people.dispatcher, city.dept)
    rollups.process_pending()
    return case


def test_a_change_during_a_rebuild_waits_and_is_counted_once(city, people, dispatched):
    rebuilt, release = threading.Event(), threading.Event()

    def rebuild_and_hold():
        with transaction.atomic():
            rollups.rebuild()
            rebuilt.set()
            release.wait(10)

    rebuilder, _r = in_thread(rebuild_and_hold)
    assert rebuilt.wait(10)
    changer, changed = in_thread(lambda: services.accept(dispatched, people.handler))
    wait_until_someone_waits_for_a_lock()  # the change waits for the rebuild's month
    release.set()
    rebuilder.join(10)
    changer.join(10)
    assert "error" not in changed, changed
    rollups.process_pending()
    assert rollups.figures(city.street).responded == 1
    incremental = snapshot()
    rollups.rebuild()
    assert snapshot() == incremental


def test_a_rebuild_waits_for_a_change_in_progress_and_counts_it_once(city, people, dispatched):
    changed, release = threading.Event(), threading.Event()

    def change_and_hold():
        with transaction.atomic():
            services.accept(dispatched, people.handler)
            changed.set()
            release.wait(10)

    changer, change = in_thread(change_and_hold)
    assert changed.wait(10)
    rebuilder, rebuild = in_thread(rollups.rebuild)
    wait_until_someone_waits_for_a_lock()  # the rebuild waits for the change to commit
    release.set()
    changer.join(10)
    rebuilder.join(10)
    assert "error" not in change and "error" not in rebuild, (change, rebuild)
    assert rollups.process_pending() == 0  # the rebuild counted the change and cleared its delta
    assert rollups.figures(city.street).responded == 1
    rebuilt = snapshot()
    rollups.rebuild()
    assert snapshot() == rebuilt
