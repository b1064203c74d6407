"""PostgreSQL: the staff search's word index (cases/search_words.py, decision 0110).

On a partitioned table the index is made on every case range (and on ranges made later). On a large
database this runs under a lock (about 25 s per 2 million cases); to avoid that, create it beforehand
on each range with CREATE INDEX CONCURRENTLY and on the parent ON ONLY, then ATTACH each. The SQL is
written out here (a migration imports no application code); cases/search_words.py holds the same.
"""

from django.db import migrations

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


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(FUNCTIONS)
            cursor.execute(INDEX)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("cases", "0014_department_rollup_covering_index")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
