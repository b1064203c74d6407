"""The case table is partitioned by ranges of the case number on PostgreSQL (migration 0009): new cases
land in their range, the client key stays unique across every range (a side table a trigger fills),
ranges are made ahead of the sequence, and the conversion both ways keeps every case, key and link."""

import importlib

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from civicgrid.cases import partitions
from civicgrid.cases.models import Case

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="declarative partitioning is PostgreSQL's"),
]

conversion = importlib.import_module("civicgrid.cases.migrations.0009_leaner_case_indexes_and_partitions")


def where(case_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM cases_case WHERE id = %s", [case_id])
        return cursor.fetchone()[0]


def copy_with_id(case: Case, new_id: int, client_key: str | None) -> None:
    """Insert a copy of `case` under another number (the way a row lands in another range)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute "
            "WHERE attrelid = 'cases_case'::regclass AND attnum > 0 AND NOT attisdropped "
            "AND attname NOT IN ('id', 'client_key', 'follow_token_hash')"
        )
        columns = cursor.fetchone()[0]
        cursor.execute(
            f"INSERT INTO cases_case (id, client_key, follow_token_hash, {columns}) "
            f"SELECT %s, %s, md5(random()::text), {columns} FROM cases_case WHERE id = %s",
            [new_id, client_key, case.pk],
        )


@pytest.fixture
def sequence():
    """Leave the case sequence where it was (setval is not undone by the test's rollback)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_value, is_called FROM cases_case_id_seq1 -- the identity sequence migration 0009 made")
        saved = cursor.fetchone()
    yield
    with connection.cursor() as cursor:
        cursor.execute("SELECT setval('cases_case_id_seq1', %s, %s)", saved)


@pytest.mark.django_db
def test_a_new_case_lands_in_the_range_of_its_number(report):
    assert partitions.cases_enabled()
    case = report()
    assert where(case.pk) == f"cases_case_r{case.pk // partitions.CASE_RANGE:05d}"
    ranges = partitions.case_ranges()
    assert ranges[-1].name == "cases_case_default" and ranges[-1].first is None
    mine = next(r for r in ranges if r.first is not None and r.first <= case.pk < r.end)
    assert mine.reported_from <= case.reported_at <= mine.reported_to


@pytest.mark.django_db
def test_a_retried_report_makes_one_case_and_the_key_is_unique_across_ranges(report):
    first = report(client_key="k-1")
    again = report(client_key="k-1")
    assert again.pk == first.pk and Case.objects.filter(client_key=first.client_key).count() == 1
    # The same key under a number in another range is refused as well: the side table holds it.
    with pytest.raises(IntegrityError), transaction.atomic():
        copy_with_id(first, partitions.CASE_RANGE + 5, first.client_key)
    copy_with_id(first, partitions.CASE_RANGE + 6, "resident_app:k-2")
    assert where(partitions.CASE_RANGE + 6) == "cases_case_r00001"


@pytest.mark.django_db
def test_a_deleted_case_frees_its_key_and_a_changed_key_moves(report):
    case = report(client_key="k-3")
    key = case.client_key
    Case.objects.filter(pk=case.pk).update(client_key="resident_app:k-4")
    with connection.cursor() as cursor:
        cursor.execute("SELECT client_key FROM cases_case_client_key WHERE case_id = %s", [case.pk])
        assert cursor.fetchall() == [("resident_app:k-4",)]
    case.events.all().delete()
    Case.objects.filter(pk=case.pk).delete()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM cases_case_client_key WHERE case_id = %s", [case.pk])
        assert cursor.fetchone()[0] == 0
    assert report(client_key="k-4").pk != case.pk  # the key is free again
    assert report(client_key=key.split(":", 1)[1]).client_key == key


@pytest.mark.django_db
def test_ranges_are_made_ahead_of_the_sequence_and_never_over_caught_cases(report, sequence):
    case = report()
    assert partitions.ensure_case_ranges() == []  # the migration made them
    with connection.cursor() as cursor:
        cursor.execute("SELECT setval('cases_case_id_seq1', %s)", [2 * partitions.CASE_RANGE + 10])
    assert partitions.ensure_case_ranges() == ["cases_case_r00003", "cases_case_r00004"]
    assert partitions.ensure_case_ranges() == []
    # A number past every range lands in the default; no range is made over it, the next ones are.
    caught = 6 * partitions.CASE_RANGE + 7
    copy_with_id(case, caught, None)
    assert where(caught) == "cases_case_default"
    made = partitions.ensure_case_ranges()
    assert made == ["cases_case_r00005", "cases_case_r00007", "cases_case_r00008"]
    assert where(caught) == "cases_case_default"
    call_command("case_partitions", "--ensure")


@pytest.mark.django_db
def test_the_conversion_both_ways_keeps_every_case_key_and_link(report):
    keyed = report(client_key="k-5")
    merged = report()
    Case.objects.filter(pk=merged.pk).update(merged_into=keyed)
    events = keyed.events.count()
    with connection.cursor() as cursor:
        conversion._rebuild(cursor, partitioned=False)
        assert not partitions.cases_enabled()
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = 'cases_case'::regclass AND contype = 'u' ORDER BY 1"
        )
        assert [r[0] for r in cursor.fetchall()] == ["case_client_key_unique", "case_follow_token_unique"]
        conversion._rebuild(cursor, partitioned=True)
        assert partitions.cases_enabled()
        cursor.execute("SELECT client_key FROM cases_case_client_key WHERE case_id = %s", [keyed.pk])
        assert cursor.fetchall() == [(keyed.client_key,)]
        cursor.execute(
            "SELECT count(*) FROM pg_constraint WHERE confrelid = 'cases_case'::regclass "
            "AND conrelid = 'cases_caseevent'::regclass AND contype = 'f'"
        )
        assert cursor.fetchone()[0] == 1  # the history still refers to its case
    assert Case.objects.get(pk=merged.pk).merged_into_id == keyed.pk
    assert keyed.events.count() == events
    assert report().pk > merged.pk  # the sequence moved on with the rows


def test_the_command_refuses_where_cases_are_not_partitioned(monkeypatch):
    monkeypatch.setattr(partitions, "cases_enabled", lambda: False)
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("case_partitions")


def test_the_migration_and_the_worker_agree_on_the_size_of_a_range():
    assert conversion.RANGE_SIZE == partitions.CASE_RANGE
