"""Every write of triage: training and versions (train, activate, rollback), suggestions (made off
the intake path, by the worker on `case.reported`, or lazily for older cases), the auto-dispatch
above a district's threshold, the dispatcher's one-click confirm, the decision records and the
thresholds. Category and department changes go through the cases services (register, dispatch).
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from civicgrid.cases import services as cases_services
from civicgrid.cases.models import Case, CaseEvent, Category
from civicgrid.cases.workflow import State
from civicgrid.core import audit
from civicgrid.people import policy as people_policy
from civicgrid.people.models import Department

from . import policy, predictor, rules, textmodel
from .models import Decision, Outcome, Suggestion, Threshold, TriageModel

log = logging.getLogger("civicgrid.triage")


def case_text(title: str, description: str) -> str:
    return f"{title} {description}".strip() if title else (description or "")


# --- training and versions ---------------------------------------------------------------------------


@dataclass
class TrainingData:
    texts: list[str]
    labels: list[str]
    departments: dict  # (category id, area path prefix) → {department id: cases}


def training_data(limit: int = rules.MAX_TRAINING) -> TrainingData:
    """The labelled history: the final category of each case a person settled, newest first."""
    rows = (
        Case.objects.filter(rules.labelled_q())
        .order_by("-id")
        .values_list("title", "description", "category_id", "department_id", "path")[:limit]
    )
    texts, labels = [], []
    departments: dict = defaultdict(Counter)
    for title, description, category_id, department_id, path in rows.iterator(chunk_size=5000):
        texts.append(case_text(title, description))
        labels.append(str(category_id))
        if department_id:
            parts = [p for p in path.split("/") if p]
            # District, street and community levels (the city is too wide to learn a department).
            for depth in range(2, min(len(parts), 4) + 1):
                departments[(category_id, "/".join(parts[:depth]) + "/")][department_id] += 1
    kept = {
        key: {d: n for d, n in counts.items() if n >= rules.HISTORY_MIN_CASES}
        for key, counts in departments.items()
    }
    return TrainingData(texts, labels, {k: v for k, v in kept.items() if v})


def _next_version() -> int:
    return (TriageModel.objects.aggregate(v=Max("version"))["v"] or 0) + 1


def train(
    *, by=None, note: str = "", activate: bool | None = None, limit: int = rules.MAX_TRAINING
) -> TriageModel:
    """Train a new version on the labelled history, measure it on a held-out share, fit it on all.

    activate=None: it goes into use unless its held-out accuracy is more than REPLACE_TOLERANCE below
    the model in use (then an administrator may still activate it by hand). Raises ValidationError
    when the history is too small to learn from (the cold start keeps routing meanwhile)."""
    if by is not None and not policy.can_manage_models(by):
        raise PermissionDenied(_("Only an administrator may train the triage model."))
    data = training_data(limit)
    classes = Counter(data.labels)
    if len(data.texts) < textmodel.MIN_TRAINING or len(classes) < 2:
        raise ValidationError(
            _(
                "Too little history to train on: %(n)d labelled cases in %(k)d categories (at least %(min)d cases in two categories are needed)."
            )
            % {"n": len(data.texts), "k": len(classes), "min": textmodel.MIN_TRAINING}
        )
    started = time.perf_counter()
    clf, figures = textmodel.train_with_holdout(data.texts, data.labels, rules.HOLDOUT)
    seconds = time.perf_counter() - started
    payload = {"text": clf, "departments": data.departments, "history": len(data.texts)}
    blob = textmodel.dumps(payload)
    with transaction.atomic():
        current = TriageModel.objects.select_for_update().filter(active=True).first()
        row = TriageModel.objects.create(
            version=_next_version(),
            trained_by=by if getattr(by, "is_authenticated", False) else None,
            training_size=len(data.texts),
            classes=len(classes),
            train_seconds=round(seconds, 3),
            accuracy=figures.get("accuracy"),
            macro_f1=figures.get("macro_f1"),
            top3_accuracy=figures.get("top3_accuracy"),
            evaluation={**figures, "blob_bytes": len(blob)},
            blob=blob,
            note=note[:200],
        )
        if activate is None:
            activate = (
                current is None
                or current.accuracy is None
                or row.accuracy is None
                or row.accuracy >= current.accuracy - rules.REPLACE_TOLERANCE
            )
        audit.record(
            actor=by,
            action="triage.train",
            subject=row,
            after={"version": row.version, "size": row.training_size},
        )
        if activate:
            _activate(row, by, current)
    return row


def _activate(row: TriageModel, by, current: TriageModel | None) -> None:
    if current is not None and current.pk != row.pk:
        current.active = False
        current.save(update_fields=["active"])
    row.active = True
    row.activated_at = timezone.now()
    row.save(update_fields=["active", "activated_at"])
    audit.record(
        actor=by,
        action="triage.activate",
        subject=row,
        before={"version": current.version if current else None},
        after={"version": row.version},
    )
    predictor.forget()  # this process sees the change at once (others within ACTIVE_CHECK_SECONDS)
    transaction.on_commit(predictor.forget)


def _changed_meanwhile() -> ValidationError:
    return ValidationError(
        _("Someone else changed the model in use at the same moment; reload and try again.")
    )


def activate(model: TriageModel | int, *, by, system: bool = False) -> TriageModel:
    """Put a version into use (the one in use steps back). system=True: the command line.
    Of two activations at once one wins; the other gets a clear error (the one-active index)."""
    if not system and not policy.can_manage_models(by):
        raise PermissionDenied(_("Only an administrator may change the triage model in use."))
    try:
        with transaction.atomic():
            current = TriageModel.objects.select_for_update().filter(active=True).first()
            row = TriageModel.objects.select_for_update().get(
                pk=model.pk if isinstance(model, TriageModel) else model
            )
            if current is None or current.pk != row.pk:
                _activate(row, by, current)
    except IntegrityError:
        raise _changed_meanwhile() from None
    return row


def rollback(*, by, system: bool = False) -> TriageModel:
    """One action: put the previous version (the newest one below the version in use) back into use.
    system=True: the command line (`civicgrid triage rollback`)."""
    if not system and not policy.can_manage_models(by):
        raise PermissionDenied(_("Only an administrator may change the triage model in use."))
    try:
        with transaction.atomic():
            current = TriageModel.objects.select_for_update().filter(active=True).first()
            if current is None:
                raise ValidationError(_("No model is in use, so there is nothing to roll back."))
            previous = TriageModel.objects.filter(version__lt=current.version).order_by("-version").first()
            if previous is None:
                raise ValidationError(_("There is no earlier version to roll back to."))
            _activate(previous, by, current)
    except IntegrityError:
        raise _changed_meanwhile() from None
    return previous


def retrain_if_grown() -> TriageModel | None:
    """The worker's daily job: retrain when the labelled history grew enough since the model in use."""
    labelled = Case.objects.filter(rules.labelled_q()).count()
    current = TriageModel.objects.filter(active=True).first()
    if current is not None:
        grown = labelled - current.training_size
        if grown < max(rules.RETRAIN_MIN_NEW, rules.RETRAIN_GROWTH * current.training_size):
            return None
    try:
        return train(note="worker")
    except ValidationError:
        return None


# --- suggestions ------------------------------------------------------------------------------------


def department_for(category: Category, case: Case, payload: dict | None) -> tuple[Department | None, str]:
    """The department a case of `category` at the case's place goes to, and where that comes from:
    the (category, area) dispatch rules first (cases' own look-up), else the history."""
    probe = Case(category_id=category.pk, path=case.path)
    found = cases_services.suggest_dispatch(probe)
    if found.department is not None:
        return found.department, found.source
    dept_id, _n = predictor.history_department(payload, category.pk, case.path)
    if dept_id:
        dept = Department.objects.filter(pk=dept_id, active=True).first()
        if dept is not None:
            return dept, "history"
    return None, ""


def compute(case: Case) -> list[Suggestion]:
    """The top-3 suggestions for a case (unsaved rows)."""
    prediction = predictor.predict(case_text(case.title, case.description), rules.TOP_K)
    _version, payload = predictor.active_payload()
    cats = Category.objects.in_bulk([cid for cid, _conf in prediction.ranked])
    rows = []
    for rank, (category_id, confidence) in enumerate(prediction.ranked, start=1):
        cat = cats.get(category_id)
        if cat is None:
            continue
        dept, source = department_for(cat, case, payload)
        rows.append(
            Suggestion(
                jurisdiction=case.jurisdiction,
                case=case,
                rank=rank,
                category=cat,
                confidence=confidence,
                department=dept,
                department_source=source,
                model_version=prediction.model_version,
                cold_weight=prediction.cold_share,
            )
        )
    return rows


def suggestions(case: Case, *, create: bool = True) -> list[Suggestion]:
    """The case's stored suggestions; made and stored now when it has none (older cases, or the
    worker has not got to it yet) and create=True."""
    found = list(
        Suggestion.objects.filter(case=case).select_related("category", "category__parent", "department")
    )
    if found or not create:
        return found
    rows = compute(case)
    try:
        with transaction.atomic():
            Suggestion.objects.bulk_create(rows)
    except IntegrityError:  # made at the same moment by the worker or another page: theirs stand
        return list(Suggestion.objects.filter(case=case).select_related("category", "department"))
    return rows


def suggest_for_report(case_id: int) -> list[Suggestion]:
    """The worker's handler of a new report: suggestions, then the auto-dispatch where the district
    turned it on for the top category and the confidence reaches its threshold."""
    case = Case.objects.filter(pk=case_id).first()
    if case is None:
        return []
    rows = suggestions(case)
    if rows:
        auto_dispatch(case, rows)
    return rows


def auto_reason(case: Case, top: Suggestion | None) -> str:
    """Why a case is (or is not) dispatched automatically: "" when it may be, else a short code."""
    if top is None:
        return "no_suggestion"
    if case.channel in rules.NEVER_AUTO_CHANNELS:
        return "petition"
    if case.kind in rules.NEVER_AUTO_KINDS:
        return "emergency"
    if case.state not in rules.OPEN_FOR_TRIAGE or case.department_id:
        return "decided"
    threshold = Threshold.objects.filter(jurisdiction=case.jurisdiction, category_id=top.category_id).first()
    if threshold is None or not threshold.enabled:
        return "off"
    if top.confidence < threshold.min_confidence:
        return "below"
    if top.department is None or top.department_source not in rules.AUTO_DEPARTMENT_SOURCES:
        return "no_rule"
    return ""


def auto_dispatch(case: Case, rows: list[Suggestion]) -> bool:
    """Dispatch through cases.services.dispatch (as the system) when auto_reason allows it."""
    top = rows[0] if rows else None
    if auto_reason(case, top) or top is None or top.department is None:
        return False
    try:
        with transaction.atomic():
            done = cases_services.dispatch(
                case.pk,
                None,
                top.department,
                category=top.category,
                note=_(
                    "Dispatched automatically: the suggestion's confidence %(p)d%% reached the district's threshold."
                )
                % {"p": round(top.confidence * 100)},
                expected_version=case.version,
                system=True,
            )
            _record(done, Outcome.AUTO, by=None, event=_last_event(done.pk, "dispatch"))
    except (
        cases_services.CaseConflict,
        cases_services.IllegalTransition,
        ValidationError,
        Case.DoesNotExist,
    ):
        return False  # someone acted first, or the department is gone: the dispatcher decides
    return True


# --- decisions ----------------------------------------------------------------------------------------


def _last_event(case_id: int, action: str) -> CaseEvent | None:
    return CaseEvent.objects.filter(case_id=case_id, action=action).order_by("-id").first()


def _record(case: Case, outcome: str, *, by, event: CaseEvent | None) -> Decision:
    rows = {s.category_id: s for s in Suggestion.objects.filter(case=case)}
    hit = rows.get(case.category_id)
    version = next(iter(rows.values())).model_version if rows else None
    decision, _created = Decision.objects.update_or_create(
        case=case,
        defaults={
            "jurisdiction": case.jurisdiction,
            "category_id": case.category_id,
            "department_id": case.department_id,
            "outcome": outcome,
            "suggested_rank": hit.rank if hit else None,
            "model_version": version,
            "decided_by": by if getattr(by, "is_authenticated", False) else None,
            "decided_at": event.at if event else timezone.now(),
            "event_id": event.pk if event else None,
            "path": case.path,
        },
    )
    return decision


def record_decision(case_id: int, event_id: int | None) -> Decision | None:
    """The outbox handler of register and dispatch: the case's category and department are its
    decision now (the latest one counts). Confirmations and auto-dispatches recorded themselves."""
    existing = Decision.objects.filter(case_id=case_id).values_list("event_id", flat=True).first()
    if existing is not None and event_id is not None and existing >= event_id:
        return None
    case = Case.objects.filter(pk=case_id).first()
    event = CaseEvent.objects.filter(pk=event_id).first() if event_id else None
    if case is None or not Suggestion.objects.filter(case=case).exists():
        return None
    automatic = bool(event and event.data.get("automatic"))
    return _record(
        case, Outcome.AUTO if automatic else Outcome.MANUAL, by=event.actor if event else None, event=event
    )


def confirm(case: Case | int, rank: int, *, by, expected_version: int | None = None) -> Case:
    """The dispatcher's one click: apply suggestion `rank` (its category, and its department when
    there is one) through cases.services — dispatch, or register while the case is only submitted
    and no department is suggested (it is then handled in the five-level chain)."""
    case_id = case.pk if isinstance(case, Case) else int(case)
    row = (
        Suggestion.objects.filter(case_id=case_id, rank=rank).select_related("category", "department").first()
    )
    if row is None:
        raise ValidationError(_("This suggestion no longer exists; reload the case."))
    return _confirm(case_id, row, rank, by=by, expected_version=expected_version)


def _confirm(case_id: int, row: Suggestion, rank: int, *, by, expected_version: int | None) -> Case:
    with transaction.atomic():
        if row.department is not None:
            done = cases_services.dispatch(
                case_id,
                by,
                row.department,
                category=row.category,
                note=_("Suggestion %(rank)d confirmed.") % {"rank": rank},
                expected_version=expected_version,
            )
            event = _last_event(case_id, "dispatch")
        else:
            current = Case.objects.only("state").get(pk=case_id)
            if current.state != State.SUBMITTED:
                raise ValidationError(
                    _("No department is known for this category here: choose one in the dispatch form.")
                )
            done = cases_services.register(
                case_id,
                by,
                category=row.category,
                note=_("Suggestion %(rank)d confirmed.") % {"rank": rank},
                expected_version=expected_version,
            )
            event = _last_event(case_id, "register")
        _record(done, Outcome.CONFIRMED, by=by, event=event)
    return done


def can_confirm(user, case: Case, row: Suggestion) -> bool:
    from civicgrid.cases import policy as cases_policy

    if case.state not in rules.OPEN_FOR_TRIAGE:
        return False
    if row.department is not None:
        return cases_policy.can(user, "dispatch", case)
    return case.state == State.SUBMITTED and cases_policy.can(user, "register", case)


# --- figures ------------------------------------------------------------------------------------------


@dataclass
class AccuracyRow:
    category: Category
    decisions: int
    top1: int
    top3: int
    auto: int

    @property
    def top1_share(self) -> float:
        return self.top1 / self.decisions if self.decisions else 0.0

    @property
    def top3_share(self) -> float:
        return self.top3 / self.decisions if self.decisions else 0.0


def accuracy(
    user, *, days: int = rules.ACCURACY_DAYS, now=None
) -> tuple[list[AccuracyRow], AccuracyRow | None]:
    """Per final category, over the last `days` days in the user's scope: decisions, how often the
    first suggestion was the final category (top-1) and how often it was among the three (top-3).
    Returns the rows (most decisions first) and the total."""
    since = (now or timezone.now()) - timedelta(days=days)
    qs = Decision.objects.filter(decided_at__gte=since)
    if not people_policy.is_admin(user):
        qs = qs.filter(people_policy.path_q(policy.scope_paths(user)))
    grouped = (
        qs.values("category_id")
        .annotate(
            n=Count("id"),
            top1=Count("id", filter=Q(suggested_rank=1)),
            top3=Count("id", filter=Q(suggested_rank__isnull=False)),
            auto=Count("id", filter=Q(outcome=Outcome.AUTO)),
        )
        .order_by("-n", "category_id")
    )
    cats = Category.objects.select_related("parent").in_bulk([g["category_id"] for g in grouped])
    rows = [AccuracyRow(cats[g["category_id"]], g["n"], g["top1"], g["top3"], g["auto"]) for g in grouped]
    if not rows:
        return [], None
    total = AccuracyRow(
        rows[0].category,
        sum(r.decisions for r in rows),
        sum(r.top1 for r in rows),
        sum(r.top3 for r in rows),
        sum(r.auto for r in rows),
    )
    return rows, total


# --- thresholds ---------------------------------------------------------------------------------------


def set_threshold(
    *, by, jurisdiction: str, category: Category | int, enabled: bool, min_confidence: float
) -> Threshold:
    """Turn auto-dispatch on or off for one category in one district, with its minimum confidence."""
    cat = category if isinstance(category, Category) else Category.objects.filter(pk=category).first()
    if cat is None:
        raise ValidationError(pgettext("triage", "Unknown category."))
    if not policy.can_set_thresholds(by, jurisdiction):
        raise PermissionDenied(_("Only the district's administrator may set its auto-dispatch thresholds."))
    try:
        value = float(min_confidence)
    except (TypeError, ValueError):
        raise ValidationError(_("Give the minimum confidence as a number between 0.5 and 1.")) from None
    if not 0.5 <= value <= 1.0:
        raise ValidationError(_("Give the minimum confidence as a number between 0.5 and 1."))
    for attempt in range(2):  # two first saves at once: the unique key decides, the second updates
        try:
            return _save_threshold(by, jurisdiction, cat, bool(enabled), value)
        except IntegrityError:
            if attempt:
                raise
    raise AssertionError("unreachable")


def _save_threshold(by, jurisdiction: str, cat: Category, enabled: bool, value: float) -> Threshold:
    with transaction.atomic():
        row = Threshold.objects.select_for_update().filter(jurisdiction=jurisdiction, category=cat).first()
        before = {"enabled": row.enabled, "min_confidence": row.min_confidence} if row else {}
        if row is None:
            row = Threshold(jurisdiction=jurisdiction, category=cat)
        row.enabled = enabled
        row.min_confidence = round(value, 3)
        row.updated_by = by if getattr(by, "is_authenticated", False) else None
        row.save()
        audit.record(
            actor=by,
            action="triage.threshold",
            subject=row,
            before=before,
            after={"enabled": row.enabled, "min_confidence": row.min_confidence},
            jurisdiction=jurisdiction,
        )
    return row
