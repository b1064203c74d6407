"""Writes and checks for Open311 API clients: issue, rotate and revoke keys; authenticate a key.

The admin and the CLI call these functions; a raw key exists only in the return value of
`create_client` / `issue_key`, to be shown once to whoever issued it.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Iterable

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from civicgrid.core import caches

from .models import ApiClient

KEY_BYTES = 32  # 256 bits of randomness; 43 URL-safe characters
# A server process remembers a key's client this long: a revoked key stops working in every
# process within this many seconds (at once in the process that revoked it, and within
# VERSION_CHECK_SECONDS in the others when the cache is shared, e.g. Redis).
CLIENT_CACHE_SECONDS = 10
# How often a process asks the shared cache whether any client changed (a revocation, a rotation,
# a new rate limit): every change bumps one version number there.
VERSION_CHECK_SECONDS = 1.0
VERSION_KEY = "civicgrid:open311:clients-version"


def hash_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode("utf-8")).hexdigest()


def issue_key(client: ApiClient, *, by=None) -> str:
    """Give `client` a fresh key (first issue or rotation) and return it; the old key stops working."""
    raw_key = secrets.token_urlsafe(KEY_BYTES)
    if client.key_hash:
        _forget(client.key_hash)
    client.key_hash = hash_key(raw_key)
    client.key_prefix = raw_key[:8]
    client.key_issued_at = timezone.now()
    client.revoked_at = None
    if client.pk is None and by is not None and getattr(by, "pk", None):
        client.created_by = by
    client.save()
    return raw_key


@transaction.atomic
def create_client(
    *,
    name: str,
    contact: str = "",
    jurisdiction_ids: Iterable[str] = (),
    rate_limit_per_minute: int = 60,
    by=None,
) -> tuple[ApiClient, str]:
    client = ApiClient(
        name=name,
        contact=contact,
        jurisdiction_ids=sorted(set(jurisdiction_ids)),
        rate_limit_per_minute=rate_limit_per_minute,
    )
    return client, issue_key(client, by=by)


def revoke(client: ApiClient, *, by=None) -> ApiClient:
    """The key stops working at once; the row stays for the record."""
    if client.revoked_at is None:
        client.revoked_at = timezone.now()
        client.save(update_fields=["revoked_at"])
    return client


class _Clients:
    """This process's key hash → (client, when it was read): the database is asked again after
    CLIENT_CACHE_SECONDS, at once after a change in this process, and within VERSION_CHECK_SECONDS
    after a change in another process that shares the cache. A plain dict: no pickling and no
    cache round trip per request (the check itself, hash and is_active, runs on every request)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.entries: dict[str, tuple[ApiClient, float]] = {}
        self.version: object = None
        self.version_checked = -float("inf")

    def get(self, key_hash: str, now: float) -> ApiClient | None:
        if now - self.version_checked >= VERSION_CHECK_SECONDS:
            self._check_version(now)
        entry = self.entries.get(key_hash)
        if entry is None or now - entry[1] >= CLIENT_CACHE_SECONDS:
            return None
        return entry[0]

    def put(self, key_hash: str, client: ApiClient, now: float) -> None:
        self.entries[key_hash] = (client, now)

    def _check_version(self, now: float) -> None:
        version = cache.get(VERSION_KEY)
        with self.lock:
            if version != self.version:
                self.entries.clear()
                self.version = version
            self.version_checked = now

    def forget(self) -> None:
        with self.lock:
            self.entries.clear()
            self.version_checked = -float("inf")


_clients = _Clients()
# Registered by the rule of core.caches (clear_all() empties it; no topic: a client's own save clears it).
caches.register("open311.clients", _clients.forget, topics=(), max_age=CLIENT_CACHE_SECONDS)


def _forget(key_hash: str) -> None:
    """A client changed: every process reads clients anew (this one at once)."""
    _clients.forget()
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.set(VERSION_KEY, 1, None)


def find_client(raw_key: str) -> ApiClient | None:
    """The client a key belongs to, revoked or not (the caller tells the two apart), or None."""
    if not raw_key:
        return None
    key_hash = hash_key(raw_key)
    now = time.monotonic()
    client = _clients.get(key_hash, now)
    if client is None:
        client = ApiClient.objects.filter(key_hash=key_hash).first()
        if client is not None:
            _clients.put(key_hash, client, now)
    return client


def _client_changed(sender, instance: ApiClient, **kwargs) -> None:
    _forget(instance.key_hash)


post_save.connect(_client_changed, sender=ApiClient, dispatch_uid="open311-client-saved")
post_delete.connect(_client_changed, sender=ApiClient, dispatch_uid="open311-client-deleted")
