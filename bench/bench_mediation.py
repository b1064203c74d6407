"""The mediation figures page over the demo street's year of disputes, then over 1 million more.

    .venv/bin/python bench/bench_mediation.py [--database-url postgres://…/civicgrid_bench_mediation]
        [--disputes 1000000] [--queries 200]

Loads the small demo street (a year of its cases and disputes, demo/steps/mediation.py) into the
benchmark's own PostgreSQL database, then measures, `--queries` times each, for a random period (a
month, a quarter, the year) and a random filter (none, a level, a type, a centre):

- the figure set (`figures.figures`: two queries, counters and the days-to-close histogram);
- the whole figures page over HTTP in process (Django's test client, logged in as the district
  supervisor, who reads every centre): the figure set plus the split by level, centre, type and
  month (ten queries) and the template.

It then adds `--disputes` more disputes spread over the same year, centres, types and states
(INSERT … SELECT over generate_series), rebuilds the rollups (`rollups.rebuild()`, timed) and
measures again. The page reads rollup rows (months × centres × types), never the disputes, so the
time should not grow with their number.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_sweep as common  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/civicgrid_bench_mediation"
TYPES = ["neighbours", "family", "property", "labour", "land", "consumer", "traffic", "medical", "other"]


def add_disputes(n: int, now) -> None:
    from django.db import connection

    from civicgrid.mediation.models import Centre, Dispute

    centres = list(Centre.objects.values_list("id", "path", "level", "jurisdiction").order_by("id"))

    def arr(values, quote=False):
        return "ARRAY[" + ",".join(f"'{v}'" if quote else str(v) for v in values) + "]"

    ids, paths, levels = (
        arr([c[0] for c in centres]),
        arr([c[1] for c in centres], True),
        arr([c[2] for c in centres], True),
    )
    k = len(centres)
    received = "(%(now)s - (mod(g, 365)) * interval '1 day' - (mod(g, 480)) * interval '1 minute')"
    closed = "(mod(g, 50) < 48 AND mod(g, 365) > 20)"  # 96 % closed, none in the last weeks
    state = (
        f"(CASE WHEN {closed} THEN (CASE WHEN mod(g, 10) < 7 THEN 'agreed' WHEN mod(g, 10) < 8 THEN 'performed' "
        "WHEN mod(g, 10) < 9 THEN 'failed' ELSE 'withdrawn' END) "
        "ELSE (ARRAY['received','assigned','mediating'])[1 + mod(g, 3)] END)"
    )
    values = {
        "ref": "'B' || g::text",
        "centre_id": f"({ids})[1 + mod(g / 3, {k})]",
        "path": f"({paths})[1 + mod(g / 3, {k})]",
        "level": f"({levels})[1 + mod(g / 3, {k})]",
        "channel": "(ARRAY['walk_in','walk_in','police','court','case'])[1 + mod(g, 5)]",
        "channel_ref": "''",
        "dispute_type": "(" + arr(TYPES, True) + f")[1 + mod(g / 7, {len(TYPES)})]",
        "summary": "'纠纷'",
        "facts": "''",
        "urgency": "'normal'",
        "state": state,
        "received_at": received,
        "received_month": f"date_trunc('month', {received} AT TIME ZONE 'Asia/Shanghai')::date",
        "due_at": f"{received} + interval '30 days'",
        "closed_at": f"(CASE WHEN {closed} THEN {received} + (mod(g, 29)) * interval '1 day' END)",
        "performed_at": f"(CASE WHEN {closed} AND mod(g, 10) = 7 THEN {received} + interval '40 days' END)",
        "failure_reason": "''",
        "route": "''",
        "version": "4",
        "jurisdiction": f"'{centres[0][3]}'",
    }
    columns = [f.column for f in Dispute._meta.concrete_fields if f.column in values]
    sql = (
        f"INSERT INTO {Dispute._meta.db_table} ({', '.join(columns)}) "
        f"SELECT {', '.join(values[c] for c in columns)} FROM generate_series(1, %(n)s) AS g"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, {"now": now, "n": n})


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def measure(label: str, queries: int, client, rng) -> dict:
    from django.utils import timezone

    from civicgrid.mediation import figures
    from civicgrid.mediation.models import Centre

    centres = list(Centre.objects.values_list("pk", flat=True))
    today = timezone.localdate().replace(day=1)

    def period():
        months = rng.choice([1, 3, 12])
        end = today
        y, m = end.year, end.month - (months - 1)
        while m <= 0:
            y, m = y - 1, m + 12
        return date(y, m, 1), end

    def filt():
        kind = rng.choice(["none", "level", "type", "centre"])
        if kind == "level":
            return {"level": rng.choice(["community", "street", "county"])}
        if kind == "type":
            return {"dispute_type": rng.choice(TYPES)}
        if kind == "centre":
            return {"centre": rng.choice(centres)}
        return {}

    one, page = [], []
    for _i in range(queries):
        start, end = period()
        f = filt()
        t0 = time.perf_counter()
        figures.figures([""], start=start, end=end, **f)
        one.append((time.perf_counter() - t0) * 1000)
        params = {"start": f"{start:%Y-%m}", "end": f"{end:%Y-%m}"}
        params.update({k: v for k, v in f.items()})
        t0 = time.perf_counter()
        r = client.get("/mediation/figures/", params)
        page.append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 200, r.status_code
    result = {
        "figure_set_ms": {
            "p50": round(statistics.median(one), 1),
            "p95": round(pct(one, 95), 1),
            "max": round(max(one), 1),
        },
        "page_ms": {
            "p50": round(statistics.median(page), 1),
            "p95": round(pct(page, 95), 1),
            "max": round(max(page), 1),
        },
    }
    common.say(
        f"{label}: figure set p50 {result['figure_set_ms']['p50']} ms, p95 {result['figure_set_ms']['p95']} ms; "
        f"whole page p50 {result['page_ms']['p50']} ms, p95 {result['page_ms']['p95']} ms, max {result['page_ms']['max']} ms"
    )
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--database-url", default=os.environ.get("CIVICGRID_BENCH_MEDIATION_DATABASE_URL", DEFAULT_DB)
    )
    parser.add_argument("--disputes", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument(
        "--skip-demo", action="store_true", help="reuse the database as it is (after a first run)"
    )
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    if not args.database_url.startswith("postgres"):
        raise SystemExit("this benchmark is for PostgreSQL")
    if not args.skip_demo:
        common.fresh_database(args.database_url)
        common.say("migrating and loading the demo street …")
        common.civicgrid(args.database_url, "migrate", "--noinput", "-v", "0")
        common.civicgrid(args.database_url, "demo", "--scale", "small", "-v", "0")
    os.environ.update(common.env_for(args.database_url))
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from civicgrid.mediation import rollups
    from civicgrid.mediation.models import Dispute, DisputeRollup

    settings.ALLOWED_HOSTS = ["*"]
    client = Client()
    client.force_login(get_user_model().objects.get(username="supervisor"))
    rng = random.Random(7)
    out = {"demo_disputes": Dispute.objects.count()}
    common.say(f"the demo street's disputes: {out['demo_disputes']:,}")
    out["demo"] = measure("demo", args.queries, client, rng)
    if args.disputes:
        common.say(f"inserting {args.disputes:,} disputes …")
        t0 = time.perf_counter()
        add_disputes(args.disputes, timezone.now().replace(microsecond=0))
        out["insert_seconds"] = round(time.perf_counter() - t0, 1)
        t0 = time.perf_counter()
        rollups.rebuild()
        out["rebuild_seconds"] = round(time.perf_counter() - t0, 1)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE mediation_disputerollup")
            cursor.execute("VACUUM ANALYZE mediation_closedayscount")
        out["disputes"] = Dispute.objects.count()
        out["rollup_rows"] = DisputeRollup.objects.count()
        common.say(
            f"  inserted in {out['insert_seconds']} s; rollups rebuilt in {out['rebuild_seconds']} s "
            f"({out['disputes']:,} disputes → {out['rollup_rows']:,} rollup rows)"
        )
        out["million"] = measure(f"{out['disputes']:,} disputes", args.queries, client, rng)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
