"""Demo generation benchmark: `civicgrid demo` on fresh databases, timed phase by phase.

    .venv/bin/python bench/bench_demo.py                      # small scale on a fresh SQLite file
    .venv/bin/python bench/bench_demo.py --pg postgres://postgres@127.0.0.1:5432/civicgrid_bench_city
                                                              # … and city scale into PostgreSQL

Targets (issue 2): small scale under 30 s; city scale (10,000 grids, 3 million households) into
PostgreSQL under 10 minutes, on this 2-core machine.

Each run migrates a fresh database (a temporary directory for SQLite; for PostgreSQL the database
named in --pg is DROPPED and created again, so give it one of its own), then runs
`civicgrid demo --scale … --timings FILE` in a subprocess and prints the wall time of each phase,
its rows and rows per second, and the total. Migration is timed apart. By default only the base
city step runs (`--only city`): other apps' steps (a year of cases, …) have benchmarks of their
own; `--all-steps` runs everything the demo command would. The PostgreSQL database is dropped at
the end to free the disk, unless --keep.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
CIVICGRID = str(ROOT / ".venv" / "bin" / "civicgrid")


def pad(text: str, width: int) -> str:
    """Left-align in a fixed-width column, counting Chinese characters as two."""
    used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(width - used, 0)


def run(args: list[str], env: dict, quiet: bool = False) -> float:
    started = time.perf_counter()
    out = subprocess.DEVNULL if quiet else None
    subprocess.run([CIVICGRID, *args], env=env, check=True, stdout=out)
    return time.perf_counter() - started


def recreate_pg_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name or name in ("postgres", "template0", "template1"):
        sys.exit("give --pg a database of its own: it is dropped and created again")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_pg_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}" WITH (FORCE)')


def pg_size(url: str) -> str:
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()[0]


def bench(label: str, database_url: str, scale: str, all_steps: bool, workdir: Path) -> dict:
    env = dict(os.environ, CIVICGRID_DATABASE_URL=database_url, CIVICGRID_VAR_DIR=str(workdir))
    print(f"\n=== {label}: civicgrid demo --scale {scale} ({database_url})", flush=True)
    migrate_s = run(["migrate", "--noinput", "-v", "0"], env)
    timings = workdir / f"timings-{scale}.json"
    args = ["demo", "--scale", scale, "--timings", str(timings)]
    if not all_steps:
        args += ["--only", "city"]
    demo_s = run(args, env, quiet=True)
    report = json.loads(timings.read_text(encoding="utf-8"))
    report.update(label=label, migrate_seconds=round(migrate_s, 2), wall_seconds=round(demo_s, 2))
    print(f"migrate: {migrate_s:.1f} s")
    print(f"{'phase':<44} {'rows':>12} {'seconds':>9} {'rows/s':>10}")
    for phase in report["phases"]:
        rate = phase["rows"] / phase["seconds"] if phase["seconds"] else 0
        print(f"{pad(phase['phase'], 44)} {phase['rows']:>12,} {phase['seconds']:>9.1f} {rate:>10,.0f}")
        detail = ", ".join(f"{k} {v:,}" for k, v in phase["counts"].items())
        if detail:
            print(f"    {detail}")
    rows = sum(p["rows"] for p in report["phases"])
    print(
        f"total: {report['total_seconds']:.1f} s inside the command, {demo_s:.1f} s wall "
        f"(with Django start-up), {rows:,} rows, {rows / max(report['total_seconds'], 1e-9):,.0f} rows/s"
    )
    return report


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", default="small", help="scale on SQLite (default: small)")
    parser.add_argument(
        "--pg", metavar="URL", help="also run on this PostgreSQL database (dropped and re-created)"
    )
    parser.add_argument("--pg-scale", default="city", help="scale on PostgreSQL (default: city)")
    parser.add_argument("--no-sqlite", action="store_true", help="skip the SQLite run")
    parser.add_argument(
        "--all-steps", action="store_true", help="run every registered demo step, not only the city"
    )
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database afterwards")
    parser.add_argument("--json", metavar="FILE", help="write the figures as JSON")
    args = parser.parse_args()

    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    results = []
    with tempfile.TemporaryDirectory(prefix="civicgrid-bench-demo-") as tmp:
        workdir = Path(tmp)
        if not args.no_sqlite:
            sqlite_url = f"sqlite:///{workdir / 'bench.sqlite3'}"
            results.append(bench("SQLite", sqlite_url, args.scale, args.all_steps, workdir))
        if args.pg:
            recreate_pg_database(args.pg)
            try:
                report = bench("PostgreSQL", args.pg, args.pg_scale, args.all_steps, workdir)
                report["database_size"] = pg_size(args.pg)
                print(f"database size: {report['database_size']}")
                results.append(report)
            finally:
                if not args.keep:
                    drop_pg_database(args.pg)
    if args.json:
        Path(args.json).write_text(
            json.dumps({"load_average": load, "runs": results}, indent=2), encoding="utf-8"
        )


if __name__ == "__main__":
    main()
