"""`civicgrid export areas --root CODE -o FILE.geojson` ·
`civicgrid export households --root CODE -o FILE.csv|FILE.xlsx`

Writes the formats that `civicgrid import` reads (an export imports again unchanged). Without
-o (or with -o -), GeoJSON and CSV go to standard output.
"""

import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from civicgrid.areas.exporters import export_areas, export_households, write_household_csv
from civicgrid.areas.models import Area


class Command(BaseCommand):
    help = "Export areas (GeoJSON) or buildings, units and households (CSV or Excel .xlsx) under an area."

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["areas", "households"])
        parser.add_argument(
            "--root", required=True, metavar="CODE", help="code of the area to export (with all below it)"
        )
        parser.add_argument(
            "-o", "--output", default="-", help="output file (.geojson, .csv or .xlsx); - for stdout"
        )
        parser.add_argument(
            "--format", choices=["csv", "xlsx"], help="households only; default: from the file name"
        )

    def handle(self, *args, what, root, output, format, **options):
        area = Area.objects.filter(code=root).first()
        if area is None:
            raise CommandError(_("No area has the code %(code)s.") % {"code": root})
        to_stdout = output == "-"

        def progress(message):
            if not to_stdout:
                self.stdout.write("  … " + message)

        try:
            if what == "areas":
                if to_stdout:
                    count = export_areas(area, sys.stdout, progress=progress)
                else:
                    with open(output, "w", encoding="utf-8") as fh:
                        count = export_areas(area, fh, progress=progress)
            elif to_stdout:
                if format == "xlsx":
                    raise CommandError(_("An Excel file needs -o FILE.xlsx."))
                count = write_household_csv(area, sys.stdout)
            else:
                count = export_households(area, output, fmt=format, progress=progress)
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        if not to_stdout:
            self.stdout.write(
                _("Wrote %(count)s %(what)s to %(file)s.")
                % {
                    "count": f"{count:,}",
                    "what": _("areas") if what == "areas" else _("rows"),
                    "file": output,
                }
            )
