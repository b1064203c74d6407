"""The staff search's word index on PostgreSQL: the character pairs of a case's title, description
and address (decision 0110).

`UPPER(title) LIKE '%垃圾%'` can use no B-tree, and a trigram index (pg_trgm) needs three characters in
a row, where most Chinese query words have two (decision 0080): the search read every case of its
scope from the heap to test the words (49,000 pages for a street's five years). A GIN index over the
set of a case's character pairs (bigrams, as CJK analysers of search engines index Chinese) answers
"which cases hold every pair of the query's characters" — a necessary condition of each `LIKE`, so
the `LIKE`s stay as they are and check only the rows the index gives. A query of one character has
no pair: the search then reads its scope as before. SQLite has neither the index nor the condition.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import BooleanField, F, Func, Q, Value

# The index expression and the query's condition must be the same calls for PostgreSQL to match them.
# civicgrid_case_words calls no function of its own: a restore (pg_dump's empty search_path) builds
# the index before any unqualified name would resolve. cases migration 0015 holds the same text.
FUNCTIONS = """
CREATE OR REPLACE FUNCTION civicgrid_bigrams(t text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT coalesce(array_agg(DISTINCT substr(t, i, 2)), '{}') FROM generate_series(1, length(t) - 1) i $$;
CREATE OR REPLACE FUNCTION civicgrid_case_words(title text, description text, address text) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT coalesce(array_agg(DISTINCT substr(w, i, 2)), '{}')
          FROM (SELECT upper(coalesce(title, '') || chr(10) || coalesce(description, '') || chr(10)
                             || coalesce(address, '')) AS w) t, generate_series(1, length(w) - 1) i $$;
"""
INDEX = "CREATE INDEX IF NOT EXISTS case_words ON cases_case USING gin (civicgrid_case_words(title, description, address))"
DROP = """
DROP INDEX IF EXISTS case_words;
DROP FUNCTION IF EXISTS civicgrid_case_words(text, text, text);
DROP FUNCTION IF EXISTS civicgrid_bigrams(text);
"""


class _HoldsEveryPair(Func):
    """civicgrid_case_words(title, description, address) @> civicgrid_bigrams(upper(text))."""

    output_field = BooleanField()

    def __init__(self, text: str):
        super().__init__(F("title"), F("description"), F("address"), Value(text))

    def as_sql(self, compiler, connection, **extra_context):
        parts, params = [], []
        for expression in self.source_expressions:
            sql, more = compiler.compile(expression)
            parts.append(sql)
            params.extend(more)
        title, description, address, text = parts
        return (
            f"civicgrid_case_words({title}, {description}, {address}) @> civicgrid_bigrams(upper({text}))",
            params,
        )


def may_hold(text: str) -> Q | None:
    """The index's condition for cases whose title, description or address may contain `text`, or
    None where there is none to give (SQLite; a text of one character)."""
    if connection.vendor != "postgresql" or len(text) < 2:
        return None
    return Q(_HoldsEveryPair(text))
