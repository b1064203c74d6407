"""Extension point for "My day": other apps add the grid worker's tasks here.

When the grid-affairs admission list (网格事务准入) exists, its app registers a provider from its
AppConfig.ready:

    from civicgrid.fieldwork import tasks

    def admitted_tasks(user, today):
        return [tasks.Task(title=..., url=..., due=...), ...]

    tasks.register(admitted_tasks)

My day shows a "Tasks" section only when a provider returns something. Providers must return only
tasks the user may see (their own grid's).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Task:
    title: str
    url: str
    due: date | None = None
    source: str = ""


Provider = Callable[[object, date], list[Task]]
_providers: list[Provider] = []


def register(provider: Provider) -> None:
    if provider not in _providers:
        _providers.append(provider)


def unregister(provider: Provider) -> None:
    if provider in _providers:
        _providers.remove(provider)


def tasks_for(user, today: date) -> list[Task]:
    found: list[Task] = []
    for provider in _providers:
        found.extend(provider(user, today) or [])
    return sorted(found, key=lambda t: (t.due or date.max, t.title))
