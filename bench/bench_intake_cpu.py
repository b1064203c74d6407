"""CPU per intake in process (no HTTP, no wrk): `cases.services.intake` for residents' reports with a
point, and with address text and the community only, on the demo street.

    .venv/bin/python bench/bench_intake_cpu.py --database-url postgres://…/db [--n 400]

CPU time of this process per call (time.process_time), median and p90, after a warm-up: a steadier
figure than the HTTP benchmark on a shared machine (its server processes also count gunicorn, DRF and
JSON). Run it on the code before and after a change (PYTHONPATH) against the same kind of database.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
import uuid


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("CIVICGRID_DATABASE_URL", ""))
    parser.add_argument("--n", type=int, default=400)
    args = parser.parse_args(argv)
    if args.database_url:
        os.environ["CIVICGRID_DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicgrid.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from civicgrid.areas.models import Area, Household, Level
    from civicgrid.cases import services

    rng = random.Random(3)
    user = get_user_model().objects.get(username="resident")
    grids = list(Area.objects.filter(level=Level.GRID).exclude(lng=None).values_list("lng", "lat"))
    points = [(lng + rng.uniform(-4e-4, 4e-4), lat + rng.uniform(-4e-4, 4e-4)) for lng, lat in grids]
    rows = list(
        Household.objects.filter(unit__parent__compound__isnull=False)
        .values_list(
            "unit__parent__compound__community_id",
            "unit__parent__compound__name",
            "unit__parent__name",
            "unit__name",
            "number",
        )
        .order_by("?")[: args.n * 2]
    )
    communities = {a.pk: a for a in Area.objects.filter(level=Level.COMMUNITY)}
    texts = ["楼下消防通道被电动车堵住了", "小区门口路灯不亮", "垃圾桶满溢好几天没人清运", "单元门门禁坏了"]

    def point_report(i: int) -> None:
        lng, lat = rng.choice(points)
        services.intake(
            channel="resident_app",
            description=rng.choice(texts),
            lng=lng,
            lat=lat,
            by=user,
            client_key=f"cpu-{uuid.uuid4().hex}",
        )

    def address_report(i: int) -> None:
        community_id, compound, building, unit, room = rows[i % len(rows)]
        number = building.removeprefix(compound).replace("幢", "栋")
        services.intake(
            channel="resident_app",
            description=rng.choice(texts),
            area=communities[community_id],
            address=f"{compound}{number}{unit}{room}",
            by=user,
            client_key=f"cpu-{uuid.uuid4().hex}",
        )

    for name, fn in (("point", point_report), ("address text + community", address_report)):
        for i in range(30):
            fn(i)  # warm-up: caches, the address index
        cpu: list[float] = []
        for i in range(args.n):
            t = time.process_time()
            fn(i)
            cpu.append(time.process_time() - t)
        cpu.sort()
        print(
            f"intake, {name}: CPU per call median {statistics.median(cpu) * 1000:.2f} ms, "
            f"p90 {cpu[int(0.9 * len(cpu))] * 1000:.2f} ms ({args.n} calls)",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
