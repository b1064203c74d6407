"""A points scheme's rules are data: how many points an hour earns, how many hours an activity may
credit, bonuses by post type, a cap per account and period, an optional expiry, household pooling.

    {
      "points_per_hour": 1,            # whole points per confirmed hour
      "max_hours_per_activity": 2,     # hours credited per activity at most
      "bonus_by_post_type": {"care_mutual_aid": 1},   # added once per award with confirmed time
      "cap": {"period": "month", "points": 30},       # or null: points awarded per account and period
      "expiry_months": 12,             # or null: points earned expire after this many months
      "pool_households": false         # true: a household's members earn into one pooled account
    }

Every rule is read here and nowhere else.
"""

from __future__ import annotations

import calendar
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from civicgrid.party.models import PostType

PERIODS = ("month", "quarter", "year")

DEFAULT_RULES: dict = {
    "points_per_hour": 1,
    "max_hours_per_activity": 2,
    "bonus_by_post_type": {},
    "cap": None,
    "expiry_months": None,
    "pool_households": False,
}


def _whole(value, name: str, *, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValidationError(
            _("The rule %(name)s must be a whole number of at least %(min)d.")
            % {"name": name, "min": minimum}
        )
    return value


def validate_rules(rules: dict) -> dict:
    """The rules with defaults filled in; a clear error for anything that is not a valid rule."""
    if not isinstance(rules, dict):
        raise ValidationError(_("A scheme's rules are a set of named values."))
    unknown = sorted(set(rules) - set(DEFAULT_RULES))
    if unknown:
        raise ValidationError(_("Unknown rules: %(names)s.") % {"names": ", ".join(unknown)})
    merged = {**DEFAULT_RULES, **rules}
    _whole(merged["points_per_hour"], "points_per_hour")
    _whole(merged["max_hours_per_activity"], "max_hours_per_activity", minimum=1)
    bonus = merged["bonus_by_post_type"]
    if not isinstance(bonus, dict) or not set(bonus) <= set(PostType.values):
        raise ValidationError(_("Bonuses are given by post type."))
    for key, value in bonus.items():
        _whole(value, f"bonus_by_post_type.{key}")
    cap = merged["cap"]
    if cap is not None:
        if not isinstance(cap, dict) or cap.get("period") not in PERIODS or set(cap) != {"period", "points"}:
            raise ValidationError(_("A cap names a period (month, quarter or year) and a number of points."))
        _whole(cap["points"], "cap.points", minimum=1)
    if merged["expiry_months"] is not None:
        _whole(merged["expiry_months"], "expiry_months", minimum=1)
    if not isinstance(merged["pool_households"], bool):
        raise ValidationError(_("Household pooling is either on or off."))
    return merged


def points_for(rules: dict, minutes: int, post_type: str) -> int:
    """Points for `minutes` of confirmed service in an activity of `post_type` (before any cap)."""
    rules = validate_rules(rules)
    if minutes <= 0:
        return 0
    credited = min(minutes, rules["max_hours_per_activity"] * 60)
    return credited * rules["points_per_hour"] // 60 + rules["bonus_by_post_type"].get(post_type, 0)


def period_bounds(period: str, day: date) -> tuple[date, date]:
    """The period (month, quarter, year) containing `day`: [start, end)."""
    if period == "month":
        start = day.replace(day=1)
    elif period == "quarter":
        start = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    else:
        start = date(day.year, 1, 1)
    months = {"month": 1, "quarter": 3, "year": 12}[period]
    return start, add_months(start, months)


def add_months(day: date, months: int) -> date:
    total = day.month - 1 + months
    year, month = day.year + total // 12, total % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def expiry_date(rules: dict, earned_on: date) -> date | None:
    months = validate_rules(rules)["expiry_months"]
    return add_months(earned_on, months) if months else None
