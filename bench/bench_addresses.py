"""Address matching (areas/addresses.py) on the demo street: index build time, time per address
(median, p90, p99) and how often the answer is right, for the spellings residents use.

    .venv/bin/python bench/bench_addresses.py [--database-url …] [--scale small] [--samples 3000]

It loads the demo city (only its `city` step) when the database has none. For each sampled
household it writes the address as a resident would — canonical ("翠苑小区3幢2单元302室"), 栋 / 号楼,
full-width digits, Chinese numerals, "3-2-302", with the community name in front, building and room
only ("5幢302"), an unknown road address in front, the compound's name without its suffix ("翠苑3栋"),
one character of the name wrong — and matches it against the registry (everywhere, and within the community).
"right" = the household's own unit (or its building when the spelling names no unit);
"asked" = ambiguous (the dispatcher picks); "wrong" = a confident answer that is not the household's.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

FULL = str.maketrans("0123456789", "０１２３４５６７８９")
CN = "零一二三四五六七八九"


def cn(n: int) -> str:
    if n < 10:
        return CN[n]
    if n < 20:
        return "十" + (CN[n - 10] if n > 10 else "")
    return CN[n // 10] + "十" + (CN[n % 10] if n % 10 else "")


def spellings(
    community: str, compound: str, building: int, unit: int, room: str
) -> dict[str, tuple[str, bool]]:
    """name → (address text, whether it names the unit)."""
    return {
        "canonical": (f"{compound}{building}幢{unit}单元{room}室", True),
        "栋": (f"{compound}{building}栋{unit}单元{room}", True),
        "号楼": (f"{compound}{building}号楼{unit}单元", True),
        "full-width": (f"{compound}{building}栋{unit}单元{room}".translate(FULL), True),
        "numerals": (f"{compound}{cn(building)}栋{cn(unit)}单元", True),
        "dashes": (f"{compound} {building}-{unit}-{room}", True),
        "with community": (f"{community}{compound}{building}幢{unit}单元{room}室", True),
        "building+room": (f"{compound}{building}幢{room}", False),
        "road in front": (f"文三路88号{compound}{building}栋{unit}单元", True),
        "short name": (f"{compound[:-2] or compound}{building}栋{unit}单元", True),
        "one char off": (f"{compound[0]}某{compound[2:]}{building}栋{unit}单元", True),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("CIVICGRID_DATABASE_URL", ""))
    parser.add_argument("--scale", default="small")
    parser.add_argument("--samples", type=int, default=3000)
    args = parser.parse_args(argv)
    env = dict(os.environ)
    if args.database_url:
        env["CIVICGRID_DATABASE_URL"] = args.database_url
    env.setdefault("DJANGO_SETTINGS_MODULE", "civicgrid.settings")
    os.environ.update(env)
    subprocess.run([PYTHON, "-m", "civicgrid.cli", "migrate", "--noinput", "-v", "0"], env=env, check=True)
    import django

    django.setup()
    from civicgrid.areas import addresses
    from civicgrid.areas.models import Area, Household, Level

    if not Household.objects.exists():
        print(f"loading the demo city (scale {args.scale}, city step only) …", flush=True)
        cmd = [PYTHON, "-m", "civicgrid.cli", "demo", "--scale", args.scale, "--only", "city", "-v", "0"]
        subprocess.run(cmd, env=env, check=True)
    jurisdictions = list(
        Area.objects.filter(level=Level.BUILDING).values_list("jurisdiction", flat=True).distinct().order_by()
    )
    households = Household.objects.count()
    buildings = Area.objects.filter(level=Level.BUILDING).count()
    t0 = time.perf_counter()
    for j in jurisdictions:
        addresses.index_cache.get(j)
    build = time.perf_counter() - t0
    print(
        f"registry: {households:,} households, {buildings:,} buildings in {len(jurisdictions)} jurisdiction(s)"
    )
    print(f"index build: {build * 1000:.0f} ms (once per process and jurisdiction; then cached)")

    rng = random.Random(5)
    rows = list(
        Household.objects.filter(unit__parent__compound__isnull=False)
        .values_list(
            "unit_id",
            "unit__parent_id",
            "unit__name",
            "unit__parent__name",
            "unit__parent__compound__name",
            "number",
            "unit__parent__compound__community_id",
            "unit__parent__compound__community__name",
        )
        .order_by("?")[: args.samples]
    )
    communities = {a.pk: a for a in Area.objects.filter(level=Level.COMMUNITY)}
    per_kind: dict[str, dict[str, int]] = {}
    times: list[float] = []
    within_times: list[float] = []
    cpu_times: list[
        float
    ] = []  # CPU time of this thread: wall-clock p99 shows the shared machine's preemption
    for unit_id, building_id, unit_name, building_name, compound, room, community_id, community in rows:
        try:
            building_no = int(building_name.removeprefix(compound).removesuffix("幢"))
            unit_no = int(unit_name.removesuffix("单元"))
        except ValueError:
            continue
        for kind, (text, names_unit) in spellings(community, compound, building_no, unit_no, room).items():
            t, c = time.perf_counter(), time.thread_time()
            m = addresses.match_address(text)
            times.append(time.perf_counter() - t)
            cpu_times.append(time.thread_time() - c)
            t = time.perf_counter()
            m_in = addresses.match_address(text, within=communities[community_id])
            within_times.append(time.perf_counter() - t)
            counts = per_kind.setdefault(
                kind, {"right": 0, "asked": 0, "wrong": 0, "right_within": 0, "n": 0}
            )
            counts["n"] += 1
            for match, key in ((m, "right"), (m_in, "right_within")):
                best = match.best
                right = best is not None and (
                    best.unit_id == unit_id if names_unit else best.building_id == building_id
                )
                if right:
                    counts[key] += 1
                elif key == "right":
                    counts["asked" if best is None else "wrong"] += 1
    rng.shuffle(times)

    def ms(values: list[float], q: float) -> float:
        values = sorted(values)
        return values[min(len(values) - 1, int(q * len(values)))] * 1000

    print(
        f"per address, whole registry: median {statistics.median(times) * 1000:.2f} ms, "
        f"p90 {ms(times, 0.9):.2f} ms, p99 {ms(times, 0.99):.2f} ms ({len(times):,} addresses)"
    )
    print(
        f"CPU per address, whole registry: median {statistics.median(cpu_times) * 1000:.2f} ms, "
        f"p99 {ms(cpu_times, 0.99):.2f} ms"
    )
    print(
        f"per address, within the community: median {statistics.median(within_times) * 1000:.2f} ms, "
        f"p99 {ms(within_times, 0.99):.2f} ms"
    )
    print(f"{'spelling':<16} {'n':>6} {'right':>7} {'asked':>7} {'wrong':>7} {'right in community':>19}")
    for kind, c in per_kind.items():
        n = c["n"] or 1
        print(
            f"{kind:<16} {c['n']:>6} {c['right'] / n:>7.1%} {c['asked'] / n:>7.1%} {c['wrong'] / n:>7.1%} "
            f"{c['right_within'] / n:>19.1%}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
