"""Read-only helpers: a case by follow token or reference, possible duplicates, the case filters
of the staff search and the API.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from civicgrid.areas.models import Area
from civicgrid.people.models import Department

from .. import search_words
from ..duplicates import find_duplicates
from ..models import (
    Case,
    Category,
    overdue_q,
)
from .catalogue import triage
from .moves import CategoryRef
from .new_cases import _hash


def case_for_token(token: str) -> Case | None:
    """The case a private follow link points to, or None."""
    if not token or len(token) > 100:
        return None
    return Case.objects.filter(follow_token_hash=_hash(token)).first()


def get_by_ref(ref: str) -> Case | None:
    return Case.objects.by_ref(ref).first()


def find_possible_duplicates(
    *,
    category: CategoryRef | None = None,
    description: str = "",
    lng: float | None = None,
    lat: float | None = None,
    grid: Area | int | None = None,
    address: str = "",
    exclude: int | None = None,
    limit: int = 10,
) -> list[Case]:
    """Open cases that look like this one (the hotline desk's warning, the API's look-up), best first:
    the one rule of cases/duplicates.py, with the category read from the text when none is given."""
    cat = triage(description, category) if (category or description) else None
    found = find_duplicates(
        description=description,
        category=cat,
        lng=lng,
        lat=lat,
        address=address,
        grid_id=grid.pk if isinstance(grid, Area) else (int(grid) if grid else None),
        exclude=exclude,
        limit=limit,
    )
    return [d.case for d in found]


def filter_cases(
    qs: QuerySet[Case],
    *,
    text: str = "",
    states: Iterable[str] = (),
    category: Category | int | None = None,
    area: Area | None = None,
    department: Department | int | None = None,
    channel: str = "",
    kind: str = "",
    overdue: bool | None = None,
    reported_from: date | None = None,
    reported_to: date | None = None,
    now: datetime | None = None,
) -> QuerySet[Case]:
    """The case filters of the staff search and the API list, once (both check their own input).

    `text` is a reference code or words in the title, description or address; a top category
    includes its sub-categories; `overdue` True keeps, False drops the cases `Case.objects.overdue()`
    holds; the dates are local days, both included."""
    text = (text or "").strip()
    if text:
        words = Q(title__icontains=text) | Q(description__icontains=text) | Q(address__icontains=text)
        index = search_words.may_hold(text)  # the word index's necessary condition (PostgreSQL)
        if index is not None:
            words = index & words
        qs = qs.filter(Q(pk__in=Case.objects.by_ref(text).values("pk")) | words)
    states = list(states)
    if states:
        qs = qs.filter(state__in=states)
    if category is not None:
        pk = category.pk if isinstance(category, Category) else int(category)
        qs = qs.filter(Q(category_id=pk) | Q(top_category_id=pk))
    if area is not None:
        qs = qs.filter(path__startswith=area.path)
    if department is not None:
        qs = qs.filter(department_id=department.pk if isinstance(department, Department) else int(department))
    if channel:
        qs = qs.filter(channel=channel)
    if kind:
        qs = qs.filter(kind=kind)
    if overdue is not None:
        qs = qs.filter(overdue_q(now)) if overdue else qs.exclude(overdue_q(now))
    if reported_from:
        qs = qs.filter(reported_at__gte=_day_start(reported_from))
    if reported_to:
        qs = qs.filter(reported_at__lt=_day_start(reported_to + timedelta(days=1)))
    return qs


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))
