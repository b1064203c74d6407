"""Running behind a connection pooler in transaction mode (CIVICGRID_DB_POOLER=pgbouncer).

There, each transaction of a Django connection may run on another server connection, so nothing
may rely on session state: settings turn off server-side cursors and prepared statements, and the
few jobs that need a session of their own (temporary tables kept across transactions) call
`require_session()` first, which refuses to run them through the pooler with a message that says
what to do instead. See docs/operations.md "Connection pooling".
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def behind_transaction_pooler() -> bool:
    return getattr(settings, "CIVICGRID_DB_POOLER", "") == "pgbouncer"


def require_session(what: str) -> None:
    """Refuse to run `what` (which keeps session state across transactions) through the pooler."""
    if behind_transaction_pooler():
        raise ImproperlyConfigured(
            f"{what} keeps temporary tables across transactions, which a pooler in transaction mode "
            "cannot give it: run it with CIVICGRID_DATABASE_URL pointing at PostgreSQL itself and "
            "CIVICGRID_DB_POOLER unset (as the worker, migrations, backups and the demo are run)."
        )
