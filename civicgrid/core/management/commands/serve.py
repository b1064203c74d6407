"""`civicgrid serve`: migrate, collect static files, start the worker and gunicorn."""

import os
import subprocess
import sys

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from civicgrid.core.startup import refuse_demo_secret_key

# Threads per gunicorn worker on PostgreSQL (CIVICGRID_WEB_THREADS). Fewer threads made the slowest
# requests faster while the database answered quickly, but with slow commits one thread per worker
# halved the rate (docs/decisions/0070): four keep the database's waits overlapped.
DEFAULT_THREADS = "4"


def gunicorn_command(bind: str, workers: int) -> list[str]:
    """gunicorn's command line. Without CIVICGRID_ACCESS_LOG no access log is configured at all:
    gunicorn then builds no log line (an access log to /dev/null still formats one per request)."""
    is_sqlite = settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "civicgrid.wsgi:application",
        "--bind",
        bind,
        "--workers",
        str(workers),
        "--threads",
        "1" if is_sqlite else os.environ.get("CIVICGRID_WEB_THREADS", DEFAULT_THREADS),
        "--timeout",
        "60",
    ]
    if os.environ.get("CIVICGRID_ACCESS_LOG"):
        cmd += ["--access-logfile", "-"]
    return cmd


class Command(BaseCommand):
    help = "Serve civicgrid with gunicorn (a real WSGI server) and run the background worker beside it."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("CIVICGRID_BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("CIVICGRID_WEB_WORKERS", "3")))
        parser.add_argument("--no-worker", action="store_true", help="Do not start the background worker.")

    def handle(self, *args, bind, workers, no_worker, **options):
        try:
            refuse_demo_secret_key()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        worker = None
        if not no_worker:
            worker = subprocess.Popen([sys.executable, "-m", "civicgrid.cli", "worker"])
        self.stdout.write(self.style.SUCCESS(f"civicgrid is serving on http://{bind}/  (Ctrl-C to stop)"))
        cmd = gunicorn_command(bind, workers)
        try:
            subprocess.call(cmd)
        except KeyboardInterrupt:
            pass
        finally:
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=10)
