from django.core.management.base import BaseCommand, CommandError

from civicgrid.areas.models import Area, Level
from civicgrid.cases import services


class Command(BaseCommand):
    help = "Look for concentrated problems (集中突出) now and propose them to the communities' branches (the worker does it every hour)."

    def add_arguments(self, parser):
        parser.add_argument("--community", help="the code of one community (default: every community)")

    def handle(self, *args, **options):
        community = None
        if options.get("community"):
            community = Area.objects.filter(code=options["community"], level=Level.COMMUNITY).first()
            if community is None:
                raise CommandError(f"No community has the code {options['community']!r}.")
        made = services.propose_clusters(community=community)
        for p in made:
            self.stdout.write(f"{p.community.name}: {p.cases.count()} reports · {p.theme}")
        self.stdout.write(f"{len(made)} new proposals")
