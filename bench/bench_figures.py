"""The figures of any area and period, with a year of a street's cases on PostgreSQL (issue 3: p95 < 100 ms).

    .venv/bin/python bench/bench_figures.py [--database-url postgres://…/civicgrid_bench_figures]
        [--cases 100000] [--queries 500]
    .venv/bin/python bench/bench_figures.py --rebuild-only [--cases 1000000] [--repeat 3]

Loads the small demo street (a year of its cases made by demo/steps/cases.py), adds `--cases` more
cases spread over the same year, grids, categories, departments and states (INSERT … SELECT), and
rebuilds the rollups from all of them (`civicgrid rebuild_rollups`). Then it asks, `--queries` times,
for the figures of a random area (the city, district, street, a community or a grid) over a random
period (a month, a quarter, the year), and reports p50/p95/max for

- one figure set (`rollups.figures`: completion, on-time, response, resolution, satisfaction and
  rework rates, average time to close): one query;
- a whole figures page: the figure set plus its split by category, by child area and by month, and
  by department (`rollups.breakdown`): five queries.

Each query reads rollup rows of one area node (months × 22 categories at most), never the cases, so
the time does not grow with the number of cases.

With `--rebuild-only` it measures `rollups.rebuild()` (command `civicgrid rebuild_rollups`) instead:
`--repeat` times over the demo street's own cases, then `--repeat` times after adding `--cases` more,
and reports cases per second and the Python process's peak memory for each.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_sweep as common  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/civicgrid_bench_figures"


def add_cases(n: int, now) -> None:
    """n more cases over the past year, mostly closed, in the street's grids and categories."""
    from django.db import connection

    from civicgrid.areas.models import Area, Level
    from civicgrid.cases.models import Case, Category
    from civicgrid.people.models import Department

    grids = list(
        Area.objects.filter(level=Level.GRID).values_list("id", "path", "jurisdiction").order_by("id")
    )
    subs = list(Category.objects.filter(parent__isnull=False).values_list("id", "parent_id"))
    depts = list(Department.objects.filter(area__level=Level.STREET).values_list("id", flat=True))

    def arr(values, quote=False):
        return "ARRAY[" + ",".join(f"'{v}'" if quote else str(v) for v in values) + "]"

    g_ids, g_paths = arr([g[0] for g in grids]), arr([g[1] for g in grids], True)
    c_ids, c_tops = arr([c[0] for c in subs]), arr([c[1] for c in subs])
    reported = "(%(now)s - (mod(g, 365)) * interval '1 day' - (mod(g, 600)) * interval '1 minute')"
    closed = "(mod(g, 20) < 18 AND mod(g, 365) > 5)"  # 90 % closed, none in the last days
    values = {
        "follow_token_hash": "md5('fig-' || g::text)",
        "channel": "(ARRAY['resident_app','grid_patrol','hotline','household_visit'])[1 + mod(g, 4)]",
        "kind": "'coordination'",
        "is_errand": "false",
        "category_id": f"({c_ids})[1 + mod(g, {len(subs)})]",
        "top_category_id": f"({c_tops})[1 + mod(g, {len(subs)})]",
        "grid_id": f"({g_ids})[1 + mod(g / 7, {len(grids)})]",
        "path": f"({g_paths})[1 + mod(g / 7, {len(grids)})]",
        "department_id": f"(ARRAY{depts})[1 + mod(g, {len(depts)})]",
        "address": "''",
        "title": "'事件'",
        "description": "'事件描述'",
        "contact_name": "''",
        "contact_phone": "''",
        "contact_email": "''",
        "state": f"(CASE WHEN {closed} THEN 'closed' WHEN mod(g, 20) = 18 THEN 'in_progress' ELSE 'dispatched' END)",
        "level": "'street'",
        "reported_at": reported,
        "reported_month": f"date_trunc('month', {reported} AT TIME ZONE 'Asia/Shanghai')::date",
        "registered_at": reported,
        "dispatched_at": f"{reported} + interval '1 hour'",
        "respond_due": f"{reported} + interval '8 hours'",
        "resolve_due": f"{reported} + interval '3 days'",
        "responded_at": f"(CASE WHEN mod(g, 20) < 19 THEN {reported} + (mod(g, 11)) * interval '1 hour' END)",
        "handled_at": f"(CASE WHEN {closed} THEN {reported} + (mod(g, 97)) * interval '1 hour' END)",
        "verified_at": f"(CASE WHEN {closed} THEN {reported} + (mod(g, 97) + 2) * interval '1 hour' END)",
        "closed_at": f"(CASE WHEN {closed} THEN {reported} + (mod(g, 97) + 2) * interval '1 hour' END)",
        "rating": f"(CASE WHEN {closed} AND mod(g, 3) > 0 THEN (ARRAY['satisfied','satisfied','satisfied',"
        "'basically','unsatisfied'])[1 + mod(g, 5)] ELSE '' END)",
        "rated_at": f"(CASE WHEN {closed} AND mod(g, 3) > 0 THEN {reported} + interval '5 days' END)",
        "result": "''",
        "not_accepted_reason": "''",
        "rating_comment": "''",
        "deliberation_note": "''",
        "reopen_count": "0",
        "rework_count": "(CASE WHEN mod(g, 17) = 0 THEN 1 ELSE 0 END)",
        "public": "true",
        "version": "5",
        "jurisdiction": f"'{grids[0][2]}'",
    }
    columns = [f.column for f in Case._meta.concrete_fields if f.column in values]
    sql = (
        f"INSERT INTO {Case._meta.db_table} ({', '.join(columns)}) "
        f"SELECT {', '.join(values[c] for c in columns)} FROM generate_series(1, %(n)s) AS g"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, {"now": now, "n": n})


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_rebuild(label: str, repeat: int) -> dict:
    """Rebuild the rollups `repeat` times; the best and median rate in cases per second."""
    from django.db import connection

    from civicgrid.cases import rollups
    from civicgrid.cases.models import Case, CategoryRollup, DepartmentRollup

    total = Case.objects.count()
    seconds = []
    for _i in range(repeat):
        t0 = time.perf_counter()
        rollups.rebuild()
        seconds.append(time.perf_counter() - t0)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE cases_categoryrollup")
        cursor.execute("VACUUM ANALYZE cases_departmentrollup")
    result = {
        "cases": total,
        "seconds": [round(s, 2) for s in seconds],
        "best_cases_per_second": round(total / min(seconds)),
        "median_cases_per_second": round(total / statistics.median(seconds)),
        "category_rows": CategoryRollup.objects.count(),
        "department_rows": DepartmentRollup.objects.count(),
        "peak_rss_mb": round(peak_rss_mb()),
    }
    common.say(
        f"{label}: {total:,} cases rebuilt in {', '.join(f'{s:.2f}' for s in seconds)} s — "
        f"best {result['best_cases_per_second']:,} cases/s, median {result['median_cases_per_second']:,} cases/s; "
        f"{result['category_rows']:,} category rows, {result['department_rows']:,} department rows; "
        f"peak RSS {result['peak_rss_mb']} MB"
    )
    return result


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--database-url", default=os.environ.get("CIVICGRID_BENCH_FIGURES_DATABASE_URL", DEFAULT_DB)
    )
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument(
        "--rebuild-only", action="store_true", help="measure the rollup rebuild instead of the figure queries"
    )
    parser.add_argument("--repeat", type=int, default=3, help="rebuilds per measurement (--rebuild-only)")
    args = parser.parse_args(argv)
    if not args.database_url.startswith("postgres"):
        raise SystemExit("this benchmark is for PostgreSQL")

    common.fresh_database(args.database_url)
    common.say("migrating and loading the demo street …")
    common.civicgrid(args.database_url, "migrate", "--noinput", "-v", "0")
    common.civicgrid(args.database_url, "demo", "--scale", "small", "-v", "0")
    os.environ.update(common.env_for(args.database_url))
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from civicgrid.areas.models import Area, Level
    from civicgrid.cases import rollups
    from civicgrid.cases.models import Case, CategoryRollup, DepartmentRollup

    now = timezone.now()
    if args.rebuild_only:
        result = {"demo": measure_rebuild("the demo street's year", args.repeat)}
        common.say(f"adding {args.cases:,} cases over the past year …")
        add_cases(args.cases, now)
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {Case._meta.db_table}")
        result["generated"] = measure_rebuild(f"with {args.cases:,} generated cases", args.repeat)
        common.say(json.dumps(result))
        if args.json:
            Path(args.json).write_text(json.dumps(result, indent=2))
        return 0
    common.say(f"adding {args.cases:,} cases over the past year …")
    add_cases(args.cases, now)
    started = time.perf_counter()
    rollups.rebuild()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE cases_categoryrollup")
        cursor.execute("VACUUM ANALYZE cases_departmentrollup")
    total = Case.objects.count()
    common.say(
        f"{total:,} cases; rollups rebuilt in {time.perf_counter() - started:.1f} s: "
        f"{CategoryRollup.objects.count():,} category rows, {DepartmentRollup.objects.count():,} department rows"
    )

    areas = list(
        Area.objects.filter(level__in=[Level.CITY, Level.DISTRICT, Level.STREET, Level.COMMUNITY, Level.GRID])
    )
    rng = random.Random(11)
    today = timezone.localdate()
    year_start = date(today.year - 1, today.month, 1)

    def period():
        kind = rng.choice(["month", "quarter", "year"])
        if kind == "year":
            return year_start, today
        months = 1 if kind == "month" else 3
        offset = rng.randint(0, 12 - months)
        m = year_start.month - 1 + offset
        start = date(year_start.year + m // 12, m % 12 + 1, 1)
        m2 = m + months - 1
        return start, date(year_start.year + m2 // 12, m2 % 12 + 1, 28)

    one, page = [], []
    for _i in range(args.queries):
        area = rng.choice(areas)
        start, end = period()
        t0 = time.perf_counter()
        f = rollups.figures(area, start=start, end=end).as_dict()
        t1 = time.perf_counter()
        rollups.breakdown(area, by="category", start=start, end=end)
        rollups.breakdown(area, by="child", start=start, end=end)
        rollups.breakdown(area, by="month", start=start, end=end)
        rollups.breakdown(area, by="department", start=start, end=end)
        t2 = time.perf_counter()
        one.append((t1 - t0) * 1000)
        page.append((t2 - t0) * 1000)
        assert f["reported"] >= 0
    street = Area.objects.filter(level=Level.STREET).first()
    year = rollups.figures(street, start=year_start, end=today)
    common.say(
        f"the street's year: {year.reported:,} cases, completion {year.completion_rate:.1%}, "
        f"on time {year.on_time_rate:.1%}, satisfaction {year.satisfaction_rate:.1%}"
    )
    result = {
        "cases": total,
        "queries": args.queries,
        "figures_p50_ms": round(statistics.median(one), 2),
        "figures_p95_ms": round(percentile(one, 0.95), 2),
        "figures_max_ms": round(max(one), 2),
        "page_p50_ms": round(statistics.median(page), 2),
        "page_p95_ms": round(percentile(page, 0.95), 2),
        "page_max_ms": round(max(page), 2),
    }
    common.say(
        f"one figure set: p50 {result['figures_p50_ms']} ms, p95 {result['figures_p95_ms']} ms; "
        f"a whole page (5 queries): p50 {result['page_p50_ms']} ms, p95 {result['page_p95_ms']} ms"
    )
    common.say(json.dumps(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
