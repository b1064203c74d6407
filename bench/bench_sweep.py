"""The deadline sweep over 1 million open cases on PostgreSQL (issue 3: under 1 second).

    .venv/bin/python bench/bench_sweep.py [--database-url postgres://…/civicgrid_bench_sweep]
        [--cases 1000000] [--backlog 0.01] [--ticks 10]

Loads the small demo street, then inserts `--cases` open cases (INSERT … SELECT generate_series) in
the states the sweep looks at, with their respond-by, resolve-by, level and reminder times spread over
the next ten days, except a `--backlog` share whose times have already passed (a worker that was down
for a while). Then it measures `cases.sweeps.sweep()`, the function the worker runs every minute:

1. the catch-up, which works off the whole backlog (reminders, escalations, supervision orders,
   history rows and rollup deltas for ~backlog × cases cases per step) in batches of at most
   `sweeps.BATCH` cases per step, each batch its own transaction;
2. `--ticks` steady-state sweeps, one simulated minute apart, each finding the few cases that fell
   due in that minute (after a VACUUM, as autovacuum would run after the catch-up's mass update);
3. a sweep with nothing due (the cost of looking).

Every sweep is one transaction of set-based statements over partial indexes (see cases/sweeps.py).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/civicgrid_bench_sweep"
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").exists() else sys.executable


def say(text: str) -> None:
    print(text, flush=True)


def env_for(url: str) -> dict:
    return {**os.environ, "CIVICGRID_DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "civicgrid.settings"}


def fresh_database(url: str) -> None:
    """Drop and create the benchmark's own database, so every run starts from the same state."""
    import psycopg

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    if not name.startswith("civicgrid_bench"):
        raise SystemExit("refusing to drop a database whose name does not start with civicgrid_bench")
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
        say(f"created database {name}")


def civicgrid(url: str, *args: str) -> None:
    subprocess.run([PYTHON, "-m", "civicgrid.cli", *args], env=env_for(url), check=True)


def load_open_cases(n: int, backlog: float, now) -> None:
    """n open cases spread over the demo street's grids, inserted by the database itself."""
    from django.db import connection

    from civicgrid.areas.models import Area, Level
    from civicgrid.cases.models import Case, Category

    grids = list(
        Area.objects.filter(level=Level.GRID).values_list("id", "path", "jurisdiction").order_by("id")
    )
    cat = Category.objects.get(code="0403")
    grid_ids = "ARRAY[" + ",".join(str(g[0]) for g in grids) + "]"
    paths = "ARRAY[" + ",".join(f"'{g[1]}'" for g in grids) + "]"
    jurisdiction = grids[0][2]
    span = 10 * 86400  # deadlines spread over ten days
    # A time: `backlog` of the cases are due within the last hour, the rest within the next ten days.
    due = (
        f"(CASE WHEN random() < {backlog} THEN %(now)s - random() * interval '1 hour' "
        f"ELSE %(now)s + random() * interval '{span} seconds' END)"
    )
    values = {
        "follow_token_hash": "md5('bench-' || g::text)",
        "channel": "'resident_app'",
        "kind": "'coordination'",
        "is_errand": "false",
        "category_id": str(cat.pk),
        "top_category_id": str(cat.parent_id),
        "grid_id": f"({grid_ids})[1 + mod(g, {len(grids)})]",
        "path": f"({paths})[1 + mod(g, {len(grids)})]",
        "lng": "120.13",
        "lat": "30.27",
        "address": "''",
        "title": "'乱停车'",
        "description": "'乱停车，占用消防通道'",
        "contact_name": "''",
        "contact_phone": "''",
        "contact_email": "''",
        # a realistic open mix: in the chain, with departments, on hold
        "state": "(ARRAY['submitted','registered','dispatched','in_progress','in_progress','in_progress',"
        "'rework','returned','on_hold','in_progress'])[1 + mod(g, 10)]",
        "level": "(ARRAY['grid_worker','grid_worker','street','street','branch','street','street','street',"
        "'street','community'])[1 + mod(g, 10)]",
        "respond_due": due,
        "resolve_due": due,
        "level_due": f"(CASE WHEN mod(g, 10) IN (0, 1, 4, 9) THEN {due} END)",
        "remind_at": due,
        "clock_started_at": "%(now)s - interval '2 days'",
        "reported_at": "%(now)s - interval '2 days'",
        "reported_month": "date_trunc('month', %(now)s - interval '2 days')::date",
        "responded_at": "(CASE WHEN mod(g, 10) IN (3, 4, 5, 6, 8, 9) THEN %(now)s - interval '1 day' END)",
        "result": "''",
        "not_accepted_reason": "''",
        "rating": "''",
        "rating_comment": "''",
        "deliberation_note": "''",
        "reopen_count": "0",
        "rework_count": "0",
        "public": "true",
        "version": "1",
        "jurisdiction": f"'{jurisdiction}'",
    }
    columns = [f.column for f in Case._meta.concrete_fields if f.column in values]
    sql = (
        f"INSERT INTO {Case._meta.db_table} ({', '.join(columns)}) "
        f"SELECT {', '.join(values[c] for c in columns)} FROM generate_series(1, %(n)s) AS g"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, {"now": now, "n": n})
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {Case._meta.db_table}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--database-url", default=os.environ.get("CIVICGRID_BENCH_SWEEP_DATABASE_URL", DEFAULT_DB)
    )
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--backlog", type=float, default=0.01, help="share of cases already due")
    parser.add_argument("--ticks", type=int, default=10)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    if not args.database_url.startswith("postgres"):
        raise SystemExit("this benchmark is for PostgreSQL")

    fresh_database(args.database_url)
    say("migrating and loading the demo street …")
    civicgrid(args.database_url, "migrate", "--noinput", "-v", "0")
    civicgrid(args.database_url, "demo", "--scale", "small", "-v", "0")
    os.environ.update(env_for(args.database_url))
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from civicgrid.cases import sweeps
    from civicgrid.cases.models import Case, CaseEvent, SupervisionOrder
    from civicgrid.cases.workflow import OPEN_STATES

    now = timezone.now().replace(microsecond=0)
    demo_cases = Case.objects.count()
    say(f"inserting {args.cases:,} open cases ({args.backlog:.1%} already due) …")
    started = time.perf_counter()
    load_open_cases(args.cases, args.backlog, now)
    say(f"  loaded in {time.perf_counter() - started:.0f} s")
    open_cases = Case.objects.filter(state__in=OPEN_STATES).count()
    say(f"open cases: {open_cases:,} (the demo street's own: {demo_cases:,} in all states)")

    def timed(at):
        events_before = CaseEvent.objects.count()
        t0 = time.perf_counter()
        counts = sweeps.sweep(at)
        seconds = time.perf_counter() - t0
        return seconds, counts, CaseEvent.objects.count() - events_before

    # The catch-up: the worker sweeps batch after batch (each its own short transaction) until
    # nothing due is left.
    events_before = CaseEvent.objects.count()
    batches, totals = [], {}
    started = time.perf_counter()
    while True:
        t0 = time.perf_counter()
        counts = sweeps.sweep(now + timedelta(microseconds=len(batches)))
        batches.append(time.perf_counter() - t0)
        for key, n in counts.items():
            totals[key] = totals.get(key, 0) + n
        if max(counts.values()) < sweeps.BATCH:
            break
    seconds = time.perf_counter() - started
    events = CaseEvent.objects.count() - events_before
    touched = sum(totals.values())
    say(
        f"catch-up: {seconds * 1000:.0f} ms in {len(batches)} transactions (longest {max(batches) * 1000:.0f} ms) "
        f"— {totals} ({events:,} history rows)"
    )
    catch_up = {"seconds": seconds, "counts": totals, "history_rows": events, "longest": max(batches)}

    # A catch-up leaves the old versions of the updated rows in the indexes until (auto)vacuum
    # clears them; the steady state is measured after that, as a running system would be.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE cases_case")
    ticks = []
    for i in range(1, args.ticks + 1):
        s, c, _e = timed(now + timedelta(minutes=i))
        ticks.append((s, c))
    tick_ms = [s * 1000 for s, _c in ticks]
    per_tick = statistics.mean(sum(c.values()) for _s, c in ticks)
    say(
        f"steady sweeps (one per simulated minute, {args.ticks}): median {statistics.median(tick_ms):.1f} ms, "
        f"max {max(tick_ms):.1f} ms, ~{per_tick:.0f} case steps each"
    )
    s, c, _e = timed(now + timedelta(minutes=args.ticks, seconds=1))
    say(f"sweep with nothing new due: {s * 1000:.1f} ms {c}")
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN SELECT id FROM cases_case WHERE resolve_due <= now() AND handled_at IS NULL "
            "AND resolution_overdue_at IS NULL AND resolve_due IS NOT NULL AND state IN "
            "('submitted','registered','dispatched','returned','in_progress','handled','rework')"
        )
        plan = " ".join(row[0].strip() for row in cursor.fetchall()[:2])
    say(f"plan of the resolve step's scan: {plan}")
    say(f"supervision orders written: {SupervisionOrder.objects.count():,}")
    result = {
        "open_cases": open_cases,
        "catch_up_ms": round(catch_up["seconds"] * 1000, 1),
        "catch_up_case_steps": touched,
        "catch_up_transactions": len(batches),
        "catch_up_longest_ms": round(catch_up["longest"] * 1000, 1),
        "steady_median_ms": round(statistics.median(tick_ms), 2),
        "steady_max_ms": round(max(tick_ms), 2),
        "idle_ms": round(s * 1000, 2),
    }
    say(json.dumps(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
