"""`civicgrid restore FILE`: replace the database with a backup and check every table against its manifest."""

from django.core.management.base import BaseCommand, CommandError

from civicgrid.core import backup


class Command(BaseCommand):
    help = "Restore the database from FILE (made by `civicgrid backup`) and verify row counts and checksums."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--yes", action="store_true", help="do not ask before replacing the database")

    def handle(self, *args, file, yes, **options):
        if (
            not yes
            and input("This replaces every row of the database. Type 'yes' to go on: ").strip() != "yes"
        ):
            raise CommandError("not restored")
        try:
            result = backup.restore(file)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(count for count, _ in result["tables"].values())
        checked = (
            "row counts and checksums match the manifest" if result["checked"] else "no manifest to check"
        )
        self.stdout.write(f"restored {len(result['tables'])} tables, {rows:,} rows from {file}; {checked}")
