"""Leaner indexes on the case table, then (PostgreSQL only) the table partitioned by ranges of the
case number.

Indexes: the lead department's own index goes (case_department_state leads with it), so does the top
category's (the rollups read it month by month) and the jurisdiction's pattern index; the reporter, the
account and the merge target, empty on most cases, are indexed only where set.

Partitioning: the case number comes from one sequence and grows with time, so ranges of it are ranges
of time, and it is the one key every other table refers to: a partitioned table's primary key must hold
its partition key, and Django and the twenty tables that refer to a case address it by id alone. Each
partition holds RANGE_SIZE numbers (cases/partitions.py keeps two empty ranges ahead and lists each
range's dates); a default partition catches any number past the last range. PostgreSQL allows a unique
index on a partitioned table only if it holds the partition key, so the client key (the retry key,
which must be unique across all cases) moves to a side table that a trigger fills in the same
statement (a second case with a taken key fails as before, with an IntegrityError), and the follow
token's index is kept per partition (a random token, or one derived from the unique client key).

Self-contained: it reads the table's own definitions and the foreign keys that point at it, recreates
them under the same names, copies the rows and moves the identity sequence on. It takes the table's
lock for the copy: on a large deployment run it in a maintenance window (docs/operations.md)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

TABLE = "cases_case"
KEYS = "cases_case_client_key"
RANGE_SIZE = 2_000_000
RANGES_AHEAD = 2
UNIQUE = {"case_client_key_unique": "client_key", "case_follow_token_unique": "follow_token_hash"}

KEY_TRIGGER = f"""
CREATE FUNCTION {KEYS}_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.client_key IS NOT NULL THEN
        DELETE FROM {KEYS} WHERE client_key = OLD.client_key AND case_id = OLD.id;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.client_key IS NOT NULL THEN
        INSERT INTO {KEYS} (client_key, case_id) VALUES (NEW.client_key, NEW.id);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER {KEYS}_insert AFTER INSERT ON {TABLE}
    FOR EACH ROW WHEN (NEW.client_key IS NOT NULL) EXECUTE FUNCTION {KEYS}_sync();
CREATE TRIGGER {KEYS}_change AFTER UPDATE OF client_key OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION {KEYS}_sync();
"""


def _definitions(cursor, table):
    """The table's indexes but its primary key, its own foreign keys, and the ones pointing at it."""
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
    own = cursor.fetchall()
    cursor.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE confrelid = %s::regclass AND conrelid <> confrelid AND contype = 'f' AND conparentid = 0",
        [table],
    )
    return indexes, own, cursor.fetchall()


def _columns(cursor, table):
    cursor.execute(
        "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute "
        "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
        [table],
    )
    return cursor.fetchone()[0]


def _rebuild(cursor, *, partitioned: bool) -> None:
    """Move the rows into a new table under the old name: partitioned by id ranges, or plain again."""
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred checks pending on the table it drops
    indexes, own, incoming = _definitions(cursor, TABLE)
    columns = _columns(cursor, TABLE)
    cursor.execute(f"SELECT max(id) FROM {TABLE}")
    max_id = cursor.fetchone()[0] or 0
    for table, name, _ in incoming:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    old = f"{TABLE}_old"
    cursor.execute(f"ALTER TABLE {TABLE} RENAME TO {old}")
    cursor.execute(f'ALTER INDEX "{TABLE}_pkey" RENAME TO "{TABLE}_pkey_old"')
    for name, _ in indexes:
        cursor.execute(f'ALTER INDEX "{name}" RENAME TO "{name[:50]}_old"')
    for name, _ in own:
        cursor.execute(f'ALTER TABLE {old} RENAME CONSTRAINT "{name}" TO "{name[:50]}_old"')
    how = "PARTITION BY RANGE (id)" if partitioned else ""
    cursor.execute(
        f"CREATE TABLE {TABLE} (LIKE {old} INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING STORAGE "
        f"INCLUDING CONSTRAINTS) {how}"
    )
    cursor.execute(f'ALTER TABLE {TABLE} ADD CONSTRAINT "{TABLE}_pkey" PRIMARY KEY (id)')
    for name, ddl in indexes:
        ddl = ddl.replace(" ON ONLY ", " ON ")
        if partitioned and name in UNIQUE:
            if name == "case_client_key_unique":
                continue  # the side table holds it
            ddl = ddl.replace("CREATE UNIQUE INDEX", "CREATE INDEX")
        if not partitioned and name == "case_client_key_lookup":
            continue  # the unique constraint serves the look-up again
        cursor.execute(ddl)
    if partitioned:
        # Looking a retry up by its key: per partition, and only the rows that have one.
        cursor.execute(f"CREATE INDEX case_client_key_lookup ON {TABLE} (client_key) WHERE client_key IS NOT NULL")
        cursor.execute(f"CREATE TABLE {TABLE}_default PARTITION OF {TABLE} DEFAULT")
        for k in range(max_id // RANGE_SIZE + 1 + RANGES_AHEAD):
            cursor.execute(
                f"CREATE TABLE {TABLE}_r{k:05d} PARTITION OF {TABLE} FOR VALUES FROM (%s) TO (%s)",
                [k * RANGE_SIZE, (k + 1) * RANGE_SIZE],
            )
        cursor.execute(
            f"CREATE TABLE {KEYS} (client_key varchar(80) PRIMARY KEY, case_id bigint NOT NULL)"
        )
        cursor.execute(KEY_TRIGGER)
    else:
        cursor.execute(f"DROP TABLE IF EXISTS {KEYS}")
        cursor.execute(f"DROP FUNCTION IF EXISTS {KEYS}_sync() CASCADE")
        for name, column in UNIQUE.items():
            cursor.execute(f"DROP INDEX IF EXISTS {name}")
            cursor.execute(f'ALTER TABLE {TABLE} ADD CONSTRAINT "{name}" UNIQUE ({column})')
    for name, definition in own:
        cursor.execute(f'ALTER TABLE {old} DROP CONSTRAINT "{name[:50]}_old"')
        cursor.execute(f'ALTER TABLE {TABLE} ADD CONSTRAINT "{name}" {definition}')
    cursor.execute(f"INSERT INTO {TABLE} ({columns}) SELECT {columns} FROM {old}")
    cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, false)", [TABLE, max_id + 1])
    cursor.execute(f"DROP TABLE {old}")
    for table, name, definition in incoming:
        cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    cursor.execute(f"ANALYZE {TABLE}")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            _rebuild(cursor, partitioned=True)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            _rebuild(cursor, partitioned=False)


class Migration(migrations.Migration):

    dependencies = [
        ('areas', '0001_initial'),
        ('cases', '0008_triage_place'),
        ('people', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='case',
            name='department',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='lead_cases', to='people.department', verbose_name='lead department'),
        ),
        migrations.AlterField(
            model_name='case',
            name='jurisdiction',
            field=models.CharField(max_length=12, verbose_name='jurisdiction'),
        ),
        migrations.AlterField(
            model_name='case',
            name='merged_into',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='duplicates', to='cases.case', verbose_name='merged into'),
        ),
        migrations.AlterField(
            model_name='case',
            name='reporter',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='cases', to='people.resident', verbose_name='reporting resident'),
        ),
        migrations.AlterField(
            model_name='case',
            name='reporter_user',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='reported_cases', to=settings.AUTH_USER_MODEL, verbose_name='reported by'),
        ),
        migrations.AlterField(
            model_name='case',
            name='top_category',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='cases.category', verbose_name='top category'),
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(fields=['jurisdiction'], name='case_jurisdiction'),
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(condition=models.Q(('reporter_user__isnull', False)), fields=['reporter_user'], name='case_reporter_user'),
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(condition=models.Q(('reporter__isnull', False)), fields=['reporter'], name='case_reporter'),
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(condition=models.Q(('merged_into__isnull', False)), fields=['merged_into'], name='case_merged_into'),
        ),
        migrations.RunPython(forwards, backwards),
    ]
