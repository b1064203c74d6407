"""PostgreSQL: no JIT compilation for civicgrid's database (decision 0090).

civicgrid's statements are short (a page's queries take milliseconds), but the planner's estimates
for a path prefix over many case ranges can pass `jit_above_cost`, and PostgreSQL then spends 50–60 ms
compiling a query that runs in half a millisecond (a grid's figures for a year at province scale).
A database setting reaches every new connection, through pgbouncer and on a streaming replica
alike, with no startup parameter. Where the role may not alter the database, the migration says so
and goes on: the operator can run the same statement (docs/operations.md).
"""

from django.db import migrations

FORWARD = """
DO $$
BEGIN
    EXECUTE format('ALTER DATABASE %I SET jit = off', current_database());
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'civicgrid: could not set jit = off on this database (not its owner); see docs/operations.md';
END
$$;
"""

BACKWARD = """
DO $$
BEGIN
    EXECUTE format('ALTER DATABASE %I RESET jit', current_database());
EXCEPTION WHEN insufficient_privilege THEN
    NULL;
END
$$;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(FORWARD)  # without arguments, so psycopg leaves format()'s %I to PL/pgSQL


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("core", "0004_outbox_dead_letters_and_leases")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
