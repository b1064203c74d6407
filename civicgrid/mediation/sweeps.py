"""The mediation sweep, run by `civicgrid worker` every minute: reminders and escalation
(services.sweep; notifications follow from its outbox rows, notify.py)."""

from civicgrid.core import outbox

from . import services

SWEEP_SECONDS = 60


@outbox.periodic(SWEEP_SECONDS, name="mediation.sweep")
def run_sweep():
    return services.sweep()
