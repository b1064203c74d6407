"""After every step has written its history: on PostgreSQL, the year of demo history the loaders put in
the default partition moves into monthly partitions of its own, and the case table gets its ranges
ahead (cases/partitions.py), as a deployment's would day by day."""

from django.utils.translation import gettext as _

from civicgrid.cases import partitions
from civicgrid.demo.registry import DemoContext, register_step


def generate(ctx: DemoContext) -> None:
    with ctx.progress.phase(_("case history: monthly partitions")) as phase:
        phase.add("partitions", len(partitions.ensure()) + len(partitions.ensure_case_ranges()))


def cleanup(ctx: DemoContext) -> None:
    """Nothing to delete: the partitions are the table's; the cases step deletes the rows."""


register_step("history_partitions", generate, cleanup, order=900)
