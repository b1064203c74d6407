"""Archiving a range of case numbers (PostgreSQL): the cases of a closed stretch of time leave the
live tables for a pg_dump file, with every row that belongs to them, and can be brought back.

PostgreSQL refuses to detach a range of the case table while any row of the tables that refer to cases
points into it, so the archive takes those rows along. Which rows belong to a case is what the models
already say about deleting one (`on_delete`), read from them, never listed by hand:
- CASCADE: the row goes with the case (history, photos, followers, field reports, an errand and its
  steps…), followed down through the rows that belong to those rows in turn;
- SET_NULL: the row stays and forgets the case (a whistle call, a visit); the link is kept in the
  archive and put back when the range is brought back;
- PROTECT and the others: the row must not lose its case (a mediation dispute, another case merged
  into one of these): the range is refused and nothing is archived.

`archive_range(k, to)`, in order: refuse a range not yet full or holding an open case; in one
transaction copy the range's cases and their rows into tables `arcK_NN` (K the range, NN the table's
place), note which table each came from (`arcK_map`) and refuse if a protected row refers to them;
write those tables with pg_dump to `to`/cases_case_rK.dump and check the file lists them all; then in
one transaction forget the SET_NULL links, delete the rows deepest first, the range's retry keys, and
drop the range and the copies, with an audit row holding the file's SHA-256. A failure at any step
leaves the live tables as they were. The rollups keep the range's figures (they are their own tables).

`bring_back(file)`: restores the copies, makes the range again, inserts the cases and their rows
parents first (the retry keys come back through the case table's trigger, history rows land in their
month or the default partition), sets the kept links again and drops the copies.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.db import IntegrityError, connection, models, transaction
from django.utils.translation import gettext as _

from civicgrid.core import audit
from civicgrid.core.backup import pg_command

from . import partitions
from .models import Case
from .workflow import OPEN_STATES

KEYS = "cases_case_client_key"  # the retry keys' side table (migration 0009), filled by a trigger


class ArchiveError(Exception):
    """A range that can't be archived or brought back; nothing was changed."""


@dataclass(frozen=True)
class Link:
    """A foreign key pointing at the cases or at rows that go with them."""

    model: type[models.Model]
    column: str  # the referring column
    target_column: str  # the column it refers to (the target's key)
    on_delete: str  # CASCADE, SET_NULL, PROTECT…
    target: int  # the place of the rows it points at; 0 = the cases
    place: int  # this link's place among the archive's tables

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    @property
    def pk(self) -> str:
        return str(self.model._meta.pk.column)

    @property
    def goes_along(self) -> bool:
        return self.on_delete == "CASCADE" and self.model is not Case


def links() -> list[Link]:
    """Every foreign key into the cases and, through CASCADE, into the rows that go with them, parents
    before children; each has its place among the archive's tables (0 is the cases')."""
    found: list[Link] = []
    queue: list[tuple[type[models.Model], int]] = [(Case, 0)]
    along: set[type[models.Model]] = set()
    while queue:
        target, target_place = queue.pop(0)
        for model in apps.get_models(include_auto_created=True):
            for field in model._meta.concrete_fields:
                if not isinstance(field, models.ForeignKey) or field.related_model is not target:
                    continue
                link = Link(
                    model,
                    str(field.column),
                    str(field.target_field.column),
                    getattr(field.remote_field.on_delete, "__name__", "PROTECT"),
                    target_place,
                    len(found) + 1,
                )
                found.append(link)
                if link.goes_along:
                    # One table of rows per model: a model reached twice would be archived twice.
                    assert model not in along, f"{link.table} goes with a case along two links"
                    along.add(model)
                    queue.append((model, link.place))
    return found


def _name(k: int, place: int | str) -> str:
    return f"arc{k:05d}_{place:02d}" if isinstance(place, int) else f"arc{k:05d}_{place}"


def _range(k: int) -> partitions.CaseRange:
    if not partitions.cases_enabled():
        raise ArchiveError(_("The case table is not partitioned on this database (PostgreSQL only)."))
    for r in partitions.case_ranges():
        if r.first is not None and r.first == k * partitions.CASE_RANGE:
            return r
    raise ArchiveError(_("There is no range %(range)s of case numbers.") % {"range": k})


def _pointing_in(k: int, link: Link, first: int, end: int) -> str:
    """SQL condition: the rows of `link`'s table that point at rows being archived."""
    if link.target:
        return f'"{link.column}" IN (SELECT "{link.target_column}" FROM "{_name(k, link.target)}")'
    where = f'"{link.column}" >= {first} AND "{link.column}" < {end}'
    if link.model is Case:  # a case outside the range that points into it (a merge)
        where += f" AND NOT (id >= {first} AND id < {end})"
    return where


def _copy(cursor, k: int, first: int, end: int) -> dict[str, int]:
    """Copy the range's cases and their rows into the archive's tables; refuse on a protected row.
    Returns the rows copied by source table."""
    plan = _name(k, "map")
    cursor.execute(
        f'CREATE TABLE "{plan}" (place int PRIMARY KEY, source text, kind text, link text, pk text)'
    )
    cursor.execute(f'CREATE TABLE "{_name(k, 0)}" AS SELECT * FROM "{partitions.CASE_TABLE}_r{k:05d}"')
    counts = {partitions.CASE_TABLE: cursor.rowcount}
    cursor.execute(
        f'INSERT INTO "{plan}" VALUES (0, %s, %s, %s, %s)', [partitions.CASE_TABLE, "rows", "", "id"]
    )
    for link in links():
        where = _pointing_in(k, link, first, end)
        name = _name(k, link.place)
        if link.goes_along:
            cursor.execute(f'CREATE TABLE "{name}" AS SELECT * FROM "{link.table}" WHERE {where}')
            kind = "rows"
        elif link.on_delete == "SET_NULL":
            cursor.execute(
                f'CREATE TABLE "{name}" AS SELECT "{link.pk}" AS pk, "{link.column}" AS value '
                f'FROM "{link.table}" WHERE {where}'
            )
            kind = "link"
        else:
            cursor.execute(f'SELECT "{link.pk}", "{link.column}" FROM "{link.table}" WHERE {where} LIMIT 1')
            held = cursor.fetchone()
            if held:
                raise ArchiveError(
                    _(
                        "Row %(row)s of %(table)s refers to %(target)s, which would be archived, and must "
                        "keep it (%(rule)s): nothing was archived."
                    )
                    % {"row": held[0], "table": link.table, "target": held[1], "rule": link.on_delete}
                )
            continue
        key = link.table if kind == "rows" else f"{link.table}.{link.column}"
        counts[key] = counts.get(key, 0) + cursor.rowcount
        cursor.execute(
            f'INSERT INTO "{plan}" VALUES (%s, %s, %s, %s, %s)',
            [link.place, link.table, kind, link.column, link.pk],
        )
    return counts


def _dump(k: int, path: Path) -> None:
    """Write the archive's tables to `path` and check the file lists every one of them."""
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT place FROM "{_name(k, "map")}"')
        names = [_name(k, "map")] + [_name(k, place) for (place,) in cursor.fetchall()]
    argv, env = pg_command("pg_dump")
    tables = [arg for name in names for arg in ("-t", name)]
    dumped = subprocess.run(
        [*argv, "-Fc", "--no-owner", *tables, "-f", str(path), connection.settings_dict["NAME"]],
        env=env,
        capture_output=True,
        text=True,
    )
    listed = subprocess.run(
        [*pg_command("pg_restore")[0], "--list", str(path)], capture_output=True, text=True
    )
    data = {line.split()[-2] for line in listed.stdout.splitlines() if " TABLE DATA " in line}
    missing = [name for name in names if name not in data]
    if dumped.returncode or listed.returncode or missing:
        raise ArchiveError(
            _("Writing the archive failed, nothing was archived: %(error)s")
            % {"error": (dumped.stderr or listed.stderr or ", ".join(missing)).strip()[:300]}
        )


def archive_range(k: int, to: Path, *, by=None) -> dict:
    """Archive range `k` of case numbers (numbers k×CASE_RANGE up to the next range) to
    `to`/cases_case_rK.dump and take it and every row that goes with its cases out of the live tables."""
    r = _range(k)
    assert r.first is not None and r.end is not None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(pg_sequence_last_value(pg_get_serial_sequence(%s, 'id')), 0)",
            [partitions.CASE_TABLE],
        )
        if cursor.fetchone()[0] < r.end - 1:
            raise ArchiveError(
                _("Range %(range)s is still being filled with new cases: nothing was archived.")
                % {"range": k}
            )
        cursor.execute(f'SELECT id FROM "{r.name}" WHERE state = ANY(%s) LIMIT 1', [list(OPEN_STATES)])
        row = cursor.fetchone()
        if row:
            raise ArchiveError(
                _("Case %(case)s of range %(range)s is still open: nothing was archived.")
                % {"case": row[0], "range": k}
            )
        cursor.execute("SELECT to_regclass(%s)", [_name(k, "map")])
        if cursor.fetchone()[0]:
            raise ArchiveError(
                _(
                    "Tables of an earlier archive of range %(range)s are still here (%(table)s): nothing was archived."
                )
                % {"range": k, "table": _name(k, "map")}
            )
    with transaction.atomic():
        with connection.cursor() as cursor:
            counts = _copy(cursor, k, r.first, r.end)
    to.mkdir(parents=True, exist_ok=True)
    path = to / f"{r.name}.dump"
    try:
        _dump(k, path)
        entry = {"range": r.name, "first": r.first, "end": r.end, "rows": counts, "file": str(path)}
        entry["sha256"] = partitions.file_sha256(path)
        with transaction.atomic():
            with connection.cursor() as cursor:
                # No case of the range changes from here on (a reopening, a rating); one that changed
                # since the copy refuses the archive. A row added meanwhile that refers to the range
                # makes the detach below fail: the transaction rolls back either way.
                cursor.execute(f'LOCK TABLE "{r.name}" IN EXCLUSIVE MODE')
                cursor.execute(
                    f'SELECT id FROM (SELECT * FROM "{r.name}" EXCEPT SELECT * FROM "{_name(k, 0)}") changed LIMIT 1'
                )
                changed = cursor.fetchone()
                if changed:
                    raise ArchiveError(
                        _(
                            "Case %(case)s changed while range %(range)s was being archived: nothing was archived."
                        )
                        % {"case": changed[0], "range": k}
                    )
                for link in reversed(links()):
                    name = _name(k, link.place)
                    if link.goes_along:
                        cursor.execute(
                            f'DELETE FROM "{link.table}" WHERE "{link.pk}" IN (SELECT "{link.pk}" FROM "{name}")'
                        )
                    elif link.on_delete == "SET_NULL":
                        cursor.execute(
                            f'UPDATE "{link.table}" SET "{link.column}" = NULL '
                            f'WHERE "{link.pk}" IN (SELECT pk FROM "{name}")'
                        )
                cursor.execute(
                    f'DELETE FROM "{KEYS}" WHERE client_key IN '
                    f'(SELECT client_key FROM "{_name(k, 0)}" WHERE client_key IS NOT NULL)'
                )
                try:
                    with transaction.atomic():
                        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the deferred keys, checked now
                        cursor.execute(f'ALTER TABLE "{partitions.CASE_TABLE}" DETACH PARTITION "{r.name}"')
                except IntegrityError as exc:
                    raise ArchiveError(
                        _(
                            "A row that refers to range %(range)s was added while it was being archived: "
                            "nothing was archived (%(error)s)."
                        )
                        % {"range": k, "error": str(exc).splitlines()[0][:200]}
                    ) from None
                cursor.execute(f'DROP TABLE "{r.name}"')
                audit.record(
                    actor=by,
                    action="cases.range_archived",
                    subject=audit.Named("cases.case_range", r.name),
                    after=entry,
                )
    finally:
        _drop_copies(k)
    return entry


def _drop_copies(k: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [_name(k, "map")])
        if not cursor.fetchone()[0]:
            return
        cursor.execute(f'SELECT place FROM "{_name(k, "map")}"')
        names = [_name(k, place) for (place,) in cursor.fetchall()] + [_name(k, "map")]
        cursor.execute("DROP TABLE IF EXISTS " + ", ".join(f'"{n}"' for n in names))


def bring_back(path: Path, *, by=None) -> dict:
    """Put an archived range back: the range made again, its cases and their rows inserted parents
    first, the links forgotten at archiving set again."""
    path = Path(path)
    if not path.exists():
        raise ArchiveError(_("%(file)s: no such archive") % {"file": path})
    if not partitions.cases_enabled():
        raise ArchiveError(_("The case table is not partitioned on this database (PostgreSQL only)."))
    name = path.stem  # cases_case_rKKKKK
    try:
        k = int(name.rsplit("_r", 1)[1])
    except (IndexError, ValueError):
        raise ArchiveError(_("%(file)s is not an archive of a range of cases.") % {"file": path}) from None
    if any(r.name == name for r in partitions.case_ranges()):
        raise ArchiveError(_("Range %(range)s is already here: nothing was brought back.") % {"range": k})
    argv, env = pg_command("pg_restore")
    restored = subprocess.run(
        [*argv, "--no-owner", "-d", connection.settings_dict["NAME"], str(path)],
        env=env,
        capture_output=True,
        text=True,
    )
    if restored.returncode:
        _drop_copies(k)
        raise ArchiveError(
            _("Reading the archive failed, nothing was brought back: %(error)s")
            % {"error": restored.stderr[:300]}
        )
    counts: dict[str, int] = {}
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    f'CREATE TABLE "{name}" PARTITION OF "{partitions.CASE_TABLE}" FOR VALUES FROM (%s) TO (%s)',
                    [k * partitions.CASE_RANGE, (k + 1) * partitions.CASE_RANGE],
                )
                cursor.execute(
                    f'SELECT place, source, kind, link, pk FROM "{_name(k, "map")}" ORDER BY place'
                )
                for place, source, kind, column, pk in cursor.fetchall():
                    copy = _name(k, place)
                    if kind == "rows":
                        cursor.execute(
                            "SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) FROM pg_attribute a "
                            "JOIN pg_attribute b ON b.attrelid = %s::regclass AND b.attname = a.attname "
                            "AND b.attnum > 0 AND NOT b.attisdropped "
                            "WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped",
                            [source, copy],
                        )
                        columns = cursor.fetchone()[0]
                        cursor.execute(f'INSERT INTO "{source}" ({columns}) SELECT {columns} FROM "{copy}"')
                    else:
                        cursor.execute(
                            f'UPDATE "{source}" t SET "{column}" = c.value FROM "{copy}" c '
                            f'WHERE t."{pk}" = c.pk AND t."{column}" IS NULL'
                        )
                    key = source if kind == "rows" else f"{source}.{column}"
                    counts[key] = counts.get(key, 0) + cursor.rowcount
                audit.record(
                    actor=by,
                    action="cases.range_brought_back",
                    subject=audit.Named("cases.case_range", name),
                    after={"range": name, "file": str(path), "rows": counts},
                )
    finally:
        _drop_copies(k)
    return {"range": name, "rows": counts}
