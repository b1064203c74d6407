import time

from django.core.management.base import BaseCommand

from civicgrid.cases import rollups


class Command(BaseCommand):
    help = (
        "Recompute the case figures' rollup tables from the cases (repair after a bug or a bulk load), "
        "a month per transaction; -v 2 shows each month."
    )

    def handle(self, *args, **options):
        def progress(month, cases, seconds):
            if options["verbosity"] >= 2:
                self.stdout.write(f"{month:%Y-%m}: {cases} cases in {seconds:.2f} s")

        started = time.perf_counter()
        n = rollups.rebuild(progress=progress)
        seconds = time.perf_counter() - started
        self.stdout.write(f"rollups rebuilt from {n} cases in {seconds:.1f} s")
