"""The dispatcher's side of place and duplicates: the case page's panels (address match with the
building pick; possible duplicates with one-click merge), the pick itself, and the concentrated-
problem proposals of a community (集中突出) with accept and dismiss.

The panels go through cases/panels.py like every other app's; writes go through cases/services/.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from civicgrid.areas.models import Area, Level
from civicgrid.people import policy as people_policy

from .. import policy, services
from ..duplicates import duplicates_of
from ..models import Case, ClusterProposal, PlaceMatch, ProposalState
from ..workflow import IllegalTransition, State
from .public_parts import case_names, public_text
from .staff import case_for, staff_required

LEVEL_LABELS = {
    "unit": pgettext_lazy("address match level", "unit"),
    "building": pgettext_lazy("address match level", "building"),
    "compound": pgettext_lazy("address match level", "compound"),
}
REASON_LABELS = {
    "near": gettext_lazy("nearby"),
    "same_unit": gettext_lazy("same unit"),
    "same_building": gettext_lazy("same building"),
    "similar": gettext_lazy("similar text"),
    "same_area": gettext_lazy("same community"),
}


def place_panel(request, case: Case) -> dict | None:
    """How the address text was matched, its confidence, and (when not sure) the building to pick."""
    if not case.address:  # only address text is ever matched
        return None
    match = PlaceMatch.objects.filter(case=case).first()
    if match is None:
        return None
    may_pick = case.is_open and policy.can(request.user, "pick_place", case)
    candidates = [c for c in match.candidates if c.get("building_id")]
    compounds = [
        c["compound_id"] for c in match.candidates if c.get("level") == "compound" and c.get("compound_id")
    ]
    if compounds and len(candidates) < 10:  # only the compound is known: offer its buildings
        for b in Area.objects.filter(compound_id__in=compounds[:3], level=Level.BUILDING).order_by("path")[
            :30
        ]:
            candidates.append({"building_id": b.pk, "unit_id": None, "label": b.name, "confidence": 0})
    return {
        "template": "cases/staff/panels/place_match.html",
        "match": match,
        "percent": round(match.confidence * 100),
        "level": LEVEL_LABELS.get(match.level, ""),
        "candidates": candidates,
        "may_pick": may_pick
        and (match.status != "matched" or match.level == "compound")
        and not match.picked_at,
        "case": case,
    }


def duplicates_panel(request, case: Case) -> dict | None:
    """Open cases that may be this one again, with one-click merge into this case."""
    if not case.is_open or case.state == State.MERGED:
        return None
    found = duplicates_of(case)
    if not found:
        return None
    may_merge = policy.can(request.user, "merge", case) or people_policy.is_admin(request.user)
    rows = []
    for d in found:
        rows.append(
            {
                "case": d.case,
                "similarity": round(d.similarity),
                "metres": round(d.metres) if d.metres is not None else None,
                "reasons": [str(REASON_LABELS[r]) for r in d.reasons],
                "text": public_text(d.case.title or d.case.description, case_names(d.case))[:80],
                "may_merge": may_merge and policy.can(request.user, "merge", d.case),
            }
        )
    return {"template": "cases/staff/panels/duplicates.html", "rows": rows, "case": case}


@require_POST
@staff_required
def pick_place(request, pk: int):
    case = case_for(request.user, pk)
    value = request.POST.get("building", "")
    unit = request.POST.get("unit", "")
    try:
        target = Area.objects.get(pk=int(unit or value), level__in=(Level.BUILDING, Level.UNIT))
    except (ValueError, Area.DoesNotExist):
        messages.error(request, _("Pick a building."))
        return redirect("cases:staff_case", pk=case.pk)
    kwargs = {"unit": target} if target.level == Level.UNIT else {"building": target}
    try:
        services.pick_place(case, request.user, expected_version=_version(request), **kwargs)
    except services.CaseConflict as exc:
        messages.error(request, str(exc))
    except (ValidationError, PermissionDenied, IllegalTransition) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, _("The place of the case is set."))
    return redirect("cases:staff_case", pk=case.pk)


def _version(request) -> int | None:
    try:
        return int(request.POST.get("expected_version", ""))
    except ValueError:
        return None


# --- concentrated-problem proposals --------------------------------------------------------------


def _communities(user) -> list[Area]:
    """The communities whose proposals the user may read."""
    qs = Area.objects.filter(level=Level.COMMUNITY).only(
        "id", "code", "name", "path", "jurisdiction", "level"
    )
    if people_policy.is_admin(user):
        return list(qs)
    return [a for a in qs if policy.can_view_proposals(user, a.path)]


@staff_required
def proposals(request):
    """The proposals of the communities in the user's scope, open ones first."""
    communities = _communities(request.user)
    if not communities:
        raise PermissionDenied
    code = request.GET.get("community", "")
    shown = [a for a in communities if a.code == code] or communities
    qs = (
        ClusterProposal.objects.filter(path__in=[a.path for a in shown])
        .select_related("community", "category", "decided_by", "concentrated_case")
        .prefetch_related("cases")
        .order_by("state", "-proposed_at")
    )
    state = request.GET.get("state", ProposalState.PROPOSED)
    if state in ProposalState.values:
        qs = qs.filter(state=state)
    rows = []
    for p in qs[:100]:
        rows.append(
            {
                "p": p,
                "cases": [
                    {"case": c, "text": public_text(c.title or c.description)[:60]} for c in p.cases.all()
                ],
                "may_decide": p.state == ProposalState.PROPOSED
                and policy.can_decide_proposal(request.user, p.path),
            }
        )
    return render(
        request,
        "cases/staff/proposals.html",
        {
            "rows": rows,
            "communities": communities,
            "community": code,
            "state": state,
            "states": ProposalState.choices,
        },
    )


@require_POST
@staff_required
def decide_proposal(request, pk: int, decision: str):
    p = get_object_or_404(ClusterProposal, pk=pk)
    if not policy.can_view_proposals(request.user, p.path):
        raise Http404
    if decision not in ("accept", "dismiss"):
        raise Http404
    try:
        if decision == "accept":
            p = services.accept_proposal(p, request.user, note=request.POST.get("note", ""))
            messages.success(request, _("Accepted: the reports now follow one concentrated case."))
        else:
            services.dismiss_proposal(p, request.user, reason=request.POST.get("reason", ""))
            messages.success(request, _("Dismissed."))
    except services.CaseConflict as exc:
        messages.error(request, str(exc))
    except PermissionDenied as exc:
        raise PermissionDenied(str(exc)) from exc
    except (ValidationError, IllegalTransition) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect(f"{_proposals_url()}?state=proposed#proposal-{pk}")
    return redirect(_proposals_url() + f"?state={ProposalState.PROPOSED}")


def _proposals_url() -> str:
    from django.urls import reverse

    return reverse("cases:proposals")


def register_panels() -> None:
    from ..panels import CASE_PANEL_PROVIDERS

    for provider in (place_panel, duplicates_panel):
        if provider not in CASE_PANEL_PROVIDERS:
            CASE_PANEL_PROVIDERS.append(provider)
