"""civicgrid history_partitions [--ensure] [--archive-before YYYY-MM --to DIR [--keep]]

Lists the case history's monthly partitions (PostgreSQL) with their estimated rows; --ensure creates the months
ahead (the worker does it daily); --archive-before writes every month before the given one to
DIR/NAME.dump with pg_dump, checks the file and drops the partition (--keep leaves it detached)."""

from datetime import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from civicgrid.cases import partitions


class Command(BaseCommand):
    help = "List, create ahead, or archive the case history's monthly partitions (PostgreSQL)."

    def add_arguments(self, parser):
        parser.add_argument("--ensure", action="store_true", help="create the months ahead")
        parser.add_argument("--archive-before", metavar="YYYY-MM", help="archive every month before this one")
        parser.add_argument("--to", type=Path, help="folder for the archive files")
        parser.add_argument("--keep", action="store_true", help="detach and dump, but do not drop")

    def handle(self, *args, ensure=False, archive_before=None, to=None, keep=False, **options):
        if not partitions.enabled():
            raise CommandError(_("The case history is not partitioned on this database (PostgreSQL only)."))
        if ensure:
            made = partitions.ensure()
            self.stdout.write(_("created: %(names)s") % {"names": ", ".join(made) or "-"})
        if archive_before:
            if to is None:
                raise CommandError(_("Say where the archive files go (--to DIR)."))
            try:
                before = datetime.strptime(archive_before, "%Y-%m").date()
            except ValueError:
                raise CommandError(_("--archive-before takes a month as YYYY-MM.")) from None
            try:
                done = partitions.archive(before, to, drop=not keep)
            except partitions.PartitionError as e:
                raise CommandError(str(e)) from None
            for entry in done:
                self.stdout.write(
                    f"{entry['month']}  {entry['rows']:>10}  {entry['file']}  sha256 {entry['sha256']}"
                )
            if not done:
                self.stdout.write(_("No month before %(month)s to archive.") % {"month": archive_before})
        for p in partitions.partitions():
            month = f"{p.start:%Y-%m}" if p.start else pgettext("partition", "default")
            self.stdout.write(f"{p.name:<32} {month:>8} {p.rows:>10}")
