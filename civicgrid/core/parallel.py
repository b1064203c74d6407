"""Bulk work spread over several database connections (the province load, the rollup rebuild).

A PostgreSQL backend runs one statement on one core: a set-based load through one connection leaves
the other cores idle. `each_on_connections()` runs independent units of work (months, indexes) on
`jobs` threads, each with its own Django connection (Django keeps one per thread), so that the
server runs them side by side. Each unit commits on its own connection; the caller sees results in
its own thread, as units finish. Only for PostgreSQL and committed data: a unit must not depend on
another's uncommitted rows, nor on the caller's open transaction, nor on settings of the caller's
session (a unit's connection is a new session: SET what it needs in its own transaction).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection, connections

Item = TypeVar("Item")
Result = TypeVar("Result")


def usable_jobs(jobs: int) -> int:
    """`jobs`, or 1 where units cannot run on connections of their own: not PostgreSQL (SQLite's test
    database lives in one connection), or inside a transaction whose rows the others would not see."""
    if jobs <= 1 or connection.vendor != "postgresql" or connection.in_atomic_block:
        return 1
    return jobs


def each_on_connections(
    jobs: int,
    items: Iterable[Item],
    work: Callable[[Item], Result],
    done: Callable[[Item, Result], None] = lambda item, result: None,
) -> None:
    """Run `work(item)` for every item, on up to `jobs` connections at once, begun in the items' order;
    `done(item, result)` in the calling thread as each finishes.

    With one job (see usable_jobs()) the items run one after the other in the calling thread, on its
    connection, as a plain loop would. Otherwise no item is begun after an error: the error of a unit
    (or of `done`) lets the units running finish (each commits or rolls back its own transaction)
    and is then raised; Ctrl-C in the calling thread also cancels the statements running, so that
    their transactions roll back at once. Either way every item is wholly done or not begun (or
    rolled back), as with one connection."""
    jobs = usable_jobs(jobs)
    if jobs == 1:
        for item in items:
            done(item, work(item))
        return

    running: dict[int, Any] = {}  # thread id → that thread's connection wrapper, while in a unit
    guard = threading.Lock()

    def run(item: Item) -> Result:
        with guard:
            running[threading.get_ident()] = connections[DEFAULT_DB_ALIAS]
        try:
            return work(item)
        finally:
            with guard:
                running.pop(threading.get_ident(), None)
            connection.close()  # this thread's connection; the next unit opens its own

    queue = iter(items)
    pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="civicgrid-bulk")
    pending: dict[Future, Item] = {}
    try:
        # At most `jobs` units submitted at a time, from this thread: a unit that fails stops the
        # next from being begun (a free worker would otherwise take it before this thread knew).
        for item in queue:
            pending[pool.submit(run, item)] = item
            if len(pending) == jobs:
                break
        while pending:
            finished, _left = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                item = pending.pop(future)
                done(item, future.result())
                for following in queue:  # the next item, if any
                    pending[pool.submit(run, following)] = following
                    break
    except KeyboardInterrupt:
        _cancel(running, guard)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _cancel(running: dict[int, Any], guard: threading.Lock) -> None:
    """Ask the server to cancel each running unit's statement (its transaction then rolls back)."""
    with guard:
        wrappers = list(running.values())
    for wrapper in wrappers:
        raw = wrapper.connection  # the psycopg connection, None before the unit's first query
        if raw is not None:
            with contextlib.suppress(Exception):  # a connection closing meanwhile has nothing to cancel
                raw.cancel_safe(timeout=5.0)
