"""`civicgrid demo [--scale tiny|small|medium|city] [--rebuild] [--seed N]`

Generates the synthetic demo city and the steps other apps register (registry.py), or reuses
what is already there; prints the demo accounts at the end either way.
"""

from __future__ import annotations

import json
import os
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid.areas.models import Area
from civicgrid.core import caches
from civicgrid.demo import registry
from civicgrid.demo.accounts import account_table
from civicgrid.demo.city import DEFAULT_SCALE, DEFAULT_SEED, SCALES
from civicgrid.demo.models import DemoRun


class Command(BaseCommand):
    help = "Generate the synthetic demo city (or reuse the one in the database) and print the demo accounts."

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            choices=[*SCALES, "province"],
            default=DEFAULT_SCALE,
            help="tiny (tests), small (a street, 40 grids), medium (a district, 300 grids), "
            "city (10,000 grids, 3 million households; meant for PostgreSQL), province (11 cities, "
            "85,000 grids, five years of cases; PostgreSQL only). Default: small.",
        )
        parser.add_argument(
            "--rebuild",
            action="store_true",
            help="Delete the demo data (all areas, people, Party data and the demo accounts) and generate it again.",
        )
        parser.add_argument(
            "--seed", type=int, default=DEFAULT_SEED, help="Random seed (same seed, same city)."
        )
        parser.add_argument(
            "--fraction",
            type=float,
            default=1.0,
            help="Province scale: load this share of the province (streets, grids and cases). Default: 1.",
        )
        parser.add_argument(
            "--years", type=float, default=5.0, help="Province scale: years of cases to load. Default: 5."
        )
        parser.add_argument(
            "--cases-per-year",
            type=int,
            help="Province scale: cases per year (default: 12 million × the fraction).",
        )
        parser.add_argument(
            "--months",
            type=int,
            help="Province scale: load at most this many months in this run (a later run goes on).",
        )
        parser.add_argument(
            "--jobs",
            type=int,
            default=os.cpu_count() or 1,
            metavar="N",
            help=gettext_lazy(
                "Province scale: database connections working at once (months, index builds, rollup "
                "months). Default: the number of CPUs, %(default)s here."
            ),
        )
        parser.add_argument("--timings", metavar="FILE", help="Also write the phase timings as JSON to FILE.")
        parser.add_argument(
            "--only",
            metavar="STEP",
            action="append",
            help="Generate only these registered steps (repeatable; e.g. --only city). A later run "
            "without --only adds the others.",
        )

    def handle(self, *args, scale, rebuild, seed, timings, only, **options):
        started = time.perf_counter()
        if scale == "province" or (not rebuild and getattr(DemoRun.objects.order_by("pk").first(), "scale", "") == "province"):
            return self.province(scale, rebuild, seed, timings, options)
        progress = registry.Progress(self.line)
        steps = registry.steps()
        unknown = set(only or ()) - {s.name for s in steps}
        if unknown:
            raise CommandError(
                _("Unknown demo step %(names)s; the steps are: %(steps)s.")
                % {"names": ", ".join(sorted(unknown)), "steps": ", ".join(s.name for s in steps)}
            )
        run = DemoRun.objects.order_by("pk").first()

        if rebuild:
            ctx = registry.DemoContext(SCALES[run.scale if run else scale], seed, progress, self.line)
            self.line(_("Deleting the demo data …"))
            for step in reversed(steps):
                with transaction.atomic():
                    step.cleanup(ctx)
            DemoRun.objects.all().delete()
            caches.clear_all()
            run = None
        elif run is None and Area.objects.exists():
            raise CommandError(
                _(
                    "This database holds areas that the demo did not generate. `civicgrid demo --rebuild` "
                    "would delete all areas, people and Party data; run it only if that is what you want."
                )
            )

        if run is None:
            run = DemoRun.objects.create(scale=scale, seed=seed)
            self.line(
                _("Generating the demo city at scale %(scale)s (seed %(seed)s) …")
                % {"scale": scale, "seed": seed}
            )
        elif set(run.steps) >= {s.name for s in steps if not only or s.name in only}:
            self.line(
                _(
                    "Reusing the demo city generated on %(date)s (scale %(scale)s, seed %(seed)s); "
                    "`civicgrid demo --rebuild` generates it again."
                )
                % {
                    "date": timezone.localtime(run.started_at).strftime("%Y-%m-%d %H:%M"),
                    "scale": run.scale,
                    "seed": run.seed,
                }
            )
        elif run.scale != scale:
            self.line(
                _("The demo city exists at scale %(scale)s; adding the missing steps at that scale.")
                % {"scale": run.scale}
            )

        ctx = registry.DemoContext(SCALES[run.scale], run.seed, progress, self.line)
        for step in steps:
            if step.name in run.steps or (only and step.name not in only):
                continue
            # The steps write in bulk (COPY, raw deletes): no signal tells this process's caches
            # (grid and address indexes, catalogues) that the rows they hold have changed.
            caches.clear_all()
            with transaction.atomic():
                step.generate(ctx)
                run.steps = [*run.steps, step.name]
                run.save(update_fields=["steps"])
        if run.finished_at is None or progress.phases:
            run.finished_at = timezone.now()
            run.save(update_fields=["finished_at"])
        if progress.phases and connection.vendor == "postgresql":
            with progress.phase(_("planner statistics (ANALYZE)")) as phase, connection.cursor() as cursor:
                cursor.execute("ANALYZE")
                phase.add(_("tables"), len(connection.introspection.table_names(cursor)))

        total = time.perf_counter() - started
        if progress.phases:
            self.line(_("Done in %(seconds).1f s.") % {"seconds": total})
        if timings:
            with open(timings, "w", encoding="utf-8") as fh:
                json.dump(
                    {"scale": run.scale, "total_seconds": round(total, 3), "phases": progress.report()},
                    fh,
                    indent=2,
                )
        self.line("")
        self.line(_("Demo accounts (one password for all):"))
        self.line(account_table())

    def province(self, scale, rebuild, seed, timings, options) -> None:
        from civicgrid.demo import province

        province.refuse_unless_postgresql()
        if rebuild:
            self.line(_("Deleting the demo data …"))
            province.delete_all()
        if options["jobs"] < 1:
            raise CommandError(_("--jobs must be at least 1."))
        size = province.Size(options["fraction"], options["years"], options["cases_per_year"])
        figures = province.load(self.line, size, seed, stop_after=options["months"], jobs=options["jobs"])
        if timings:
            with open(timings, "w", encoding="utf-8") as fh:
                json.dump({"scale": "province", **figures}, fh, indent=2)

    def line(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()
