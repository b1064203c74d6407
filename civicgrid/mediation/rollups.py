"""The figures' counters: one row per (month received × centre × type), kept current by the services.

Counted per cohort (the month a dispute was taken in), like the cases' rollups:

    taken_in     disputes received
    closed       of them, closed (结案): agreed, performed, failed or withdrawn
    agreed       closed with an agreement (agreed or performed)
    failed       closed without agreement (调解不成)
    withdrawn    withdrawn or ended by the parties
    performed    agreements whose follow-ups found them performed (履行完毕)
    came_back    disputes that came back (same parties, same type: linked to an earlier one)
    from_cases   disputes handed over from a case of the closed loop
    close_days   sum of calendar days from receipt to close (the mean); the median comes from the
                 histogram table CloseDaysCount (cohort × days → count)

Rates: success rate = agreed / closed; closure rate (结案率) = closed / taken_in; performance rate =
performed / agreed. Every service that changes a counted fact takes `contribution()` before and after
and calls `apply()` in the same transaction, so the figures are never behind.
"""

from __future__ import annotations

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from .models import CloseDaysCount, Dispute, DisputeRollup
from .workflow import SUCCESS_STATES, State

COUNTERS = ("taken_in", "closed", "agreed", "failed", "withdrawn", "performed", "came_back", "from_cases")


def close_days(dispute) -> int | None:
    if not dispute.closed_at:
        return None
    return (timezone.localdate(dispute.closed_at) - timezone.localdate(dispute.received_at)).days


def contribution(dispute) -> dict:
    """What one dispute adds to its rollup row (and, when closed, to its histogram bucket)."""
    if dispute is None or dispute.pk is None:
        return {}
    state = dispute.state
    closed = dispute.closed_at is not None
    days = close_days(dispute)
    return {
        "taken_in": 1,
        "closed": int(closed),
        "agreed": int(state in SUCCESS_STATES),
        "failed": int(state == State.FAILED),
        "withdrawn": int(state == State.WITHDRAWN),
        "performed": int(state == State.PERFORMED),
        "came_back": int(dispute.came_back_from_id is not None),
        "from_cases": int(dispute.case_id is not None),
        "close_days": days or 0,
        "_days": days,
    }


def _key(dispute) -> dict:
    centre = dispute.centre
    return {
        "month": dispute.received_month,
        "centre_id": dispute.centre_id,
        "dispute_type": dispute.dispute_type,
        "jurisdiction": dispute.jurisdiction,
        "level": centre.level,
        "path": centre.path,
    }


def _bump(model, key: dict, lookup: tuple, changes: dict) -> None:
    where = {k: key[k] for k in lookup}
    updates = {k: F(k) + v for k, v in changes.items()}
    if model.objects.filter(**where).update(**updates):
        return
    try:
        with transaction.atomic():
            model.objects.create(**key, **changes)
    except IntegrityError:  # created meanwhile by another transaction
        model.objects.filter(**where).update(**updates)


ROW_KEY = ("month", "centre_id", "dispute_type", "jurisdiction")


def apply(dispute, before: dict, after: dict) -> None:
    changes = {
        k: after.get(k, 0) - before.get(k, 0)
        for k in (*COUNTERS, "close_days")
        if after.get(k, 0) != before.get(k, 0)
    }
    key = _key(dispute)
    if changes:
        _bump(DisputeRollup, key, ROW_KEY, changes)
    old_days, new_days = before.get("_days"), after.get("_days")
    if old_days != new_days:
        if old_days is not None:
            _bump(CloseDaysCount, {**key, "days": old_days}, (*ROW_KEY, "days"), {"count": -1})
        if new_days is not None:
            _bump(CloseDaysCount, {**key, "days": new_days}, (*ROW_KEY, "days"), {"count": 1})


def _days_sql() -> str:
    """Calendar days from receipt to close, in the local time zone, as SQL on either database."""
    if connection.vendor == "postgresql":
        tz = timezone.get_current_timezone_name()
        return f"(DATE(d.closed_at AT TIME ZONE '{tz}') - DATE(d.received_at AT TIME ZONE '{tz}'))"
    offset = timezone.localtime().utcoffset().total_seconds() / 3600
    mod = f"'{offset:+.0f} hours'"
    return f"CAST(julianday(date(d.closed_at, {mod})) - julianday(date(d.received_at, {mod})) AS INTEGER)"


@transaction.atomic
def rebuild() -> int:
    """Recompute both tables from the disputes (set-based; the demo and benchmarks use it)."""
    DisputeRollup.objects.all().delete()
    CloseDaysCount.objects.all().delete()
    d = Dispute._meta.db_table
    c = "mediation_centre"
    r = DisputeRollup._meta.db_table
    h = CloseDaysCount._meta.db_table
    closed = "('agreed','performed','failed','withdrawn')"
    days = _days_sql()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {r} (month, centre_id, dispute_type, jurisdiction, level, path, taken_in, closed,
                agreed, failed, withdrawn, performed, came_back, from_cases, close_days)
            SELECT d.received_month, d.centre_id, d.dispute_type, d.jurisdiction, c.level, c.path,
                COUNT(*),
                SUM(CASE WHEN d.closed_at IS NOT NULL THEN 1 ELSE 0 END),
                SUM(CASE WHEN d.state IN ('agreed','performed') THEN 1 ELSE 0 END),
                SUM(CASE WHEN d.state = 'failed' THEN 1 ELSE 0 END),
                SUM(CASE WHEN d.state = 'withdrawn' THEN 1 ELSE 0 END),
                SUM(CASE WHEN d.state = 'performed' THEN 1 ELSE 0 END),
                SUM(CASE WHEN d.came_back_from_id IS NOT NULL THEN 1 ELSE 0 END),
                SUM(CASE WHEN d.case_id IS NOT NULL THEN 1 ELSE 0 END),
                COALESCE(SUM(CASE WHEN d.closed_at IS NOT NULL THEN {days} ELSE 0 END), 0)
            FROM {d} d JOIN {c} c ON c.id = d.centre_id
            GROUP BY d.received_month, d.centre_id, d.dispute_type, d.jurisdiction, c.level, c.path
            """
        )
        n = cursor.rowcount
        cursor.execute(
            f"""
            INSERT INTO {h} (month, centre_id, dispute_type, jurisdiction, level, path, days, count)
            SELECT d.received_month, d.centre_id, d.dispute_type, d.jurisdiction, c.level, c.path,
                {days}, COUNT(*)
            FROM {d} d JOIN {c} c ON c.id = d.centre_id
            WHERE d.closed_at IS NOT NULL AND d.state IN {closed}
            GROUP BY d.received_month, d.centre_id, d.dispute_type, d.jurisdiction, c.level, c.path, {days}
            """
        )
    return n
