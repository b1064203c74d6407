"""Open311 benchmark on PostgreSQL: POST requests/s and GET requests p95, with wrk in another process.

    .venv/bin/python bench/bench_open311.py [--database-url postgres://postgres@127.0.0.1:5432/civicgrid_bench_o311]
        [--duration 20] [--connections 16] [--web-workers 3] [--year-cases 30000] [--only get|post]

Targets (issue 4): POST at least 1,000 requests/s; GET requests (a page of 50 with filters) p95 under
50 ms with a year of a street's cases.

What it does, every step printed:
1. makes the database if missing, migrates it and loads the demo street (`civicgrid demo --scale small`);
2. issues an API key for the load (rate limit out of reach) and, once, takes in a year of the street's
   cases through `cases.services.intake` (spread over the last 365 days, every category, points in the
   grids), then moves a share of them along the loop (registered, dispatched, handled, closed) through
   the services, so the status filters have both kinds to find;
3. starts `civicgrid serve --no-worker` (gunicorn, loopback only) and waits for it;
4. GET: wrk asks for pages of 50 with random filters (status, service_code, a 90-day window inside the
   year, page 1–3): once with a few connections (--get-connections, fewer than the server's threads,
   so the percentiles are the requests' own latency, not time queued), once with --connections to
   find the rate at saturation;
5. POST: wrk posts form-encoded requests (random service and point, a unique description, an
   Idempotency-Key header as the docs ask of apps);
6. right after, pgbench measures the database's own single-row INSERT+COMMIT rate with as many
   clients as the server can have transactions in flight (and with one), and prints the ratio.

wrk (Debian package `wrk`) and pgbench (PostgreSQL client) run as separate processes. Everything binds to
127.0.0.1. Each load phase is bounded by --duration.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode, urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PYTHON = sys.executable
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/civicgrid_bench_o311"
BENCH_CLIENT = "bench: wrk load"
YEAR_CLIENT = "bench: a year of cases"

# wrk prints one JSON line from done(): requests, seconds, errors, latency percentiles (µs).
WRK_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\\nRESULT {"requests": %d, "seconds": %.3f, "non2xx": %d, "socket_errors": %d, ' ..
    '"p50": %d, "p90": %d, "p95": %d, "p99": %d, "max": %d, "mean": %.1f}\\n',
    summary.requests, summary.duration / 1e6, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99),
    latency.max, latency.mean))
end
"""


def say(text: str) -> None:
    print(text, flush=True)


def env_for(database_url: str) -> dict:
    env = dict(os.environ)
    env["CIVICGRID_DATABASE_URL"] = database_url
    env.setdefault("DJANGO_SETTINGS_MODULE", "civicgrid.settings")
    return env


def ensure_database(database_url: str) -> None:
    import psycopg

    parts = urlparse(database_url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
            say(f"created database {name}")


def civicgrid(database_url: str, *args: str) -> None:
    subprocess.run([PYTHON, "-m", "civicgrid.cli", *args], env=env_for(database_url), check=True)


def setup_django(database_url: str) -> None:
    os.environ.update(env_for(database_url))
    import django

    django.setup()


def street_points(rng: random.Random, count: int) -> list[tuple[float, float]]:
    """Points inside the demo street's grids: each grid's label point, moved a few metres."""
    from civicgrid.areas.models import Area, Level

    grids = list(Area.objects.filter(level=Level.GRID).exclude(lng=None).values_list("lng", "lat"))
    if not grids:
        raise SystemExit("no grids: did the demo load?")
    return [
        (lng + rng.uniform(-0.0004, 0.0004), lat + rng.uniform(-0.0004, 0.0004))
        for lng, lat in (rng.choice(grids) for _ in range(count))
    ]


def service_codes() -> list[str]:
    """Services a client can post without extra questions."""
    from civicgrid.open311.presenters import services_queryset

    return [c.code for c in services_queryset() if not any(q.get("required") for q in (c.questions or []))]


def bench_key() -> str:
    from civicgrid.open311 import services
    from civicgrid.open311.models import ApiClient

    client = ApiClient.objects.filter(name=BENCH_CLIENT).first()
    if client is None:
        client, key = services.create_client(name=BENCH_CLIENT, rate_limit_per_minute=1_000_000_000)
        return key
    return services.issue_key(client)


def load_year(target: int, seed: int = 7) -> None:
    """A year of the street's cases, through intake, a share moved along the loop (once per database)."""
    from django.utils import timezone

    from civicgrid.cases import services
    from civicgrid.cases.models import Case
    from civicgrid.people.models import Department

    have = Case.objects.filter(client_key__startswith="open311:year:").count()
    if have >= target:
        say(f"year of cases: {have} already loaded")
        return
    rng = random.Random(seed + have)
    codes = service_codes()
    points = street_points(rng, target - have)
    now = timezone.now()
    started = time.perf_counter()
    made = []
    for i, (lng, lat) in enumerate(points, start=have):
        reported_at = now - timedelta(seconds=rng.uniform(0, 365 * 86400))
        result = services.intake(
            channel="open311",
            description=f"年度样本 {i}：{rng.choice(['路灯不亮', '垃圾满溢', '占道经营', '井盖缺失', '噪声扰民'])}",
            category=rng.choice(codes),
            lng=lng,
            lat=lat,
            client_key=f"year:{i}",
            reported_at=reported_at,
        )
        made.append(result.case)
        if (i + 1) % 5000 == 0:
            say(
                f"  … {i + 1 - have} cases taken in ({(i + 1 - have) / (time.perf_counter() - started):.0f}/s)"
            )
    say(f"year of cases: {len(made)} taken in in {time.perf_counter() - started:.0f} s")

    # Move about a third along the loop through the services (an administrator acting for each step).
    from django.contrib.auth import get_user_model

    staff = get_user_model().objects.filter(is_superuser=True).first()
    departments = list(Department.objects.filter(active=True))
    started = time.perf_counter()
    moved = 0
    for case in made[::3]:
        case = services.dispatch(case, staff, rng.choice(departments))
        if rng.random() < 0.8:
            case = services.accept(case, staff)
            case = services.mark_handled(case, staff, "已处置完毕")
            case = services.verify(case, staff, passed=True)
        moved += 1
    say(f"moved {moved} cases along the loop in {time.perf_counter() - started:.0f} s")


class Server:
    """`civicgrid serve --no-worker` on a free loopback port."""

    def __init__(self, database_url: str, web_workers: int, extra_env: dict | None = None):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        env = env_for(database_url)
        env["CIVICGRID_DEBUG"] = "0"
        env.setdefault("CIVICGRID_SECRET_KEY", "bench-" + secrets.token_hex(24))  # never the demo key
        env["CIVICGRID_DB_CONN_MAX_AGE"] = "3600"  # one connection per thread for the whole run
        env.update(extra_env or {})
        self.process = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "civicgrid.cli",
                "serve",
                "--no-worker",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(web_workers),
            ],
            env=env,
            start_new_session=True,
        )
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

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _tree(pid: int) -> list[int]:
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


def _pg_backends(database_url: str) -> list[int]:
    import psycopg

    name = urlparse(database_url).path.lstrip("/")
    with psycopg.connect(database_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [name]
        ).fetchall()
    return [row[0] for row in rows]


class CpuMeter:
    """CPU seconds used during a load by the web server's processes and by its PostgreSQL backends
    (the other processes on the machine are not counted)."""

    def __init__(self, server: Server, database_url: str):
        self.server, self.database_url = server, database_url

    def __enter__(self):
        self.app_pids = _tree(self.server.process.pid)
        self.app = sum(_cpu_seconds(p) for p in self.app_pids)
        self.pg_pids = _pg_backends(self.database_url)
        self.pg = sum(_cpu_seconds(p) for p in self.pg_pids)
        return self

    def __exit__(self, *exc):
        self.app = sum(_cpu_seconds(p) for p in _tree(self.server.process.pid)) - self.app
        # Backends opened during the load count in full; the server keeps its connections for
        # the whole run (CIVICGRID_DB_CONN_MAX_AGE below), so none closes in between.
        now = _pg_backends(self.database_url)
        self.pg = sum(_cpu_seconds(p) for p in set(now) | set(self.pg_pids)) - self.pg
        return False


def wrk(url: str, script: str, duration: int, connections: int, threads: int = 2) -> dict:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install -y wrk")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script + WRK_DONE)
        path = handle.name
    try:
        out = subprocess.run(
            [
                "wrk",
                "-t",
                str(threads),
                "-c",
                str(connections),
                "-d",
                f"{duration}s",
                "--timeout",
                "10s",
                "-s",
                path,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(path)
    line = next(line for line in out.splitlines() if line.startswith("RESULT "))
    result = json.loads(line[len("RESULT ") :])
    result["rps"] = result["requests"] / result["seconds"]
    return result


def lua_list(items: list[str]) -> str:
    return "{" + ", ".join(json.dumps(item, ensure_ascii=False) for item in items) + "}"


def post_script(path: str, key: str, codes: list[str], points: list[tuple[float, float]]) -> str:
    coords = "{" + ", ".join(f"{{{lat:.6f}, {lng:.6f}}}" for lng, lat in points) + "}"
    return textwrap.dedent(
        f"""
        local codes = {lua_list(codes)}
        local points = {coords}
        local counter = 0
        local thread_id = 0
        setup = function(thread) thread_id = thread_id + 1; thread:set("tid", thread_id) end
        init = function(args) math.randomseed(os.time() + (tid or 0)) end
        request = function()
          counter = counter + 1
          local p = points[math.random(#points)]
          local body = "api_key={key}&service_code=" .. codes[math.random(#codes)] ..
            "&lat=" .. p[1] .. "&long=" .. p[2] ..
            "&description=bench+" .. (tid or 0) .. "-" .. counter .. "-" .. math.random(1000000000)
          return wrk.format("POST", "{path}", {{
            ["Content-Type"] = "application/x-www-form-urlencoded",
            ["Idempotency-Key"] = (tid or 0) .. "-" .. counter .. "-" .. math.random(1000000000),
          }}, body)
        end
        """
    )


def get_script(queries: list[str]) -> str:
    return textwrap.dedent(
        f"""
        local queries = {lua_list(queries)}
        request = function()
          return wrk.format("GET", queries[math.random(#queries)])
        end
        """
    )


def get_queries(key: str, codes: list[str], rng: random.Random, count: int = 400) -> list[str]:
    """Pages of 50 with filters, over 90-day windows inside the year (the spec's largest span)."""
    from django.utils import timezone

    now = timezone.now()
    queries = []
    for _ in range(count):
        end = now - timedelta(days=rng.uniform(0, 275))
        params = {
            "api_key": key,
            "page_size": "50",
            "start_date": (end - timedelta(days=90)).isoformat(timespec="seconds"),
            "end_date": end.isoformat(timespec="seconds"),
        }
        if rng.random() < 0.6:
            params["status"] = rng.choice(["open", "closed"])
        if rng.random() < 0.5:
            params["service_code"] = ",".join(rng.sample(codes, rng.choice([1, 3])))
        if rng.random() < 0.3:
            params["page"] = str(rng.choice([2, 3]))
        queries.append("/open311/v2/requests.json?" + urlencode(params))
    return queries


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


def report(name: str, result: dict) -> None:
    say(
        f"{name}: {result['rps']:.0f} requests/s over {result['seconds']:.0f} s "
        f"({result['requests']} requests, {result['non2xx']} non-2xx, {result['socket_errors']} socket errors); "
        f"latency p50 {result['p50'] / 1000:.1f} ms, p90 {result['p90'] / 1000:.1f} ms, "
        f"p95 {result['p95'] / 1000:.1f} ms, p99 {result['p99'] / 1000:.1f} ms"
    )


def report_cpu(result: dict, cpu: CpuMeter) -> None:
    """CPU per request, and the rate two idle cores could sustain at that cost."""
    app = cpu.app / result["requests"] * 1000
    pg = cpu.pg / result["requests"] * 1000
    result["cpu_ms_per_request"] = {"app": app, "postgresql": pg}
    ceiling = 2000 / (app + pg) if app + pg else 0
    result["two_core_ceiling_rps"] = ceiling
    say(
        f"  CPU per request: web server {app:.2f} ms + PostgreSQL {pg:.2f} ms "
        f"→ two idle cores could serve about {ceiling:.0f} requests/s (wrk not counted)"
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("CIVICGRID_BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--duration", type=int, default=20, help="seconds of load per phase")
    parser.add_argument(
        "--connections",
        type=int,
        default=16,
        help="wrk connections for the POST load and the GET saturation run",
    )
    parser.add_argument(
        "--get-connections",
        type=int,
        default=4,
        help="wrk connections for the GET latency run (fewer than the server's threads: latency, not queueing)",
    )
    parser.add_argument("--web-workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--year-cases", type=int, default=30000, help="cases in the street's year")
    parser.add_argument("--only", choices=["get", "post"], help="run one phase")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    if not args.database_url.startswith("postgres"):
        raise SystemExit("this benchmark is for PostgreSQL")

    ensure_database(args.database_url)
    say("migrating and loading the demo street …")
    civicgrid(args.database_url, "migrate", "--noinput", "-v", "0")
    civicgrid(args.database_url, "demo", "--scale", "small", "-v", "0")
    setup_django(args.database_url)
    rng = random.Random(42)
    load_year(args.year_cases)
    key = bench_key()
    codes = service_codes()
    points = street_points(rng, 500)
    figures: dict = {
        "connections": args.connections,
        "web_workers": args.web_workers,
        "load_before": os.getloadavg(),
    }

    server = Server(args.database_url, args.web_workers)
    say(
        f"load average before the run: {' '.join(f'{x:.1f}' for x in os.getloadavg())} (other processes share the 2 cores)"
    )
    say(f"serving on {server.base} ({args.web_workers} gunicorn workers × 4 threads, no background worker)")
    try:
        if args.only in (None, "get"):
            script = get_script(get_queries(key, codes, rng))
            wrk(server.base, script, 3, 8)  # warm up
            with CpuMeter(server, args.database_url) as cpu:
                result = wrk(server.base, script, args.duration, args.get_connections)
            report(f"GET requests.json (page of 50, filters), {args.get_connections} connections", result)
            report_cpu(result, cpu)
            figures["get"] = result
            result = wrk(server.base, script, args.duration, args.connections)
            report(f"GET requests.json at saturation, {args.connections} connections", result)
            figures["get_saturated"] = result
        if args.only in (None, "post"):
            script = post_script("/open311/v2/requests.json", key, codes, points)
            wrk(server.base, script, 3, 8)  # warm up
            with CpuMeter(server, args.database_url) as cpu:
                result = wrk(server.base, script, args.duration, args.connections)
            report(f"POST requests.json, {args.connections} connections", result)
            report_cpu(result, cpu)
            figures["post"] = result
    finally:
        server.stop()

    if "post" in figures:
        in_flight = args.web_workers * 4
        many = pg_commit_rate(args.database_url, in_flight, 10)
        one = pg_commit_rate(args.database_url, 1, 5)
        figures["pg_commits_per_s"] = {"clients": in_flight, "rate": many, "one_client": one}
        say(
            f"PostgreSQL single-row INSERT+COMMIT: {many:.0f}/s with {in_flight} clients, {one:.0f}/s with one; "
            f"Open311 POST reaches {figures['post']['rps'] / many:.0%} of the database's own commit rate"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
