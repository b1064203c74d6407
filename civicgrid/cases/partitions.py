"""The partitions of the case tables on PostgreSQL; on other databases each is one plain table and
everything here does nothing.

History (migration 0007): monthly partitions of `at`. `ensure()` creates the months ahead (the worker
runs it daily) and gives a month of its own to rows the default partition caught; `archive()` detaches
the months before a date, writes each to a pg_dump file, checks the file and drops the partition —
never a month that holds history of a case still open.

Cases (migration 0009): ranges of the case number, which one sequence hands out in time order, so a
range is a stretch of time (`case_ranges()` gives each one's first and last report). `ensure_case_ranges()`
keeps CASE_RANGES_AHEAD empty ranges ahead of the sequence (daily, with the months). Archiving a range
takes every row that refers to its cases along (PostgreSQL refuses to detach a range while any row
refers to it): that is case_archive.py.
"""

from __future__ import annotations

import hashlib
import subprocess
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import gettext as _

from civicgrid.core import audit, outbox
from civicgrid.core.backup import pg_command

from .workflow import OPEN_STATES

# Rules as data: which table is partitioned on which column, and how far ahead months are made.
TABLE = "cases_caseevent"
COLUMN = "at"
MONTHS_AHEAD = 3
ENSURE_EVERY = 24 * 3600
CASE_TABLE = "cases_case"
CASE_RANGE = 2_000_000  # numbers per range: migration 0009's RANGE_SIZE (30 ranges for 60 million cases)
CASE_RANGES_AHEAD = 2  # at a province's 33,000 cases a day, two ranges last four months


class PartitionError(Exception):
    """An archive refused or failed (its message says which month and why; nothing was lost)."""


@dataclass(frozen=True)
class Partition:
    name: str
    start: date | None  # None: the default partition
    end: date | None
    rows: int  # an estimate from the planner's statistics (exact for the months `archive` writes)


def enabled() -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(%s)", [TABLE])
        return cursor.fetchone() is not None


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _bound(day: date) -> str:
    return datetime(day.year, day.month, day.day, tzinfo=_zone()).isoformat()


def _next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def _name(month: date) -> str:
    return f"{TABLE}_p{month:%Y%m}"


def _names() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass ORDER BY c.relname",
            [TABLE],
        )
        return [name for (name,) in cursor.fetchall()]


def _exact_rows(name: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{name}"')
        return cursor.fetchone()[0]


def partitions() -> list[Partition]:
    """Every partition, oldest first, the default last, with its estimated rows (listing a province's
    history must not count every row)."""
    if not enabled():
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, greatest(c.reltuples, 0)::bigint FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = %s::regclass",
            [TABLE],
        )
        estimates = dict(cursor.fetchall())
    found = []
    for name, rows in estimates.items():
        if name == f"{TABLE}_default":
            found.append(Partition(name, None, None, rows))
        else:
            month = datetime.strptime(name.rsplit("_p", 1)[1], "%Y%m").date()
            found.append(Partition(name, month, _next_month(month), rows))
    return sorted(found, key=lambda p: (p.start is None, p.start or date.min))


@transaction.atomic
def ensure(*, today: date | None = None, months_ahead: int = MONTHS_AHEAD) -> list[str]:
    """Create the month partitions missing from the oldest row the default holds (or this month) to
    `months_ahead` months on; rows the default held move into their months. Returns the names made."""
    if not enabled():
        return []
    today = today or datetime.now(_zone()).date()
    have = set(_names())
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT min("{COLUMN}"), max("{COLUMN}") FROM "{TABLE}_default"')
        oldest, newest = cursor.fetchone()
    month = (min(oldest.astimezone(_zone()).date(), today) if oldest else today).replace(day=1)
    last = today.replace(day=1)
    for _i in range(months_ahead):
        last = _next_month(last)
    if newest is not None:
        last = max(last, newest.astimezone(_zone()).date().replace(day=1))
    wanted = []
    while month <= last:
        if _name(month) not in have:
            wanted.append(month)
        month = _next_month(month)
    if not wanted:
        return []
    with connection.cursor() as cursor:
        # A new month may not overlap rows the default holds: take the default out while they move.
        cursor.execute(f'ALTER TABLE "{TABLE}" DETACH PARTITION "{TABLE}_default"')
        for month in wanted:
            cursor.execute(
                f'CREATE TABLE "{_name(month)}" PARTITION OF "{TABLE}" FOR VALUES FROM (%s) TO (%s)',
                [_bound(month), _bound(_next_month(month))],
            )
            window = [_bound(month), _bound(_next_month(month))]
            cursor.execute(
                f'WITH moved AS (DELETE FROM "{TABLE}_default" WHERE "{COLUMN}" >= %s AND "{COLUMN}" < %s '
                f'RETURNING *) INSERT INTO "{TABLE}" SELECT * FROM moved',
                window,
            )
        cursor.execute(f'ALTER TABLE "{TABLE}" ATTACH PARTITION "{TABLE}_default" DEFAULT')
    return [_name(m) for m in wanted]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def archive(before: date, to: Path, *, by=None, drop: bool = True) -> list[dict]:
    """Archive every month partition that ends on or before `before` (a month start): detach it,
    write it with pg_dump to `to`/NAME.dump, check the file lists the table, drop it. A month that
    holds history of a case still open is refused, and nothing is archived."""
    if not enabled():
        raise PartitionError(_("The case history is not partitioned on this database (PostgreSQL only)."))
    before = before.replace(day=1)
    months = [
        Partition(p.name, p.start, p.end, _exact_rows(p.name))
        for p in partitions()
        if p.end is not None and p.end <= before
    ]
    if not months:
        return []
    with connection.cursor() as cursor:
        for p in months:
            cursor.execute(
                f'SELECT e.case_id FROM "{p.name}" e JOIN cases_case c ON c.id = e.case_id '
                "WHERE c.state = ANY(%s) LIMIT 1",
                [list(OPEN_STATES)],
            )
            row = cursor.fetchone()
            if row:
                raise PartitionError(
                    _("%(month)s holds history of case %(case)s, which is still open: nothing was archived.")
                    % {"month": f"{p.start:%Y-%m}", "case": row[0]}
                )
    to.mkdir(parents=True, exist_ok=True)
    done = []
    for p in months:
        assert p.start is not None and p.end is not None  # a month partition, not the default
        path = to / f"{p.name}.dump"
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f'ALTER TABLE "{TABLE}" DETACH PARTITION "{p.name}"')
        argv, env = pg_command("pg_dump")
        dumped = subprocess.run(
            [*argv, "-Fc", "--no-owner", "-t", p.name, "-f", str(path), connection.settings_dict["NAME"]],
            env=env,
            capture_output=True,
            text=True,
        )
        listed = subprocess.run(
            [*pg_command("pg_restore")[0], "--list", str(path)], capture_output=True, text=True
        )
        if dumped.returncode or listed.returncode or p.name not in listed.stdout:
            with connection.cursor() as cursor:  # put it back: nothing is lost
                cursor.execute(
                    f'ALTER TABLE "{TABLE}" ATTACH PARTITION "{p.name}" FOR VALUES FROM (%s) TO (%s)',
                    [_bound(p.start), _bound(p.end)],
                )
            raise PartitionError(
                _("Writing %(name)s failed, it is attached again: %(error)s")
                % {"name": p.name, "error": (dumped.stderr or listed.stderr).strip()[:300]}
            )
        entry = {
            "partition": p.name,
            "month": f"{p.start:%Y-%m}",
            "rows": p.rows,
            "file": str(path),
            "sha256": file_sha256(path),
        }
        with transaction.atomic():
            if drop:
                with connection.cursor() as cursor:
                    cursor.execute(f'DROP TABLE "{p.name}"')
            audit.record(
                actor=by,
                action="cases.history_archived",
                subject=audit.Named("cases.caseevent_partition", p.name),
                after=entry,
            )
        done.append(entry)
    return done


@dataclass(frozen=True)
class CaseRange:
    name: str
    first: int | None  # the range's first case number; None: the default partition
    end: int | None  # one past its last
    rows: int  # an estimate from the planner's statistics
    reported_from: datetime | None  # its first and last report (None while empty)
    reported_to: datetime | None


def cases_enabled() -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(%s)", [CASE_TABLE])
        return cursor.fetchone() is not None


def _case_range_name(k: int) -> str:
    return f"{CASE_TABLE}_r{k:05d}"


def case_ranges() -> list[CaseRange]:
    """Every range of cases, lowest numbers first, the default last, with its dates of report (each an
    end of the range's own reported_at index: no range is read whole)."""
    if not cases_enabled():
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, greatest(c.reltuples, 0)::bigint FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = %s::regclass",
            [CASE_TABLE],
        )
        found = []
        for name, rows in cursor.fetchall():
            cursor.execute(f'SELECT min(reported_at), max(reported_at) FROM "{name}"')
            first_report, last_report = cursor.fetchone()
            if name == f"{CASE_TABLE}_default":
                found.append(CaseRange(name, None, None, rows, first_report, last_report))
            else:
                k = int(name.rsplit("_r", 1)[1])
                found.append(
                    CaseRange(name, k * CASE_RANGE, (k + 1) * CASE_RANGE, rows, first_report, last_report)
                )
    return sorted(found, key=lambda r: (r.first is None, r.first or 0))


@transaction.atomic
def ensure_case_ranges(*, ahead: int = CASE_RANGES_AHEAD) -> list[str]:
    """Create the ranges missing up to `ahead` ranges past the highest number handed out. Cases the
    default partition caught (numbers past the last range, if the job did not run for weeks) stay
    there: other tables refer to them, so PostgreSQL would not let the default be detached to move
    them; no range is made over their numbers. Returns the names made."""
    if not cases_enabled():
        return []
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT min(id), max(id) FROM "{CASE_TABLE}_default"')
        caught_low, caught_high = cursor.fetchone()
        cursor.execute(
            "SELECT coalesce(pg_sequence_last_value(pg_get_serial_sequence(%s, 'id')), 0)", [CASE_TABLE]
        )
        top = max(cursor.fetchone()[0], caught_high or 0)
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass",
            [CASE_TABLE],
        )
        have = {name for (name,) in cursor.fetchall()}
        wanted = [
            k
            for k in range(top // CASE_RANGE + 1 + ahead)
            if _case_range_name(k) not in have
            and not (
                caught_low is not None and k * CASE_RANGE <= caught_high and (k + 1) * CASE_RANGE > caught_low
            )
        ]
        for k in wanted:
            cursor.execute(
                f'CREATE TABLE "{_case_range_name(k)}" PARTITION OF "{CASE_TABLE}" FOR VALUES FROM (%s) TO (%s)',
                [k * CASE_RANGE, (k + 1) * CASE_RANGE],
            )
    return [_case_range_name(k) for k in wanted]


@outbox.periodic(ENSURE_EVERY, name="cases.partitions")
def _ensure_daily() -> None:
    ensure()
    ensure_case_ranges()
