"""civicgrid case_partitions [--ensure]

Lists the case table's ranges of case numbers (PostgreSQL) with their estimated rows and the dates of
their first and last report; --ensure creates the ranges ahead (the worker does it daily)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from civicgrid.cases import partitions


def _day(moment) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d}" if moment else "-"


class Command(BaseCommand):
    help = "List or create ahead the case table's ranges of case numbers (PostgreSQL)."

    def add_arguments(self, parser):
        parser.add_argument("--ensure", action="store_true", help="create the ranges ahead")

    def handle(self, *args, ensure=False, **options):
        if not partitions.cases_enabled():
            raise CommandError(_("The case table is not partitioned on this database (PostgreSQL only)."))
        if ensure:
            made = partitions.ensure_case_ranges()
            self.stdout.write(_("created: %(names)s") % {"names": ", ".join(made) or "-"})
        for r in partitions.case_ranges():
            numbers = f"{r.first}–{r.end - 1}" if r.first is not None else pgettext("partition", "default")
            self.stdout.write(
                f"{r.name:<22} {numbers:>19} {r.rows:>10}  {_day(r.reported_from)} … {_day(r.reported_to)}"
            )
