"""The outbox worker: each event done once; failures retried with back-off, then kept as dead
letters (visible in the admin, retried from there); email is an event of its own; done events
are pruned after the retention period; periodic jobs run once per period across several workers;
two workers never run the same event (SKIP LOCKED on PostgreSQL)."""

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.urls import reverse

from civicgrid.core import outbox
from civicgrid.core.models import AuditEntry, OutboxEvent, PeriodicLease

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def handlers(monkeypatch):
    """Handlers registered for these tests only (the apps' own stay registered as they are)."""
    table = {topic: list(fns) for topic, fns in outbox._handlers.items()}
    monkeypatch.setattr(outbox, "_handlers", table)

    def register(topic, fn):
        table.setdefault(topic, []).append(fn)
        return fn

    return register


@pytest.fixture
def jobs(monkeypatch):
    """Periodic jobs for these tests only; `jobs.add(name, every)` returns the list of its runs."""
    table: dict = {}
    monkeypatch.setattr(outbox, "_periodic", table)

    class Jobs:
        def add(self, name, every):
            runs: list = []
            table[name] = outbox.PeriodicJob(name, every, lambda: runs.append(name))
            return runs

        def forget_local_throttle(self):
            for job in table.values():
                job.last = float("-inf")

    return Jobs()


def failing(times):
    """A handler that raises the first `times` calls, then succeeds; `.calls` counts them."""

    def fn(event=None):
        fn.calls += 1
        if fn.calls <= times:
            raise RuntimeError(f"failure {fn.calls}")

    fn.calls = 0
    return fn


# ------------------------------------------------------------------------------- events


def test_a_handled_event_is_done_once(db, handlers):
    seen = []
    handlers("test.ok", lambda event: seen.append(event.pk))
    event = outbox.emit("test.ok", {"n": 1})
    assert outbox.drain() == 1
    assert outbox.drain() == 0
    event.refresh_from_db()
    assert seen == [event.pk] and event.done_at is not None and event.attempts == 1


def test_a_failing_event_is_retried_with_exponential_back_off(db, handlers):
    fn = handlers("test.flaky", failing(2))
    with time_machine.travel(T0, tick=False) as clock:
        event = outbox.emit("test.flaky")
        outbox.drain()
        event.refresh_from_db()
        assert (event.attempts, event.done_at, event.dead_at) == (1, None, None)
        assert event.available_at == T0 + timedelta(seconds=60)
        assert event.last_error == "RuntimeError: failure 1"
        clock.shift(timedelta(seconds=59))
        assert outbox.drain() == 0  # not due yet
        clock.shift(timedelta(seconds=1))
        assert outbox.drain() == 1
        event.refresh_from_db()
        assert event.attempts == 2 and event.available_at == T0 + timedelta(seconds=60 + 120)
        clock.shift(timedelta(seconds=120))
        outbox.drain()
    event.refresh_from_db()
    assert event.done_at is not None and event.attempts == 3 and fn.calls == 3


def test_a_failure_rolls_back_that_events_work_and_nothing_else(db, handlers):
    def writes_then_fails(event):
        outbox.emit("test.side_effect")
        raise RuntimeError("boom")

    handlers("test.partial", writes_then_fails)
    handlers("test.ok", lambda event: None)
    outbox.emit("test.partial")
    fine = outbox.emit("test.ok")
    outbox.drain()
    assert not OutboxEvent.objects.filter(topic="test.side_effect").exists()
    fine.refresh_from_db()
    assert fine.done_at is not None


def test_an_event_that_keeps_failing_becomes_a_dead_letter_not_done(db, handlers):
    fn = handlers("test.broken", failing(99))
    with time_machine.travel(T0, tick=False) as clock:
        event = outbox.emit("test.broken")
        for _ in range(outbox.MAX_ATTEMPTS + 2):
            outbox.drain()
            clock.shift(timedelta(days=1))
    event.refresh_from_db()
    assert event.dead_at is not None and event.done_at is None
    assert event.attempts == outbox.MAX_ATTEMPTS == fn.calls
    assert event.status == "dead"
    assert not outbox.due().filter(pk=event.pk).exists()


def test_a_dead_letter_is_shown_in_the_admin_and_retried_from_there(client, people, handlers):
    fn = handlers("test.broken", failing(outbox.MAX_ATTEMPTS))
    event = outbox.emit("test.broken")
    with time_machine.travel(T0, tick=False) as clock:
        event.available_at = T0
        event.save(update_fields=["available_at"])
        for _ in range(outbox.MAX_ATTEMPTS):
            outbox.drain()
            clock.shift(timedelta(days=1))
    client.force_login(people.admin)
    listing = client.get(reverse("admin:core_outboxevent_changelist"), {"status": "dead"})
    assert [e.pk for e in listing.context["cl"].result_list] == [event.pk]
    response = client.post(
        reverse("admin:core_outboxevent_changelist"),
        {"action": "retry_events", "_selected_action": [event.pk]},
    )
    assert response.status_code == 302
    event.refresh_from_db()
    assert (event.dead_at, event.attempts) == (None, 0)
    entry = AuditEntry.objects.get(action="core.outbox.retry")
    assert entry.actor == people.admin and entry.subject_id == str(event.pk)
    outbox.drain()
    event.refresh_from_db()
    assert event.done_at is not None and fn.calls == outbox.MAX_ATTEMPTS + 1


# -------------------------------------------------------------------------------- email


def test_email_is_its_own_event_so_a_retry_of_another_handler_never_sends_it_twice(db, handlers):
    handlers("test.notify", lambda event: outbox.emit_email("主题", "正文", ["a@example.org"]))
    other = handlers("test.notify", failing(2))
    with time_machine.travel(T0, tick=False) as clock:
        event = outbox.emit("test.notify")
        for _ in range(4):
            outbox.drain()
            clock.shift(timedelta(hours=1))
    event.refresh_from_db()
    assert event.done_at is not None and other.calls == 3
    assert [m.to for m in mail.outbox] == [["a@example.org"]]
    assert OutboxEvent.objects.filter(topic=outbox.EMAIL_TOPIC).count() == 1


def test_a_failing_mail_server_retries_only_the_email(db, handlers, monkeypatch):
    inbox = []
    handlers(
        "test.notify", lambda event: (inbox.append(event.pk), outbox.emit_email("s", "b", ["x@example.org"]))
    )
    real_send = outbox.send_mail
    failures = iter([ConnectionRefusedError("smtp down")])

    def send(*args, **kwargs):
        error = next(failures, None)
        if error:
            raise error
        return real_send(*args, **kwargs)

    monkeypatch.setattr(outbox, "send_mail", send)
    with time_machine.travel(T0, tick=False) as clock:
        outbox.emit("test.notify")
        outbox.drain()
        clock.shift(timedelta(hours=1))
        outbox.drain()
    assert len(inbox) == 1
    assert [m.to for m in mail.outbox] == [["x@example.org"]]
    email = OutboxEvent.objects.get(topic=outbox.EMAIL_TOPIC)
    assert email.attempts == 2 and email.done_at is not None


def test_no_email_event_without_recipients(db):
    assert outbox.emit_email("s", "b", ["", None]) is None
    assert not OutboxEvent.objects.filter(topic=outbox.EMAIL_TOPIC).exists()


# -------------------------------------------------------------------------------- pruning


def test_done_events_are_pruned_after_the_retention_period_and_nothing_else(db, handlers):
    handlers("test.ok", lambda event: None)
    handlers("test.broken", failing(99))
    with time_machine.travel(T0, tick=False) as clock:
        old_done = outbox.emit("test.ok")
        dead = outbox.emit("test.broken")
        outbox.drain()
        OutboxEvent.objects.filter(pk=dead.pk).update(dead_at=T0, done_at=None)
        clock.shift(outbox.RETENTION - timedelta(days=1))
        recent_done = outbox.emit("test.ok")
        outbox.drain()
        pending = outbox.emit("test.later", delay=timedelta(days=365))
        clock.shift(timedelta(days=1, seconds=1))
        assert outbox.prune() == 1
    assert set(OutboxEvent.objects.values_list("pk", flat=True)) == {dead.pk, recent_done.pk, pending.pk}
    assert not OutboxEvent.objects.filter(pk=old_done.pk).exists()


def test_the_prune_command_takes_a_retention_in_days(db, handlers, capsys):
    handlers("test.ok", lambda event: None)
    with time_machine.travel(T0, tick=False) as clock:
        outbox.emit("test.ok")
        outbox.drain()
        clock.shift(timedelta(days=3))
        call_command("prune_outbox", days=5)
        assert OutboxEvent.objects.count() == 1
        call_command("prune_outbox", days=2)
    assert OutboxEvent.objects.count() == 0
    assert "deleted 1 done outbox events older than 2 days" in capsys.readouterr().out


def test_the_worker_prunes_on_a_schedule():
    job = outbox.periodic_jobs()["core.outbox.prune"]
    assert job.every == outbox.PRUNE_EVERY and job.run is outbox.prune_done_events


# ------------------------------------------------------------------------------ periodic jobs


def test_a_periodic_job_runs_once_per_period_across_several_workers(db, jobs):
    runs = jobs.add("test.sweep", every=300)
    with time_machine.travel(T0, tick=False) as clock:
        assert outbox.run_periodic(holder="worker-a") == ["test.sweep"]
        jobs.forget_local_throttle()
        assert outbox.run_periodic(holder="worker-b") == []  # a holds the lease
        clock.shift(timedelta(seconds=299))
        jobs.forget_local_throttle()
        assert outbox.run_periodic(holder="worker-b") == []
        clock.shift(timedelta(seconds=1))
        jobs.forget_local_throttle()
        assert outbox.run_periodic(holder="worker-b") == ["test.sweep"]
    assert runs == ["test.sweep", "test.sweep"]
    lease = PeriodicLease.objects.get(name="test.sweep")
    assert lease.holder == "worker-b" and lease.finished_at is not None


def test_a_failing_periodic_job_is_logged_on_its_lease_and_runs_next_period(db, jobs):
    outbox._periodic["test.bad"] = outbox.PeriodicJob("test.bad", 60, failing(1))
    with time_machine.travel(T0, tick=False) as clock:
        assert outbox.run_periodic(holder="a") == ["test.bad"]
        assert PeriodicLease.objects.get(name="test.bad").last_error == "RuntimeError: failure 1"
        clock.shift(timedelta(seconds=60))
        jobs.forget_local_throttle()
        assert outbox.run_periodic(holder="b") == ["test.bad"]
    assert PeriodicLease.objects.get(name="test.bad").last_error == ""


def test_worker_once_forces_every_job(db, jobs):
    runs = jobs.add("test.sweep", every=3600)
    outbox.run_periodic(holder="a")
    call_command("worker", once=True)
    assert runs == ["test.sweep", "test.sweep"]


# --------------------------------------------------------------------------- on PostgreSQL


def in_threads(*calls):
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, fn):
        try:
            barrier.wait()
            results[i] = fn()
        except Exception as exc:  # collected for the assertions
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SKIP LOCKED and real concurrency: PostgreSQL")
def test_two_workers_share_the_events_and_never_run_one_twice(handlers):
    seen: list = []
    lock = threading.Lock()

    def record(event):
        with lock:
            seen.append((threading.current_thread().name, event.pk))

    handlers("test.shared", record)
    ids = [outbox.emit("test.shared", {"n": n}).pk for n in range(60)]
    results = in_threads(outbox.drain, outbox.drain)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(pk for _, pk in seen) == sorted(ids)  # each exactly once
    assert sum(results) == 60
    assert OutboxEvent.objects.filter(pk__in=ids, done_at__isnull=True).count() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SKIP LOCKED and real concurrency: PostgreSQL")
def test_a_worker_skips_an_event_another_worker_holds_instead_of_waiting(handlers):
    handlers("test.shared", lambda event: None)
    held, free = outbox.emit("test.shared"), outbox.emit("test.shared")
    locked, release = threading.Event(), threading.Event()

    def other_worker():
        with transaction.atomic():
            OutboxEvent.objects.select_for_update().get(pk=held.pk)
            locked.set()
            release.wait(timeout=30)
        connections.close_all()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert locked.wait(timeout=30)
        assert outbox.process_batch() == 1  # returns at once: the held row is skipped
        held.refresh_from_db()
        free.refresh_from_db()
        assert free.done_at is not None and held.done_at is None
    finally:
        release.set()
        thread.join(timeout=30)
    assert outbox.process_batch() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SKIP LOCKED and real concurrency: PostgreSQL")
def test_two_workers_starting_a_periodic_job_at_once_run_it_once(jobs):
    runs = jobs.add("test.sweep", every=300)
    results = in_threads(
        lambda: outbox.run_periodic(holder="a"),
        lambda: outbox.run_periodic(holder="b"),
        lambda: outbox.run_periodic(holder="c"),
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert runs == ["test.sweep"]
    assert sorted(len(r) for r in results) == [0, 0, 1]
