"""`civicgrid backup` / `civicgrid restore`: one file holding the whole database, and a manifest of
every table's row count and checksum beside it (FILE.manifest.json), checked again after a restore.

SQLite: the online backup API (sqlite3.Connection.backup), safe while the server and the worker
write: it copies a consistent snapshot page by page. PostgreSQL: pg_dump's custom format, restored by
pg_restore --clean --single-transaction (all or nothing). Media files (photos) are backed up apart:
see docs/operations.md.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

from django.db import connection
from django.utils import timezone


class BackupError(Exception):
    pass


def manifest_path(path: Path) -> Path:
    return path.with_name(path.name + ".manifest.json")


def _digest(cursor, table: str, columns: list[str], quote) -> list:
    order = ", ".join(quote(c) for c in columns)
    cursor.execute(f"SELECT {order} FROM {quote(table)} ORDER BY {order}")  # noqa: S608 - introspected names
    digest, count = hashlib.sha256(), 0
    while rows := cursor.fetchmany(5000):
        for row in rows:
            digest.update(repr(tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)).encode())
            digest.update(b"\n")
        count += len(rows)
    return [count, digest.hexdigest()]


def _sqlite_checksums(raw: sqlite3.Connection) -> dict[str, list]:
    cursor = raw.cursor()
    try:
        tables = [r[0] for r in cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        ).fetchall()]  # fmt: skip
        found = {}
        for table in tables:
            columns = [r[1] for r in cursor.execute(f'PRAGMA table_info("{table}")').fetchall()]
            found[table] = _digest(cursor, table, columns, lambda n: '"' + n.replace('"', '""') + '"')
        return found
    finally:
        cursor.close()


def table_checksums() -> dict[str, list]:
    """{table: [row count, sha256 of its rows, sorted]} for every table of the database."""
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        return _sqlite_checksums(connection.connection)
    found = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            columns = [c.name for c in connection.introspection.get_table_description(cursor, table)]
            found[table] = _digest(cursor, table, columns, connection.ops.quote_name)
    return found


def _pg_env() -> tuple[list[str], dict]:
    s = connection.settings_dict
    env = dict(os.environ)
    if s.get("PASSWORD"):
        env["PGPASSWORD"] = str(s["PASSWORD"])
    args = [
        "-h",
        str(s.get("HOST") or "localhost"),
        "-p",
        str(s.get("PORT") or 5432),
        "-U",
        str(s.get("USER") or "postgres"),
    ]
    return args, env


def pg_command(tool: str) -> tuple[list[str], dict]:
    """The argv start and environment to run a PostgreSQL client tool (pg_dump…) against the database."""
    args, env = _pg_env()
    return [_tool(tool), *args], env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed (apt-get install postgresql-client)")
    return found


def backup(path: Path) -> dict:
    """Write the database to `path` and its manifest beside it; returns the manifest."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    connection.ensure_connection()
    manifest = {"engine": connection.vendor, "created_at": timezone.now().isoformat(), "tables": {}}
    if connection.vendor == "sqlite":
        # One snapshot: checksums are taken from the copy, so they describe exactly what was saved.
        target = sqlite3.connect(path)
        try:
            connection.connection.backup(target)
        finally:
            target.close()
        manifest["tables"] = _checksums_of_sqlite_file(path)
    elif connection.vendor == "postgresql":
        args, env = _pg_env()
        with connection.cursor() as cursor:  # a snapshot both pg_dump and the checksums read
            cursor.execute("SELECT 1")
        name = connection.settings_dict["NAME"]
        result = subprocess.run(
            [_tool("pg_dump"), *args, "-Fc", "--no-owner", "-f", str(path), name],
            env=env,
            capture_output=True,
            text=True,
        )
        if result.returncode:
            raise BackupError(result.stderr.strip())
        manifest["tables"] = table_checksums()
    else:
        raise BackupError(f"backups of {connection.vendor} databases are not supported")
    manifest_path(path).write_text(json.dumps(manifest, indent=1, sort_keys=True))
    return manifest


def _checksums_of_sqlite_file(path: Path) -> dict:
    """The same checksums, read from the SQLite copy (Django's type converters are registered globally)."""
    raw = sqlite3.connect(path, detect_types=sqlite3.PARSE_DECLTYPES | sqlite3.PARSE_COLNAMES)
    try:
        return _sqlite_checksums(raw)
    finally:
        raw.close()


def _restore_postgresql(path: Path) -> None:
    """Drop every table and restore the dump in one transaction (psql -1): a failure leaves the database
    as it was. (pg_restore --clean can't drop the inherited keys of partitions, so the tables go first.)"""
    args, env = _pg_env()
    name = connection.settings_dict["NAME"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT quote_ident(c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition"
        )
        tables = [row[0] for row in cursor.fetchall()]
        # The schema's own functions (a trigger's, say) outlive their tables and would clash with the
        # dump's CREATE FUNCTION; functions an extension owns stay.
        cursor.execute(
            "SELECT p.oid::regprocedure::text FROM pg_proc p "
            "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = current_schema() "
            "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass "
            "AND d.objid = p.oid AND d.deptype = 'e')"
        )
        functions = [row[0] for row in cursor.fetchall()]
    connection.close()
    with tempfile.TemporaryDirectory() as folder:
        drop = Path(folder) / "drop.sql"
        drop.write_text(
            (f"DROP TABLE IF EXISTS {', '.join(tables)} CASCADE;\n" if tables else "")
            + (f"DROP FUNCTION IF EXISTS {', '.join(functions)} CASCADE;\n" if functions else "")
        )
        script = Path(folder) / "restore.sql"
        made = subprocess.run(
            [_tool("pg_restore"), "--no-owner", "-f", str(script), str(path)],
            env=env,
            capture_output=True,
            text=True,
        )
        if made.returncode:
            raise BackupError(made.stderr.strip())
        result = subprocess.run(
            [
                _tool("psql"),
                *args,
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "--single-transaction",
                "-f",
                str(drop),
                "-f",
                str(script),
                "-d",
                name,
            ],
            env=env,
            capture_output=True,
            text=True,
        )
        if result.returncode:
            raise BackupError(result.stderr.strip())


def restore(path: Path) -> dict:
    """Replace the database with the backup at `path`, then check every table against the manifest."""
    path = Path(path)
    if not path.exists():
        raise BackupError(f"{path}: no such backup")
    manifest = json.loads(manifest_path(path).read_text()) if manifest_path(path).exists() else None
    if manifest and manifest["engine"] != connection.vendor:
        raise BackupError(f"this backup is of a {manifest['engine']} database, not {connection.vendor}")
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        source = sqlite3.connect(path)
        try:
            source.backup(connection.connection)
        finally:
            source.close()
    elif connection.vendor == "postgresql":
        _restore_postgresql(path)
    else:
        raise BackupError(f"restores of {connection.vendor} databases are not supported")
    found = table_checksums()
    if manifest:
        wrong = sorted(t for t in manifest["tables"] if found.get(t) != manifest["tables"][t])
        if wrong:
            raise BackupError(
                "restored, but these tables differ from the backup's manifest: " + ", ".join(wrong)
            )
    return {"tables": found, "checked": bool(manifest)}
