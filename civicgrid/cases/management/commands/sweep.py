from django.core.management.base import BaseCommand

from civicgrid.cases import rollups, sweeps


class Command(BaseCommand):
    help = "Run the deadline sweep once now (the worker runs it every minute), then add pending rollups."

    def handle(self, *args, **options):
        counts = sweeps.sweep()
        n = rollups.process_pending()
        self.stdout.write(", ".join(f"{k} {v}" for k, v in counts.items()) + f"; rolled up {n} events")
