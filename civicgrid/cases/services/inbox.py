"""The in-app inbox's one write: marking messages read."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from .moves import Actor, _actor, _now


def mark_inbox_read(user: Actor, message_ids: Iterable[int] | None = None) -> int:
    """Mark a user's own inbox messages read: the ones named, or all unread ones. Returns how many."""
    from ..models import InboxMessage

    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied(_("Log in to read your inbox."))
    qs = InboxMessage.objects.filter(user=_actor(user), read_at__isnull=True)
    if message_ids is not None:
        qs = qs.filter(pk__in=[int(i) for i in message_ids])
    return qs.update(read_at=_now())
