"""The figures an indicator formula or a colour rule may use, per area and period, read from rollups.

A metric source gives named figures for a list of areas over a run of months, in one or two
queries whatever the number of areas (never a scan of cases). Sources: the closed loop's monthly
rollups (cases.rollups), the grids' households, mediation's dispute rollups, deliberation's topic
rollups and volunteering's monthly counts. A new capability adds its source to SOURCES.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from django.db.models import Sum
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from civicgrid.areas.models import Area, Level
from civicgrid.cases import rollups
from civicgrid.deliberation.models import TopicRollup
from civicgrid.mediation.models import DisputeRollup
from civicgrid.volunteering.models import Metric as VolunteeringMetric
from civicgrid.volunteering.models import VolunteeringCount


@dataclass(frozen=True)
class Metric:
    name: str
    label: object  # lazy translation
    unit: str = ""  # "rate" (a share 0..1), "hours", "count"


@dataclass(frozen=True)
class Source:
    metrics: tuple[Metric, ...]
    fetch: Callable[[list[Area], date, date], dict[int, dict[str, float | None]]]


def _cases(areas: list[Area], start: date, end: date) -> dict[int, dict[str, float | None]]:
    found = rollups.by_area(areas, start, end)
    out: dict[int, dict[str, float | None]] = {}
    for area in areas:
        figures = found.get(area.pk) or rollups.Figures(dict.fromkeys(rollups.COUNTERS, 0))
        out[area.pk] = {k: v for k, v in figures.as_dict().items()}
    return out


def _households(areas: list[Area], start: date, end: date) -> dict[int, dict[str, float | None]]:
    """Households of each area: the sum over the grids below it (grids carry the count)."""
    paths = {a.pk: a.path for a in areas}
    out = {a.pk: {"households": float(a.households_count if a.level == Level.GRID else 0)} for a in areas}
    wanted = [a for a in areas if a.level != Level.GRID]
    if wanted:
        common = _common_prefix([a.path for a in wanted])
        grids = Area.objects.filter(level=Level.GRID, path__startswith=common).values_list(
            "path", "households_count"
        )
        by_path = sorted(((paths[a.pk], a.pk) for a in wanted), reverse=True)
        for path, count in grids:
            for prefix, pk in by_path:
                if path.startswith(prefix):
                    out[pk]["households"] = (out[pk]["households"] or 0) + count
    for values in out.values():
        if not values["households"]:
            values["households"] = None  # no households known: "per household" figures have no data
    return out


def _by_prefix(areas: list[Area], rows, fields: list[str]) -> dict[int, dict[str, float]]:
    """Sum rows keyed by a path ((path, {field: n}) pairs) into every area whose path prefixes it."""
    out = {a.pk: dict.fromkeys(fields, 0.0) for a in areas}
    for path, values in rows:
        for area in areas:
            if path.startswith(area.path):
                for f in fields:
                    out[area.pk][f] += values.get(f) or 0
    return out


def _rate(num: float, den: float) -> float | None:
    return num / den if den else None


MEDIATION_FIELDS = ["taken_in", "closed", "agreed", "performed", "came_back"]


def _mediation(areas: list[Area], start: date, end: date) -> dict[int, dict[str, float | None]]:
    common = _common_prefix([a.path for a in areas])
    rows = (
        DisputeRollup.objects.filter(path__startswith=common, month__gte=start, month__lte=end)
        .values("path")
        .annotate(**{f: Sum(f) for f in MEDIATION_FIELDS})
    )
    sums = _by_prefix(areas, ((r["path"], r) for r in rows), MEDIATION_FIELDS)
    out: dict[int, dict[str, float | None]] = {}
    for pk, v in sums.items():
        out[pk] = {
            "disputes_taken_in": v["taken_in"],
            "disputes_closed": v["closed"],
            "mediation_closure_rate": _rate(v["closed"], v["taken_in"]),
            "mediation_success_rate": _rate(v["agreed"], v["closed"]),
            "disputes_came_back": v["came_back"],
        }
    return out


def _deliberation(areas: list[Area], start: date, end: date) -> dict[int, dict[str, float | None]]:
    rows = {
        r["area_id"]: r
        for r in TopicRollup.objects.filter(area__in=areas, month__gte=start, month__lte=end)
        .values("area_id")
        .annotate(raised=Sum("raised"), carried_out=Sum("carried_out"))
    }
    return {
        a.pk: {
            "topics_raised": float(rows.get(a.pk, {}).get("raised") or 0),
            "topics_carried_out": float(rows.get(a.pk, {}).get("carried_out") or 0),
        }
        for a in areas
    }


def _volunteering(areas: list[Area], start: date, end: date) -> dict[int, dict[str, float | None]]:
    common = _common_prefix([a.path for a in areas])
    wanted = [
        VolunteeringMetric.VOLUNTEER_MINUTES,
        VolunteeringMetric.CALLS,
        VolunteeringMetric.CALLS_IN_TIME,
    ]
    rows = (
        VolunteeringCount.objects.filter(
            path__startswith=common, month__gte=start, month__lte=end, metric__in=wanted
        )
        .values("path", "metric")
        .annotate(n=Sum("value"))
    )
    sums = _by_prefix(areas, ((r["path"], {r["metric"]: r["n"]}) for r in rows), list(wanted))
    return {
        pk: {
            "volunteer_hours": v[VolunteeringMetric.VOLUNTEER_MINUTES] / 60,
            "calls_answered_in_time_rate": _rate(
                v[VolunteeringMetric.CALLS_IN_TIME], v[VolunteeringMetric.CALLS]
            ),
        }
        for pk, v in sums.items()
    }


def _common_prefix(paths: list[str]) -> str:
    first, last = min(paths), max(paths)
    i = 0
    while i < min(len(first), len(last)) and first[i] == last[i]:
        i += 1
    prefix = first[:i]
    return prefix[: prefix.rfind("/") + 1]


CASE_METRICS = (
    Metric("reported", _("cases reported"), "count"),
    Metric("accepted", _("cases accepted"), "count"),
    Metric("closed", _("cases closed"), "count"),
    Metric("closed_on_time", _("cases closed on time"), "count"),
    Metric("overdue_open", _("open cases past their time limit"), "count"),
    Metric("on_hold", _("cases on hold"), "count"),
    Metric("settled_on_spot", pgettext_lazy("indices", "settled on the spot"), "count"),
    Metric("unsatisfied", _("unsatisfied ratings"), "count"),
    Metric("completion_rate", _("completion rate (办结率)"), "rate"),
    Metric("on_time_rate", _("on-time completion rate (按期办结率)"), "rate"),
    Metric("response_rate", _("response rate (响应率)"), "rate"),
    Metric("resolution_rate", _("resolution rate (解决率)"), "rate"),
    Metric("satisfaction_rate", _("satisfaction rate (满意率)"), "rate"),
    Metric("rework_rate", _("rework rate (返工率)"), "rate"),
    Metric("avg_close_hours", _("average hours to close"), "hours"),
)

SOURCES: list[Source] = [
    Source(CASE_METRICS, _cases),
    Source((Metric("households", pgettext_lazy("indices", "households"), "count"),), _households),
    Source(
        (
            Metric("disputes_taken_in", _("disputes taken in for mediation"), "count"),
            Metric("disputes_closed", _("disputes closed"), "count"),
            Metric("mediation_closure_rate", _("mediation closure rate (结案率)"), "rate"),
            Metric("mediation_success_rate", _("mediation success rate"), "rate"),
            Metric("disputes_came_back", _("disputes that came back"), "count"),
        ),
        _mediation,
    ),
    Source(
        (
            Metric("topics_raised", _("deliberation topics raised"), "count"),
            Metric("topics_carried_out", _("deliberation topics carried out"), "count"),
        ),
        _deliberation,
    ),
    Source(
        (
            Metric("volunteer_hours", _("volunteer hours"), "hours"),
            Metric("calls_answered_in_time_rate", _("whistle calls answered in time"), "rate"),
        ),
        _volunteering,
    ),
]


def catalogue() -> list[Metric]:
    return [m for source in SOURCES for m in source.metrics]


def names() -> frozenset[str]:
    return frozenset(m.name for m in catalogue())


def for_areas(areas: Iterable[Area], start: date, end: date) -> dict[int, dict[str, float | None]]:
    """Every metric of every source for these areas over the months start..end (first days)."""
    areas = list(areas)
    out: dict[int, dict[str, float | None]] = {a.pk: {} for a in areas}
    if not areas:
        return out
    for source in SOURCES:
        for pk, values in source.fetch(areas, start, end).items():
            out[pk].update(values)
    return out
