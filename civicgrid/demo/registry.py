"""Demo steps: the base city first, then what each capability adds to it (a year of cases, …).

A step is a module in `civicgrid/demo/steps/` (the demo sits on top of every app and writes through
their services; no app imports the demo). `steps()` imports every module of that package:

    # civicgrid/demo/steps/cases.py
    from civicgrid.demo.registry import register_step

    def generate(ctx):   # ctx: DemoContext; runs in its own transaction, after lower orders
        ...
    def cleanup(ctx):    # deletes the step's rows (all of them; fine when there are none)
        ...
    register_step("cases", generate, cleanup, order=100)

The base city is the step "city" (order 0, civicgrid/demo/steps/city.py): areas, compounds,
households, residents, departments, Party organisations and the demo accounts.

`civicgrid demo --rebuild` runs every cleanup in reverse order (so rows that point at the city
go before the city: PROTECT foreign keys never block), then every generate in order. A plain
`civicgrid demo` generates only the steps not yet recorded in DemoRun.steps, so a step added by a
newly installed app joins an existing demo city without a rebuild.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Step:
    name: str
    generate: Callable[[DemoContext], None]
    cleanup: Callable[[DemoContext], None]
    order: int


_steps: dict[str, Step] = {}


def register_step(
    name: str,
    generate_fn: Callable[[DemoContext], None],
    cleanup_fn: Callable[[DemoContext], None],
    order: int = 100,
) -> None:
    """Add (or replace) a demo step; lower orders generate first and clean up last."""
    _steps[name] = Step(name, generate_fn, cleanup_fn, order)


def steps() -> list[Step]:
    """Every registered step, in generation order (the modules of demo/steps/ are imported first)."""
    from civicgrid.demo.steps import load_all

    load_all()
    return sorted(_steps.values(), key=lambda s: (s.order, s.name))


def format_count(n: float) -> str:
    return f"{n:,.0f}"


@dataclass
class Phase:
    """One timed phase of the demo: rows written, by kind, and progress lines while it runs."""

    name: str
    write: Callable[[str], None]
    interval: float
    counts: Counter = field(default_factory=Counter)
    started: float = field(default_factory=time.perf_counter)
    seconds: float = 0.0
    _last_report: float = field(default_factory=time.perf_counter)
    # (kind, how many): progress lines then show how far that kind of row has got.
    expected: tuple[str, int] | None = None

    @property
    def rows(self) -> int:
        return sum(self.counts.values())

    def add(self, what: str, n: int = 1) -> None:
        self.counts[what] += n
        now = time.perf_counter()
        if now - self._last_report >= self.interval:
            self._last_report = now
            rate = self.rows / max(now - self.started, 1e-9)
            share = ""
            if self.expected:
                what, total = self.expected
                percent = 100 * self.counts[what] / max(total, 1)
                share = f" ({what} {format_count(self.counts[what])} / {format_count(total)}, {percent:.0f}%)"
            self.write(
                "  … "
                + _("%(phase)s: %(rows)s rows, %(rate)s rows/s")
                % {"phase": self.name, "rows": format_count(self.rows), "rate": format_count(rate)}
                + share
            )


class Progress:
    """Prints a line per phase (rows, seconds, rows per second) and keeps the figures."""

    def __init__(self, write: Callable[[str], None], interval: float = 5.0):
        self.write = write
        self.interval = interval
        self.phases: list[Phase] = []

    def phase(self, name: str, expected: tuple[str, int] | None = None) -> _PhaseContext:
        return _PhaseContext(self, Phase(name, self.write, self.interval, expected=expected))

    def report(self) -> list[dict]:
        return [
            {"phase": p.name, "rows": p.rows, "seconds": round(p.seconds, 3), "counts": dict(p.counts)}
            for p in self.phases
        ]


class _PhaseContext:
    def __init__(self, progress: Progress, phase: Phase):
        self.progress, self.phase = progress, phase

    def __enter__(self) -> Phase:
        self.phase.started = self.phase._last_report = time.perf_counter()
        return self.phase

    def __exit__(self, exc_type, exc, tb) -> None:
        phase = self.phase
        phase.seconds = time.perf_counter() - phase.started
        self.progress.phases.append(phase)
        if exc_type is not None:
            return
        rate = phase.rows / phase.seconds if phase.seconds else 0
        detail = ", ".join(f"{what} {format_count(n)}" for what, n in phase.counts.items())
        self.progress.write(
            _("%(phase)s: %(rows)s rows in %(seconds).1f s (%(rate)s rows/s)")
            % {
                "phase": phase.name,
                "rows": format_count(phase.rows),
                "seconds": phase.seconds,
                "rate": format_count(rate),
            }
            + (f"  [{detail}]" if detail else "")
        )


@dataclass
class DemoContext:
    """What a step gets: the scale and seed of the demo city, a random source, progress output."""

    scale: object  # civicgrid.demo.city.Scale
    seed: int
    progress: Progress
    write: Callable[[str], None]

    def rng(self, name: str) -> random.Random:
        """A random generator for one step, fixed by the seed (the same data on every run)."""
        return random.Random(f"{name}:{self.seed}")
