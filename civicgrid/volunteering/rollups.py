"""Figures: volunteer hours, participants, whistle calls and calls answered in time, points awarded
and redeemed, per community and month, kept in `VolunteeringCount` (the figures page reads only
that table). `rebuild(since)` recomputes the months from `since` on, set-wise, in one transaction;
the worker runs it every ten minutes for the current and previous month."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from civicgrid.areas.models import Area, Level
from civicgrid.core import outbox
from civicgrid.party.models import WhistleCall

from .models import Metric, PointsEntry, SignUp, TxKind, VolunteeringCount


def _month(dt) -> date:
    return timezone.localtime(dt).date().replace(day=1)


class _Communities:
    def __init__(self):
        self.by_path = {
            a.path: a
            for a in Area.objects.filter(level=Level.COMMUNITY).only("id", "path", "jurisdiction", "name")
        }

    def of(self, path: str):
        parts = path.split("/")
        for i in range(len(parts), 0, -1):
            found = self.by_path.get("/".join(parts[:i]) + "/")
            if found:
                return found
        return None


def rebuild(since: date | None = None) -> int:
    """Recompute every count from `since` (a month; None: everything); returns rows written."""
    communities = _Communities()
    start = since.replace(day=1) if since else None
    sums: dict[tuple[str, int, date], int] = defaultdict(int)
    people: dict[tuple[int, date], set[int]] = defaultdict(set)

    signups = SignUp.objects.filter(confirmed_at__isnull=False, confirmed_minutes__gt=0)
    if start:
        signups = signups.filter(activity__starts_at__date__gte=start)
    for path, starts, resident_id, minutes in signups.values_list(
        "activity__path", "activity__starts_at", "resident_id", "confirmed_minutes"
    ).iterator():
        c = communities.of(path)
        if c:
            m = _month(starts)
            sums[(Metric.VOLUNTEER_MINUTES, c.pk, m)] += minutes
            people[(c.pk, m)].add(resident_id)
    for (cid, m), ids in people.items():
        sums[(Metric.PARTICIPANTS, cid, m)] = len(ids)

    calls = WhistleCall.objects.all()
    if start:
        calls = calls.filter(issued_at__date__gte=start)
    for path, issued, filled, deadline in calls.values_list(
        "path", "issued_at", "filled_at", "deadline"
    ).iterator():
        c = communities.of(path)
        if c:
            m = _month(issued)
            sums[(Metric.CALLS, c.pk, m)] += 1
            if filled is not None and filled <= deadline:
                sums[(Metric.CALLS_IN_TIME, c.pk, m)] += 1

    awards = PointsEntry.objects.filter(
        transaction__kind=TxKind.AWARD, amount__gt=0, transaction__reversed_by__isnull=True
    )
    redeemed = PointsEntry.objects.filter(
        transaction__kind=TxKind.REDEMPTION, amount__lt=0, transaction__reversed_by__isnull=True
    )
    if start:
        awards = awards.filter(transaction__activity__starts_at__date__gte=start)
        redeemed = redeemed.filter(at__date__gte=start)
    # Points awarded count in the month of the activity (like its hours); redeemed, in the month spent.
    for path, at, amount in awards.values_list(
        "transaction__activity__path", "transaction__activity__starts_at", "amount"
    ).iterator():
        c = communities.of(path or "")
        if c:
            sums[(Metric.POINTS_AWARDED, c.pk, _month(at))] += amount
    for path, at, amount in redeemed.values_list(
        "transaction__redemption__reward__shop__path", "at", "amount"
    ).iterator():
        c = communities.of(path or "")
        if c:
            sums[(Metric.POINTS_REDEEMED, c.pk, _month(at))] += -amount

    by_id = {c.pk: c for c in communities.by_path.values()}
    rows = [
        VolunteeringCount(
            metric=metric,
            community_id=cid,
            path=by_id[cid].path,
            month=m,
            value=value,
            jurisdiction=by_id[cid].jurisdiction,
        )
        for (metric, cid, m), value in sums.items()
        if value
    ]
    with transaction.atomic():
        old = VolunteeringCount.objects.all()
        if start:
            old = old.filter(month__gte=start)
        old.delete()
        VolunteeringCount.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


@outbox.periodic(600, name="volunteering.rollups")
def refresh_recent() -> int:
    today = timezone.localdate()
    previous = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    return rebuild(previous)


def month_options() -> list[date]:
    return list(VolunteeringCount.objects.order_by("month").values_list("month", flat=True).distinct())


def table(paths: list[str], start: date, end: date) -> list[dict]:
    """One row per community in scope: each metric summed over the months [start, end] (participants,
    counted distinct within a month, show the busiest month)."""
    from civicgrid.people import policy as people_policy

    qs = VolunteeringCount.objects.filter(month__gte=start, month__lte=end).filter(
        people_policy.path_q(paths)
    )
    rows: dict[int, dict] = {}
    for cid, name, path, metric, value in qs.values_list(
        "community_id", "community__name", "path", "metric", "value"
    ):
        row = rows.setdefault(cid, {"community": name, "path": path, **{m: 0 for m in Metric.values}})
        if metric == Metric.PARTICIPANTS:  # distinct per month: the busiest month, never a sum
            row[metric] = max(row[metric], value)
        else:
            row[metric] += value
    out = sorted(rows.values(), key=lambda r: r["path"])
    for row in out:
        row["hours"] = round(row[Metric.VOLUNTEER_MINUTES] / 60, 1)
        row["in_time_rate"] = (
            round(100 * row[Metric.CALLS_IN_TIME] / row[Metric.CALLS], 1) if row[Metric.CALLS] else None
        )
    return out


def totals(rows: list[dict]) -> dict:
    total = {m: sum(r[m] for r in rows) for m in Metric.values}
    total["hours"] = round(total[Metric.VOLUNTEER_MINUTES] / 60, 1)
    total["in_time_rate"] = (
        round(100 * total[Metric.CALLS_IN_TIME] / total[Metric.CALLS], 1) if total[Metric.CALLS] else None
    )
    return total
