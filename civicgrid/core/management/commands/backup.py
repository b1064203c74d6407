"""`civicgrid backup FILE`: the whole database into one file, with a manifest of row counts and checksums."""

from django.core.management.base import BaseCommand, CommandError

from civicgrid.core import backup


class Command(BaseCommand):
    help = (
        "Back up the database to FILE (SQLite online backup or pg_dump) with a checksum manifest beside it."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **options):
        try:
            manifest = backup.backup(file)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(count for count, _ in manifest["tables"].values())
        self.stdout.write(f"backed up {len(manifest['tables'])} tables, {rows:,} rows to {file}")
        self.stdout.write(f"manifest: {backup.manifest_path(backup.Path(file))}")
