"""The outbox: work that a change triggers, done by the `civicgrid worker` loop.

Usage, inside the transaction that makes the change::

    outbox.emit("case.dispatched", {"case": case.pk}, jurisdiction=case.jurisdiction)

and, in the app that does the work (imported from its AppConfig.ready)::

    @outbox.handler("case.dispatched")
    def notify_department(event): ...

Periodic jobs (deadline sweeps, rollups) register with `@outbox.periodic(seconds)`.

What the worker guarantees:

* Each event runs in its own transaction holding its row lock (`SELECT … FOR UPDATE SKIP LOCKED` on
  PostgreSQL), so several workers never run the same event, and a failure rolls back only that
  event's work (including the events its handlers emitted).
* A failing event is retried with exponential back-off (`backoff`); after MAX_ATTEMPTS failures it
  becomes a dead letter (`dead_at`): not done, not retried, listed in the admin (Core › Outbox,
  "given up"), where the "retry" action queues it again.
* Email goes out as an event of its own (`emit_email`, topic `email.send`, one message each): a
  handler that sends mail and then fails, or another handler of the same event that fails, is
  retried without sending the mail again.
* Done events are deleted after RETENTION (`prune`; the `civicgrid prune_outbox` command, and the
  worker runs it every PRUNE_EVERY seconds).
* A periodic job runs once per period across all workers: the worker that takes the job's lease
  row (`PeriodicLease`) runs it; the lease expires after the period, so a crashed worker's job
  runs again on time.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from .models import OutboxEvent, PeriodicLease

log = logging.getLogger("civicgrid.worker")

Handler = Callable[[OutboxEvent], None]
_handlers: dict[str, list[Handler]] = {}


@dataclass
class PeriodicJob:
    name: str
    every: float
    run: Callable[[], object]
    last: float = 0.0  # when this process last tried to take the job's lease (monotonic)


_periodic: dict[str, PeriodicJob] = {}

MAX_ATTEMPTS = 5
BACKOFF_SECONDS = 30  # after the n-th failure an event waits BACKOFF_SECONDS × 2ⁿ
RETENTION = timedelta(days=int(os.environ.get("CIVICGRID_OUTBOX_RETENTION_DAYS", "14")))
PRUNE_EVERY = 3600.0
PRUNE_BATCH = 5000
EMAIL_TOPIC = "email.send"

WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"


def emit(
    topic: str, payload: dict | None = None, *, jurisdiction: str = "", delay: timedelta | None = None
) -> OutboxEvent:
    """Write an outbox row; call inside the transaction of the change that triggers it."""
    now = timezone.now()
    return OutboxEvent.objects.create(
        topic=topic,
        payload=payload or {},
        jurisdiction=jurisdiction or "",
        created_at=now,
        available_at=now + delay if delay else now,
    )


def emit_email(subject: str, body: str, to: Iterable[str], *, jurisdiction: str = "") -> OutboxEvent | None:
    """Queue one email as its own event (sent by the `email.send` handler); None without recipients."""
    recipients = [address for address in to if address]
    if not recipients:
        return None
    return emit(
        EMAIL_TOPIC,
        {"subject": subject[:200], "body": body, "to": recipients},
        jurisdiction=jurisdiction,
    )


def handler(topic: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        if fn not in _handlers.setdefault(topic, []):
            _handlers[topic].append(fn)
        return fn

    return register


def periodic(
    seconds: float, name: str | None = None
) -> Callable[[Callable[[], object]], Callable[[], object]]:
    def register(fn: Callable[[], object]) -> Callable[[], object]:
        job_name = name or f"{fn.__module__}.{fn.__qualname__}"
        _periodic[job_name] = PeriodicJob(job_name, seconds, fn)
        return fn

    return register


def periodic_jobs() -> dict[str, PeriodicJob]:
    return _periodic


def backoff(attempts: int) -> timedelta:
    """How long an event waits after its `attempts`-th failure."""
    return timedelta(seconds=BACKOFF_SECONDS * 2**attempts)


def due() -> QuerySet[OutboxEvent]:
    """Events waiting to run: neither done nor given up."""
    return OutboxEvent.objects.filter(done_at__isnull=True, dead_at__isnull=True)


def _claim(batch: int) -> list[OutboxEvent]:
    qs = due().filter(available_at__lte=timezone.now()).order_by("id")
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
            except Exception as exc:  # retried with back-off, then kept as a dead letter: never lost
                event.attempts += 1
                event.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                if event.attempts >= MAX_ATTEMPTS:
                    event.dead_at = timezone.now()
                    log.exception(
                        "outbox event %s (%s) failed for good: a dead letter", event.pk, event.topic
                    )
                else:
                    event.available_at = timezone.now() + backoff(event.attempts)
                    log.exception("outbox event %s (%s) failed; retried later", event.pk, event.topic)
            else:
                event.done_at = timezone.now()
                event.attempts += 1
            event.save(update_fields=["attempts", "last_error", "done_at", "dead_at", "available_at"])
            handled += 1
    return handled


def retry(events: Iterable[OutboxEvent] | QuerySet[OutboxEvent], *, by: Any = None) -> int:
    """Queue dead letters again (the admin's "retry" action), each with a fresh set of attempts.

    With `by`, each retry is written to the audit log. Events that are done are left alone.
    """
    from . import audit

    ids = [e.pk for e in events]
    count = 0
    with transaction.atomic():
        for event in OutboxEvent.objects.select_for_update().filter(pk__in=ids, done_at__isnull=True):
            before = audit.snapshot(event, ["dead_at", "attempts", "available_at"])
            event.dead_at, event.attempts, event.available_at = None, 0, timezone.now()
            event.save(update_fields=["dead_at", "attempts", "available_at"])
            if by is not None:
                audit.record(
                    actor=by,
                    action="core.outbox.retry",
                    subject=event,
                    before=before,
                    after=audit.snapshot(event, ["dead_at", "attempts", "available_at"]),
                    jurisdiction=event.jurisdiction,
                )
            count += 1
    return count


def prune(*, now: datetime | None = None, retention: timedelta = RETENTION) -> int:
    """Delete events done more than `retention` ago, in batches; returns how many went.

    Pending events and dead letters are kept, however old.
    """
    cutoff = (now or timezone.now()) - retention
    total = 0
    while True:
        ids = list(
            OutboxEvent.objects.filter(done_at__lt=cutoff)
            .order_by("id")
            .values_list("id", flat=True)[:PRUNE_BATCH]
        )
        if not ids:
            return total
        total += OutboxEvent.objects.filter(pk__in=ids).delete()[0]


def _take_lease(job: PeriodicJob, now: datetime, holder: str, *, force: bool = False) -> bool:
    """True when this worker took the job's lease (and so runs it); one conditional UPDATE."""
    until = now + timedelta(seconds=job.every)
    leases = PeriodicLease.objects.filter(name=job.name)
    open_lease = leases if force else leases.filter(leased_until__lte=now)
    if open_lease.update(leased_until=until, holder=holder, started_at=now):
        return True
    if leases.exists():
        return False  # another worker holds it
    PeriodicLease.objects.bulk_create(
        [PeriodicLease(name=job.name, leased_until=now - timedelta(seconds=1))], ignore_conflicts=True
    )
    return bool(
        PeriodicLease.objects.filter(name=job.name, leased_until__lte=now).update(
            leased_until=until, holder=holder, started_at=now
        )
    )


def run_periodic(force: bool = False, *, holder: str = WORKER_ID) -> list[str]:
    """Run the periodic jobs that are due and whose lease this worker takes; returns their names.

    `force` runs every job now (`civicgrid worker --once`), taking its lease even if held.
    """
    ran = []
    mono = time.monotonic()
    for job in list(_periodic.values()):
        if not force and mono - job.last < min(job.every, 5.0):
            continue  # this process asked the database about this job a moment ago
        job.last = mono
        if not _take_lease(job, timezone.now(), holder, force=force):
            continue
        error = ""
        try:
            job.run()
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"[:2000]
            log.exception("periodic job %s failed", job.name)
        PeriodicLease.objects.filter(name=job.name, holder=holder).update(
            finished_at=timezone.now(), last_error=error
        )
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


# ---------------------------------------------------------------- the kernel's own work


@handler(EMAIL_TOPIC)
def send_email(event: OutboxEvent) -> None:
    payload = event.payload
    send_mail(payload["subject"], payload["body"], None, list(payload["to"]), fail_silently=False)


@periodic(PRUNE_EVERY, name="core.outbox.prune")
def prune_done_events() -> int:
    return prune()
