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
    import logging

    logging.getLogger("django.request").setLevel(logging.ERROR)  # the bench prints its own status lines
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
        rows = cursor.fetchall()
        cursor.execute(
            "SELECT p.relname, sum(pg_total_relation_size(i.inhrelid)) FROM pg_inherits i "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relkind = 'p' GROUP BY 1"
        )
        partitioned = dict(cursor.fetchall())  # a partitioned table's size is its partitions'
        rows = sorted(((n, partitioned.get(n, s)) for n, s in rows + [(n, 0) for n in partitioned]), key=lambda r: -r[1])
        for name, size in list(dict(rows).items())[:8]:
            say(f"  {name:32s} {size / 2**20:10,.0f} MiB" + ("  (partitioned)" if name in partitioned else ""))

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

    def login(user) -> Client:
        """A client logged in as `user`, past two-factor login as the verify page would leave it."""
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        client = Client()
        if user is None:
            return client
        client.force_login(user)
        device, _created = TOTPDevice.objects.get_or_create(user=user, name="bench", defaults={"confirmed": True})
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        return client

    today = date.today()
    m = f"{today.year}-{today.month:02d}"
    q_start = f"{today.year if today.month > 3 else today.year - 1}-{(today.month - 3) % 12 + 1:02d}"
    periods = {"month": f"from={m}&to={m}", "quarter": f"from={q_start}&to={m}", "year": f"year={today.year}",
               "five years": f"from={today.year - 4}-{today.month:02d}&to={m}"}
    areas = {lvl: Area.objects.filter(level=lvl, path__startswith=street.path if lvl in (Level.COMMUNITY, Level.GRID) else "").order_by("code").first()
             for lvl in (Level.CITY, Level.DISTRICT, Level.STREET, Level.COMMUNITY, Level.GRID)}
    pages = [
        ("staff: queue (dispatcher)", "bench_dispatcher", "/cases/work/"),
        ("staff: search (dispatcher)", "bench_dispatcher", "/cases/work/search/?q=%E5%9E%83%E5%9C%BE"),
        ("staff: case (dispatcher)", "bench_dispatcher", f"/cases/work/{case_pk}/"),
        ("staff: queue (department)", "bench_handler", "/cases/work/"),
        ("staff: command centre (street)", "bench_dispatcher", f"/dashboard/command/{street.code}/"),
        ("staff: command centre (city)", "bench_leader", f"/dashboard/command/{city.code}/"),
    ]
    for lvl, area in areas.items():
        for pname, query in periods.items():
            pages.append((f"figures: {lvl} × {pname}", "bench_leader", f"/dashboard/area/{area.code}/?{query}"))
    pages.append(("open311: GET requests", None, f"/open311/v2/requests.json?jurisdiction_id={street.jurisdiction}"))
    results = []
    for label, user, url in pages:
        client = login(users[user] if user else None)
        times, status = [], None
        client.get(url)  # warm
        for _i in range(args.runs):
            t0 = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - t0) * 1000)
            status = response.status_code
        if status != 200:
            say(f"  !! {label}: HTTP {status} for {url} (not counted as a page time)")
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
    for label, _p50, p95, _status, user, url in sorted((r for r in results if r[3] == 200), key=lambda r: -r[2])[:3]:
        client = login(users[user] if user else None)
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
