"""A full range of case numbers whose cases are all closed is archived to a pg_dump file with every row
that goes with its cases (what the models' on_delete says), and brought back unchanged; an open case or
a row that must keep its case (PROTECT) refuses it and nothing changes."""

import subprocess
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import translation

from civicgrid.cases import case_archive, partitions
from civicgrid.cases.models import Case, CaseEvent, ClusterProposal
from civicgrid.core.models import AuditEntry
from tests.cases.test_case_partitions import copy_with_id

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="declarative partitioning is PostgreSQL's"),
]


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def sequence():
    """Leave the case sequence where it was (setval outlives the test)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence('cases_case', 'id')")
        name = cursor.fetchone()[0]
        cursor.execute(f"SELECT last_value, is_called FROM {name}")
        saved = cursor.fetchone()
    yield
    with connection.cursor() as cursor:
        cursor.execute("SELECT setval(%s, %s, %s)", [name, *saved])


def snapshot(ids):
    return {
        "cases": list(Case.objects.filter(pk__in=ids).order_by("pk").values()),
        "events": list(CaseEvent.objects.filter(case_id__in=ids).order_by("pk").values()),
    }


def test_every_table_that_refers_to_cases_is_known_with_its_rule():
    found = {(link.table, link.column): link.on_delete for link in case_archive.links()}
    assert found[("cases_caseevent", "case_id")] == "CASCADE"
    assert found[("cases_case", "merged_into_id")] == "PROTECT"
    assert found[("fieldwork_errandstep", "errand_id")] == "CASCADE"  # two steps down
    assert found[("cases_clusterproposal", "concentrated_case_id")] == "SET_NULL"
    places = [link.place for link in case_archive.links()]
    assert len(places) == len(set(places)) and all(
        link.target < link.place for link in case_archive.links()
    )  # parents first


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_closed_range_is_archived_and_brought_back(report, city, cats, tmp_path, sequence, monkeypatch):
    first, second = report(client_key="retry-key-1"), report()
    ids = [first.pk, second.pk]
    proposal = ClusterProposal.objects.create(
        community=city.community,
        path=city.community.path,
        jurisdiction=city.community.jurisdiction,
        category=cats.parking,
        theme="停车",
        signature="s1",
        concentrated_case=first,
    )
    proposal.cases.set([first, second])
    copy_with_id(second, partitions.CASE_RANGE + 5, None)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('cases_case', 'id'), %s)", [partitions.CASE_RANGE + 5]
        )
    # range 1 begun: range 0 is full
    partitions.ensure_case_ranges()

    with pytest.raises(case_archive.ArchiveError, match="still open"):
        case_archive.archive_range(0, tmp_path)
    Case.objects.filter(pk__in=ids).update(state="closed")
    Case.objects.filter(pk=partitions.CASE_RANGE + 5).update(merged_into=first)
    with pytest.raises(case_archive.ArchiveError, match="cases_case"):
        case_archive.archive_range(0, tmp_path)  # a case of range 1 was merged into one of range 0
    assert Case.objects.filter(pk__in=ids).count() == 2 and not list(tmp_path.iterdir())
    Case.objects.filter(pk=partitions.CASE_RANGE + 5).update(merged_into=None)
    with pytest.raises(case_archive.ArchiveError, match="still being filled"):
        case_archive.archive_range(1, tmp_path)

    # A case rated while its range is being written out: the archive is refused and the rating kept.
    dump = case_archive._dump

    def dump_then_rate(k, path):
        dump(k, path)
        Case.objects.filter(pk=second.pk).update(rating="satisfied")

    monkeypatch.setattr(case_archive, "_dump", dump_then_rate)
    with pytest.raises(case_archive.ArchiveError, match="changed while"):
        case_archive.archive_range(0, tmp_path / "refused")
    monkeypatch.setattr(case_archive, "_dump", dump)
    assert Case.objects.get(pk=second.pk).rating == "satisfied"
    assert "cases_case_r00000" in {r.name for r in partitions.case_ranges()}

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM cases_case_client_key WHERE case_id = %s", [first.pk])
        assert cursor.fetchone()[0] == 1
    before = snapshot(ids)
    assert before["events"]
    out = call_command_out("case_partitions", "--archive", "0", "--to", str(tmp_path))
    assert "cases_case_r00000" in out and "cases_caseevent" in out
    dump = tmp_path / "cases_case_r00000.dump"
    listed = subprocess.run(["pg_restore", "--list", str(dump)], capture_output=True, text=True, check=True)
    assert "arc00000_00" in listed.stdout
    assert (
        not Case.objects.filter(pk__in=ids).exists()
        and not CaseEvent.objects.filter(case_id__in=ids).exists()
    )
    assert "cases_case_r00000" not in {r.name for r in partitions.case_ranges()}
    proposal.refresh_from_db()
    assert proposal.concentrated_case_id is None and not proposal.cases.exists()
    entry = AuditEntry.objects.get(action="cases.range_archived")
    assert entry.subject_id == "cases_case_r00000" and entry.after["rows"]["cases_case"] == 2
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_class WHERE relname LIKE 'arc00000%%'")
        assert cursor.fetchone()[0] == 0  # the copies are gone
        cursor.execute("SELECT count(*) FROM cases_case_client_key WHERE case_id = %s", [first.pk])
        assert cursor.fetchone()[0] == 0

    out = call_command_out("case_partitions", "--bring-back", str(dump))
    assert "cases_case_r00000" in out
    assert snapshot(ids) == before
    proposal.refresh_from_db()
    assert proposal.concentrated_case_id == first.pk and set(
        proposal.cases.values_list("pk", flat=True)
    ) == set(ids)
    with connection.cursor() as cursor:
        cursor.execute("SELECT client_key FROM cases_case_client_key WHERE case_id = %s", [first.pk])
        assert cursor.fetchone() == ("resident_app:retry-key-1",)  # the retry key holds again
    assert AuditEntry.objects.filter(action="cases.range_brought_back").count() == 1
    with pytest.raises(CommandError, match="already here"):
        call_command("case_partitions", "--bring-back", str(dump))


def call_command_out(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()
