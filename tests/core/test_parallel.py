"""core/parallel.py: units of bulk work on connections of their own (PostgreSQL), or one after the
other on this connection (SQLite, one job, inside a transaction)."""

import threading
import time

import pytest
from django.db import connection, transaction

from civicgrid.core import parallel

needs_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="one connection on SQLite")


def backend_pid(_item) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()" if connection.vendor == "postgresql" else "SELECT 1")
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_one_job_runs_the_items_in_order_in_this_thread():
    seen = []
    parallel.each_on_connections(
        1, [1, 2, 3], lambda i: (i, threading.current_thread().name), lambda i, r: seen.append(r)
    )
    assert seen == [(i, threading.current_thread().name) for i in (1, 2, 3)]


@pytest.mark.django_db
def test_inside_a_transaction_the_units_run_in_it():
    with transaction.atomic():
        assert parallel.usable_jobs(4) == 1
        here = backend_pid(None)
        pids = []
        parallel.each_on_connections(4, range(3), backend_pid, lambda _i, pid: pids.append(pid))
        assert pids == [here] * 3


@needs_postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_jobs_run_on_other_connections_and_report_in_this_thread():
    here = backend_pid(None)
    results, where = {}, set()

    def done(item, pid):
        results[item] = pid
        where.add(threading.current_thread().name)

    parallel.each_on_connections(2, range(6), backend_pid, done)
    assert sorted(results) == list(range(6))
    assert here not in results.values()
    assert where == {threading.current_thread().name}


@needs_postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_after_an_error_no_unit_is_begun_and_the_one_running_finishes():
    begun, finished = [], []

    def work(item):
        begun.append(item)
        if item == 1:
            raise ValueError(item)
        time.sleep(0.5)  # the error is seen while this unit still runs
        finished.append(item)
        return item

    with pytest.raises(ValueError):
        parallel.each_on_connections(2, range(10), work)
    assert sorted(begun) == [0, 1] and finished == [0]


@needs_postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_ctrl_c_cancels_the_statements_running():
    outcome = {}

    def work(item):
        if item == 0:
            return None
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_sleep(30)")
        except Exception as exc:  # checked below
            outcome["error"] = exc
            raise

    def done(item, _result):
        for _i in range(200):  # until the other unit's statement runs
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(30)'")
                if cursor.fetchone()[0]:
                    raise KeyboardInterrupt
            time.sleep(0.025)

    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        parallel.each_on_connections(2, [0, 1], work, done)
    assert time.monotonic() - started < 10
    assert "canceling statement" in str(outcome["error"])
