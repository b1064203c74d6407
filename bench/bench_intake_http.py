"""Intake through HTTP on PostgreSQL (issue 3): residents' photo-less reports per second, p99, and the
database's own single-row commit rate in the same run, with wrk in another process.

    .venv/bin/python bench/bench_intake_http.py [--database-url …] [--duration 20] [--connections 16]
        [--web-workers 3]

Target (issue 3): at least 1,000 cases per second sustained, p99 under 100 ms.

Each request is the resident's report as the REST API takes it (POST /api/v1/cases/, JSON, the
resident's token, an Idempotency-Key): validation, grid lookup of the point, triage of the
description, the dispatch rule's suggestion, and the case, its history row and its outbox row written
in one transaction, all by `cases.services.intake`, the function behind the report page. The server is
`civicgrid serve --no-worker` (gunicorn) on 127.0.0.1; setup, server and pgbench are shared with
bench_open311.py.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_open311 as common  # noqa: E402

DESCRIPTIONS = [
    "楼下消防通道被电动车堵住了",
    "小区门口路灯不亮",
    "垃圾桶满溢好几天没人清运",
    "人行道上井盖缺失很危险",
    "夜里施工噪音太大",
    "路边有人占道经营",
    "单元门门禁坏了",
    "电梯停运老人下不了楼",
]


def resident_token() -> str:
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    user = get_user_model().objects.get(username="resident")
    return Token.objects.get_or_create(user=user)[0].key


def intake_script(token: str, points: list[tuple[float, float]]) -> str:
    coords = "{" + ", ".join(f"{{{lng:.6f}, {lat:.6f}}}" for lng, lat in points) + "}"
    texts = "{" + ", ".join(json.dumps(t, ensure_ascii=False) for t in DESCRIPTIONS) + "}"
    return textwrap.dedent(
        f"""
        local points = {coords}
        local texts = {texts}
        local counter = 0
        local thread_id = 0
        setup = function(thread) thread_id = thread_id + 1; thread:set("tid", thread_id) end
        init = function(args) math.randomseed(os.time() + (tid or 0)) end
        request = function()
          counter = counter + 1
          local p = points[math.random(#points)]
          local key = (tid or 0) .. "-" .. counter .. "-" .. math.random(1000000000)
          local body = '{{"channel": "resident_app", "description": "' .. texts[math.random(#texts)] ..
            '", "lng": ' .. p[1] .. ', "lat": ' .. p[2] .. '}}'
          return wrk.format("POST", "/api/v1/cases/", {{
            ["Content-Type"] = "application/json",
            ["Authorization"] = "Token {token}",
            ["Idempotency-Key"] = key,
          }}, body)
        end
        """
    )


def street_addresses(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """(community code, address text as a resident types it) for households of the demo street."""
    from civicgrid.areas.models import Household

    rows = list(
        Household.objects.filter(unit__parent__compound__isnull=False)
        .values_list(
            "unit__parent__compound__community__code",
            "unit__parent__compound__name",
            "unit__parent__name",
            "unit__name",
            "number",
        )
        .order_by("?")[:count]
    )
    if not rows:
        raise SystemExit("no households: did the demo load?")
    out = []
    for code, compound, building, unit, room in rows:
        number = building.removeprefix(compound).replace("幢", "栋")
        out.append((code, f"{compound}{number}{unit}{room}"))
    rng.shuffle(out)
    return out


def address_script(token: str, addresses: list[tuple[str, str]]) -> str:
    """Reports with address text and the community only (no point): the place comes from the
    registry's address match (cases.services.places) after this branch, from the community before."""
    items = (
        "{"
        + ", ".join(
            "{" + json.dumps(code) + ", " + json.dumps(text, ensure_ascii=False) + "}"
            for code, text in addresses
        )
        + "}"
    )
    texts = "{" + ", ".join(json.dumps(t, ensure_ascii=False) for t in DESCRIPTIONS) + "}"
    return textwrap.dedent(
        f"""
        local items = {items}
        local texts = {texts}
        local counter = 0
        local thread_id = 0
        setup = function(thread) thread_id = thread_id + 1; thread:set("tid", thread_id) end
        init = function(args) math.randomseed(os.time() + (tid or 0)) end
        request = function()
          counter = counter + 1
          local a = items[math.random(#items)]
          local key = (tid or 0) .. "-" .. counter .. "-" .. math.random(1000000000)
          local body = '{{"channel": "resident_app", "description": "' .. texts[math.random(#texts)] ..
            '", "area": "' .. a[1] .. '", "address": "' .. a[2] .. '"}}'
          return wrk.format("POST", "/api/v1/cases/", {{
            ["Content-Type"] = "application/json",
            ["Authorization"] = "Token {token}",
            ["Idempotency-Key"] = key,
          }}, body)
        end
        """
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--database-url", default=os.environ.get("CIVICGRID_BENCH_DATABASE_URL", common.DEFAULT_DB)
    )
    parser.add_argument("--duration", type=int, default=20, help="seconds of load")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--web-workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument(
        "--address",
        action="store_true",
        help="post reports with address text and community only (no point): the address-match path",
    )
    args = parser.parse_args(argv)
    if not args.database_url.startswith("postgres"):
        raise SystemExit("this benchmark is for PostgreSQL")

    common.ensure_database(args.database_url)
    common.say("migrating and loading the demo street …")
    common.civicgrid(args.database_url, "migrate", "--noinput", "-v", "0")
    common.civicgrid(args.database_url, "demo", "--scale", "small", "-v", "0")
    common.setup_django(args.database_url)
    token = resident_token()
    points = common.street_points(random.Random(3), 500)
    # The API's rate limit is per user: lift it for the load (the server reads it from the environment).
    server = common.Server(
        args.database_url, args.web_workers, extra_env={"CIVICGRID_API_USER_RATE": "100000000/min"}
    )
    common.say(
        f"serving on {server.base} ({args.web_workers} gunicorn workers × 4 threads, no background worker)"
    )
    if args.address:
        script = address_script(token, street_addresses(random.Random(3), 500))
    else:
        script = intake_script(token, points)
    try:
        common.wrk(server.base, script, 3, 8)  # warm up
        with common.CpuMeter(server, args.database_url) as cpu:
            result = common.wrk(server.base, script, args.duration, args.connections)
    finally:
        server.stop()
    common.report(
        "POST /api/v1/cases/ (resident report" + (", address text only)" if args.address else ")"), result
    )
    common.report_cpu(result, cpu)
    in_flight = args.web_workers * 4
    many = common.pg_commit_rate(args.database_url, in_flight, 10)
    one = common.pg_commit_rate(args.database_url, 1, 5)
    common.say(
        f"PostgreSQL single-row INSERT+COMMIT: {many:.0f}/s with {in_flight} clients, {one:.0f}/s with one; "
        f"HTTP intake reaches {result['rps'] / many:.0%} of the database's own commit rate"
    )
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "intake": result,
                    "pg_commits_per_s": {"clients": in_flight, "rate": many, "one_client": one},
                }
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
