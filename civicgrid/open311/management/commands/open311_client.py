"""`civicgrid open311_client`: issue, rotate or revoke an Open311 API key from the command line
(the same services as the admin's form and actions). A new key is printed once."""

from django.core.management.base import BaseCommand, CommandError

from civicgrid.open311 import services
from civicgrid.open311.models import ApiClient


class Command(BaseCommand):
    help = "Issue an Open311 API key for a new client, or rotate / revoke the key of an existing one."

    def add_arguments(self, parser):
        parser.add_argument("name", help="The client's name (an app, a hotline system, …).")
        parser.add_argument("--contact", default="", help="Who to call about this client.")
        parser.add_argument(
            "--jurisdiction",
            action="append",
            default=[],
            help="A district code the client may post to (repeat for several; none: all).",
        )
        parser.add_argument("--rate", type=int, default=60, help="Requests per minute (default 60).")
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--rotate", action="store_true", help="Issue a new key for the existing client.")
        group.add_argument("--revoke", action="store_true", help="Revoke the existing client's key.")

    def handle(self, *args, name, contact, jurisdiction, rate, rotate, revoke, **options):
        if rotate or revoke:
            client = ApiClient.objects.filter(name=name).order_by("-created_at").first()
            if client is None:
                raise CommandError(f"No Open311 client is named {name!r}.")
            if revoke:
                services.revoke(client)
                self.stdout.write(f"revoked the key {client.key_prefix}… of {client.name}")
                return
            key = services.issue_key(client)
        else:
            client, key = services.create_client(
                name=name, contact=contact, jurisdiction_ids=jurisdiction, rate_limit_per_minute=rate
            )
        # The key alone on stdout (scripts capture it); what it is on stderr.
        self.stderr.write(f"API key of {client.name} (shown once; stored hashed):")
        self.stdout.write(key)
