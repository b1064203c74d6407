from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from civicgrid.mediation import rollups


class Command(BaseCommand):
    help = "Recompute the mediation figures' rollup tables from the disputes."

    def handle(self, *args, **options):
        n = rollups.rebuild()
        self.stdout.write(_("%(n)s rollup rows rebuilt.") % {"n": n})
