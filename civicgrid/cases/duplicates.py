"""Possible duplicates of a report, and clusters of similar reports (集中突出), as rules plus data.

Duplicates: open cases that are near (the category's `duplicate_metres`, else its parent's, else
`DEFAULT_METRES`), recent (`duplicate_days`, else `DEFAULT_DAYS`) and similar in text (rapidfuzz
on normalised text, `TEXT_SIMILAR`), or in the same building or unit, or at the same address as
written (and not about something else entirely: `TEXT_RELATED` or the same top category), or of the
same category in the same grid. This is the one rule: the resident's phone page, the dispatcher's
panel, the hotline desk's warning and the API's look-up all ask it. One query per look-up, over an
index (reported_at) and a bounding box; the text is compared in process.

Clusters: the open and recent cases of one community that read alike (`ClusterRule`: at least
`min_cases` in `days`, text similarity `similarity`), grouped greedily per top category. The
worker proposes them to the community's Party branch (services.clusters).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import F, Q
from django.utils import timezone
from rapidfuzz import fuzz

from civicgrid.areas.models import Area
from civicgrid.core.geo import bounding_box, distance_m

from .models import Case, Category, ClusterRule
from .workflow import OPEN_STATES, State

DEFAULT_METRES = 100
DEFAULT_DAYS = 14
TEXT_SIMILAR = 55  # near and this alike: a possible duplicate
TEXT_RELATED = 35  # same building or unit and this alike (or the same top category)
MAX_SHOWN = 5
CANDIDATE_ROWS = 60  # rows read per look-up at most

DEFAULT_CLUSTER = {"min_cases": 5, "days": 30, "similarity": 50}

_PUNCT = re.compile(r"[\W_]+", re.UNICODE)
# Words that say nothing about the problem itself.
_FILLER = re.compile(r"(您好|你好|请问|麻烦|谢谢|希望|尽快|处理|解决|反映|问题|一下|了|的|吗|呢|啊)")


def normalise_text(text: str) -> str:
    s = unicodedata.normalize("NFKC", text or "").lower()
    s = _PUNCT.sub("", s)
    return _FILLER.sub("", s)


def similarity(a: str, b: str) -> float:
    """0..100: how alike two reports read (normalised first)."""
    na, nb = normalise_text(a), normalise_text(b)
    if not na or not nb:
        return 0.0
    # ratio for texts of a size; a short report inside a long one counts, a little less
    return max(fuzz.ratio(na, nb), 0.9 * fuzz.partial_ratio(na, nb) if min(len(na), len(nb)) >= 4 else 0)


def _inherited(category: Category | None, name: str, default: int) -> int:
    seen = 0
    while category is not None and seen < 3:
        value = getattr(category, name, None)
        if value:
            return int(value)
        category = category.parent if category.parent_id else None
        seen += 1
    return default


def radius_for(category: Category | None) -> int:
    return _inherited(category, "duplicate_metres", DEFAULT_METRES)


def window_for(category: Category | None) -> int:
    return _inherited(category, "duplicate_days", DEFAULT_DAYS)


@dataclass
class Duplicate:
    case: Case
    similarity: float
    metres: float | None
    # "near", "same_unit", "same_building", "same_address", "same_grid" (same category too), "similar",
    # "same_area" (only the community was known)
    reasons: list[str] = field(default_factory=list)

    @property
    def score(self) -> float:
        return (
            self.similarity
            + (30 if "same_unit" in self.reasons else 0)
            + (15 if "same_building" in self.reasons else 0)
            + (10 if "same_address" in self.reasons or "same_grid" in self.reasons else 0)
        )


def find_duplicates(
    *,
    description: str,
    category: Category | None = None,
    lng: float | None = None,
    lat: float | None = None,
    building_id: int | None = None,
    unit_id: int | None = None,
    address: str = "",
    grid_id: int | None = None,
    within: str = "",
    exclude: int | None = None,
    public_only: bool = False,
    now: datetime | None = None,
    limit: int = MAX_SHOWN,
) -> list[Duplicate]:
    """Open cases that may be this report again, best first (see the module docstring)."""
    now = now or timezone.now()
    metres = radius_for(category)
    since = now - timedelta(days=window_for(category))
    place = Q(pk__in=[])
    if lng is not None and lat is not None:
        lngs, lats = bounding_box(lng, lat, metres)
        place |= Q(lng__range=lngs, lat__range=lats)
    if building_id:
        place |= Q(building_id=building_id)
    if unit_id:
        place |= Q(unit_id=unit_id)
    address = (address or "").strip()
    if address:
        place |= Q(address=address)
    if grid_id and category is not None:
        place |= Q(grid_id=grid_id, category_id=category.pk)
    area_only = bool(within) and lng is None and building_id is None and unit_id is None
    if area_only and category is not None:  # only the community is known: same top category, alike text
        place = Q(top_category_id=category.top_id)
    qs = Case.objects.filter(place, state__in=OPEN_STATES, reported_at__gte=since, merged_into__isnull=True)
    if within:
        qs = qs.filter(path__startswith=within)
    if exclude:
        qs = qs.exclude(pk=exclude)
    if public_only:
        qs = qs.filter(public=True)
    rows = (
        qs.exclude(state=State.MERGED)
        .select_related("category")
        .annotate(reporter_name=F("reporter__name"))  # to take it out of the public text
        .order_by("-reported_at")[:CANDIDATE_ROWS]
    )
    found: list[Duplicate] = []
    top = category.top_id if category is not None else None
    for c in rows:
        text = f"{c.title} {c.description}"
        sim = similarity(description, text)
        reasons: list[str] = []
        distance = None
        if lng is not None and lat is not None and c.lng is not None and c.lat is not None:
            distance = distance_m(lng, lat, c.lng, c.lat)
            if distance <= metres:
                reasons.append("near")
        same_top = top is not None and c.top_category_id == top
        if unit_id and c.unit_id == unit_id:
            reasons.append("same_unit")
        elif building_id and c.building_id == building_id:
            reasons.append("same_building")
        if address and c.address == address:
            reasons.append("same_address")
        if grid_id and category is not None and c.grid_id == grid_id and c.category_id == category.pk:
            reasons.append("same_grid")
        if sim >= TEXT_SIMILAR:
            reasons.append("similar")
        if area_only and sim >= TEXT_SIMILAR + 10:
            reasons.append("same_area")
        keep = (
            "same_area" in reasons
            or ("near" in reasons and (sim >= TEXT_SIMILAR or (same_top and sim >= TEXT_RELATED)))
            or (
                any(r in reasons for r in ("same_unit", "same_building", "same_address"))
                and (sim >= TEXT_RELATED or same_top or not description.strip())
            )
            or "same_grid" in reasons
        )
        if keep:
            found.append(
                Duplicate(c, round(sim, 1), round(distance, 1) if distance is not None else None, reasons)
            )
    found.sort(key=lambda d: (-d.score, -d.case.reported_at.timestamp()))
    return found[:limit]


def duplicates_of(case: Case, *, limit: int = MAX_SHOWN) -> list[Duplicate]:
    """The possible duplicates of a case already taken in (the dispatcher's panel and the merge
    form's choices: kept on the case object, so one page asks once)."""
    memo = getattr(case, "_possible_duplicates", None)
    if memo is not None and memo[0] == (case.version, limit):
        return memo[1]
    street = "/".join(case.path.split("/")[:3]) + "/" if case.path.count("/") >= 3 else ""
    found = find_duplicates(
        description=f"{case.title} {case.description}",
        category=case.category,
        lng=case.lng,
        lat=case.lat,
        building_id=case.building_id,
        unit_id=case.unit_id,
        within=street,
        exclude=case.pk,
        now=case.reported_at + timedelta(days=1) if case.reported_at else None,
        limit=limit,
    )
    case._possible_duplicates = ((case.version, limit), found)  # type: ignore[attr-defined]
    return found


# --- clusters ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Thresholds:
    min_cases: int
    days: int
    similarity: int


def thresholds_for(community: Area) -> Thresholds:
    """The rule of the nearest area at or above the community, else the global rule, else defaults."""
    rules = list(ClusterRule.objects.filter(active=True).select_related("area"))
    best: ClusterRule | None = None
    best_depth = -1
    for r in rules:
        depth = len(r.area.path) if r.area is not None else 0
        if (r.area is None or community.path.startswith(r.area.path)) and depth > best_depth:
            best, best_depth = r, depth
    if best is None:
        return Thresholds(**DEFAULT_CLUSTER)
    return Thresholds(best.min_cases, best.days, best.similarity)


@dataclass
class Cluster:
    community: Area
    category_id: int  # the top category
    cases: list[Case]
    theme: str

    @property
    def signature(self) -> str:
        return ",".join(str(c.pk) for c in sorted(self.cases, key=lambda c: c.pk))[:64]


def find_clusters(community: Area, *, now: datetime | None = None) -> list[Cluster]:
    """Groups of at least `min_cases` alike open cases in the community within `days`."""
    rule = thresholds_for(community)
    now = now or timezone.now()
    since = now - timedelta(days=rule.days)
    rows = list(
        Case.objects.filter(
            path__startswith=community.path,
            state__in=OPEN_STATES,
            reported_at__gte=since,
            merged_into__isnull=True,
        )
        .exclude(kind="concentrated")
        .only("id", "title", "description", "top_category_id", "reported_at", "path", "jurisdiction", "state")
        .order_by("reported_at", "id")[:2000]
    )
    by_top: dict[int, list[Case]] = {}
    for c in rows:
        by_top.setdefault(c.top_category_id, []).append(c)
    clusters: list[Cluster] = []
    for top_id, cases in by_top.items():
        if len(cases) < rule.min_cases:
            continue
        texts = {c.pk: normalise_text(f"{c.title} {c.description}") for c in cases}
        left = list(cases)
        while len(left) >= rule.min_cases:
            # the case most others read like is the cluster's centre
            best_members: list[Case] = []
            for centre in left:
                members = [
                    o
                    for o in left
                    if o.pk == centre.pk or fuzz.ratio(texts[centre.pk], texts[o.pk]) >= rule.similarity
                ]
                if len(members) > len(best_members):
                    best_members = members
            if len(best_members) < rule.min_cases:
                break
            centre = best_members[0]
            clusters.append(
                Cluster(community, top_id, best_members, (centre.title or centre.description)[:120])
            )
            taken = {c.pk for c in best_members}
            left = [c for c in left if c.pk not in taken]
    return clusters
