"""Writes and checks for Open311 API clients: issue, rotate and revoke keys; authenticate a key.

The admin and the CLI call these functions; a raw key exists only in the return value of
`create_client` / `issue_key`, to be shown once to whoever issued it.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from .models import ApiClient

KEY_BYTES = 32  # 256 bits of randomness; 43 URL-safe characters
# A server process remembers a key's client this long: a revoked key stops working in every
# process within this many seconds (at once in the process that revoked it).
CLIENT_CACHE_SECONDS = 10


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


def _cache_key(key_hash: str) -> str:
    return f"civicgrid:open311:client:{key_hash}"


def _forget(key_hash: str) -> None:
    cache.delete(_cache_key(key_hash))


def find_client(raw_key: str) -> ApiClient | None:
    """The client a key belongs to, revoked or not (the caller tells the two apart), or None."""
    if not raw_key:
        return None
    key_hash = hash_key(raw_key)
    client = cache.get(_cache_key(key_hash))
    if client is None:
        client = ApiClient.objects.filter(key_hash=key_hash).first()
        if client is not None:
            cache.set(_cache_key(key_hash), client, CLIENT_CACHE_SECONDS)
    return client


def _client_changed(sender, instance: ApiClient, **kwargs) -> None:
    if instance.key_hash:
        _forget(instance.key_hash)


post_save.connect(_client_changed, sender=ApiClient, dispatch_uid="open311-client-saved")
post_delete.connect(_client_changed, sender=ApiClient, dispatch_uid="open311-client-deleted")
