"""Open311 intake as clients load it (issue 16): POST and GET rates, latency and CPU per request.

    .venv/bin/python bench/bench_open311.py [--runs 3] [--duration 20] [--warmup 3] [--connections 16]
        [--reconnect-share 0.25] [--clients 16] [--only post|get|fixed|rest] [--no-rest] [--profile DIR]
        [--database-url postgres://…]   (default: a private PostgreSQL started by the bench)

Targets: Open311 POST at least 1,000/s with p99 under 100 ms; GET requests.json (a page of 50 with
api_key and filters) p95 under 50 ms at 16 connections; REST intake at least 800/s.

What it does, every step printed:
1. starts a private PostgreSQL (bench/harness.py: initdb as the postgres user on its own port and
   data directory, pg_stat_statements loaded; kept between runs), migrates it and loads the demo
   street (`civicgrid demo --scale small`) and, once, a year of the street's cases (for the GET);
2. issues one Open311 key per client (--clients, default one per connection), rate limits lifted;
3. starts `civicgrid serve --no-worker` (gunicorn 3 gthread workers × its threads, DEBUG off,
   persistent database connections: the settings' default);
4. POST, varied (the default and the figure that counts): bench/loadgen.py in its own process,
   --connections connections, each a client with its own key and device_id; every body its own
   (a random point inside one of the street's grids, a service code, a description, the service's
   attributes, sometimes a name, phone or email; half the clients send an Idempotency-Key, the
   others rely on the body-hash retry rule); --reconnect-share of the connections open a new TCP
   connection for every request, the others keep theirs alive. --warmup s, then --duration s
   measured; --runs runs, then the medians;
5. POST, fixed body: one body for every request (the same key, point and text; new Idempotency-Key
   never sent, so all but the first are answered as retries): a labelled LOWER BOUND, not the figure;
6. GET: pages of 50 with api_key and random filters (status, service codes, a 90-day window, page
   1–3), --connections connections, --runs runs;
7. REST intake: POST /api/v1/cases/ as bench/bench_intake_http.py loads it (a resident's token per
   connection, every body its own point and description, an Idempotency-Key), --runs runs;
8. pgbench: the database's own single-row INSERT+COMMIT rate in the same run, and the POST rate as
   a share of it; then a summary: the medians of every phase, CPU per request split between the
   server and PostgreSQL, and issue 16's targets, met or not.

For every run: rate, p50/p95/p99, errors, CPU per request (server = the gunicorn master and workers,
PostgreSQL = every process of the private instance; from /proc/<pid>/stat), and PostgreSQL
statements per request with the heaviest ones (pg_stat_statements). --profile DIR adds one more run
of each phase under py-spy (over the master and its workers) and prints where the time goes.
Everything binds to 127.0.0.1; every load is bounded by --warmup + --duration.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
from harness import Server, civicgrid, say, setup_django  # noqa: E402,F401

BENCH_CLIENT = "bench: client"
YEAR_CLIENT = "bench: a year of cases"
DEFAULT_PG_DIR = "/tmp/civicgrid-bench-pg"


def street_points(rng: random.Random, count: int) -> list[tuple[float, float]]:
    """Random points inside the demo street's grids (uniform over each grid's polygon)."""
    from shapely.geometry import Point, shape

    from civicgrid.areas.models import Area, Level

    grids = [
        shape(s)
        for s in Area.objects.filter(level=Level.GRID).exclude(shape=None).values_list("shape", flat=True)
    ]
    if not grids:
        raise SystemExit("no grids: did the demo load?")
    points = []
    while len(points) < count:
        grid = rng.choice(grids)
        x0, y0, x1, y1 = grid.bounds
        for _ in range(100):
            x, y = rng.uniform(x0, x1), rng.uniform(y0, y1)
            if grid.contains(Point(x, y)):
                points.append((x, y))
                break
    return points


def service_codes() -> list[str]:
    """Services a client can post without extra questions."""
    from civicgrid.open311.presenters import services_queryset

    return [c.code for c in services_queryset() if not any(q.get("required") for q in (c.questions or []))]


def services_for_load() -> list[dict]:
    """Every service with its attributes (codes, types, list values) as the load generator fills them."""
    from civicgrid.open311 import presenters

    out = []
    for category in presenters.services_by_code().values():
        attributes = [
            {
                "code": a["code"],
                "datatype": a["datatype"],
                "required": a["required"],
                "values": [v["key"] for v in a.get("values", [])],
            }
            for a in presenters.attributes(category)
            if a["variable"]
        ]
        out.append({"code": category.code, "attributes": attributes})
    return out


def bench_key() -> str:
    return bench_keys(1)[0]


def bench_keys(count: int) -> list[str]:
    """One key per client (rate limits lifted); fresh keys every run."""
    from civicgrid.open311 import services
    from civicgrid.open311.models import ApiClient

    keys = []
    for i in range(count):
        name = f"{BENCH_CLIENT} {i + 1}"
        client = ApiClient.objects.filter(name=name).first()
        if client is None:
            client, key = services.create_client(name=name, rate_limit_per_minute=1_000_000_000)
        else:
            key = services.issue_key(client)
        keys.append(key)
    return keys


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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("CIVICGRID_BENCH_DATABASE_URL"),
        help="use this PostgreSQL instead of a private one",
    )
    parser.add_argument("--pg-dir", default=DEFAULT_PG_DIR, help="data directory of the private PostgreSQL")
    parser.add_argument(
        "--pg-port", type=int, default=0, help="port of the private PostgreSQL (default: a free one)"
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=int, default=20, help="measured seconds per run")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of load before the measured part")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--reconnect-share",
        type=float,
        default=0.25,
        help="share of the connections that open a new TCP connection for every request",
    )
    parser.add_argument("--clients", type=int, default=0, help="API keys (default: one per connection)")
    parser.add_argument("--web-workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument(
        "--web-threads", type=int, default=0, help="threads per worker (default: what civicgrid serve uses)"
    )
    parser.add_argument("--year-cases", type=int, default=30000, help="cases in the street's year")
    parser.add_argument("--only", choices=["get", "post", "fixed", "rest"], help="run one phase")
    parser.add_argument("--no-rest", action="store_true", help="skip the REST intake phase")
    parser.add_argument("--no-fixed", action="store_true", help="skip the fixed-body lower bound")
    parser.add_argument("--profile", help="also profile one run of each phase with py-spy into this folder")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)

    pg = None
    if args.database_url:
        database_url = args.database_url
        harness.ensure_database(database_url)
    else:
        pg = harness.PrivatePostgres(args.pg_dir, args.pg_port or harness.free_port()).start()
        database_url = pg.url
    if not database_url.startswith("postgres"):
        raise SystemExit("this benchmark is for PostgreSQL")
    try:
        return run(args, database_url, pg)
    finally:
        if pg is not None:
            pg.stop()


def run(args, database_url: str, pg) -> int:
    say(f"database: {database_url}" + (" (private instance, pg_stat_statements loaded)" if pg else ""))
    say("migrating and loading the demo street …")
    civicgrid(database_url, "migrate", "--noinput", "-v", "0")
    civicgrid(database_url, "demo", "--scale", "small", "-v", "0")
    setup_django(database_url)
    rng = random.Random(42)
    load_year(args.year_cases)
    keys = bench_keys(args.clients or args.connections)
    codes = service_codes()
    services = services_for_load()
    points = street_points(rng, 20000)
    from django.db import connection

    connection.close()
    statements = harness.Statements(database_url)
    base = {
        "connections": args.connections,
        "reconnect_share": args.reconnect_share,
        "warmup": args.warmup,
        "duration": args.duration,
    }
    post_spec = {
        **base,
        "kind": "open311_post",
        "path": "/open311/v2/requests.json",
        "keys": keys,
        "services": services,
        "points": points,
    }
    lng, lat = points[0]
    fixed_body = (
        f"api_key={keys[0]}&service_code={codes[0]}&lat={lat:.6f}&long={lng:.6f}&description=fixed+bench+body"
    )
    fixed_spec = {**base, "kind": "fixed_post", "path": "/open311/v2/requests.json", "fixed_body": fixed_body}
    get_spec = {
        **base,
        "kind": "open311_get",
        "path": "/open311/v2/requests.json",
        "keys": keys,
        "codes": codes,
        "now": time.time(),
    }
    # REST intake (bench/bench_intake_http.py's load): a resident's token per connection.
    import bench_intake_http

    rest_spec = {
        **base,
        "kind": "rest_post",
        "path": "/api/v1/cases/",
        "keys": bench_intake_http.resident_tokens(args.clients or args.connections),
        "points": points,
        "categories": codes,
    }
    connection.close()
    figures: dict = {
        "settings": base
        | {
            "clients": len(keys),
            "web_workers": args.web_workers,
            "web_threads": harness.web_threads(args.web_threads),
        }
    }

    # The API's rate limit is per user: lifted for the load (the Open311 keys have theirs lifted).
    server = Server(
        database_url,
        args.web_workers,
        extra_env={"CIVICGRID_API_USER_RATE": "100000000/min", **harness.threads_env(args.web_threads)},
    )
    cpu = harness.CpuMeter(server, database_url, pg)
    say(
        f"serving on {server.base} ({args.web_workers} gunicorn workers × {harness.web_threads(args.web_threads)} "
        "threads, no background worker); "
        f"{args.connections} connections, {args.reconnect_share:.0%} of them new for every request, "
        f"{len(keys)} API keys; load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )
    phases = [
        ("post", "Open311 POST requests.json, varied bodies", post_spec, args.runs),
        (
            "fixed",
            "Open311 POST, one fixed body (LOWER BOUND: retries of one request)",
            fixed_spec,
            0 if args.no_fixed else 1,
        ),
        ("get", "Open311 GET requests.json, page of 50 with api_key and filters", get_spec, args.runs),
        ("rest", REST_NAME, rest_spec, 0 if args.no_rest else args.runs),
    ]
    try:
        for phase, name, spec, runs in phases:
            if (args.only and args.only != phase) or runs == 0:
                continue
            results = []
            for i in range(runs):
                result = harness.load(server, {**spec, "seed": i + 1}, cpu, statements)
                harness.report(f"{name}, run {i + 1}", result)
                if i == 0:
                    harness.report_statements(result.get("statements"))
                results.append(result)
            figures[phase] = {"runs": results}
            if runs > 1:
                figures[phase]["median"] = harness.medians(name, results)
            if args.profile and phase != "fixed":
                Path(args.profile).mkdir(parents=True, exist_ok=True)
                out = str(
                    Path(args.profile) / f"{'rest_post' if phase == 'rest' else 'open311_' + phase}.txt"
                )
                result = harness.load(server, {**spec, "seed": 99}, cpu, None, profile=out)
                harness.report(f"{name}, under py-spy (slower)", result)
                time.sleep(1)
                figures[phase]["profile"] = harness.profile_summary(out)
    finally:
        server.stop()

    if "post" in figures:
        in_flight = args.web_workers * harness.web_threads(args.web_threads)
        many = harness.pg_commit_rate(database_url, in_flight, 10)
        one = harness.pg_commit_rate(database_url, 1, 5)
        figures["pg_commits_per_s"] = {"clients": in_flight, "rate": many, "one_client": one}
        rate = figures["post"].get("median", figures["post"]["runs"][0])["rps"]
        say(
            f"PostgreSQL single-row INSERT+COMMIT (pgbench): {many:.0f}/s with {in_flight} clients, {one:.0f}/s "
            f"with one; Open311 POST (median) reaches {rate / many:.1%} of the database's own commit rate"
        )
    summary(figures)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2, ensure_ascii=False))
    return 0


REST_NAME = "REST POST /api/v1/cases/ (a resident's report), varied bodies"
# Issue 16's targets, as (phase, rate at least, latency percentile, under ms).
TARGETS = {"post": (1000, "p99", 100), "get": (None, "p95", 50), "rest": (800, None, None)}


def summary(figures: dict) -> None:
    """One table of the run: medians of every phase, CPU per request split, and the targets."""
    say("")
    say("SUMMARY (medians of the runs; CPU per request: server + PostgreSQL, from /proc)")
    for phase, label in (
        ("post", "Open311 POST, varied"),
        ("fixed", "Open311 POST, fixed body (lower bound)"),
        ("get", "Open311 GET, page of 50"),
        ("rest", "REST POST /api/v1/cases/"),
    ):
        if phase not in figures:
            continue
        m = figures[phase].get("median")
        if m is None:
            r = figures[phase]["runs"][0]
            m = {
                "rps": r["rps"],
                "p95": r["p95"],
                "p99": r["p99"],
                "cpu_server_ms": r["cpu_ms"]["server"],
                "cpu_postgresql_ms": r["cpu_ms"]["postgresql"],
            }
        line = (
            f"  {label:40s} {m['rps']:6.0f}/s  p95 {m['p95']:6.1f} ms  p99 {m['p99']:6.1f} ms  "
            f"CPU {m['cpu_server_ms']:.2f} + {m['cpu_postgresql_ms']:.2f} ms"
        )
        if phase in TARGETS:
            rate, pct, limit = TARGETS[phase]
            wanted = []
            if rate:
                wanted.append(f">= {rate}/s {'met' if m['rps'] >= rate else 'NOT met'}")
            if pct:
                wanted.append(f"{pct} < {limit} ms {'met' if m[pct] < limit else 'NOT met'}")
            line += "  target: " + ", ".join(wanted)
        say(line)


if __name__ == "__main__":
    sys.exit(main())
