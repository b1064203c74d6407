"""A real streaming replica behind the router (civicgrid/core/dbrouter.py), end to end.

The test starts its own PostgreSQL primary (initdb with wal_level=replica, in a temporary folder, on a
free loopback port; the machine's server on 5432 is never touched), makes a hot standby of it with
`pg_basebackup -R` and starts that too. Through the router: a write goes to the primary and is
replayed on the replica; a declared read is served by the replica; when the replica's replay is
paused past the lag limit, and when it is stopped, reads go to the primary. It takes a few seconds
and is skipped, saying why, where the PostgreSQL server binaries are missing."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from django.db import DatabaseError, connections
from django.test import override_settings

from civicgrid.core.dbrouter import ReplicaHealth, ReplicaRouter, replica_reads_allowed
from civicgrid.core.models import CalendarDay

PRIMARY, REPLICA = "streaming_primary", "streaming_replica"
TOOLS = ("initdb", "pg_ctl", "pg_basebackup")


def server_binaries() -> Path | None:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if all((candidate / tool).exists() for tool in TOOLS):
            return candidate
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Cluster:
    """A primary and its streaming replica in one temporary folder, as the `postgres` OS user when root."""

    def __init__(self, binaries: Path):
        self.bin = binaries
        self.dir = Path(tempfile.mkdtemp(prefix="civicgrid-replica-test-"))
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self.primary_port, self.replica_port = free_port(), free_port()
        self.primary_data, self.replica_data = self.dir / "primary", self.dir / "replica"
        self.started: list[Path] = []

    def run(self, *cmd: str) -> None:
        args = [str(self.bin / cmd[0]), *cmd[1:]]
        if os.geteuid() == 0:
            args = ["runuser", "-u", "postgres", "--", *args]
        done = subprocess.run(args, capture_output=True, text=True, timeout=60)
        if done.returncode:
            raise RuntimeError(f"{cmd[0]} failed: {done.stderr.strip() or done.stdout.strip()}")

    def configure(self, data: Path, port: int) -> None:
        with open(data / "postgresql.conf", "a") as conf:
            conf.write(
                f"\nport = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.dir}'\n"
                "wal_level = replica\nmax_wal_senders = 4\nhot_standby = on\nfsync = off\n"
                "shared_buffers = 16MB\nmax_connections = 20\n"
            )

    def pg_ctl(self, data: Path, *args: str) -> None:
        self.run("pg_ctl", "-D", str(data), "-l", str(data.parent / f"{data.name}.log"), "-w", *args)

    def start(self) -> None:
        self.run("initdb", "-D", str(self.primary_data), "-A", "trust", "-U", "postgres", "-E", "UTF8")
        self.configure(self.primary_data, self.primary_port)
        self.pg_ctl(self.primary_data, "start")
        self.started.append(self.primary_data)
        self.run(
            "pg_basebackup",
            "-h", "127.0.0.1", "-p", str(self.primary_port), "-U", "postgres",
            "-D", str(self.replica_data), "-R", "-X", "stream", "-c", "fast",
        )  # fmt: skip
        self.configure(self.replica_data, self.replica_port)  # the copied settings, another port
        self.pg_ctl(self.replica_data, "start")
        self.started.append(self.replica_data)

    def stop_replica(self) -> None:
        self.pg_ctl(self.replica_data, "stop", "-m", "immediate")
        self.started.remove(self.replica_data)

    def stop(self) -> None:
        for data in reversed(self.started):
            try:
                self.pg_ctl(data, "stop", "-m", "immediate")
            except (RuntimeError, subprocess.TimeoutExpired):
                pass  # already stopped (a test stopped the replica on purpose)
        shutil.rmtree(self.dir, ignore_errors=True)


def skip_reason() -> str | None:
    if server_binaries() is None:
        return "PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) are not installed"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root without a `postgres` OS user to run initdb as"
    try:
        import psycopg  # noqa: F401
    except ImportError:  # pragma: no cover
        return "psycopg is not installed"
    return None


pytestmark = pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or "")


def alias_settings(port: int) -> dict:
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "postgres",
        "USER": "postgres",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "CONN_MAX_AGE": 60,
        "OPTIONS": {"connect_timeout": 2},
    }


@pytest.fixture
def cluster(django_db_blocker):
    cluster = Cluster(server_binaries())
    try:
        cluster.start()
        configured = connections.configure_settings(
            {
                "default": connections.settings["default"],
                PRIMARY: alias_settings(cluster.primary_port),
                REPLICA: alias_settings(cluster.replica_port),
            }
        )
        connections.settings.update({PRIMARY: configured[PRIMARY], REPLICA: configured[REPLICA]})
        with django_db_blocker.unblock():
            with connections[PRIMARY].schema_editor() as editor:
                editor.create_model(CalendarDay)
            yield cluster
    finally:
        for alias in (PRIMARY, REPLICA):
            if alias in connections.settings:
                try:
                    connections[alias].close()
                except DatabaseError:
                    pass  # its server is gone already; closing is all that was asked
                del connections[alias]
                del connections.settings[alias]
        cluster.stop()


def wait_for(condition, seconds: float = 15.0, what: str = "") -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except DatabaseError:  # e.g. the table not replayed yet
            connections[REPLICA].close()
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def replica_sql(sql: str):
    with connections[REPLICA].cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()


def test_a_streaming_replica_serves_declared_reads_and_never_a_write(cluster):
    health = ReplicaHealth(REPLICA, max_lag=1.0, every=0)
    router = ReplicaRouter(primary=PRIMARY, replica=REPLICA, health=health)
    with override_settings(DATABASE_ROUTERS=[router]):
        # A write made in a replica-reading context goes to the primary.
        with replica_reads_allowed():
            day = CalendarDay.objects.create(date="2091-10-01", is_workday=False, name="国庆节")
        assert day._state.db == PRIMARY
        assert replica_sql("SELECT pg_is_in_recovery()")[0] is True

        # It is replayed on the replica, which then serves the declared reads.
        wait_for(lambda: CalendarDay.objects.using(REPLICA).filter(date="2091-10-01").exists(), what="replay")
        with replica_reads_allowed():
            days = list(CalendarDay.objects.filter(date="2091-10-01"))
        assert [d.name for d in days] == ["国庆节"] and days[0]._state.db == REPLICA
        assert health.last_lag is not None and health.last_lag <= 1.0

        # Outside a declared context the same read is the primary's.
        assert list(CalendarDay.objects.all())[0]._state.db == PRIMARY

        # The standby itself refuses a write sent to it by name (the router never does so).
        with pytest.raises(DatabaseError):
            CalendarDay.objects.using(REPLICA).create(date="2091-10-02", is_workday=False)
        connections[REPLICA].close()

        # Replay paused: the replica falls behind the limit and reads go to the primary, which has
        # the new row the replica lacks.
        replica_sql("SELECT pg_wal_replay_pause()")
        CalendarDay.objects.create(date="2091-10-03", is_workday=False, name="paused")
        wait_for(lambda: not health.healthy(), what="the replica to count as lagging")
        assert health.last_lag > 1.0
        with replica_reads_allowed():
            late = list(CalendarDay.objects.filter(date="2091-10-03"))
        assert [d.name for d in late] == ["paused"] and late[0]._state.db == PRIMARY
        assert not CalendarDay.objects.using(REPLICA).filter(date="2091-10-03").exists()

        # Replay resumed: the replica catches up and serves reads again.
        replica_sql("SELECT pg_wal_replay_resume()")
        wait_for(health.healthy, what="the replica to catch up")
        with replica_reads_allowed():
            again = list(CalendarDay.objects.filter(date="2091-10-03"))
        assert again and again[0]._state.db == REPLICA

        # The replica stopped: reads go to the primary, without an error.
        cluster.stop_replica()
        with replica_reads_allowed():
            down = list(CalendarDay.objects.filter(date__gte="2091-10-01").order_by("date"))
        assert [d._state.db for d in down] == [PRIMARY, PRIMARY]
        assert health.last_error
