"""Command-centre, index and five-colour pages, server time per request (issue 13: p95 < 200 ms; the
big screen's live refresh < 100 ms).

    .venv/bin/python bench/bench_command_centre.py [--database-url postgres://…/civicgrid_bench_command]
        [--scale small|medium] [--requests 40] [--cases 100000]

Builds the demo (`civicgrid demo --scale …`: areas, a year of the demo street's cases, two published
index issues, colour rules, the admission list) in the benchmark's own database, optionally adds
`--cases` more cases over the year (bench_figures.add_cases, then a rollup rebuild), and requests each
page `--requests` times in process with Django's test client as the district supervisor, after one
warm-up request each. Prints p50/p95/max in milliseconds per page: server time without the network
or a WSGI server in front.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_sweep as common  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/civicgrid_bench_command"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--database-url", default=os.environ.get("CIVICGRID_BENCH_COMMAND_DATABASE_URL", DEFAULT_DB)
    )
    parser.add_argument("--scale", default="small", choices=["small", "medium"])
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--cases", type=int, default=0, help="more cases to add over the year (PostgreSQL)")
    args = parser.parse_args(argv)
    if not args.database_url.startswith("postgres"):
        raise SystemExit("this benchmark is for PostgreSQL")
    common.fresh_database(args.database_url)
    common.say(f"migrating and loading the demo at scale {args.scale} …")
    common.civicgrid(args.database_url, "migrate", "--noinput", "-v", "0")
    common.civicgrid(args.database_url, "demo", "--scale", args.scale, "-v", "0")
    os.environ.update(common.env_for(args.database_url))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils import timezone

    from civicgrid.areas.models import Area, Level
    from civicgrid.cases import rollups
    from civicgrid.cases.models import Case

    if args.cases:
        import bench_figures

        common.say(f"adding {args.cases:,} cases and rebuilding the rollups …")
        bench_figures.add_cases(args.cases, timezone.now())
        rollups.rebuild()
    common.say(f"cases in the database: {Case.objects.count():,}")

    district = Area.objects.filter(level=Level.DISTRICT).order_by("code").first()
    street = Area.objects.filter(level=Level.STREET).order_by("code").first()
    community = (
        Area.objects.filter(level=Level.COMMUNITY, path__startswith=street.path).order_by("code").first()
    )
    pages = [
        ("command centre, district", f"/dashboard/command/{district.code}/"),
        ("command centre, street", f"/dashboard/command/{street.code}/"),
        ("big screen live refresh", f"/dashboard/command/{street.code}/live/"),
        ("indices list", "/indices/"),
        ("index with live scores", "/indices/index/liuhe-community/"),
        ("published issue", "/indices/index/liuhe-community/issue/2/"),
        ("issue as Excel", "/indices/index/liuhe-community/issue/2.xlsx"),
        ("five-colour map, street", f"/indices/colours/{street.code}/"),
        ("five-colour map, community", f"/indices/colours/{community.code}/"),
        ("admission", "/indices/admission/"),
    ]
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username="supervisor"))
    common.say(f"{'page':32} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for name, url in pages:
        assert client.get(url).status_code == 200, url
        times = []
        for _ in range(args.requests):
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        times.sort()
        p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
        common.say(f"{name:32} {statistics.median(times):8.1f} {p95:8.1f} {times[-1]:8.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
