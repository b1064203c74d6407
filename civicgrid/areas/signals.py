"""Signals the area tree sends to the apps above it (they update their own rows; areas never
writes them)."""

from typing import Any

from django.dispatch import Signal

from civicgrid.core import caches

# Sent after a move or a code change rewrote the paths of an area's subtree, inside the
# transaction: kwargs `old_prefix` and `new_prefix` (both ending in "/"). Apps that keep an area
# path on their rows (people's residents, cases) rewrite theirs in a receiver.
area_paths_moved = Signal()


def area_written(sender: Any = None, **kwargs: Any) -> None:
    """Every save or delete of an area (and every bulk write or move of the area services)
    invalidates the caches registered for `caches.AREAS`, in this process at once."""
    caches.invalidate(caches.AREAS, sender=sender)
