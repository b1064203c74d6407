"""Triage's pages: the suggestions panel on the staff case page (through cases/panels.py), the
confirm action, the triage page (model in use, versions, rollback, 30-day accuracy) and the district's
auto-dispatch thresholds."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_POST

from civicgrid.cases import policy as cases_policy
from civicgrid.cases import services as cases_services
from civicgrid.cases.models import Case, Category
from civicgrid.core.access import signed_in_view

from . import policy, registration, rules, services
from .models import Threshold, TriageModel

SOURCE_LABELS = {
    "rule": gettext_lazy("dispatch rule"),
    "parent rule": gettext_lazy("rule of the parent category"),
    "category default": gettext_lazy("the category's default department"),
    "history": gettext_lazy("learned from past cases (no rule)"),
    "": gettext_lazy("no department: handled in the grid chain"),
}
AUTO_LABELS = {
    "petition": gettext_lazy("Petitions are never dispatched automatically."),
    "emergency": gettext_lazy("Emergencies are never dispatched automatically."),
    "off": gettext_lazy("Auto-dispatch is off for this category in this district: the dispatcher decides."),
    "below": gettext_lazy("The confidence is below the district's threshold: the dispatcher decides."),
    "no_rule": gettext_lazy("No dispatch rule gives the department: the dispatcher decides."),
    "decided": "",
    "no_suggestion": "",
}


def _label(cat: Category) -> str:
    return f"{cat.parent.name} / {cat.name}" if cat.parent_id and cat.parent else cat.name


def case_panel(request, case: Case):
    """Top-3 suggestions with confidence and department on the staff case page, each with a
    one-click confirm for whoever may dispatch (or register) the case."""
    user = request.user
    if not policy.can_view_triage(user) and not cases_policy.can(user, "register", case):
        return None
    open_case = case.state in rules.OPEN_FOR_TRIAGE and not case.department_id
    # With CIVICGRID_TRIAGE=off only stored suggestions are shown.
    rows = services.suggestions(case, create=open_case and registration.enabled())
    if not rows:
        return None
    items = [
        {
            "row": row,
            "label": _label(row.category),
            "percent": f"{round(row.confidence * 100)}%" if row.confidence >= 0.005 else "<1%",
            "source": SOURCE_LABELS.get(row.department_source, ""),
            "can_confirm": open_case and services.can_confirm(user, case, row),
            "current": row.category_id == case.category_id,
        }
        for row in rows
    ]
    figures, _total = services.accuracy(user)
    top = next((f for f in figures if f.category.pk == rows[0].category_id), None)
    return {
        "id": "triage",
        "template": "triage/case_panel.html",
        "case": case,
        "items": items,
        "model_version": rows[0].model_version,
        "cold_percent": round(rows[0].cold_weight * 100),
        "auto_note": AUTO_LABELS.get(services.auto_reason(case, rows[0]), "") if open_case else "",
        "top_accuracy": top,
        "days": rules.ACCURACY_DAYS,
    }


@require_POST
@signed_in_view
def confirm(request, pk: int):
    case = get_object_or_404(Case, pk=pk)
    if not cases_policy.can_view(request.user, case):
        raise Http404
    try:
        rank = int(request.POST.get("rank", ""))
        version = int(request.POST.get("expected_version", ""))
    except ValueError:
        messages.error(request, _("The form was incomplete; reload the case and try again."))
        return redirect("cases:staff_case", pk=pk)
    try:
        services.confirm(case, rank, by=request.user, expected_version=version)
    except PermissionDenied:
        raise
    except cases_services.CaseConflict:
        messages.error(
            request, pgettext("triage", "Someone else acted on this case first; here is its current state.")
        )
    except (cases_services.IllegalTransition, ValidationError) as exc:
        for message in getattr(exc, "messages", [str(exc)]):
            messages.error(request, message)
    else:
        messages.success(request, _("Suggestion confirmed."))
    if not cases_policy.can_view(request.user, Case.objects.get(pk=pk)):
        return redirect("cases:queue")
    return redirect("cases:staff_case", pk=pk)


@signed_in_view
def index(request):
    user = request.user
    if not policy.can_view_triage(user):
        raise PermissionDenied
    rows, total = services.accuracy(user)
    return render(
        request,
        "triage/index.html",
        {
            "active": TriageModel.objects.filter(active=True).defer("blob").first(),
            "versions": list(TriageModel.objects.defer("blob")[:20]),
            "can_manage": policy.can_manage_models(user),
            "rows": [(r, _label(r.category)) for r in rows],
            "total": total,
            "days": rules.ACCURACY_DAYS,
            "can_set_thresholds": bool(policy.threshold_districts(user)),
        },
    )


@require_POST
@signed_in_view
def activate(request, pk: int):
    if not policy.can_manage_models(request.user):
        raise PermissionDenied
    row = get_object_or_404(TriageModel.objects.defer("blob"), pk=pk)
    services.activate(row, by=request.user)
    messages.success(request, _("Model version %(v)d is now in use.") % {"v": row.version})
    return redirect("triage:index")


@require_POST
@signed_in_view
def rollback(request):
    if not policy.can_manage_models(request.user):
        raise PermissionDenied
    try:
        row = services.rollback(by=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Rolled back: model version %(v)d is in use again.") % {"v": row.version})
    return redirect("triage:index")


@signed_in_view
def thresholds(request):
    user = request.user
    districts = policy.threshold_districts(user)
    if not districts:
        raise PermissionDenied
    codes = [d.code for d in districts]
    chosen = request.POST.get("district") or request.GET.get("district") or codes[0]
    if chosen not in codes:
        raise Http404
    status = 200
    if request.method == "POST":
        try:
            services.set_threshold(
                by=user,
                jurisdiction=chosen,
                category=int(request.POST.get("category", "0") or 0),
                enabled=request.POST.get("enabled") == "on",
                min_confidence=request.POST.get("min_confidence", ""),
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            status = 400
        else:
            messages.success(request, _("Threshold saved."))
            return redirect(f"{request.path}?district={chosen}")
    saved = {t.category_id: t for t in Threshold.objects.filter(jurisdiction=chosen)}
    cats = [c for c in Category.objects.filter(active=True).select_related("parent") if c.parent_id]
    return render(
        request,
        "triage/thresholds.html",
        {
            "districts": districts,
            "chosen": chosen,
            "rows": [(c, _label(c), saved.get(c.pk)) for c in cats],
        },
        status=status,
    )
