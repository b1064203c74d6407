"""What the HTTP benches share: a private PostgreSQL, the server, the load generator, CPU meters,
pg_stat_statements, py-spy and pgbench.

Measuring the way clients load civicgrid (issue 16):
- PostgreSQL is a private instance the bench starts itself (initdb as the postgres user, its own
  port and data directory under /tmp, `shared_preload_libraries = pg_stat_statements`), so its
  statements can be counted and no other user of the machine's shared server is disturbed or
  counted. `--database-url` points the bench at another server instead (statements are then
  counted only if that server has pg_stat_statements loaded).
- The server is `civicgrid serve --no-worker` as an operator starts it: gunicorn, 3 gthread workers
  × the threads serve gives each (CIVICGRID_WEB_THREADS, default 4), DEBUG off, persistent database
  connections (the settings' default, 60 s).
- The load generator is bench/loadgen.py (standard library) in its own process: one API key and one
  device per connection, every request a distinct body, a share of the connections opening a new
  TCP connection for every request.
- CPU per request is read from /proc/<pid>/stat (utime + stime) at the load generator's
  `MEASURE start` and `MEASURE end` lines: the gunicorn master and workers, and every process of the
  PostgreSQL instance (backends, WAL writer, checkpointer, …), split.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PYTHON = sys.executable
LOADGEN = Path(__file__).resolve().parent / "loadgen.py"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def say(text: str = "") -> None:
    print(text, flush=True)


def env_for(database_url: str) -> dict:
    env = dict(os.environ)
    env["CIVICGRID_DATABASE_URL"] = database_url
    env.setdefault("DJANGO_SETTINGS_MODULE", "civicgrid.settings")
    return env


def civicgrid(database_url: str, *args: str) -> None:
    subprocess.run([PYTHON, "-m", "civicgrid.cli", *args], env=env_for(database_url), check=True)


def setup_django(database_url: str) -> None:
    os.environ.update(env_for(database_url))
    import django

    django.setup()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ensure_database(database_url: str) -> None:
    import psycopg

    parts = urlparse(database_url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
            say(f"created database {name}")


# --- a private PostgreSQL ------------------------------------------------------------------------


def _pg_bin(name: str) -> str:
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(candidate)
    found = shutil.which(name)
    if not found:
        raise SystemExit(f"{name} is missing (the PostgreSQL server package)")
    return found


class PrivatePostgres:
    """A PostgreSQL instance of the bench's own: initdb once (as the postgres user), started on its
    own port with pg_stat_statements loaded, stopped at the end. The data directory is kept between
    runs (the demo street and the year of cases load once)."""

    def __init__(self, datadir: str, port: int):
        self.datadir, self.port = Path(datadir), port
        self.url = f"postgres://postgres@127.0.0.1:{port}/civicgrid_bench"
        self.started = False

    def _as_postgres(self, *cmd: str, **kw) -> subprocess.CompletedProcess:
        if os.geteuid() == 0:
            cmd = ("runuser", "-u", "postgres", "--", *cmd)
        return subprocess.run(cmd, check=True, **kw)

    def start(self) -> PrivatePostgres:
        if not (self.datadir / "PG_VERSION").exists():
            self.datadir.mkdir(parents=True, exist_ok=True)
            if os.geteuid() == 0:
                shutil.chown(self.datadir, "postgres", "postgres")
            say(f"initdb {self.datadir} (a private PostgreSQL for the bench)")
            self._as_postgres(
                _pg_bin("initdb"),
                "-D",
                str(self.datadir),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale",
                "C.UTF-8",
                stdout=subprocess.DEVNULL,
            )
        if not (self.datadir / "postmaster.pid").exists():
            options = (
                f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.datadir} "
                "-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=top "
                "-c max_connections=100"
            )
            self._as_postgres(
                _pg_bin("pg_ctl"),
                "-D",
                str(self.datadir),
                "-o",
                options,
                "-l",
                str(self.datadir / "server.log"),
                "-w",
                "start",
                stdout=subprocess.DEVNULL,
            )
            self.started = True
        else:
            self.port = int((self.datadir / "postmaster.pid").read_text().splitlines()[3])
            self.url = f"postgres://postgres@127.0.0.1:{self.port}/civicgrid_bench"
        ensure_database(self.url)
        return self

    def postmaster_pid(self) -> int:
        return int((self.datadir / "postmaster.pid").read_text().splitlines()[0])

    def stop(self) -> None:
        if self.started:
            self._as_postgres(
                _pg_bin("pg_ctl"),
                "-D",
                str(self.datadir),
                "-m",
                "fast",
                "-w",
                "stop",
                stdout=subprocess.DEVNULL,
            )
            self.started = False


# --- the server ----------------------------------------------------------------------------------


def threads_env(threads: int) -> dict:
    """The environment that gives `civicgrid serve` this many threads per worker (0: its default)."""
    return {"CIVICGRID_WEB_THREADS": str(threads)} if threads else {}


def web_threads(threads: int) -> int:
    """The threads per worker a server started with threads_env(threads) runs."""
    if threads:
        return threads
    from civicgrid.core.management.commands.serve import DEFAULT_THREADS

    return int(os.environ.get("CIVICGRID_WEB_THREADS") or DEFAULT_THREADS)


class Server:
    """`civicgrid serve --no-worker` on a free loopback port, as an operator starts it."""

    def __init__(self, database_url: str, web_workers: int = 3, extra_env: dict | None = None):
        import secrets

        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = env_for(database_url)
        env["CIVICGRID_DEBUG"] = "0"
        env.setdefault("CIVICGRID_SECRET_KEY", "bench-" + secrets.token_hex(24))  # never the demo key
        env.update(extra_env or {})
        cmd = [PYTHON, "-m", "civicgrid.cli", "serve", "--no-worker", "--bind", f"127.0.0.1:{self.port}"]
        cmd += ["--workers", str(web_workers)]
        self.process = subprocess.Popen(cmd, env=env, start_new_session=True)
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise SystemExit("the server did not come up")

    def gunicorn_pid(self) -> int | None:
        for pid in tree(self.process.pid):
            try:
                if b"gunicorn" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    return pid
            except OSError:
                pass  # the process ended between listing and reading: not the one we look for
        return None

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


# --- CPU -----------------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def tree(pid: int) -> list[int]:
    """A process and all its descendants."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            children = []
        todo.extend(int(c) for c in children)
    return found


class CpuMeter:
    """CPU seconds of the server's processes and of PostgreSQL's, between start() and stop().

    PostgreSQL: every process of a private instance (the postmaster's tree), or, on a shared
    server, the backends connected to the bench's database."""

    def __init__(self, server: Server, database_url: str, pg: PrivatePostgres | None):
        self.server, self.database_url, self.instance = server, database_url, pg

    def _pg_pids(self) -> list[int]:
        if self.instance is not None:
            return tree(self.instance.postmaster_pid())
        import psycopg

        name = urlparse(self.database_url).path.lstrip("/")
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [name]
            ).fetchall()
        return [row[0] for row in rows]

    def _snapshot(self) -> tuple[dict, dict]:
        app = {p: cpu_seconds(p) for p in tree(self.server.process.pid)}
        pg = {p: cpu_seconds(p) for p in self._pg_pids()}
        return app, pg

    def start(self) -> None:
        self.app0, self.pg0 = self._snapshot()

    def stop(self) -> None:
        app1, pg1 = self._snapshot()
        # A process that appeared during the load counts in full (from 0).
        self.app = sum(v - self.app0.get(p, 0.0) for p, v in app1.items())
        self.pg = sum(v - self.pg0.get(p, 0.0) for p, v in pg1.items())


# --- pg_stat_statements --------------------------------------------------------------------------


class Statements:
    """pg_stat_statements of the bench's database, when the server has it loaded."""

    def __init__(self, database_url: str):
        import psycopg

        self.database_url = database_url
        self.available = False
        try:
            with psycopg.connect(database_url, autocommit=True) as conn:
                conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
                conn.execute("SELECT count(*) FROM pg_stat_statements")
            self.available = True
        except psycopg.Error:
            pass  # not loaded on this server: the bench prints no statement counts (self.available stays False)

    def reset(self) -> None:
        if self.available:
            import psycopg

            with psycopg.connect(self.database_url, autocommit=True) as conn:
                conn.execute("SELECT pg_stat_statements_reset()")

    def read(self) -> list[dict]:
        if not self.available:
            return []
        import psycopg

        with psycopg.connect(self.database_url, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT calls, total_exec_time, query FROM pg_stat_statements s "
                "JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = current_database() "
                "AND query NOT ILIKE '%pg_stat_statements%' ORDER BY total_exec_time DESC"
            ).fetchall()
        return [{"calls": c, "ms": t, "query": " ".join(q.split())} for c, t, q in rows]


def statements_summary(rows: list[dict], requests: int, top: int = 8) -> dict:
    if not rows or not requests:
        return {}
    calls = sum(r["calls"] for r in rows)
    ms = sum(r["ms"] for r in rows)
    return {
        "statements_per_request": calls / requests,
        "exec_ms_per_request": ms / requests,
        "top": [
            {
                "per_request": r["calls"] / requests,
                "mean_ms": r["ms"] / r["calls"] if r["calls"] else 0,
                "share": r["ms"] / ms if ms else 0,
                "query": r["query"][:160],
            }
            for r in rows[:top]
        ],
    }


def report_statements(summary: dict) -> None:
    if not summary:
        return
    say(
        f"  PostgreSQL statements: {summary['statements_per_request']:.2f} per request, "
        f"{summary['exec_ms_per_request']:.3f} ms of execution per request (pg_stat_statements)"
    )
    for row in summary["top"]:
        say(f"    {row['per_request']:5.2f}/req {row['mean_ms']:7.3f} ms {row['share']:4.0%}  {row['query']}")


# --- the load ------------------------------------------------------------------------------------


def load(
    server: Server,
    spec: dict,
    cpu: CpuMeter,
    statements: Statements | None = None,
    profile: str | None = None,
) -> dict:
    """Run bench/loadgen.py with `spec`; meter CPU (and statements) over the measured part only."""
    spec = {
        "host": "127.0.0.1",
        "port": server.port,
        "host_header": f"127.0.0.1:{server.port}",
        # Devices and Idempotency-Keys of their own in every run, so no run retries an earlier one.
        "nonce": os.urandom(4).hex(),
        **spec,
    }
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as handle:
        json.dump(spec, handle, ensure_ascii=False)
        path = handle.name
    spy = None
    try:
        process = subprocess.Popen(
            [PYTHON, str(LOADGEN), path], stdout=subprocess.PIPE, text=True, start_new_session=True
        )
        result = None
        try:
            for line in process.stdout:
                if line.startswith("MEASURE start"):
                    if statements:
                        statements.reset()
                    cpu.start()
                    loadavg = os.getloadavg()[0]
                    if profile:
                        spy = start_py_spy(server, profile, spec["duration"])
                elif line.startswith("MEASURE end"):
                    cpu.stop()
                elif line.startswith("RESULT "):
                    result = json.loads(line[len("RESULT ") :])
        except BaseException:
            os.killpg(process.pid, signal.SIGTERM)
            raise
        process.wait()
    finally:
        os.unlink(path)
    if spy is not None:
        spy.wait()
    if result is None:
        raise SystemExit("the load generator gave no result")
    n = result["requests"] or 1
    result["cpu_ms"] = {"server": cpu.app / n * 1000, "postgresql": cpu.pg / n * 1000}
    result["cpu_ms"]["total"] = result["cpu_ms"]["server"] + result["cpu_ms"]["postgresql"]
    result["cpu_ms"]["loadgen"] = result["loadgen_cpu_s"] / n * 1000
    result["loadavg_at_start"] = loadavg
    if statements:
        result["statements"] = statements_summary(statements.read(), result["requests"])
    return result


def report(name: str, result: dict) -> None:
    errors = result["requests"] - result["ok"] + sum(result["errors"].values())
    cpu = result["cpu_ms"]
    say(
        f"{name}: {result['rps']:.0f}/s ({result['requests']} in {result['seconds']} s, "
        f"statuses {result['statuses']}, {errors} errors {result['errors'] or ''}); "
        f"p50 {result['p50']:.1f} ms, p95 {result['p95']:.1f} ms, p99 {result['p99']:.1f} ms; "
        f"CPU per request: server {cpu['server']:.2f} ms + PostgreSQL {cpu['postgresql']:.2f} ms "
        f"= {cpu['total']:.2f} ms (load generator {cpu['loadgen']:.2f} ms); load average {result['loadavg_at_start']:.1f}"
    )


def medians(name: str, runs: list[dict]) -> dict:
    """The median of every figure over the runs, printed as one line."""

    def med(get):
        return statistics.median(get(r) for r in runs)

    out = {
        "runs": len(runs),
        "rps": med(lambda r: r["rps"]),
        "p50": med(lambda r: r["p50"]),
        "p95": med(lambda r: r["p95"]),
        "p99": med(lambda r: r["p99"]),
        "errors": med(lambda r: r["requests"] - r["ok"] + sum(r["errors"].values())),
        "cpu_server_ms": med(lambda r: r["cpu_ms"]["server"]),
        "cpu_postgresql_ms": med(lambda r: r["cpu_ms"]["postgresql"]),
        "cpu_total_ms": med(lambda r: r["cpu_ms"]["total"]),
    }
    if all(r.get("statements") for r in runs):
        out["statements_per_request"] = med(lambda r: r["statements"]["statements_per_request"])
    say(
        f"MEDIAN of {len(runs)} — {name}: {out['rps']:.0f}/s, p50 {out['p50']:.1f} ms, p95 {out['p95']:.1f} ms, "
        f"p99 {out['p99']:.1f} ms, errors {out['errors']:.0f}; CPU per request server {out['cpu_server_ms']:.2f} ms "
        f"+ PostgreSQL {out['cpu_postgresql_ms']:.2f} ms = {out['cpu_total_ms']:.2f} ms"
        + (
            f"; {out['statements_per_request']:.2f} statements per request"
            if "statements_per_request" in out
            else ""
        )
    )
    return out


# --- py-spy --------------------------------------------------------------------------------------


def start_py_spy(server: Server, out: str, duration: int):
    """py-spy over the gunicorn master and its workers for the measured time (collapsed stacks)."""
    exe = shutil.which("py-spy") or str(Path(PYTHON).parent / "py-spy")
    if not Path(exe).exists():
        raise SystemExit("py-spy is missing: .venv/bin/pip install py-spy (or '.[bench]')")
    pid = server.gunicorn_pid()
    cmd = [exe, "record", "--pid", str(pid), "--subprocesses", "--rate", "200", "--duration", str(duration)]
    # --gil: only samples holding the GIL, i.e. Python using CPU (not waiting on PostgreSQL or sockets).
    cmd += ["--gil", "--format", "raw", "--output", out, "--nonblocking"]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


# Where the time goes, by the first matching frame on the stack (most specific first).
BUCKETS = [
    ("API key / token lookup", ("find_client", "authenticate_credentials", "_authenticate")),
    ("rate-limit counter", ("ratelimit.py",)),
    ("retry look-up (older body keys)", ("_idempotency_key",)),
    ("intake: place / grid lookup", ("_place (civicgrid/cases/services/new_cases.py", "find_grid")),
    ("intake: triage / dispatch rule", ("triage (", "_suggest_ids")),
    ("intake: deadlines (working time)", ("deadlines.py", "workcalendar.py")),
    ("intake: one-statement INSERT", ("_insert_report",)),
    ("intake: the rest", ("new_cases.py",)),
    ("Open311 checks (attributes, params)", ("_answers", "_float", "validate_email")),
    ("GET: the page query", ("_rows (",)),
    ("GET: serialisation", ("_answer_requests", "presenters.py", "renderers.py")),
    ("REST: serializers / DRF", ("rest_framework/",)),
    ("Open311 view, the rest", ("open311/",)),
    ("middleware (session, locale, csrf, auth, otp, csp, axes)", ("middleware",)),
    ("Django request handling", ("django/core/handlers", "django/http", "django/urls")),
    ("gunicorn / threads / sockets", ("gunicorn/", "threading.py", "selectors.py", "concurrent/futures")),
]


def profile_summary(path: str, top: int = 12) -> list[tuple[str, float]]:
    """Share of the samples per bucket (the first bucket any frame of a stack matches, innermost
    frames first) and the heaviest leaf functions."""
    stacks: Counter = Counter()
    for line in Path(path).read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks[stack] += int(count)
    total = sum(stacks.values()) or 1
    buckets: Counter = Counter()
    leaves: Counter = Counter()
    db: Counter = Counter()
    for stack, count in stacks.items():
        frames = stack.split(";")
        leaves[frames[-1]] += count
        in_db = any("psycopg" in f or "django/db/backends" in f for f in frames)
        name = "other"
        for label, needles in BUCKETS:
            if any(n in f for f in frames for n in needles):
                name = label
                break
        buckets[name] += count
        if in_db:
            db[name] += count
    say(f"  py-spy: {total} samples")
    rows = []
    for name, count in buckets.most_common():
        rows.append((name, count / total))
        say(
            f"    {count / total:6.1%}  {name}"
            + (f"  (of which waiting on/talking to PostgreSQL {db[name] / total:.1%})" if db[name] else "")
        )
    say("  heaviest leaf frames:")
    for frame, count in leaves.most_common(top):
        say(f"    {count / total:6.1%}  {frame[:150]}")
    return rows


# --- pgbench -------------------------------------------------------------------------------------


def pg_commit_rate(database_url: str, clients: int, seconds: int) -> float:
    """The database's own single-row INSERT+COMMIT rate, measured by pgbench."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS bench_commit (id bigserial PRIMARY KEY, v int, at timestamptz DEFAULT now())"
        )
        conn.execute("TRUNCATE bench_commit")
    parts = urlparse(database_url)
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as handle:
        handle.write("INSERT INTO bench_commit (v) VALUES (1);\n")
        script = handle.name
    try:
        out = subprocess.run(
            [
                "pgbench",
                "-n",
                "-h",
                parts.hostname or "127.0.0.1",
                "-p",
                str(parts.port or 5432),
                "-U",
                parts.username or "postgres",
                "-f",
                script,
                "-c",
                str(clients),
                "-j",
                str(min(clients, 2)),
                "-T",
                str(seconds),
                parts.path.lstrip("/"),
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(script)
    line = next(line for line in out.splitlines() if line.startswith("tps"))
    return float(line.split("=")[1].split()[0])
