"""civicgrid case_partitions [--ensure] [--archive K --to DIR] [--bring-back FILE]

Lists the case table's ranges of case numbers (PostgreSQL) with their estimated rows and the dates of
their first and last report; --ensure creates the ranges ahead (the worker does it daily); --archive
writes range K (its cases and every row that goes with them) to DIR/cases_case_rK.dump and takes it out
of the live tables; --bring-back puts an archived range back (cases/case_archive.py)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from civicgrid.cases import case_archive, partitions


def _day(moment) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d}" if moment else "-"


class Command(BaseCommand):
    help = "List or create ahead the case table's ranges of case numbers (PostgreSQL)."

    def add_arguments(self, parser):
        parser.add_argument("--ensure", action="store_true", help="create the ranges ahead")
        parser.add_argument(
            "--archive", type=int, metavar="K", help="archive range K (numbers from K×2,000,000)"
        )
        parser.add_argument("--to", type=Path, help="folder for the archive file")
        parser.add_argument("--bring-back", type=Path, metavar="FILE", help="put an archived range back")

    def handle(self, *args, ensure=False, archive=None, to=None, bring_back=None, **options):
        if not partitions.cases_enabled():
            raise CommandError(_("The case table is not partitioned on this database (PostgreSQL only)."))
        try:
            if archive is not None:
                if to is None:
                    raise CommandError(_("Say where the archive files go (--to DIR)."))
                entry = case_archive.archive_range(archive, to)
                self.stdout.write(f"{entry['range']}  {entry['file']}  sha256 {entry['sha256']}")
                for table, rows in sorted(entry["rows"].items()):
                    self.stdout.write(f"  {table:<40} {rows:>10}")
            if bring_back is not None:
                done = case_archive.bring_back(bring_back)
                self.stdout.write(_("brought back: %(range)s") % {"range": done["range"]})
                for table, rows in sorted(done["rows"].items()):
                    self.stdout.write(f"  {table:<40} {rows:>10}")
        except case_archive.ArchiveError as e:
            raise CommandError(str(e)) from None
        if ensure:
            made = partitions.ensure_case_ranges()
            self.stdout.write(_("created: %(names)s") % {"names": ", ".join(made) or "-"})
        for r in partitions.case_ranges():
            numbers = f"{r.first}–{r.end - 1}" if r.first is not None else pgettext("partition", "default")
            self.stdout.write(
                f"{r.name:<22} {numbers:>19} {r.rows:>10}  {_day(r.reported_from)} … {_day(r.reported_to)}"
            )
