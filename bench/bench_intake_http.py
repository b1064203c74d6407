"""REST intake as clients load it (issues 3, 16): residents' photo-less reports per second, p99, CPU per
request split between the server and PostgreSQL, and the database's own single-row commit rate in the
same run.

    .venv/bin/python bench/bench_intake_http.py [--runs 3] [--duration 20] [--warmup 3] [--connections 16]
        [--reconnect-share 0.25] [--profile DIR] [--database-url …]

Target: at least 800 reports per second (issue 16), p99 under 100 ms.

Each request is a resident's report as the REST API takes it (POST /api/v1/cases/, JSON, an
Idempotency-Key): validation, grid lookup of the point, triage of the description, the dispatch
rule's suggestion, and the case, its history row and its outbox row written in one statement, all
by `cases.services.intake`. Every connection is one resident with a token of their own (--clients
bench accounts, made once); every body has its own point (inside one of the street's grids) and
description, half name a category. The server, the private PostgreSQL, the load generator and the
meters are those of bench_open311.py (bench/harness.py).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_open311  # noqa: E402
import harness  # noqa: E402


def resident_tokens(count: int) -> list[str]:
    """One account and token per client (bench-resident-N); the demo's own resident first."""
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    User = get_user_model()
    users = [User.objects.get(username="resident")]
    for i in range(1, count):
        user, _ = User.objects.get_or_create(username=f"bench-resident-{i}")
        users.append(user)
    return [Token.objects.get_or_create(user=user)[0].key for user in users]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("CIVICGRID_BENCH_DATABASE_URL"))
    parser.add_argument("--pg-dir", default=bench_open311.DEFAULT_PG_DIR)
    parser.add_argument("--pg-port", type=int, default=0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=int, default=20, help="measured seconds per run")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--reconnect-share", type=float, default=0.25)
    parser.add_argument(
        "--clients", type=int, default=0, help="resident accounts (default: one per connection)"
    )
    parser.add_argument("--web-workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument(
        "--web-threads", type=int, default=0, help="threads per worker (default: what civicgrid serve uses)"
    )
    parser.add_argument("--profile", help="also profile one run with py-spy into this folder")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    pg = None
    if args.database_url:
        database_url = args.database_url
        harness.ensure_database(database_url)
    else:
        pg = harness.PrivatePostgres(args.pg_dir, args.pg_port or harness.free_port()).start()
        database_url = pg.url
    try:
        return run(args, database_url, pg)
    finally:
        if pg is not None:
            pg.stop()


def run(args, database_url: str, pg) -> int:
    harness.say("migrating and loading the demo street …")
    harness.civicgrid(database_url, "migrate", "--noinput", "-v", "0")
    harness.civicgrid(database_url, "demo", "--scale", "small", "-v", "0")
    harness.setup_django(database_url)
    tokens = resident_tokens(args.clients or args.connections)
    points = bench_open311.street_points(random.Random(3), 20000)
    from civicgrid.open311.presenters import services_by_code

    categories = list(services_by_code())
    from django.db import connection

    connection.close()
    statements = harness.Statements(database_url)
    spec = {
        "kind": "rest_post",
        "path": "/api/v1/cases/",
        "keys": tokens,
        "points": points,
        "categories": categories,
        "connections": args.connections,
        "reconnect_share": args.reconnect_share,
        "warmup": args.warmup,
        "duration": args.duration,
    }
    # The API's rate limit is per user: lift it for the load (the server reads it from the environment).
    server = harness.Server(
        database_url,
        args.web_workers,
        extra_env={"CIVICGRID_API_USER_RATE": "100000000/min", **harness.threads_env(args.web_threads)},
    )
    cpu = harness.CpuMeter(server, database_url, pg)
    harness.say(
        f"serving on {server.base} ({args.web_workers} gunicorn workers × {harness.web_threads(args.web_threads)} "
        "threads, no background worker); "
        f"{args.connections} connections ({args.reconnect_share:.0%} new for every request), {len(tokens)} residents"
    )
    name = "REST POST /api/v1/cases/ (a resident's report), varied bodies"
    results = []
    try:
        for i in range(args.runs):
            result = harness.load(server, {**spec, "seed": i + 1}, cpu, statements)
            harness.report(f"{name}, run {i + 1}", result)
            if i == 0:
                harness.report_statements(result.get("statements"))
            results.append(result)
        figures: dict = {"runs": results}
        if args.runs > 1:
            figures["median"] = harness.medians(name, results)
        if args.profile:
            Path(args.profile).mkdir(parents=True, exist_ok=True)
            out = str(Path(args.profile) / "rest_post.txt")
            result = harness.load(server, {**spec, "seed": 99}, cpu, None, profile=out)
            harness.report(f"{name}, under py-spy (slower)", result)
            figures["profile"] = harness.profile_summary(out)
    finally:
        server.stop()
    in_flight = args.web_workers * harness.web_threads(args.web_threads)
    many = harness.pg_commit_rate(database_url, in_flight, 10)
    one = harness.pg_commit_rate(database_url, 1, 5)
    rate = figures.get("median", results[0])["rps"]
    figures["pg_commits_per_s"] = {"clients": in_flight, "rate": many, "one_client": one}
    harness.say(
        f"PostgreSQL single-row INSERT+COMMIT (pgbench): {many:.0f}/s with {in_flight} clients, {one:.0f}/s "
        f"with one; REST intake (median) reaches {rate / many:.1%} of the database's own commit rate"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
