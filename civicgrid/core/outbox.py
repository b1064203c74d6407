"""The outbox: work that a change triggers, done by the `civicgrid worker` loop.

Usage, inside the transaction that makes the change::

    outbox.emit("case.dispatched", {"case": case.pk}, jurisdiction=case.jurisdiction)

and, in the app that does the work (imported from its AppConfig.ready)::

    @outbox.handler("case.dispatched")
    def notify_department(event): ...

Periodic jobs (deadline sweeps, rollups) register with `@outbox.periodic(seconds)`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from .models import OutboxEvent

log = logging.getLogger("civicgrid.worker")

Handler = Callable[[OutboxEvent], None]
_handlers: dict[str, list[Handler]] = {}


@dataclass
class PeriodicJob:
    name: str
    every: float
    run: Callable[[], object]
    last: float = 0.0


_periodic: dict[str, PeriodicJob] = {}

MAX_ATTEMPTS = 5


def emit(topic: str, payload: dict | None = None, *, jurisdiction: str = "", delay: timedelta | None = None):
    """Write an outbox row; call inside the transaction of the change that triggers it."""
    now = timezone.now()
    return OutboxEvent.objects.create(
        topic=topic,
        payload=payload or {},
        jurisdiction=jurisdiction or "",
        created_at=now,
        available_at=now + delay if delay else now,
    )


def handler(topic: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        _handlers.setdefault(topic, []).append(fn)
        return fn

    return register


def periodic(seconds: float, name: str | None = None):
    def register(fn):
        job_name = name or f"{fn.__module__}.{fn.__qualname__}"
        _periodic[job_name] = PeriodicJob(job_name, seconds, fn)
        return fn

    return register


def periodic_jobs() -> dict[str, PeriodicJob]:
    return _periodic


def _claim(batch: int) -> list[OutboxEvent]:
    qs = OutboxEvent.objects.filter(done_at__isnull=True, available_at__lte=timezone.now()).order_by("id")
    if connection.features.has_select_for_update_skip_locked:
        qs = qs.select_for_update(skip_locked=True)
    return list(qs[:batch])


def process_batch(batch: int = 100) -> int:
    """Claim and run up to `batch` due events; returns how many were handled.

    Each event runs in its own transaction, holding its row lock, so two workers never run the
    same event and a failure rolls back only that event's work.
    """
    handled = 0
    while handled < batch:
        with transaction.atomic():
            events = _claim(1)
            if not events:
                break
            event = events[0]
            try:
                with transaction.atomic():
                    for fn in _handlers.get(event.topic, []):
                        fn(event)
            except Exception as exc:  # the event is retried with back-off, never lost
                event.attempts += 1
                event.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                if event.attempts >= MAX_ATTEMPTS:
                    event.done_at = timezone.now()
                else:
                    event.available_at = timezone.now() + timedelta(seconds=30 * 2**event.attempts)
                log.exception("outbox event %s (%s) failed", event.pk, event.topic)
            else:
                event.done_at = timezone.now()
                event.attempts += 1
            event.save(update_fields=["attempts", "last_error", "done_at", "available_at"])
            handled += 1
    return handled


def run_periodic(force: bool = False) -> list[str]:
    ran = []
    now = time.monotonic()
    for job in _periodic.values():
        if force or now - job.last >= job.every:
            job.last = now
            try:
                job.run()
            except Exception:
                log.exception("periodic job %s failed", job.name)
            ran.append(job.name)
    return ran


def drain(max_rounds: int = 100) -> int:
    """Run every due event now (tests and the demo loader use this)."""
    total = 0
    for _ in range(max_rounds):
        n = process_batch()
        total += n
        if n == 0:
            break
    return total


def run_forever(poll: float = 1.0, once: bool = False) -> None:
    while True:
        n = process_batch()
        run_periodic()
        if once:
            return
        if n == 0:
            time.sleep(poll)
