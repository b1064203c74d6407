"""`civicgrid prune_outbox [--days N]`: delete outbox events done more than N days ago."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from civicgrid.core import outbox


class Command(BaseCommand):
    help = (
        "Delete outbox events that were done more than the retention period ago (pending events and "
        "dead letters are kept). The worker also does this every hour."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=outbox.RETENTION.days,
            help=f"Keep done events this many days (default {outbox.RETENTION.days}, "
            "CIVICGRID_OUTBOX_RETENTION_DAYS).",
        )

    def handle(self, *args: Any, days: int, **options: Any) -> None:
        if days < 0:
            self.stderr.write("--days must not be negative")
            raise SystemExit(2)
        removed = outbox.prune(retention=timedelta(days=days))
        self.stdout.write(f"deleted {removed} done outbox events older than {days} days")
