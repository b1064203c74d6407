"""Figures of a province database loaded by `civicgrid demo --scale province` (issue 15).

    CIVICGRID_DATABASE_URL=postgres://…/civicgrid_province_bench \\
        .venv/bin/python bench/bench_province.py [--timings /tmp/province_timings.json] [--runs 20]

Prints, in one run: the load time and rows/s (from the demo command's `--timings` file), the disk
size of the database and of its largest tables, p50/p95 of the staff pages and of the figures pages
(Django test client, in process: areas at every level × periods of a month, a quarter, a year and
five years), the deadline sweep over the open cases (run inside a transaction that is rolled back, so
the database is unchanged), Open311 GET p95, and EXPLAIN (ANALYZE, BUFFERS) of the main query of the
three slowest pages. Medians and p95 over `--runs` requests per page.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def say(text: str = "") -> None:
    print(text, flush=True)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--timings", help="the JSON file `civicgrid demo --scale province --timings` wrote")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicgrid.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from civicgrid.areas.models import Area, Level
    from civicgrid.cases import sweeps
    from civicgrid.cases.models import Case
    from civicgrid.people.models import Department, Role
    from civicgrid.people.services import assign_role

    settings.ALLOWED_HOSTS = ["*"]
    if args.timings and Path(args.timings).exists():
        t = json.loads(Path(args.timings).read_text())
        say(f"load: {t.get('cases', 0):,} cases, {t['rows']:,} case rows inserted in {t['load_seconds']:.1f} s "
            f"({t['rows'] / t['load_seconds']:,.0f} cases/s, history included); whole command {t['seconds']:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        db_bytes = cursor.fetchone()[0]
        cases = Case.objects.count()
        cursor.execute("SELECT count(*) FROM cases_caseevent")
        events = cursor.fetchone()[0]
        say(f"database: {db_bytes / 2**30:.2f} GiB for {cases:,} cases and {events:,} history rows "
            f"({db_bytes / 2**30 / max(cases, 1) * 1e6:.2f} GiB per million cases)")
        cursor.execute(
            "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c "
            "LEFT JOIN pg_inherits i ON i.inhrelid = c.oid "
            "WHERE c.relkind IN ('r', 'p') AND c.relnamespace = 'public'::regnamespace AND i.inhrelid IS NULL "
            "ORDER BY 2 DESC LIMIT 8"
        )
        for name, size in cursor.fetchall():
            if name == "cases_caseevent":
                cursor.execute(
                    "SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits WHERE inhparent = 'cases_caseevent'::regclass"
                )
                size = cursor.fetchone()[0] or size
            say(f"  {name:32s} {size / 2**20:10,.0f} MiB")

    User = get_user_model()
    street = Area.objects.filter(level=Level.STREET).order_by("code").first()
    city = Area.objects.filter(level=Level.CITY).order_by("code").first()
    dept = Department.objects.filter(area=street, code__endswith="-CG").first()
    users = {}
    for name, role, kwargs in (
        ("bench_dispatcher", Role.STREET_DISPATCHER, {"area": street}),
        ("bench_leader", Role.LEADER, {"area": city}),
        ("bench_handler", Role.DEPARTMENT_HANDLER, {"department": dept}),
    ):
        user, created = User.objects.get_or_create(username=name, defaults={"is_staff": True})
        if created:
            assign_role(user, role, **kwargs)
        users[name] = user
    case_pk = Case.objects.filter(path__startswith=street.path).values_list("pk", flat=True).first()

    today = date.today()
    m = f"{today.year}-{today.month:02d}"
    q_start = f"{today.year if today.month > 3 else today.year - 1}-{(today.month - 3) % 12 + 1:02d}"
    periods = {"month": f"from={m}&to={m}", "quarter": f"from={q_start}&to={m}", "year": f"year={today.year}",
               "five years": f"from={today.year - 4}-{today.month:02d}&to={m}"}
    areas = {lvl: Area.objects.filter(level=lvl, path__startswith=street.path if lvl in (Level.COMMUNITY, Level.GRID) else "").order_by("code").first()
             for lvl in (Level.CITY, Level.DISTRICT, Level.STREET, Level.COMMUNITY, Level.GRID)}
    pages = [
        ("staff: queue (dispatcher)", "bench_dispatcher", "/work/"),
        ("staff: search (dispatcher)", "bench_dispatcher", "/work/search/?q=%E5%9E%83%E5%9C%BE"),
        ("staff: case (dispatcher)", "bench_dispatcher", f"/work/{case_pk}/"),
        ("staff: queue (department)", "bench_handler", "/work/"),
        ("staff: command centre (street)", "bench_dispatcher", f"/dashboard/command/{street.code}/"),
        ("staff: command centre (city)", "bench_leader", f"/dashboard/command/{city.code}/"),
    ]
    for lvl, area in areas.items():
        for pname, query in periods.items():
            pages.append((f"figures: {lvl} × {pname}", "bench_leader", f"/dashboard/area/{area.code}/?{query}"))
    pages.append(("open311: GET requests", None, "/open311/v2/requests.json"))
    results = []
    for label, user, url in pages:
        client = Client()
        if user:
            client.force_login(users[user])
        times, status = [], None
        client.get(url)  # warm
        for _i in range(args.runs):
            t0 = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - t0) * 1000)
            status = response.status_code
        results.append((label, statistics.median(times), percentile(times, 0.95), status, user, url))
    say(f"\npages ({args.runs} requests each; ms):")
    for label, p50, p95, status, _u, _url in results:
        say(f"  {label:44s} p50 {p50:8.1f}  p95 {p95:8.1f}  [{status}]")

    open_cases = Case.objects.exclude(state__in=["closed", "not_accepted", "merged"]).count()
    with transaction.atomic():
        t0 = time.perf_counter()
        counts, rounds = sweeps.sweep_all()
        swept = time.perf_counter() - t0
        transaction.set_rollback(True)
    say(f"\ndeadline sweep over {open_cases:,} open cases: {swept * 1000:.0f} ms, {rounds} transactions, {counts} (rolled back)")

    say("\nthe three slowest pages, their slowest query (EXPLAIN ANALYZE, BUFFERS):")
    for label, _p50, p95, _status, user, url in sorted(results, key=lambda r: -r[2])[:3]:
        client = Client()
        if user:
            client.force_login(users[user])
        with CaptureQueriesContext(connection) as ctx:
            client.get(url)
        slow = max(ctx.captured_queries, key=lambda q: float(q["time"]))
        say(f"\n--- {label} (p95 {p95:.1f} ms; slowest of {len(ctx.captured_queries)} queries, {float(slow['time']) * 1000:.1f} ms)")
        say(slow["sql"][:600])
        with connection.cursor() as cursor:
            try:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + slow["sql"])
                for (line,) in cursor.fetchall():
                    say("  " + line)
            except Exception as exc:  # a statement EXPLAIN cannot take (e.g. SAVEPOINT): say so
                say(f"  (no plan: {exc})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
