"""Signals the area tree sends to the apps above it (they update their own rows; areas never
writes them)."""

from django.dispatch import Signal

# Sent after a move or a code change rewrote the paths of an area's subtree, inside the
# transaction: kwargs `old_prefix` and `new_prefix` (both ending in "/"). Apps that keep an area
# path on their rows (people's residents, cases) rewrite theirs in a receiver.
area_paths_moved = Signal()
