"""Read replicas: figures and public pages read from a streaming replica, everything else from the primary.

Set `CIVICGRID_REPLICA_URL` (a hot standby of the primary) and settings add the database alias
`replica` and this router. Nothing reads from the replica unless all of these hold:

- the request is a GET or HEAD to a view declared `@replica_reads` (figures pages, the problem wall,
  the public case pages, Open311 reads; the middleware below marks the request through a contextvar:
  the worker, the CLI and every other view never read from it);
- the request has not written: the first write (anything routed through `db_for_write`) pins the rest
  of the request to the primary, and sends the client a short-lived cookie that pins its next requests
  too (read-your-writes: `CIVICGRID_REPLICA_PIN_SECONDS`, default 15);
- the read is not inside a transaction on the primary (a read in a transaction that writes must see
  that transaction);
- the model is not one of sign-in's own (sessions, users, tokens, two-factor devices, lockouts): a
  logout, a deactivated account or a revoked token takes effect at once, not after the replica's lag;
- the replica is up and behind by at most `CIVICGRID_REPLICA_MAX_LAG_SECONDS` (default 10), asked of
  the replica itself at most every `CIVICGRID_REPLICA_CHECK_SECONDS` (default 5) per process.

Every write goes to the primary, always (a hot standby would refuse it anyway). A replica-read page
that answers 404 is asked once more of the primary (a case reported a moment ago that the replica has
not replayed yet, for a client without the pin cookie, e.g. an Open311 app).
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.db import connections

log = logging.getLogger(__name__)

PRIMARY = "default"
REPLICA = "replica"
ATTRIBUTE = "reads_from_replica"
PIN_COOKIE = "civicgrid_primary"
SAFE_METHODS = ("GET", "HEAD")

# Sign-in's own tables: always read from the primary (see the module docstring).
PRIMARY_ONLY_APPS = frozenset(
    {"auth", "sessions", "authtoken", "axes", "otp_totp", "otp_static", "django_otp", "admin", "contenttypes"}
)


def replica_reads(view):
    """Declare a read-only view whose GET/HEAD may read from the replica (a figures or public page).

    The view may still write (an access-log row, a counter): the write goes to the primary and
    every later read of that request too."""
    setattr(view, ATTRIBUTE, True)
    return view


def declares_replica_reads(callback) -> bool:
    for holder in (callback, getattr(callback, "view_class", None), getattr(callback, "cls", None)):
        if holder is not None and getattr(holder, ATTRIBUTE, False):
            return True
    return False


@dataclass
class ReadState:
    """One request's routing state."""

    replica_ok: bool = True
    wrote: bool = False
    used_replica: bool = False
    forced_primary: bool = False  # the 404 retry: this request reads from the primary only


_state: contextvars.ContextVar[ReadState | None] = contextvars.ContextVar(
    "civicgrid_replica_reads", default=None
)


@contextmanager
def replica_reads_allowed():
    """Within this block, reads may go to the replica (what the middleware does for a declared view)."""
    token = _state.set(ReadState())
    try:
        yield _state.get()
    finally:
        _state.reset(token)


@contextmanager
def primary_only():
    """Within this block every read goes to the primary (inside a replica-reading view, for a read
    that must see the latest write of someone else, e.g. before deciding what to write). A write in
    the block still pins the rest of the request, and the client, to the primary."""
    outer, inner = _state.get(), ReadState(replica_ok=False)
    token = _state.set(inner)
    try:
        yield
    finally:
        _state.reset(token)
        if outer is not None and inner.wrote:
            outer.wrote = True


# --- replica health ---------------------------------------------------------------------------------

LAG_SQL = """
SELECT pg_is_in_recovery(),
       CASE WHEN NOT pg_is_in_recovery() THEN 0
            WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
            ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 1e9)
       END
"""


def probe_lag(alias: str) -> float:
    """Seconds the replica is behind (0 when it has replayed all it received); raises when it is down.

    Nothing replayed is behind by nothing: with no write on the primary for an hour the replica's last
    replayed commit is an hour old, but the received and replayed positions are equal."""
    connection = connections[alias]
    try:
        with connection.cursor() as cursor:
            cursor.execute(LAG_SQL)
            row = cursor.fetchone()
    except Exception:
        connection.close()  # a broken connection is not reused; the next check connects anew
        raise
    if connection.vendor != "postgresql":  # pragma: no cover - a mirrored SQLite alias in tests
        return 0.0
    return float(row[1])


class ReplicaHealth:
    """Whether the replica may serve reads now: a cached probe, at most one per `every` seconds."""

    def __init__(
        self,
        alias: str = REPLICA,
        max_lag: float | None = None,
        every: float | None = None,
        probe: Callable[[str], float] = probe_lag,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.alias = alias
        self.max_lag = max_lag
        self.every = every
        self.probe = probe
        self.clock = clock
        self._lock = threading.Lock()
        self._checked_at: float | None = None
        self._healthy = False
        self.last_lag: float | None = None
        self.last_error: str = ""

    def _limits(self) -> tuple[float, float]:
        max_lag = self.max_lag if self.max_lag is not None else settings.CIVICGRID_REPLICA_MAX_LAG_SECONDS
        every = self.every if self.every is not None else settings.CIVICGRID_REPLICA_CHECK_SECONDS
        return float(max_lag), float(every)

    def healthy(self) -> bool:
        max_lag, every = self._limits()
        now = self.clock()
        with self._lock:
            if self._checked_at is not None and now - self._checked_at < every:
                return self._healthy
            self._checked_at = now  # one probe per period even when it fails
        try:
            lag = self.probe(self.alias)
        except Exception as exc:  # down, refusing, misconfigured: read from the primary
            healthy, self.last_lag, self.last_error = False, None, f"{type(exc).__name__}: {exc}"[:200]
            log.warning("replica %s is not usable, reading from the primary: %s", self.alias, self.last_error)
        else:
            healthy, self.last_lag, self.last_error = lag <= max_lag, lag, ""
            if not healthy:
                log.warning(
                    "replica %s lags %.1f s (> %.1f s): reading from the primary", self.alias, lag, max_lag
                )
        with self._lock:
            self._healthy = healthy
        return healthy


# --- the router -------------------------------------------------------------------------------------


def _in_transaction(alias: str) -> bool:
    """Inside transaction.atomic() on this alias (a test case's own wrapping transaction does not count)."""
    connection = connections[alias]
    if not connection.in_atomic_block:
        return False
    blocks = getattr(connection, "atomic_blocks", None)
    if blocks is None:  # pragma: no cover - older Django
        return True
    return any(not getattr(block, "_from_testcase", False) for block in blocks)


class ReplicaRouter:
    """Django database router: reads of declared views to the replica when healthy; all else primary."""

    def __init__(self, primary: str = PRIMARY, replica: str = REPLICA, health: ReplicaHealth | None = None):
        self.primary = primary
        self.replica = replica
        self.health = health or ReplicaHealth(replica)

    def read_alias(self, model=None) -> str:
        state = _state.get()
        if state is None or not state.replica_ok or state.wrote:
            return self.primary
        if not self.configured():
            return self.primary
        if model is not None and model._meta.app_label in PRIMARY_ONLY_APPS:
            return self.primary
        if _in_transaction(self.primary):
            return self.primary
        if not self.health.healthy():
            return self.primary
        state.used_replica = True
        return self.replica

    def configured(self) -> bool:
        return self.replica in connections.settings

    def db_for_read(self, model, **hints):
        return self.read_alias(model)

    def db_for_write(self, model, **hints):
        state = _state.get()
        if state is not None:
            state.wrote = True  # the rest of this request reads what it wrote
        return self.primary

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != self.replica  # the replica follows the primary's schema by replication


def the_router() -> ReplicaRouter | None:
    """The ReplicaRouter in use (settings.DATABASE_ROUTERS), if any."""
    from django.db import router

    for candidate in router.routers:
        if isinstance(candidate, ReplicaRouter):
            return candidate
    return None


# --- the middleware ---------------------------------------------------------------------------------


class ReplicaReadsMiddleware:
    """Marks GET/HEAD requests to `@replica_reads` views as allowed to read from the replica.

    After any request that wrote, the client gets the pin cookie: its next requests read from the
    primary for CIVICGRID_REPLICA_PIN_SECONDS, so it sees its own writes."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        state = ReadState(replica_ok=False)
        token = _state.set(state)
        try:
            response = self.get_response(request)
            if state.used_replica and response.status_code == 404 and not state.wrote:
                # Perhaps not replayed yet: ask the primary once.
                state.replica_ok, state.used_replica, state.forced_primary = False, False, True
                response = self.get_response(request)
        finally:
            _state.reset(token)
        router = the_router() if state.wrote else None
        if router is not None and router.configured():
            response.set_cookie(
                PIN_COOKIE,
                "1",
                max_age=int(settings.CIVICGRID_REPLICA_PIN_SECONDS),
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        state = _state.get()
        if state is None or state.forced_primary:
            return None
        state.replica_ok = (
            request.method in SAFE_METHODS
            and declares_replica_reads(view_func)
            and PIN_COOKIE not in request.COOKIES
            and not state.wrote
        )
        return None
