"""`civicgrid import areas FILE.geojson` · `civicgrid import households FILE.csv|FILE.xlsx`

Validates the whole file first: with one bad row nothing is imported and every bad row is listed
(row, column, reason). See civicgrid/areas/importers.py for the formats.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from civicgrid.areas.importers import ImportRejected, import_areas, import_households, write_error_report
from civicgrid.areas.models import Level

# More errors than this are written to a CSV report rather than all printed.
SHOWN_ERRORS = 200


def label(kind: str) -> str:
    """What was counted, in words: an area level, households or compounds."""
    if kind in Level.values:
        return str(Level(kind).label)
    return {"household": _("households"), "compound": _("compounds")}.get(kind, kind)


class Command(BaseCommand):
    help = "Import areas (GeoJSON) or buildings, units and households (CSV or Excel .xlsx)."

    def add_arguments(self, parser):
        parser.add_argument(
            "what", choices=["areas", "households"], help="areas: GeoJSON; households: CSV or .xlsx"
        )
        parser.add_argument("file", help="the file to import")
        parser.add_argument(
            "--format", choices=["csv", "xlsx"], help="households only; default: from the file name"
        )
        parser.add_argument(
            "--report",
            metavar="FILE.csv",
            help=f"write every error (row, column, reason) to this CSV file; with more than {SHOWN_ERRORS} "
            f"errors this is done anyway (next to the input) and only the first {SHOWN_ERRORS} are printed",
        )

    def handle(self, *args, what, file, format, report, **options):
        def progress(message):
            self.stdout.write("  … " + message)
            self.stdout.flush()

        try:
            if what == "areas":
                result = import_areas(file, progress=progress)
            else:
                result = import_households(file, fmt=format, progress=progress)
        except ImportRejected as rejected:
            self.stderr.write(_("Nothing was imported. Rows with errors:"))
            errors = rejected.errors
            report_path = report or (f"{file}.errors.csv" if len(errors) > SHOWN_ERRORS else None)
            for error in errors[:SHOWN_ERRORS] if report_path else errors:
                self.stderr.write("  " + str(error))
            if report_path:
                write_error_report(errors, report_path)
                self.stderr.write(
                    _("All %(count)s errors, one per line, are in %(file)s.")
                    % {"count": f"{len(errors):,}", "file": report_path}
                )
            raise CommandError(
                _("%(count)s errors in %(rows)s rows; fix them and import the whole file again.")
                % {"count": len(rejected.errors), "rows": len({e.row for e in rejected.errors})}
            ) from None
        except OSError as exc:
            raise CommandError(str(exc)) from None
        created = ", ".join(f"{label(k)} {v:,}" for k, v in result.created.items() if v) or "0"
        self.stdout.write(_("Imported: %(created)s.") % {"created": created})
        existing = ", ".join(f"{label(k)} {v:,}" for k, v in result.existing.items() if v)
        if existing:
            self.stdout.write(
                _("Already present and left as they were: %(existing)s.") % {"existing": existing}
            )
