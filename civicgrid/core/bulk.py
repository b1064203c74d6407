"""Bulk loading of many new rows at once, for any models (the demo city, the area importers).

Generic: it knows tables and columns, not apps. Callers declare each model's columns, reserve
primary keys and add rows as tuples; rows go in with COPY on PostgreSQL and with bulk_create in
batches elsewhere.
"""

from __future__ import annotations

import json
from collections import Counter

from django.db import connections
from django.db.models import Model


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

    def __init__(self, using: str = "default", batch_size: int = 5000) -> None:
        self.connection = connections[using]
        self.using = using
        self.batch_size = batch_size
        self.use_copy = self.connection.vendor == "postgresql"
        self.written: Counter[type[Model]] = Counter()
        self._columns: dict[type[Model], tuple[list[str], list[str], list[int]]] = {}
        self._rows: dict[type[Model], list[tuple]] = {}
        self._next_id: dict[type[Model], int] = {}
        self._block: dict[type[Model], tuple[int, int]] = {}
        if self.use_copy:
            with self.connection.cursor() as cursor:
                # Check each COPY as it ends rather than queueing millions of deferred checks.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    def table(self, model: type[Model], columns: list[str]) -> None:
        """Declare a table and the columns (attribute names, e.g. `parent_id`) of its rows."""
        by_attname = {f.attname: f for f in model._meta.concrete_fields}
        fields = [by_attname[c] for c in columns]
        json_at = [i for i, f in enumerate(fields) if f.get_internal_type() == "JSONField"]
        self._columns[model] = (columns, [f.column or f.attname for f in fields], json_at)
        self._rows[model] = []

    def ids(self, model: type[Model], count: int) -> int:
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

    def next_id(self, model: type[Model]) -> int:
        """One primary key of `model`, from a block reserved ahead (gaps are left unused)."""
        nxt, end = self._block.get(model, (0, 0))
        if nxt >= end:
            size = max(self.batch_size, 1000)
            nxt = self.ids(model, size)
            end = nxt + size
        self._block[model] = (nxt + 1, end)
        return nxt

    def add(self, model: type[Model], row: tuple) -> None:
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

    def _write(self, model: type[Model], rows: list[tuple]) -> None:
        attnames, db_columns, json_at = self._columns[model]
        if self.use_copy:
            quote = self.connection.ops.quote_name
            sql = "COPY {} ({}) FROM STDIN".format(
                quote(model._meta.db_table), ", ".join(quote(c) for c in db_columns)
            )
            with self.connection.cursor() as cursor, cursor.copy(sql) as copy:
                if json_at:
                    for row in rows:
                        values = list(row)
                        for i in json_at:
                            if values[i] is not None:
                                values[i] = json.dumps(values[i], ensure_ascii=False, separators=(",", ":"))
                        copy.write_row(values)
                else:
                    for row in rows:
                        copy.write_row(row)
        else:
            objs = [model(**dict(zip(attnames, row, strict=True))) for row in rows]
            model._default_manager.using(self.using).bulk_create(objs, batch_size=min(self.batch_size, 2000))
