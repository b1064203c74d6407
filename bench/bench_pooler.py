"""pgbouncer in front of PostgreSQL: connections, median latency and CPU per request, with and without it.

    .venv/bin/python bench/bench_pooler.py [--seconds 15] [--connections 12] [--web-workers 3]
        [--pool-size 4] [--cases 2000]

Needs the Debian packages `pgbouncer` and `wrk` (as root it installs the missing ones with apt-get;
otherwise it says which to install and stops) and the PostgreSQL server binaries.

1. starts its OWN PostgreSQL (initdb + pg_ctl in a temporary folder on a free port, as in
   bench_faults.py), migrates it, builds the tiny demo city and takes in --cases cases through the
   services (a third moved along the loop), so the read pages have something to show;
2. starts its OWN pgbouncer (transaction pooling, --pool-size server connections) in front of it;
3. for each of four set-ups, in this one run — PostgreSQL direct or through pgbouncer, each with a
   connection per request (CONN_MAX_AGE=0) and with persistent connections (3600 s) — serves civicgrid
   with gunicorn (--web-workers × 4 threads) and runs with wrk (another process) — every set-up's read
   mix first, then every intake mix, so that each read mix sees the same cases:
     - the read mix: Open311 request lists (filtered pages of 50), service list, single requests,
       the public problem wall;
     - the intake mix: Open311 POSTs (new reports with an Idempotency-Key);
   and prints requests/s, median and p99 latency, the server connections PostgreSQL had at most and
   the new server sessions it opened per request (pg_stat_database.sessions), and CPU milliseconds per
   request of the web server, PostgreSQL (its backends, those that exited included) and pgbouncer,
   read from /proc;
4. makes a streaming replica of the private PostgreSQL (pg_basebackup -R) and runs the read mix once
   more with CIVICGRID_REPLICA_URL set, counting the transactions each server ran (--no-replica skips);
5. prints the bytes on disk per case with its history (table + indexes), for sizing.

Everything binds to 127.0.0.1; every load is bounded by --seconds.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
PYTHON = sys.executable
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def say(text: str) -> None:
    print(text, flush=True)


def need_packages() -> None:
    missing = [name for name, tool in (("pgbouncer", "pgbouncer"), ("wrk", "wrk")) if not shutil.which(tool)]
    if not missing:
        return
    if os.geteuid() != 0:
        raise SystemExit(
            f"missing Debian packages: {' '.join(missing)} (apt-get install -y {' '.join(missing)})"
        )
    say(f"installing {' '.join(missing)} with apt-get")
    subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True, stdout=subprocess.DEVNULL)


def cpu_of_tree(pid: int) -> float:
    """User + system CPU seconds of a process, its live descendants and the children it has reaped."""
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += sum(int(f) for f in fields[11:15]) / CLOCK_TICKS  # utime stime cutime cstime
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        todo.extend(int(c) for c in children)
    return total


class PgBouncer:
    """A private pgbouncer in transaction mode in front of the private PostgreSQL."""

    def __init__(self, pg, pool_size: int):
        from bench_faults import free_port

        self.dir = Path(tempfile.mkdtemp(prefix="civicgrid-pgbouncer-"))
        self.port = free_port()
        (self.dir / "userlist.txt").write_text('"postgres" ""\n')
        (self.dir / "pgbouncer.ini").write_text(
            f"""[databases]
civicgrid = host=127.0.0.1 port={pg.port} dbname=civicgrid user={POOL_USER}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir =
auth_type = trust
auth_file = {self.dir}/userlist.txt
pool_mode = transaction
default_pool_size = {pool_size}
max_client_conn = 500
server_reset_query =
ignore_startup_parameters = extra_float_digits
logfile = {self.dir}/pgbouncer.log
"""
        )
        cmd = ["pgbouncer", "-q", str(self.dir / "pgbouncer.ini")]
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
            for f in self.dir.iterdir():
                shutil.chown(f, "postgres", "postgres")
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        self.process = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL)
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/civicgrid"
        import psycopg

        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                with psycopg.connect(self.url, autocommit=True, prepare_threshold=None) as conn:
                    conn.execute("SELECT 1")
                return
            except psycopg.OperationalError:
                time.sleep(0.2)
        raise SystemExit(f"pgbouncer did not come up; see {self.dir}/pgbouncer.log")

    def cpu(self) -> float:
        return cpu_of_tree(self.process.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        shutil.rmtree(self.dir, ignore_errors=True)


class PrivateReplica:
    """A streaming replica of the private PostgreSQL (pg_basebackup -R), on its own port."""

    def __init__(self, pg):
        from bench_faults import free_port

        self.pg, self.data, self.port = pg, pg.dir / "replica", free_port()
        pg._as_postgres(
            [str(pg.bin / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(pg.port), "-U", "postgres",
             "-D", str(self.data), "-R", "-X", "stream", "-c", "fast"]
        )  # fmt: skip
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(f"\nport = {self.port}\nhot_standby = on\n")
        self.pg_ctl("start")
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/civicgrid"

    def pg_ctl(self, *args: str) -> None:
        self.pg._as_postgres(
            [
                str(self.pg.bin / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.pg.dir / "replica.log"),
                "-w",
                *args,
            ]
        )

    def stop(self) -> None:
        self.pg_ctl("stop", "-m", "fast")


def commits(url: str) -> int:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = 'civicgrid'"
        ).fetchone()[0]


POOL_USER = "civicgrid_pool"  # pgbouncer's own PostgreSQL role: its server connections are told apart


class Connections:
    """Samples PostgreSQL's client backends of one role (the web server's own, or pgbouncer's) while a
    load runs (peak; pgbouncer keeps its idle server connections open between set-ups), and counts the
    sessions opened (pg_stat_database.sessions, PostgreSQL 14+)."""

    SQL_NOW = (
        "SELECT count(*) FROM pg_stat_activity WHERE datname = 'civicgrid' "
        "AND backend_type = 'client backend' AND pid <> pg_backend_pid() AND usename = %s"
    )
    role = "postgres"
    SQL_SESSIONS = "SELECT sessions FROM pg_stat_database WHERE datname = 'civicgrid'"

    def __init__(self, direct_url: str):
        import psycopg

        self.conn = psycopg.connect(direct_url, autocommit=True)

    def sessions(self) -> int:
        self.conn.execute("SELECT pg_stat_clear_snapshot()")
        return self.conn.execute(self.SQL_SESSIONS).fetchone()[0]

    def __enter__(self):
        self.peak, self.stop = 0, threading.Event()
        self.started_sessions = self.sessions()

        def sample():
            while not self.stop.is_set():
                self.conn.execute("SELECT pg_stat_clear_snapshot()")
                self.peak = max(self.peak, self.conn.execute(self.SQL_NOW, [self.role]).fetchone()[0])
                time.sleep(0.2)

        self.thread = threading.Thread(target=sample, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        self.opened = self.sessions() - self.started_sessions
        return False


def prepare(pg, cases: int) -> dict:
    """Migrate, the tiny demo city, a few thousand cases; the mixes' URLs and key."""
    env = {**os.environ, "CIVICGRID_DATABASE_URL": pg.url, "DJANGO_SETTINGS_MODULE": "civicgrid.settings"}
    for args in (("migrate", "--noinput"), ("demo", "--scale", "tiny", "--only", "city")):
        subprocess.run([PYTHON, "-m", "civicgrid.cli", *args], env=env, check=True, stdout=subprocess.DEVNULL)
    import psycopg

    with psycopg.connect(pg.url, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {POOL_USER} LOGIN SUPERUSER")  # trust authentication, loopback only
    os.environ.update(env)
    import django

    django.setup()
    from bench_open311 import bench_key, load_year, service_codes, street_points
    from wrk_mixes import get_queries

    from civicgrid.areas.models import Area, Level

    load_year(cases)
    rng = random.Random(11)
    key = bench_key()
    codes = service_codes()
    street = Area.objects.filter(level=Level.STREET).order_by("id").first()
    communities = list(Area.objects.filter(level=Level.COMMUNITY).values_list("code", flat=True)[:4])
    from django.test import Client

    listed = Client().get(f"/open311/v2/requests.json?api_key={key}&page_size=80")
    refs = [row["service_request_id"] for row in listed.json()]
    reads = get_queries(key, codes, rng, count=120)
    reads += [f"/open311/v2/services.json?api_key={key}"] * 40
    reads += [f"/open311/v2/requests/{ref}.json?api_key={key}" for ref in refs[:80]]
    reads += [f"/cases/wall/{street.code}/"] * 30 + [
        f"/cases/wall/{code}/" for code in communities for _ in range(8)
    ]
    points = street_points(rng, 300)
    from django.db import connections

    connections.close_all()
    return {"key": key, "codes": codes, "reads": reads, "points": points}


def sizing(pg) -> dict:
    import psycopg

    with psycopg.connect(pg.url, autocommit=True) as conn:
        cases = conn.execute("SELECT count(*) FROM cases_case").fetchone()[0]
        events = conn.execute("SELECT count(*) FROM cases_caseevent").fetchone()[0]
        size = {
            t: conn.execute(
                # a partitioned table's size is its partitions' (the parent holds nothing)
                "SELECT coalesce((SELECT sum(pg_total_relation_size(relid))::bigint FROM pg_partition_tree(%s)), "
                "pg_total_relation_size(%s))",
                [t, t],
            ).fetchone()[0]
            for t in ("cases_case", "cases_caseevent", "cases_case_assisting", "core_outboxevent")
        }
        areas = conn.execute(
            "SELECT count(*), pg_total_relation_size('areas_area') FROM areas_area"
        ).fetchone()
    return {"cases": cases, "events": events, "bytes": size, "areas": areas}


def run_setup(
    name: str, database_url: str, extra_env: dict, mix: dict, args, pg_pid: int, bouncer, conns, phases
):
    from harness import Server
    from wrk_mixes import get_script, post_script, wrk

    say(f"  (load average of the machine before this set-up: {Path('/proc/loadavg').read_text().split()[0]})")
    server = Server(database_url, web_workers=args.web_workers, extra_env=extra_env)
    results = {}
    try:
        base = server.base
        wrk(base + "/", get_script(mix["reads"]), 2, args.connections)  # warm-up: caches, connections
        scripts = {
            "read mix": get_script(mix["reads"]),
            "intake mix": post_script("/open311/v2/requests.json", mix["key"], mix["codes"], mix["points"]),
        }
        for phase in phases:
            script = scripts[phase]
            cpu0 = (cpu_of_tree(server.process.pid), cpu_of_tree(pg_pid), bouncer.cpu() if bouncer else 0.0)
            conns.role = POOL_USER if bouncer else "postgres"
            with conns as seen:
                result = wrk(base + "/", script, args.seconds, args.connections)
            cpu1 = (cpu_of_tree(server.process.pid), cpu_of_tree(pg_pid), bouncer.cpu() if bouncer else 0.0)
            n = max(result["requests"], 1)
            result.update(
                peak_server_connections=seen.peak,
                sessions_per_request=seen.opened / n,
                cpu_ms={
                    k: (b - a) / n * 1000
                    for k, a, b in zip(("web", "postgresql", "pgbouncer"), cpu0, cpu1, strict=True)
                },
            )
            results[phase] = result
            say(
                f"  {name:44} {phase:10}: {result['rps']:6.0f} req/s  p50 {result['p50'] / 1000:6.1f} ms  "
                f"p99 {result['p99'] / 1000:6.1f} ms  non-2xx {result['non2xx']:4d}  "
                f"server conns peak {seen.peak:3d}  new sessions/req {seen.opened / n:5.2f}  "
                "CPU ms/req web {web:.2f} + pg {postgresql:.2f} + pgbouncer {pgbouncer:.2f}".format(
                    **result["cpu_ms"]
                )
            )
    finally:
        server.stop()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=15, help="length of each load")
    parser.add_argument("--connections", type=int, default=12, help="wrk connections")
    parser.add_argument("--web-workers", type=int, default=3, help="gunicorn workers (4 threads each)")
    parser.add_argument("--pool-size", type=int, default=4, help="pgbouncer server connections")
    parser.add_argument("--cases", type=int, default=2000, help="cases taken in before the loads")
    parser.add_argument(
        "--no-replica", action="store_true", help="skip the read mix from a streaming replica"
    )
    args = parser.parse_args()
    need_packages()
    from bench_faults import PrivatePostgres

    started = time.time()
    pg = PrivatePostgres()
    bouncer = replica = None
    try:
        say(f"private PostgreSQL on port {pg.port}; preparing the data")
        mix = prepare(pg, args.cases)
        bouncer = PgBouncer(pg, args.pool_size)
        say(f"private pgbouncer on port {bouncer.port} (transaction mode, pool of {args.pool_size})")
        pg_pid = int((pg.data / "postmaster.pid").read_text().split()[0])
        replica = None
        if not args.no_replica:
            replica = PrivateReplica(pg)
            say(f"private streaming replica on port {replica.port} (pg_basebackup -R)")
        conns = Connections(pg.url)
        setups = [
            ("PostgreSQL direct, connection per request", pg.url, {"CIVICGRID_DB_CONN_MAX_AGE": "0"}, None),
            (
                "pgbouncer, connection per request",
                bouncer.url,
                {"CIVICGRID_DB_CONN_MAX_AGE": "0", "CIVICGRID_DB_POOLER": "pgbouncer"},
                bouncer,
            ),
            (
                "PostgreSQL direct, persistent connections",
                pg.url,
                {"CIVICGRID_DB_CONN_MAX_AGE": "3600"},
                None,
            ),
            (
                "pgbouncer, persistent connections",
                bouncer.url,
                {"CIVICGRID_DB_CONN_MAX_AGE": "3600", "CIVICGRID_DB_POOLER": "pgbouncer"},
                bouncer,
            ),
        ]
        say(
            f"load: wrk with {args.connections} connections, {args.seconds} s per mix; "
            f"gunicorn {args.web_workers} workers × 4 threads"
        )
        # Every set-up's read mix first, then every intake mix: the intakes add cases, and the read
        # pages must see the same data in each set-up. Direct and pooled alternate.
        all_results: dict[str, dict] = {name: {} for name, *_ in setups}
        for phase in ("read mix", "intake mix"):
            if phase == "intake mix" and replica is not None:
                # The read mix once more, with the figures and public pages routed to the replica.
                name = "direct, persistent, reads from a streaming replica"
                before = commits(pg.url), commits(replica.url)
                extra = {"CIVICGRID_DB_CONN_MAX_AGE": "3600", "CIVICGRID_REPLICA_URL": replica.url}
                extra["CIVICGRID_OPEN311_ANON_RATE_PER_MINUTE"] = "1000000"
                run_setup(name, pg.url, extra, mix, args, pg_pid, None, conns, ["read mix"])
                primary_tx, replica_tx = (
                    a - b for a, b in zip((commits(pg.url), commits(replica.url)), before, strict=True)
                )
                say(
                    f"  {'':44} transactions during it: primary {primary_tx}, replica {replica_tx} "
                    f"({replica_tx / max(primary_tx + replica_tx, 1):.0%} of them on the replica)"
                )
            for name, url, extra, pooler in setups:
                all_results[name].update(
                    run_setup(
                        name,
                        url,
                        {**extra, "CIVICGRID_OPEN311_ANON_RATE_PER_MINUTE": "1000000"},
                        mix,
                        args,
                        pg_pid,
                        pooler,
                        conns,
                        [phase],
                    )
                )
        say("")
        say("ratios in this run (pgbouncer / direct, same connection setting):")
        for mode in ("connection per request", "persistent connections"):
            direct = all_results[f"PostgreSQL direct, {mode}"]
            pooled = all_results[f"pgbouncer, {mode}"]
            for phase in ("read mix", "intake mix"):
                d, p = direct[phase], pooled[phase]
                d_cpu, p_cpu = sum(d["cpu_ms"].values()), sum(p["cpu_ms"].values())
                say(
                    f"  {mode:24} {phase:10}: median latency ×{p['p50'] / max(d['p50'], 1):.2f}, "
                    f"CPU per request ×{p_cpu / max(d_cpu, 1e-9):.2f} ({d_cpu:.2f} → {p_cpu:.2f} ms), "
                    f"peak server connections {d['peak_server_connections']} → {p['peak_server_connections']}"
                )
        size = sizing(pg)
        b, n_cases, n_events = size["bytes"], max(size["cases"], 1), max(size["events"], 1)
        say("")
        say(
            f"sizing ({size['cases']} cases, {size['events']} history rows; tables + indexes): "
            f"{b['cases_case'] / n_cases:.0f} bytes per case + {b['cases_caseevent'] / n_events:.0f} bytes per "
            f"history row = {(b['cases_case'] + b['cases_caseevent']) / n_cases:.0f} bytes per case with its "
            f"{size['events'] / n_cases:.1f} history rows; outbox {b['core_outboxevent'] / 1e6:.1f} MB; "
            f"{size['areas'][0]} areas, {size['areas'][1] / max(size['areas'][0], 1):.0f} bytes each"
        )
        say(f"whole run {time.time() - started:.0f} s")
    finally:
        if bouncer is not None:
            bouncer.stop()
        if replica is not None:
            replica.stop()
        pg.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
