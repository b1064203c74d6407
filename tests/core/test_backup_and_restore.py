"""`civicgrid backup` then `civicgrid restore` gives back the database as it was: every table's row
count and checksum equal the backup's manifest (SQLite online backup; pg_dump/pg_restore)."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from civicgrid.core import backup
from civicgrid.core.models import AccessLog
from civicgrid.people.models import Resident


@pytest.fixture
def data(people):
    AccessLog.objects.create(
        user=people.grid_worker, subject_type="people.resident", subject_id="1", fields="phone", reason="走访"
    )
    return people


# serialized_rollback: the flush after this test must leave the tables empty (no post_migrate rows),
# or the next serialized-rollback test (the PostgreSQL races) cannot load its rows back
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_restore_brings_back_every_row_and_the_checksums_match(data, tmp_path):
    if connection.vendor == "postgresql" and not backup.shutil.which("pg_dump"):
        pytest.skip("postgresql-client is not installed")
    target = tmp_path / "civicgrid.backup"
    out = StringIO()
    call_command("backup", str(target), stdout=out)
    manifest = json.loads(backup.manifest_path(target).read_text())
    assert manifest["tables"]["people_resident"][0] == Resident.objects.count() == 1
    assert manifest["tables"]["core_accesslog"][0] == 1
    before = backup.table_checksums()
    assert {t: v for t, v in before.items() if t in manifest["tables"]} == manifest["tables"]

    # Damage: a resident and the access log gone (the log refuses deletes through the application,
    # so the damage comes from outside it), a stranger's row added.
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_accesslog")
    Resident.objects.all().delete()
    from civicgrid.people.services import create_user

    create_user("intruder", "pw")
    assert backup.table_checksums() != before

    out = StringIO()
    call_command("restore", str(target), "--yes", stdout=out)
    assert "checksums match the manifest" in out.getvalue()
    assert backup.table_checksums() == before
    assert Resident.objects.get().name == "张晓明"
    assert AccessLog.objects.count() == 1


# serialized_rollback: the flush after this test must leave the tables empty (no post_migrate rows),
# or the next serialized-rollback test (the PostgreSQL races) cannot load its rows back
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_damaged_backup_file_is_refused_by_its_manifest(data, tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("the manifest check of a tampered file is shown on SQLite")
    target = tmp_path / "civicgrid.backup"
    call_command("backup", str(target), stdout=StringIO())
    import sqlite3

    with sqlite3.connect(target) as db:
        db.execute("UPDATE people_resident SET phone = '13900000000'")
    with pytest.raises(Exception, match="differ from the backup's manifest"):
        call_command("restore", str(target), "--yes", stdout=StringIO())


def test_a_restore_without_the_file_says_so(db, tmp_path):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="no such backup"):
        call_command("restore", str(tmp_path / "missing"), "--yes")
