"""The model in use and the catalogue's cold start, held in process, and one `predict`.

The cold start is rebuilt when the category catalogue changes (`caches.CATEGORIES`); the trained
model is reloaded when another version becomes active (one indexed look-up per prediction tells).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from civicgrid.cases.models import Category
from civicgrid.core import caches

from . import textmodel
from .models import TriageModel


@dataclass(frozen=True)
class Catalogue:
    """The categories a case may be given (active leaves) and the cold-start scorer over them."""

    classes: list[str]  # category ids as strings
    cold: textmodel.ColdStart | None


def category_document(cat: Category, parent: Category | None) -> str:
    """The words a category is known by: its name (twice: it weighs most), its parent's name and
    its keywords. This is all a fresh deployment has to route by."""
    words = [cat.name, cat.name, parent.name if parent else "", cat.keywords or ""]
    return " ".join(w for w in words if w)


def _load_catalogue() -> Catalogue:
    cats = list(Category.objects.filter(active=True).select_related("parent"))
    with_children = {c.parent_id for c in cats if c.parent_id}
    leaves = [c for c in cats if c.pk not in with_children]
    docs = {str(c.pk): category_document(c, c.parent) for c in leaves}
    return Catalogue(list(docs), textmodel.ColdStart(docs) if docs else None)


_catalogue = caches.TimedValue("triage.catalogue", _load_catalogue, topics=[caches.CATEGORIES])

_lock = threading.Lock()
_loaded: dict = {"id": None, "version": 0, "payload": None}


def forget() -> None:
    with _lock:
        _loaded.update(id=None, version=0, payload=None, checked=-1e9, row=None)
    _catalogue.clear()


# Another process's activation or rollback is seen within this many seconds (this process's at once).
ACTIVE_CHECK_SECONDS = 5.0


def _active_row() -> tuple[int, int] | None:
    now = time.monotonic()
    if now - _loaded.get("checked", -1e9) < ACTIVE_CHECK_SECONDS:
        return _loaded.get("row")
    row = TriageModel.objects.filter(active=True).values_list("id", "version").first()
    _loaded.update(checked=now, row=row)
    return row


def active_payload() -> tuple[int, dict | None]:
    """(version, payload) of the model in use, (0, None) without one. The payload is the dict
    services.train stored: {"text": TextClassifier, "departments": {...}, "history": n}."""
    row = _active_row()
    if row is None:
        return 0, None
    model_id, version = row
    if _loaded["id"] != model_id:
        blob = TriageModel.objects.filter(pk=model_id).values_list("blob", flat=True).first()
        payload = textmodel.loads(blob) if blob is not None else None
        with _lock:
            _loaded.update(id=model_id, version=version, payload=payload)
    return _loaded["version"], _loaded["payload"]


@dataclass(frozen=True)
class Prediction:
    ranked: list[tuple[int, float]]  # (category id, confidence), best first
    model_version: int  # 0: cold start alone
    cold_share: float  # the cold start's weight in the blend


def predict(text: str, k: int = 3) -> Prediction:
    """Top-k categories for a text: the trained model blended with the catalogue's cold start by
    history size (textmodel.blend_weight)."""
    import sklearn

    # One short text at a time: sklearn's input validation would cost more than the arithmetic.
    with sklearn.config_context(assume_finite=True, skip_parameter_validation=True):
        return _predict(text, k)


def _predict(text: str, k: int) -> Prediction:
    catalogue = _catalogue.get()
    version, payload = active_payload()
    trained = None
    weight = 0.0
    if payload is not None:
        clf: textmodel.TextClassifier = payload["text"]
        trained = (clf.classes, clf.proba_one(text)[None, :])
        weight = textmodel.blend_weight(int(payload.get("history", 0)))
    cold = (
        (catalogue.classes, catalogue.cold.proba_one(text)[None, :]) if catalogue.cold is not None else None
    )
    if trained is None and cold is None:
        return Prediction([], version, 1.0)
    p = textmodel.blended(catalogue.classes, trained, cold, weight)
    ranked = textmodel.top_k(catalogue.classes, p, k)[0] if len(catalogue.classes) else []
    return Prediction(
        [(int(c), round(float(conf), 4)) for c, conf in ranked], version, round(1.0 - weight, 4)
    )


def history_department(payload: dict | None, category_id: int, path: str) -> tuple[int | None, int]:
    """(department id, past cases) most often chosen for the category in the deepest area of
    `path` that has history, from the table the model was trained with."""
    if not payload:
        return None, 0
    table: dict = payload.get("departments", {})
    best: tuple[int | None, int] = (None, 0)
    parts = [p for p in path.split("/") if p]
    for depth in range(len(parts), 0, -1):
        counts = table.get((category_id, "/".join(parts[:depth]) + "/"))
        if counts:
            dept, n = max(counts.items(), key=lambda item: (item[1], -item[0]))
            return dept, n
    return best


__all__ = ["Prediction", "active_payload", "forget", "history_department", "predict"]
