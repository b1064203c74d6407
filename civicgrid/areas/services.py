"""Writes to the area tree go through here (views, admin actions, importers, demo, tests)."""

from __future__ import annotations

import json
from collections import Counter

import shapely.geometry
from django.db import connections, transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce

from .models import LEVEL_ORDER, Area, Household, Level, jurisdiction_for


def create_area(*, level: str, code: str, name: str, parent: Area | None = None, **fields) -> Area:
    if parent is None and level not in (Level.CITY, Level.DISTRICT):
        raise ValueError(f"a {level} needs a parent")
    area = Area(level=level, code=code, name=name, parent=parent, **fields)
    area.save()
    return area


@transaction.atomic
def create_household(*, unit: Area, number: str, address: str = "") -> Household:
    if unit.level != Level.UNIT:
        raise ValueError("a household belongs to a unit")
    grid = unit.grid()
    household = Household(unit=unit, grid=grid, number=number, address=address)
    household.save()
    Area.objects.filter(pk=grid.pk).update(households_count=grid.households_count + 1)
    grid.households_count += 1
    return household


# ---------------------------------------------------------------- bulk writes (importers, demo)


def label_point(shape: dict | None) -> tuple[float | None, float | None]:
    """A point inside a polygon shape, where its label goes (None, None without a shape)."""
    if not shape:
        return None, None
    point = shapely.geometry.shape(shape).representative_point()
    return round(point.x, 7), round(point.y, 7)


def bulk_create_areas(areas: list[Area], *, batch_size: int = 2000) -> list[Area]:
    """Insert many new areas at once, parents first, filling path and jurisdiction as save() does.

    Each area's `parent` is an area already saved or one earlier in the list (level order is
    sorted out here). No signals are sent; callers refresh what depends on shapes.
    """
    for level in LEVEL_ORDER:
        batch = [a for a in areas if a.level == level]
        for area in batch:
            parent = area.parent
            area.path = (parent.path if parent is not None else "") + area.code + "/"
            if not area.jurisdiction:
                # A parent saved or made just before carries it already: no walk up the tree.
                inherit = (
                    parent is not None and parent.jurisdiction and level not in (Level.CITY, Level.DISTRICT)
                )
                area.jurisdiction = parent.jurisdiction if inherit else jurisdiction_for(area)
        Area.objects.bulk_create(batch, batch_size=batch_size)
    return areas


def recount_households(grid_ids) -> None:
    """Set `households_count` of these grids from their household rows."""
    counts = Household.objects.filter(grid=OuterRef("pk")).order_by().values("grid").annotate(n=Count("pk"))
    Area.objects.filter(pk__in=list(grid_ids)).update(
        households_count=Coalesce(Subquery(counts.values("n")), 0)
    )


class BulkLoader:
    """The fast path for loading many new rows (the demo city; millions of households).

    Rows are tuples in the order of the columns declared with `table()`, carrying explicit
    primary keys from `ids()` and every field that save() would otherwise fill (path,
    jurisdiction, the denormalised grid). Neither save() nor signals run. On PostgreSQL rows go
    in with COPY; on other databases with bulk_create in batches.

    Use it inside one transaction.atomic(). Foreign keys are checked as rows go in, so declare
    parent tables before child tables: whenever a buffer is full every table is flushed, in the
    order declared, and rows of one table are written in the order they were added.
    """

    def __init__(self, using: str = "default", batch_size: int = 5000):
        self.connection = connections[using]
        self.using = using
        self.batch_size = batch_size
        self.use_copy = self.connection.vendor == "postgresql"
        self.written: Counter = Counter()
        self._columns: dict = {}
        self._rows: dict = {}
        self._next_id: dict = {}
        self._block: dict = {}
        if self.use_copy:
            with self.connection.cursor() as cursor:
                # Check each COPY as it ends rather than queueing millions of deferred checks.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    def table(self, model, columns: list[str]) -> None:
        """Declare a table and the columns (attribute names, e.g. `parent_id`) of its rows."""
        by_attname = {f.attname: f for f in model._meta.concrete_fields}
        fields = [by_attname[c] for c in columns]
        json_at = [i for i, f in enumerate(fields) if f.get_internal_type() == "JSONField"]
        self._columns[model] = (columns, [f.column for f in fields], json_at)
        self._rows[model] = []

    def ids(self, model, count: int) -> int:
        """Reserve `count` consecutive primary keys of `model`; returns the first."""
        table = model._meta.db_table
        with self.connection.cursor() as cursor:
            if self.use_copy:
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                    "nextval(pg_get_serial_sequence(%s, 'id')) + %s - 1)",
                    [table, table, max(count, 1)],
                )
                return cursor.fetchone()[0] - max(count, 1) + 1
            if model not in self._next_id:
                cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {self.connection.ops.quote_name(table)}")
                self._next_id[model] = cursor.fetchone()[0] + 1
        first = self._next_id[model]
        self._next_id[model] = first + count
        return first

    def next_id(self, model) -> int:
        """One primary key of `model`, from a block reserved ahead (gaps are left unused)."""
        nxt, end = self._block.get(model, (0, 0))
        if nxt >= end:
            size = max(self.batch_size, 1000)
            nxt = self.ids(model, size)
            end = nxt + size
        self._block[model] = (nxt + 1, end)
        return nxt

    def add(self, model, row: tuple) -> None:
        rows = self._rows[model]
        rows.append(row)
        if len(rows) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        """Write every buffered row, table by table in the declared order."""
        for model, rows in self._rows.items():
            if rows:
                self._write(model, rows)
                self.written[model] += len(rows)
                rows.clear()

    def _write(self, model, rows: list[tuple]) -> None:
        attnames, db_columns, json_at = self._columns[model]
        if self.use_copy:
            quote = self.connection.ops.quote_name
            sql = "COPY {} ({}) FROM STDIN".format(
                quote(model._meta.db_table), ", ".join(quote(c) for c in db_columns)
            )
            with self.connection.cursor() as cursor, cursor.copy(sql) as copy:
                if json_at:
                    for row in rows:
                        row = list(row)
                        for i in json_at:
                            if row[i] is not None:
                                row[i] = json.dumps(row[i], ensure_ascii=False, separators=(",", ":"))
                        copy.write_row(row)
                else:
                    for row in rows:
                        copy.write_row(row)
        else:
            objs = [model(**dict(zip(attnames, row, strict=True))) for row in rows]
            model.objects.using(self.using).bulk_create(objs, batch_size=min(self.batch_size, 2000))
