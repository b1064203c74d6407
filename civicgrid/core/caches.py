"""Per-process caches: one registry, one invalidation signal, one staleness rule.

Several modules keep data that rarely changes in process memory (the grid index, area names and
ancestries, the category catalogue, the calendar). Each registers here:

    caches.register("open311.districts", _districts.clear, topics=[caches.AREAS])

or, for a value loaded by one function, uses `TimedValue` which registers itself:

    _districts = caches.TimedValue("open311.districts", load_districts, topics=[caches.AREAS])
    _districts.get()

The rule, the same for every cache:

* In the process that writes, a change is seen at once. The app that owns the data fires
  `invalidate(topic)` after every write (the area tree fires `AREAS` on every save and delete of
  an area and after its bulk writes and moves); the one signal `invalidated` clears every cache
  registered for that topic.
* Other processes (web workers, the worker) see it within the cache's `max_age` seconds
  (`CIVICGRID_CACHE_SECONDS`, default 60), or sooner where a cache checks a version stamp itself
  (the grid lookup, every few seconds).

`core` imports no app: topics are plain strings.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.dispatch import Signal

AREAS = "areas"  # the area tree (fired by civicgrid.areas)
CATEGORIES = "categories"  # the case category catalogue (fired by civicgrid.cases)
CALENDAR = "calendar"  # the official working-day calendar (fired by core.workcalendar)

DEFAULT_MAX_AGE = float(os.environ.get("CIVICGRID_CACHE_SECONDS", "60"))

# Sent by `invalidate(topic)`: every cache registered for the topic is cleared.
invalidated = Signal()


@dataclass(frozen=True)
class RegisteredCache:
    name: str
    clear: Callable[[], Any]
    topics: frozenset[str]
    max_age: float  # seconds another process may serve stale data


_registry: dict[str, RegisteredCache] = {}
_registry_lock = threading.Lock()


def register(
    name: str, clear: Callable[[], Any], *, topics: Iterable[str], max_age: float = DEFAULT_MAX_AGE
) -> RegisteredCache:
    """Register a cache's `clear` function for the topics whose changes make it stale."""
    entry = RegisteredCache(name, clear, frozenset(topics), max_age)
    with _registry_lock:
        _registry[name] = entry
    return entry


def registered(topic: str | None = None) -> list[RegisteredCache]:
    """The registered caches (those of one topic), by name."""
    return sorted((e for e in _registry.values() if topic is None or topic in e.topics), key=lambda e: e.name)


def invalidate(topic: str, *, sender: Any = None) -> None:
    """Clear, in this process, every cache registered for `topic` (call it after each write)."""
    invalidated.send(sender=sender, topic=topic)


def clear_all() -> None:
    """Clear every registered cache (tests, and after a bulk load)."""
    for entry in registered():
        entry.clear()


def _clear_registered(sender: Any = None, *, topic: str, **kwargs: Any) -> None:
    for entry in registered(topic):
        entry.clear()


invalidated.connect(_clear_registered, dispatch_uid="civicgrid.core.caches")

T = TypeVar("T")
_EMPTY: Any = object()


class TimedValue(Generic[T]):
    """A value `load()` computes, kept for `max_age` seconds or until its topic is invalidated."""

    def __init__(
        self,
        name: str,
        load: Callable[[], T],
        *,
        topics: Iterable[str],
        max_age: float = DEFAULT_MAX_AGE,
    ) -> None:
        self.name = name
        self._load = load
        self.max_age = max_age
        self._value: Any = _EMPTY
        self._loaded_at = 0.0
        self._lock = threading.Lock()
        self.loads = 0
        register(name, self.clear, topics=topics, max_age=max_age)

    def get(self) -> T:
        value = self._value
        if value is not _EMPTY and time.monotonic() - self._loaded_at < self.max_age:
            return value
        with self._lock:
            if self._value is _EMPTY or time.monotonic() - self._loaded_at >= self.max_age:
                self._value = self._load()
                self._loaded_at = time.monotonic()
                self.loads += 1
            return self._value

    def clear(self) -> None:
        self._value = _EMPTY
