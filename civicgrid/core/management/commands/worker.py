from django.core.management.base import BaseCommand

from civicgrid.core import outbox


class Command(BaseCommand):
    help = "Run the background worker: outbox events, deadline sweeps, escalations, rollups."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Process what is due now, then stop.")
        parser.add_argument("--poll", type=float, default=1.0, help="Seconds to sleep when idle.")

    def handle(self, *args, once=False, poll=1.0, **options):
        if once:
            n = outbox.drain()
            ran = outbox.run_periodic(force=True)
            self.stdout.write(f"processed {n} events; ran {len(ran)} periodic jobs")
            return
        self.stdout.write("civicgrid worker running (Ctrl-C to stop)")
        try:
            outbox.run_forever(poll=poll)
        except KeyboardInterrupt:
            pass
