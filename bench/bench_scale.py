"""Every figure of issue 15 in one run: a province's pages, figures, sweep and Open311 GET; intake at
its rate against PostgreSQL's own commit rate; the pooler and the read replica.

    CIVICGRID_DATABASE_URL=postgres://…/civicgrid_province \\
        .venv/bin/python bench/bench_scale.py [--timings /tmp/province_timings.json] [--runs 15]
            [--intake-runs 3] [--intake-seconds 15] [--pooler-seconds 15] [--skip province,intake,pooler]
            [--out DIR]

Runs, one after the other (never two loads at once on the machine), each bench as its own process
with its output printed as it comes and kept in DIR:
1. bench_province.py against the province database in CIVICGRID_DATABASE_URL (load time from the
   demo's --timings file, disk size, staff and figures pages p50/p95, the deadline sweep, Open311 GET,
   the three slowest pages' plans);
2. bench_open311.py (its own private PostgreSQL with the demo street): Open311 POST with varied
   bodies, the fixed-body lower bound, GET pages of 50, REST intake, CPU per request split between the
   server and PostgreSQL, pgbench's single-row commit rate and intake as a share of it;
3. bench_pooler.py (its own PostgreSQL, pgbouncer and a streaming replica): pages and intake direct
   and through the pooler, the read mix on the replica, bytes per case;
then each bench's closing lines together. Nothing here measures on its own: the figures are the
benches', printed as they print them.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TAIL = 40  # closing lines of each bench repeated at the end


def run(name: str, argv: list[str], out: Path, env: dict) -> tuple[int, list[str], float]:
    print(f"\n===== {name}: {' '.join(argv)}", flush=True)
    started = time.monotonic()
    lines: list[str] = []
    with (out / f"{name}.txt").open("w") as log:
        process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        assert process.stdout is not None
        for line in process.stdout:
            print(line, end="", flush=True)
            log.write(line)
            lines.append(line.rstrip("\n"))
        code = process.wait()
    return code, lines, time.monotonic() - started


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--timings", help="the JSON file `civicgrid demo --scale province --timings` wrote")
    parser.add_argument("--runs", type=int, default=15, help="requests per page (province)")
    parser.add_argument("--intake-runs", type=int, default=3)
    parser.add_argument("--intake-seconds", type=int, default=15)
    parser.add_argument("--pooler-seconds", type=int, default=15)
    parser.add_argument("--skip", default="", help="comma-separated: province, intake, pooler")
    parser.add_argument("--out", default="/tmp/civicgrid-bench-scale", help="folder for each bench's output")
    args = parser.parse_args(argv)
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    python = sys.executable
    env = dict(os.environ)
    plan = []
    if "province" not in skip:
        if not env.get("CIVICGRID_DATABASE_URL", "").startswith("postgres"):
            print(
                "province: set CIVICGRID_DATABASE_URL to a database loaded by `civicgrid demo --scale province`"
            )
            return 2
        province = [python, str(HERE / "bench_province.py"), "--runs", str(args.runs)]
        if args.timings:
            province += ["--timings", args.timings]
        plan.append(("province", province, env))
    # The intake and pooler benches start PostgreSQL instances of their own: not the province's.
    own = {k: v for k, v in env.items() if k != "CIVICGRID_DATABASE_URL"}
    if "intake" not in skip:
        intake = [python, str(HERE / "bench_open311.py"), "--runs", str(args.intake_runs)]
        intake += ["--duration", str(args.intake_seconds), "--json", str(out / "intake.json")]
        plan.append(("intake", intake, own))
    if "pooler" not in skip:
        plan.append(
            ("pooler", [python, str(HERE / "bench_pooler.py"), "--seconds", str(args.pooler_seconds)], own)
        )
    results = []
    for name, command, environment in plan:
        results.append((name, *run(name, command, out, environment)))
    print(
        "\n===== all figures of this run (each bench's closing lines; the whole outputs in " + str(out) + ")"
    )
    failed = 0
    for name, code, lines, seconds in results:
        print(f"\n--- {name}: exit {code}, {seconds / 60:.1f} min")
        for line in lines[-TAIL:]:
            print("  " + line)
        failed += code != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
