"""Figures per centre, level, type and period, read from the rollups (never the disputes).

A period is a range of months [start, end] by the month disputes were received (cohorts; see
rollups.py). `figures()` gives one set; `breakdown(by=…)` one set per centre, level, type or month.
Each is two queries: the counters, and the days-to-close histogram for the median.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from django.db.models import Q, Sum

from civicgrid.people import policy as people_policy

from .models import Centre, CloseDaysCount, DisputeRollup
from .rollups import COUNTERS
from .workflow import DisputeType, Level

BY = ("centre", "level", "type", "month")


@dataclass
class Figures:
    taken_in: int = 0
    closed: int = 0
    agreed: int = 0
    failed: int = 0
    withdrawn: int = 0
    performed: int = 0
    came_back: int = 0
    from_cases: int = 0
    close_days: int = 0
    histogram: dict[int, int] = field(default_factory=dict)

    @staticmethod
    def _rate(a: int, b: int) -> float | None:
        return a / b if b else None

    @property
    def open(self) -> int:
        return self.taken_in - self.closed

    @property
    def success_rate(self) -> float | None:
        """调解成功率: closed with an agreement, of those closed."""
        return self._rate(self.agreed, self.closed)

    @property
    def closure_rate(self) -> float | None:
        """结案率: closed, of those taken in."""
        return self._rate(self.closed, self.taken_in)

    @property
    def performance_rate(self) -> float | None:
        return self._rate(self.performed, self.agreed)

    @property
    def mean_days(self) -> float | None:
        return self.close_days / self.closed if self.closed else None

    @cached_property
    def median_days(self) -> float | None:
        n = sum(self.histogram.values())
        if not n:
            return None
        ordered = sorted(self.histogram.items())

        def nth(k: int) -> int:  # the k-th smallest (0-based)
            seen = 0
            for days, count in ordered:
                seen += count
                if k < seen:
                    return days
            return ordered[-1][0]

        if n % 2:
            return float(nth(n // 2))
        return (nth(n // 2 - 1) + nth(n // 2)) / 2


@dataclass
class Row:
    key: object
    label: str
    figures: Figures


def _filter(paths, *, start: date, end: date, centre=None, level=None, dispute_type=None) -> Q:
    q = Q(month__gte=start.replace(day=1), month__lte=end.replace(day=1))
    q &= people_policy.path_q(paths)
    if centre is not None:
        q &= Q(centre_id=getattr(centre, "pk", centre))
    if level:
        q &= Q(level=level)
    if dispute_type:
        q &= Q(dispute_type=dispute_type)
    return q


GROUP_FIELD = {"centre": "centre_id", "level": "level", "type": "dispute_type", "month": "month"}


def _collect(q: Q, group: str | None) -> dict:
    sums = {k: Sum(k) for k in (*COUNTERS, "close_days")}
    fields = [GROUP_FIELD[group]] if group else []
    out: dict = defaultdict(Figures)
    qs = DisputeRollup.objects.filter(q)
    rows = [qs.aggregate(**sums)] if not fields else qs.values(*fields).annotate(**sums).order_by(*fields)
    for r in rows:
        if not fields and r["taken_in"] is None:
            continue
        key = r[fields[0]] if fields else None
        f = out[key]
        for k in (*COUNTERS, "close_days"):
            setattr(f, k, r[k] or 0)
    hist = (
        CloseDaysCount.objects.filter(q)
        .values(*fields, "days")
        .annotate(n=Sum("count"))
        .order_by(*fields, "days")
    )
    for r in hist:
        key = r[fields[0]] if fields else None
        if r["n"]:
            out[key].histogram[r["days"]] = r["n"]
    return out


def figures(paths, *, start: date, end: date, centre=None, level=None, dispute_type=None) -> Figures:
    got = _collect(
        _filter(paths, start=start, end=end, centre=centre, level=level, dispute_type=dispute_type), None
    )
    return got.get(None) or Figures()


def breakdown(
    paths, by: str, *, start: date, end: date, centre=None, level=None, dispute_type=None
) -> list[Row]:
    if by not in BY:
        raise ValueError(by)
    got = _collect(
        _filter(paths, start=start, end=end, centre=centre, level=level, dispute_type=dispute_type), by
    )
    if by == "centre":
        names = dict(Centre.objects.filter(pk__in=list(got)).values_list("pk", "name"))
        rows = [Row(k, names.get(k, str(k)), f) for k, f in got.items()]
        return sorted(rows, key=lambda r: r.label)
    if by == "level":
        order = {v: i for i, v in enumerate(Level.values)}
        return [Row(k, str(Level(k).label), got[k]) for k in sorted(got, key=lambda k: order.get(k, 99))]
    if by == "type":
        order = {v: i for i, v in enumerate(DisputeType.values)}
        return [
            Row(k, str(DisputeType(k).label), got[k]) for k in sorted(got, key=lambda k: order.get(k, 99))
        ]
    return [Row(k, f"{k:%Y-%m}", got[k]) for k in sorted(got)]


# Columns of the tables (key, label, kind) — the page and the Excel export use the same.
def columns():
    from django.utils.translation import gettext_lazy as _
    from django.utils.translation import pgettext_lazy

    return [
        ("taken_in", _("Taken in"), "count"),
        ("closed", pgettext_lazy("mediation figures", "Closed"), "count"),
        ("agreed", pgettext_lazy("mediation", "Agreed"), "count"),
        ("failed", _("Failed"), "count"),
        ("withdrawn", _("Withdrawn"), "count"),
        ("open", _("Open"), "count"),
        ("success_rate", _("Success rate"), "rate"),
        ("closure_rate", _("Closure rate"), "rate"),
        ("median_days", _("Median days to close"), "days"),
        ("performed", _("Agreements performed"), "count"),
        ("came_back", _("Came back"), "count"),
        ("from_cases", _("From cases"), "count"),
    ]
