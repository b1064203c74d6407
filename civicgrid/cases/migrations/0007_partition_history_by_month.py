"""On PostgreSQL the case history (cases_caseevent) becomes a table partitioned by month of `at`
(declarative range partitioning), with a default partition that catches any row no month partition
holds yet; cases/partitions.py creates the months ahead and archives old ones. The primary key becomes
(id, at), as PostgreSQL requires of a partitioned table; Django still addresses rows by id (unique by
the identity sequence). Other databases keep the plain table.

The conversion is self-contained (no application code): it reads the table's own index and
foreign-key definitions, recreates them on the partitioned table under the same names, copies the rows
and moves the identity sequence on. It takes the table's lock for the copy: on a large deployment run it
in a maintenance window (docs/operations.md)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import migrations

TABLE = "cases_caseevent"
COLUMN = "at"
MONTHS_AHEAD = 3


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def _bound(day: date) -> str:
    zone = ZoneInfo(settings.TIME_ZONE)
    return datetime(day.year, day.month, day.day, tzinfo=zone).isoformat()


def _definitions(cursor, table: str) -> tuple[list, list]:
    """The table's indexes but its primary key (name, DDL) and its foreign keys (name, definition)."""
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %s",
        [table],
    )
    indexes = [(name, ddl) for name, ddl in cursor.fetchall() if not name.endswith("_pkey")]
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype = 'f' AND conparentid = 0",
        [table],
    )
    return indexes, cursor.fetchall()


def partition_table(cursor, table: str, column: str, *, today: date | None = None) -> int:
    """Turn `table` into one partitioned by month of `column`; returns the number of month partitions."""
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred checks pending on the table it drops
    indexes, foreign_keys = _definitions(cursor, table)
    cursor.execute(
        "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute "
        "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
        [table],
    )
    columns = cursor.fetchone()[0]
    cursor.execute(f"SELECT min({column}), max(id) FROM {table}")
    oldest, max_id = cursor.fetchone()

    old = f"{table}_unpartitioned"
    cursor.execute(f"ALTER TABLE {table} RENAME TO {old}")
    for name, _ in indexes:
        cursor.execute(f'ALTER INDEX "{name}" RENAME TO "{name[:50]}_unpart"')
    cursor.execute(f'ALTER INDEX "{table}_pkey" RENAME TO "{table[:50]}_pkey_unpart"')
    for name, _ in foreign_keys:
        cursor.execute(f'ALTER TABLE {old} RENAME CONSTRAINT "{name}" TO "{name[:50]}_unpart"')
    cursor.execute(
        f"CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING STORAGE) "
        f"PARTITION BY RANGE ({column})"
    )
    cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{table}_pkey" PRIMARY KEY (id, {column})')
    for _, ddl in indexes:
        cursor.execute(ddl)
    for name, definition in foreign_keys:
        cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    cursor.execute(f"CREATE TABLE {table}_default PARTITION OF {table} DEFAULT")

    today = today or datetime.now(ZoneInfo(settings.TIME_ZONE)).date()
    month = _month_start(min(oldest.astimezone(ZoneInfo(settings.TIME_ZONE)).date(), today) if oldest else today)
    last = _month_start(today)
    for _ in range(MONTHS_AHEAD):
        last = _next_month(last)
    made = 0
    while month <= last:
        following = _next_month(month)
        cursor.execute(
            f"CREATE TABLE {table}_p{month:%Y%m} PARTITION OF {table} FOR VALUES FROM (%s) TO (%s)",
            [_bound(month), _bound(following)],
        )
        month, made = following, made + 1

    cursor.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {old}")
    cursor.execute(
        "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, false)", [table, (max_id or 0) + 1]
    )
    cursor.execute(f"DROP TABLE {old}")
    return made


def unpartition_table(cursor, table: str, column: str) -> None:
    """The way back: one plain table with the same columns, indexes, keys and rows."""
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    indexes, foreign_keys = _definitions(cursor, table)
    cursor.execute(f"SELECT max(id) FROM {table}")
    max_id = cursor.fetchone()[0]
    old = f"{table}_partitioned"
    cursor.execute(f"ALTER TABLE {table} RENAME TO {old}")
    for name, _ in indexes:
        cursor.execute(f'ALTER INDEX "{name}" RENAME TO "{name[:50]}_part"')
    cursor.execute(f'ALTER INDEX "{table}_pkey" RENAME TO "{table[:50]}_pkey_part"')
    cursor.execute(f"CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING STORAGE)")
    cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{table}_pkey" PRIMARY KEY (id)')
    for _, ddl in indexes:
        cursor.execute(ddl.replace(" ON ONLY ", " ON "))
    for name, definition in foreign_keys:
        cursor.execute(f'ALTER TABLE {old} DROP CONSTRAINT "{name}"')
        cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    cursor.execute(f"INSERT INTO {table} SELECT * FROM {old}")
    cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, false)", [table, (max_id or 0) + 1])
    cursor.execute(f"DROP TABLE {old} CASCADE")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        partition_table(cursor, TABLE, COLUMN)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        unpartition_table(cursor, TABLE, COLUMN)


class Migration(migrations.Migration):
    dependencies = [("cases", "0006_jurisdiction_on_rollups_inbox_and_rules")]

    operations = [migrations.RunPython(forwards, backwards)]
