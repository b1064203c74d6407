"""The pioneer index (先锋指数) and quarterly star ratings (星级).

A member's index for a period is the weighted sum of factors: posts held, calls answered,
activities joined, households contacted. The weights and the star thresholds are data
(`PioneerWeights` for an area, else `DEFAULT_WEIGHTS` / `DEFAULT_STARS`). Each factor is counted
by a provider: this app counts posts and calls; apps above it register theirs (volunteering counts
activities joined) from their AppConfig.ready, so party never imports them. A factor with no
provider installed is shown as not measured and counts nothing.

Every quarter the branch publishes its board as a frozen snapshot (`PioneerSnapshot`). It rewards
only: a member appears with the stars they earned; members without a star are not listed, and
nothing is deducted for not taking part.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid.people.models import Resident

from . import policy
from .models import (
    CallReport,
    HomeRegistration,
    OrgLevel,
    PartyMembership,
    PartyOrganization,
    PioneerScore,
    PioneerSnapshot,
    PioneerWeights,
    PostHolding,
)

DEFAULT_WEIGHTS = {"posts_held": 10, "calls_answered": 5, "activities_joined": 3, "households_contacted": 1}
DEFAULT_STARS = [10, 25, 45, 70, 100]

# factor → (label, counter(member_ids, start, end) -> {member_id: count})
Counter = Callable[[list[int], date, date], dict[int, int]]
FACTORS: dict[str, tuple[object, Counter | None]] = {}


def register_factor(name: str, label, counter: Counter) -> None:
    FACTORS[name] = (label, counter)


def _posts_held(member_ids, start, end):
    rows = (
        PostHolding.objects.filter(member_id__in=member_ids, started_on__lt=end)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=start))
        .values("member_id")
        .annotate(n=Count("post_id", distinct=True))
    )
    return {r["member_id"]: r["n"] for r in rows}


def _calls_answered(member_ids, start, end):
    rows = (
        CallReport.objects.filter(
            member_id__in=member_ids, reported_at__date__gte=start, reported_at__date__lt=end
        )
        .values("member_id")
        .annotate(n=Count("id"))
    )
    return {r["member_id"]: r["n"] for r in rows}


register_factor("posts_held", gettext_lazy("posts held"), _posts_held)
register_factor("calls_answered", gettext_lazy("calls answered"), _calls_answered)
FACTOR_LABELS = {
    "posts_held": gettext_lazy("posts held"),
    "calls_answered": gettext_lazy("calls answered"),
    "activities_joined": gettext_lazy("activities joined"),
    "households_contacted": gettext_lazy("households contacted"),
}


def quarter_bounds(quarter: str) -> tuple[date, date]:
    """'2026Q3' → (2026-07-01, 2026-10-01)."""
    try:
        year, q = int(quarter[:4]), int(quarter[5])
        if quarter[4] != "Q" or not 1 <= q <= 4 or len(quarter) != 6:
            raise ValueError
    except (ValueError, IndexError) as exc:
        raise ValidationError(_("A quarter is written like 2026Q3.")) from exc
    start = date(year, 3 * (q - 1) + 1, 1)
    end = date(year + 1, 1, 1) if q == 4 else date(year, 3 * q + 1, 1)
    return start, end


def quarter_of(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def validate_weights(weights: dict, stars: list) -> None:
    if not isinstance(weights, dict) or not weights or not set(weights) <= set(FACTOR_LABELS):
        raise ValidationError(_("Weights are given for the known factors only."))
    if any(isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in weights.values()):
        raise ValidationError(_("Weights are whole numbers, zero or more."))
    if (
        not isinstance(stars, list)
        or len(stars) != 5
        or any(isinstance(s, bool) or not isinstance(s, int) or s < 1 for s in stars)
        or stars != sorted(set(stars))
    ):
        raise ValidationError(_("Five rising score thresholds give one to five stars."))


def weights_for(org: PartyOrganization, on: date) -> tuple[dict, list]:
    prefixes = [org.area.path[: i + 1] for i, ch in enumerate(org.area.path) if ch == "/"]
    found = (
        PioneerWeights.objects.filter(area__path__in=prefixes, valid_from__lte=on)
        .order_by("-area__path", "-valid_from")
        .first()
    )
    return (found.weights, found.stars) if found else (DEFAULT_WEIGHTS, DEFAULT_STARS)


def set_weights(area, weights: dict, stars: list, by, *, valid_from: date) -> PioneerWeights:
    if not policy.leads_area(by, area.path):
        raise PermissionDenied(_("Only the Party committee sets the weights."))
    validate_weights(weights, stars)
    return PioneerWeights.objects.create(
        area=area, weights=weights, stars=stars, valid_from=valid_from, jurisdiction=area.jurisdiction
    )


def board_members(org: PartyOrganization):
    """Members on the organisation's board: its members; for a community committee also the members
    registered with its community (双报到). (Two indexed look-ups, not an OR across joins.)"""
    ids = set(PartyMembership.objects.filter(organization=org).values_list("resident_id", flat=True))
    if org.level == OrgLevel.COMMUNITY_COMMITTEE:
        ids |= set(
            HomeRegistration.objects.filter(community=org.area, ended_on__isnull=True).values_list(
                "member_id", flat=True
            )
        )
    return Resident.objects.filter(pk__in=ids)


def stars_for(score: int, thresholds: list) -> int:
    return sum(1 for t in thresholds if score >= t)


@dataclass
class Line:
    member: Resident
    factors: dict
    score: int
    stars: int


def compute(org: PartyOrganization, start: date, end: date) -> tuple[list[Line], dict, list]:
    """Every member's index for [start, end); only members with at least one star are returned."""
    weights, thresholds = weights_for(org, start)
    members = list(board_members(org))
    ids = [m.pk for m in members]
    counts = {}
    for name in weights:
        provider = FACTORS.get(name)
        counts[name] = provider[1](ids, start, end) if provider else {}
    lines = []
    for m in members:
        factors = {name: counts[name].get(m.pk, 0) for name in weights if name in FACTORS}
        score = sum(weights[name] * n for name, n in factors.items())
        stars = stars_for(score, thresholds)
        if stars:
            lines.append(Line(m, factors, score, stars))
    lines.sort(key=lambda line: (-line.stars, line.member.masked_name, line.member.pk))
    return lines, weights, thresholds


def publish(org: PartyOrganization, quarter: str, by, *, at=None) -> PioneerSnapshot:
    """Freeze the quarter's star ratings on the board (once per quarter, after it has ended)."""
    if not policy.can_lead(by, org):
        raise PermissionDenied(_("Only the branch publishes its board."))
    start, end = quarter_bounds(quarter)
    at = at or timezone.now()
    if timezone.localtime(at).date() < end:
        raise ValidationError(_("A quarter's stars are published after the quarter ends."))
    lines, weights, thresholds = compute(org, start, end)
    try:
        with transaction.atomic():
            snapshot = PioneerSnapshot.objects.create(
                branch=org,
                quarter=quarter,
                period_start=start,
                period_end=end,
                weights=weights,
                stars=thresholds,
                published_at=at,
                published_by=by,
                jurisdiction=org.jurisdiction,
            )
            PioneerScore.objects.bulk_create(
                [
                    PioneerScore(
                        snapshot=snapshot,
                        member=line.member,
                        member_label=line.member.masked_name,
                        factors=line.factors,
                        score=line.score,
                        stars=line.stars,
                    )
                    for line in lines
                ]
            )
    except IntegrityError as exc:
        raise ValidationError(_("The stars of %(q)s are already published.") % {"q": quarter}) from exc
    return snapshot


def unmeasured_factors(weights: dict) -> list:
    return [FACTOR_LABELS.get(name, name) for name in weights if name not in FACTORS]
