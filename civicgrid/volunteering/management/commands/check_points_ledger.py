"""`civicgrid check_points_ledger`: verify the points ledger from its entries (exit 1 on a problem)."""

from django.core.management.base import BaseCommand, CommandError

from civicgrid.volunteering import ledger


class Command(BaseCommand):
    help = "Check that every transaction and the whole ledger sum to zero and every cached balance matches."

    def handle(self, *args, **options):
        problems = ledger.check()
        for p in problems:
            self.stdout.write(f"{p.what}: {p.detail}")
        if problems:
            raise CommandError(f"{len(problems)} problem(s) in the points ledger")
        self.stdout.write("points ledger: sound")
