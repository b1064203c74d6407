"""Faults under load: nothing lost, nothing twice.

    .venv/bin/python bench/bench_faults.py [--seconds 40] [--clients 6]

1. starts its OWN PostgreSQL cluster (initdb + pg_ctl into a temporary folder, on a free port; the
   machine's shared server on 5432 is never touched), migrates it and builds the tiny demo city;
2. serves civicgrid with gunicorn (`civicgrid serve --no-worker`) and runs `civicgrid worker` beside it,
   with a webhook endpoint pointing at a local HTTP sink in this script;
3. load: client threads send resident reports over HTTP — Open311 POST (with an Idempotency-Key) and
   the phone report page (a form with its hidden client key, CSRF cookie and all) — each client retrying
   the same report with the same key until it is answered 2xx;
4. mid-run it restarts the private PostgreSQL (pg_ctl restart -m fast), and SIGKILLs the worker and
   starts it again;
5. meanwhile a street dispatcher (in this process, through the services) dispatches the new cases,
   so the worker also e-mails the department (file e-mail backend) for each dispatch;
6. prints reports sent / accepted / found in the database / duplicated, and outbox events emitted /
   handled, e-mails written, webhook deliveries received once / twice / never.

The whole run takes about a minute and a half on a busy two-core machine.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
PYTHON = sys.executable


def say(text: str) -> None:
    print(text, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pg_bin() -> Path:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists():
            return candidate
    raise SystemExit("PostgreSQL server binaries (initdb, pg_ctl) are not installed")


class PrivatePostgres:
    """A throw-away cluster in a temporary folder, on its own port, run as the `postgres` user."""

    def __init__(self):
        self.bin = pg_bin()
        self.dir = Path(tempfile.mkdtemp(prefix="civicgrid-faults-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        shutil.chown(self.dir, "postgres", "postgres")
        self._as_postgres(
            [str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8"]
        )
        conf = self.data / "postgresql.conf"
        with open(conf, "a") as fh:
            fh.write(
                f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.dir}'\n"
                "fsync = on\nmax_connections = 60\nshared_buffers = 32MB\n"
            )
        self.start()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/civicgrid"
        self._as_postgres(
            [
                str(self.bin / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "civicgrid",
            ]
        )

    def _as_postgres(self, cmd: list[str]) -> None:
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def pg_ctl(self, *args: str) -> None:
        self._as_postgres(
            [str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "log"), "-w", *args]
        )

    def start(self) -> None:
        self.pg_ctl("start")

    def restart(self) -> None:
        self.pg_ctl("restart", "-m", "fast")

    def stop(self) -> None:
        try:
            self.pg_ctl("stop", "-m", "fast")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


class Sink(http.server.BaseHTTPRequestHandler):
    """The webhook receiver: counts deliveries per outbox event id (X-Civicgrid-Event)."""

    received: Counter = Counter()
    lock = threading.Lock()

    def do_POST(self):  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with self.lock:
            self.received[self.headers.get("X-Civicgrid-Event", "?")] += 1
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


class Reports:
    """What the clients sent and what the server answered, per client key."""

    def __init__(self):
        self.lock = threading.Lock()
        self.sent: dict[str, str] = {}  # key → channel
        self.accepted: set[str] = set()
        self.attempts = 0
        self.errors: Counter = Counter()

    def note(self, key, channel=None, accepted=False, error=None):
        with self.lock:
            if channel:
                self.sent[key] = channel
            if accepted:
                self.accepted.add(key)
            if error:
                self.errors[error] += 1
            self.attempts += 1


def open311_client(base, api_key, code, point, reports, stop, rng_seed):
    import random

    rng = random.Random(rng_seed)
    while not stop.is_set():
        key = uuid.uuid4().hex
        reports.note(key, "open311")
        lng, lat = point(rng)
        body = urllib.parse.urlencode(
            {
                "api_key": api_key,
                "service_code": code,
                "long": f"{lng:.6f}",
                "lat": f"{lat:.6f}",
                "description": f"bench report {key[:8]}",
            }  # fmt: skip
        ).encode()
        deadline = time.time() + 60
        while time.time() < deadline:
            request = urllib.request.Request(
                f"{base}/open311/v2/requests.json", data=body, method="POST", headers={"Idempotency-Key": key}
            )
            try:
                with urllib.request.urlopen(request, timeout=15) as response:
                    if response.status in (200, 201):
                        reports.note(key, accepted=True)
                        break
            except urllib.error.HTTPError as exc:
                reports.note(key, error=f"open311 HTTP {exc.code}")
            except OSError as exc:
                reports.note(key, error=f"open311 {type(exc).__name__}")
            time.sleep(0.3)  # retry the same report with the same key


def page_client(base, community_id, reports, stop):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    while not stop.is_set():
        try:
            page = opener.open(f"{base}/cases/report/", timeout=15).read().decode()
        except OSError as exc:
            reports.note("-", error=f"page GET {type(exc).__name__}")
            time.sleep(0.3)
            continue
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        key = re.search(r'name="client_key"[^>]*value="([^"]+)"', page) or re.search(
            r'value="([^"]+)"[^>]*name="client_key"', page
        )
        key = key.group(1)
        reports.note(key, "page")
        body = urllib.parse.urlencode(
            {
                "csrfmiddlewaretoken": csrf,
                "client_key": key,
                "description": f"phone page report {key[:8]}",
                "community": str(community_id),
                "address": "北门口",
            }  # fmt: skip
        ).encode()
        deadline = time.time() + 60
        while time.time() < deadline:
            request = urllib.request.Request(
                f"{base}/cases/report/",
                data=body,
                method="POST",
                headers={"Referer": f"{base}/cases/report/"},
            )
            try:
                with opener.open(request, timeout=15) as response:
                    if response.status == 200 and "/cases/report/done/" in response.geturl():
                        reports.note(key, accepted=True)
                        break
                    reports.note(key, error=f"page answered {response.status} at {response.geturl()[-30:]}")
            except urllib.error.HTTPError as exc:
                reports.note(key, error=f"page HTTP {exc.code}")
            except OSError as exc:
                reports.note(key, error=f"page {type(exc).__name__}")
            time.sleep(0.3)


def dispatcher_loop(dispatcher, department, stop, done: Counter):
    """A street dispatcher sends new cases to a department while the faults happen (in this process,
    through the services): each dispatch emits an outbox event whose handler e-mails the department."""
    from django.db import close_old_connections, connection
    from django.db.utils import DatabaseError

    from civicgrid.cases import services
    from civicgrid.cases.models import Case
    from civicgrid.cases.workflow import IllegalTransition, State

    while not stop.is_set():
        try:
            for case in Case.objects.filter(state=State.SUBMITTED).order_by("id")[:10]:
                try:
                    services.dispatch(case, dispatcher, department)
                    done["dispatched"] += 1
                except IllegalTransition:
                    pass
        except DatabaseError:
            done["database errors (retried)"] += 1
            connection.close()
            close_old_connections()
        time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=40, help="length of the load")
    parser.add_argument("--clients", type=int, default=6, help="client threads (half Open311, half page)")
    args = parser.parse_args()
    started = time.time()

    pg = PrivatePostgres()
    say(f"private PostgreSQL on port {pg.port} in {pg.dir}")
    processes: list[subprocess.Popen] = []
    server = None
    sink_server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    threading.Thread(target=sink_server.serve_forever, daemon=True).start()
    sink_url = f"http://127.0.0.1:{sink_server.server_address[1]}/hook"
    mail_dir = Path(tempfile.mkdtemp(prefix="civicgrid-faults-mail-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "civicgrid.settings",
        "CIVICGRID_DATABASE_URL": pg.url,
        "CIVICGRID_DB_CONN_MAX_AGE": "0",
        "CIVICGRID_SECRET_KEY": "bench-faults-" + uuid.uuid4().hex,
        "CIVICGRID_ANONYMOUS_REPORTS_PER_HOUR": "1000000",
        "CIVICGRID_OPEN311_ANON_RATE_PER_MINUTE": "1000000",
        "CIVICGRID_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "CIVICGRID_VAR_DIR": str(mail_dir),
    }
    os.environ.update(env)
    try:

        def run(*a):
            subprocess.run(
                [PYTHON, "-m", "civicgrid.cli", *a], env=env, check=True, stdout=subprocess.DEVNULL
            )

        run("migrate", "--noinput")
        run("demo", "--scale", "tiny", "--only", "city")
        import django

        django.setup()
        from bench_open311 import Server, bench_key, service_codes, street_points

        from civicgrid.areas.models import Area, Level
        from civicgrid.cases.models import Case, WebhookEndpoint
        from civicgrid.core.models import OutboxEvent

        WebhookEndpoint.objects.create(
            name="bench sink", url=sink_url, secret="bench", topics=["case.reported", "case.dispatch"]
        )
        from django.contrib.auth import get_user_model

        from civicgrid.people.models import Department

        dispatcher = get_user_model().objects.get(username="dispatcher")
        department = Department.objects.filter(active=True).order_by("id").first()
        Department.objects.filter(pk=department.pk).update(email="dept@bench.invalid")
        api_key = bench_key()
        code = service_codes()[0]
        community = Area.objects.filter(level=Level.COMMUNITY).first()
        points = street_points(__import__("random").Random(3), 200)
        point = lambda rng: rng.choice(points)  # noqa: E731
        from django.db import connection

        connection.close()

        server = Server(pg.url, web_workers=2, extra_env=env)
        say(f"serving on {server.base}; webhook sink {sink_url}")
        worker = subprocess.Popen([PYTHON, "-m", "civicgrid.cli", "worker"], env=env, start_new_session=True)
        processes.append(worker)

        reports, stop = Reports(), threading.Event()
        threads = []
        for i in range(args.clients):
            if i % 2 == 0:
                target, targs = open311_client, (server.base, api_key, code, point, reports, stop, i)
            else:
                target, targs = page_client, (server.base, community.pk, reports, stop)
            threads.append(threading.Thread(target=target, args=targs, daemon=True))
        for t in threads:
            t.start()
        dispatched: Counter = Counter()
        dispatch_thread = threading.Thread(
            target=dispatcher_loop, args=(dispatcher, department, stop, dispatched), daemon=True
        )
        dispatch_thread.start()
        load_started = time.time()
        third = args.seconds / 3
        time.sleep(third)
        say(
            f"t={time.time() - load_started:.0f}s: restarting the private PostgreSQL (pg_ctl restart -m fast)"
        )
        pg.restart()
        time.sleep(third / 2)
        say(f"t={time.time() - load_started:.0f}s: killing the worker (SIGKILL) and starting it again")
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
        time.sleep(2)
        worker = subprocess.Popen([PYTHON, "-m", "civicgrid.cli", "worker"], env=env, start_new_session=True)
        processes.append(worker)
        time.sleep(max(0.0, args.seconds - (time.time() - load_started)))
        stop.set()
        for t in [*threads, dispatch_thread]:
            t.join(timeout=90)
        say(f"load over after {time.time() - load_started:.0f}s; waiting for the worker to drain the outbox")
        # Until every event is done, or nothing has moved for a minute (at most five minutes).
        deadline, last, last_change = time.time() + 300, -1, time.time()
        while time.time() < deadline and time.time() - last_change < 60:
            pending = OutboxEvent.objects.filter(done_at__isnull=True).count()
            if pending == 0:
                break
            if pending != last:
                last, last_change = pending, time.time()
            time.sleep(1)
        drained_after = time.time() - load_started
        time.sleep(2)
        server.stop()

        # Case.client_key is "<channel>:[<api client>:]<the client's key>": count cases per client key.
        found_by_key = Counter()
        for client_key in Case.objects.exclude(client_key=None).values_list("client_key", flat=True):
            found_by_key[client_key.rsplit(":", 1)[-1]] += 1
        sent = set(reports.sent)
        accepted = reports.accepted
        found = {k for k in sent if found_by_key.get(k)}
        duplicated = sum(1 for k in sent if found_by_key.get(k, 0) > 1)
        lost = accepted - found
        events = OutboxEvent.objects.filter(topic="case.reported")
        deliveries = OutboxEvent.objects.filter(topic="webhook.deliver")
        delivery_ids = {str(pk) for pk in deliveries.values_list("pk", flat=True)}
        received = Sink.received
        dispatch_events = OutboxEvent.objects.filter(topic="case.dispatch")
        mails = (
            [f.read_text(errors="replace") for f in (mail_dir / "mail").glob("*")]
            if (mail_dir / "mail").exists()
            else []
        )
        mail_count = sum(m.count("\nTo: dept@bench.invalid") for m in mails)
        result = {
            "seconds": round(time.time() - started),
            "reports_sent": len(sent),
            "reports_sent_open311": sum(1 for c in reports.sent.values() if c == "open311"),
            "reports_sent_page": sum(1 for c in reports.sent.values() if c == "page"),
            "accepted": len(accepted),
            "found": len(found),
            "lost": len(lost),
            "duplicated": duplicated,
            "unanswered_after_retries": len(sent - accepted),
            "attempts": reports.attempts,
            "errors_retried": dict(reports.errors.most_common(6)),
            "outbox_reported_emitted": events.count(),
            "outbox_reported_handled": events.exclude(done_at=None).count(),
            "outbox_reported_failed_for_good": events.exclude(done_at=None)
            .exclude(last_error="")
            .filter(attempts__gte=5)
            .count(),
            "dispatched_in_process": dispatched["dispatched"],
            "dispatcher_database_errors_retried": dispatched["database errors (retried)"],
            "outbox_dispatch_emitted": dispatch_events.count(),
            "outbox_dispatch_handled": dispatch_events.exclude(done_at=None).count(),
            "emails_to_department": mail_count,
            "outbox_pending_at_end": OutboxEvent.objects.filter(done_at__isnull=True).count(),
            "outbox_retried_after_an_error": OutboxEvent.objects.exclude(last_error="").count(),
            "drained_seconds_after_load_start": round(drained_after),
            "webhooks_emitted": len(delivery_ids),
            "webhooks_handled": deliveries.exclude(done_at=None).count(),
            "webhooks_received_once": sum(1 for i in delivery_ids if received.get(i) == 1),
            "webhooks_received_twice_or_more": sum(1 for i in delivery_ids if received.get(i, 0) > 1),
            "webhooks_never_received": sum(1 for i in delivery_ids if not received.get(i)),
        }
        say("RESULT " + json.dumps(result, ensure_ascii=False))
        for name in ("reports_sent", "accepted", "found", "lost", "duplicated", "outbox_reported_emitted",
                     "outbox_reported_handled", "outbox_dispatch_emitted", "outbox_dispatch_handled",
                     "emails_to_department", "webhooks_emitted", "webhooks_received_once",
                     "webhooks_received_twice_or_more", "webhooks_never_received"):  # fmt: skip
            say(f"  {name:34} {result[name]}")
    finally:
        if server is not None:
            server.stop()
        for p in processes:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
        sink_server.shutdown()
        from django.db import connections

        connections.close_all()
        pg.stop()
        shutil.rmtree(mail_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
