from django.core.management.base import BaseCommand

from civicgrid.cases import rollups


class Command(BaseCommand):
    help = "Recompute the case figures' rollup tables from the cases (repair after a bug or a bulk load)."

    def handle(self, *args, **options):
        n = rollups.rebuild()
        self.stdout.write(f"rollups rebuilt from {n} cases")
