"""The category and dispatch-rule catalogue, held in process (invalidated on change): look-ups by
id or code, triage by keyword, and the dispatcher's suggestion (the deepest matching rule).
"""

from __future__ import annotations

import threading
import time as _time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils.translation import gettext as _

from civicgrid.areas.models import Area, Level
from civicgrid.people.models import Department

from ..models import (
    Case,
    Category,
    DispatchRule,
)
from ..seed import DEFAULT_CATEGORY, ERRAND_CATEGORY
from .moves import CategoryRef


@dataclass
class Suggestion:
    department: Department | None
    assisting: list[Department] = field(default_factory=list)
    rule: DispatchRule | None = None
    source: str = ""  # "rule", "parent rule", "category default" or ""


CACHE_SECONDS = 60


_lock = threading.Lock()


_cache: dict = {"loaded": 0.0}


def _forget(*args: object, **kwargs: object) -> None:
    with _lock:
        _cache.clear()
        _cache["loaded"] = 0.0


def _fresh(cache: dict) -> bool:
    return cache.get("categories") is not None and _time.monotonic() - cache["loaded"] < CACHE_SECONDS


def _load() -> dict:
    cache = _cache
    if _fresh(cache):
        return cache
    with _lock:
        if _fresh(cache):
            return cache  # another thread loaded it while this one waited for the lock
        categories = {c.pk: c for c in Category.objects.select_related("parent")}
        by_code = {c.code: c for c in categories.values()}
        keywords = []
        for c in categories.values():
            if c.active and c.parent_id and c.keywords:
                for word in c.keywords.split():
                    keywords.append((word, c))
        keywords.sort(key=lambda item: -len(item[0]))
        rules: dict[int, list] = {}
        for r in DispatchRule.objects.select_related("area").prefetch_related("assisting"):
            rules.setdefault(r.category_id, []).append(
                (r.area.path, r.priority, r.department_id, [d.pk for d in r.assisting.all()], r.pk)
            )
        for lst in rules.values():
            lst.sort(key=lambda x: (-len(x[0]), -x[1]))
        areas = {
            a["id"]: a
            for a in Area.objects.filter(level=Level.GRID).values(
                "id", "path", "jurisdiction", "level", "code"
            )
        }
        cache.update(
            categories=categories,
            by_code=by_code,
            keywords=keywords,
            rules=rules,
            grids=areas,
            loaded=_time.monotonic(),
        )
    return cache


for _model in (Category, DispatchRule):
    post_save.connect(_forget, sender=_model, dispatch_uid=f"cases-cache-save-{_model.__name__}")
    post_delete.connect(_forget, sender=_model, dispatch_uid=f"cases-cache-delete-{_model.__name__}")


m2m_changed.connect(_forget, sender=DispatchRule.assisting.through, dispatch_uid="cases-cache-m2m")


post_save.connect(_forget, sender=Area, dispatch_uid="cases-cache-area-save")


post_delete.connect(_forget, sender=Area, dispatch_uid="cases-cache-area-delete")


def categories_by_code() -> Mapping[str, Category]:
    """Every category (active or not) by its code, from the per-process catalogue."""
    return _load()["by_code"]


def get_category(value: CategoryRef) -> Category:
    """A category from an instance, an id (int) or a code (str); cached."""
    if isinstance(value, Category):
        return _load()["categories"].get(value.pk, value)
    for attempt in range(2):
        cache = _load()
        found = cache["categories"].get(value) if isinstance(value, int) else cache["by_code"].get(str(value))
        if found is not None:
            return found
        if attempt == 0:
            _forget()
    raise ValidationError(_("Unknown category."))


def triage(description: str, category: CategoryRef | None = None) -> Category:
    """The category given, else the first sub-category whose keyword occurs in the text, else 其他."""
    if category:
        return get_category(category)
    text = description or ""
    for word, cat in _load()["keywords"]:
        if word in text:
            return cat
    return get_category(DEFAULT_CATEGORY)


def _suggest_ids(category: Category, path: str) -> tuple[int | None, list[int], int | None, str]:
    rules = _load()["rules"]
    for cat_id, source in ((category.pk, "rule"), (category.parent_id, "parent rule")):
        if not cat_id:
            continue
        for area_path, _prio, dept_id, assisting, rule_id in rules.get(cat_id, ()):
            if path.startswith(area_path):
                return dept_id, assisting, rule_id, source
    default = category.default_department_id or (
        category.parent.default_department_id if category.parent else None
    )
    return default, [], None, "category default" if default else ""


def suggest_dispatch(case: Case) -> Suggestion:
    """The dispatcher's suggestion: the deepest matching rule for the category (then its parent)."""
    dept_id, assisting, rule_id, source = _suggest_ids(get_category(case.category_id), case.path)
    if not dept_id:
        return Suggestion(None)
    depts = Department.objects.in_bulk([dept_id, *assisting])
    return Suggestion(
        depts.get(dept_id),
        [depts[i] for i in assisting if i in depts],
        DispatchRule.objects.filter(pk=rule_id).first() if rule_id else None,
        source,
    )


def _errand_category(description: str) -> Category:
    errand = get_category(ERRAND_CATEGORY)
    children = sorted(
        (c for c in _load()["categories"].values() if c.parent_id == errand.pk and c.active),
        key=lambda c: (c.sort, c.code),
    )
    for child in children:
        if any(word in description for word in child.keywords.split()):
            return child
    return children[0] if children else errand


def _grid_row(grid_id: int) -> Mapping[str, Any] | None:
    row = Area.objects.filter(pk=grid_id).values("id", "path", "jurisdiction").first()
    if row:
        _load()["grids"][grid_id] = row
    return row


def _grid_from_path(path: str) -> Mapping[str, Any] | None:
    for row in _load()["grids"].values():
        if row["path"] == path:
            return row
    return Area.objects.filter(path=path, level=Level.GRID).values("id", "path", "jurisdiction").first()
