"""Figures per community and every area above it (street, district, city): topics raised, taken
up, declined, resolved, carried out, and the days from raised to carried out. A topic counts in the
month it was raised (like cases). The services add each change's delta in the same transaction;
`rebuild()` recomputes the table from the topics.

    raised        topics raised in the period
    taken_up      of those, taken up by the council
    resolved      of those, with a resolution adopted (a motion passed and published)
    carried_out   of those, carried out (every follow-up task done)
    avg_days      days_to_carried_out / carried_out
"""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from civicgrid.areas.models import Area

from .models import Topic, TopicRollup

FIELDS = ("raised", "taken_up", "declined", "resolved", "carried_out", "days_to_carried_out")


def month_of(moment) -> date:
    local = timezone.localtime(moment)
    return date(local.year, local.month, 1)


def area_ids(path: str) -> list[int]:
    codes = [c for c in path.split("/") if c]
    return list(Area.objects.filter(code__in=codes).values_list("id", flat=True))


def bump(topic: Topic, **deltas: int) -> None:
    """Add `deltas` to the topic's community and every area above it (call inside the change's
    transaction). Safe when two changes create the same row at once."""
    deltas = {k: v for k, v in deltas.items() if v}
    if not deltas:
        return
    month = month_of(topic.raised_at)
    for area_id in area_ids(topic.path):
        rows = TopicRollup.objects.filter(area_id=area_id, month=month)
        if rows.update(**{k: F(k) + v for k, v in deltas.items()}):
            continue
        try:
            with transaction.atomic():
                TopicRollup.objects.create(
                    area_id=area_id, month=month, jurisdiction=topic.jurisdiction, **deltas
                )
        except IntegrityError:
            rows.update(**{k: F(k) + v for k, v in deltas.items()})


def days_between(start, end) -> int:
    return max(0, (timezone.localdate(end) - timezone.localdate(start)).days)


def contribution(topic: Topic) -> dict[str, int]:
    return {
        "raised": 1,
        "taken_up": int(topic.taken_up_at is not None),
        "declined": int(topic.declined_at is not None),
        "resolved": int(topic.resolved_at is not None),
        "carried_out": int(topic.carried_out_at is not None),
        "days_to_carried_out": days_between(topic.raised_at, topic.carried_out_at)
        if topic.carried_out_at
        else 0,
    }


@transaction.atomic
def rebuild() -> int:
    """Recompute every row from the topics; returns the number of rows written."""
    TopicRollup.objects.all().delete()
    sums: dict[tuple[int, date], dict[str, int]] = {}
    jurisdiction: dict[int, str] = {}
    ids_by_path: dict[str, list[int]] = {}
    for topic in Topic.objects.only(
        "path", "jurisdiction", "raised_at", "taken_up_at", "declined_at", "resolved_at", "carried_out_at"
    ).iterator():
        ids = ids_by_path.get(topic.path)
        if ids is None:
            ids = ids_by_path[topic.path] = area_ids(topic.path)
        c = contribution(topic)
        for area_id in ids:
            row = sums.setdefault((area_id, month_of(topic.raised_at)), dict.fromkeys(FIELDS, 0))
            jurisdiction[area_id] = topic.jurisdiction
            for k, v in c.items():
                row[k] += v
    TopicRollup.objects.bulk_create(
        [
            TopicRollup(area_id=a, month=m, jurisdiction=jurisdiction[a], **row)
            for (a, m), row in sums.items()
        ],
        batch_size=1000,
    )
    return len(sums)


def figures(area: Area, *, start: date | None = None, end: date | None = None) -> dict:
    """The figures of an area (any level from community up) for months in [start, end)."""
    qs = TopicRollup.objects.filter(area=area)
    if start:
        qs = qs.filter(month__gte=start)
    if end:
        qs = qs.filter(month__lt=end)
    totals = qs.aggregate(**{k: Sum(k) for k in FIELDS})
    out = {k: totals[k] or 0 for k in FIELDS}
    out["avg_days"] = (
        round(out["days_to_carried_out"] / out["carried_out"], 1) if out["carried_out"] else None
    )
    return out


def breakdown(area: Area) -> list[tuple[Area, dict]]:
    """The figures of each child area that has topics (a street's communities, …)."""
    children = list(Area.objects.filter(parent=area))
    have = set(TopicRollup.objects.filter(area__in=children).values_list("area_id", flat=True))
    return [(child, figures(child)) for child in children if child.pk in have]
