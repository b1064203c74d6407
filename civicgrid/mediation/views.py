"""Mediation pages: the disputes list, one-window intake, handover from a case, the dispute page
with its actions, the printable agreement, and the figures with their Excel export.

Nothing here is public: every page needs a login and the policy's say-so. Parties are masked
unless the user reveals them with a reason (logged, core/pii.py); the printed agreement carries full
names and is logged the same way.
"""

from __future__ import annotations

import io
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from civicgrid.cases import policy as cases_policy
from civicgrid.cases.models import Case
from civicgrid.cases.views.staff_inbox import unread_count
from civicgrid.core import pii
from civicgrid.core.access import signed_in_view

from . import agreements, figures, forms, policy, services
from .models import Agreement, Centre, Dispute, FollowUp, Mediator, Session
from .workflow import OPEN_STATES, State, action_label


def _messages(exc) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(str(m) for m in exc.messages)
    return str(exc)


@signed_in_view
def index(request):
    user = request.user
    if not (policy.works_mediation(user) or policy.can_read_figures(user)):
        raise PermissionDenied
    qs = policy.visible_disputes(user).select_related("centre")
    state = request.GET.get("state", "open")
    if state == "open":
        qs = qs.filter(state__in=OPEN_STATES)
    elif state in State.values:
        qs = qs.filter(state=state)
    page = Paginator(qs.order_by("due_at" if state == "open" else "-received_at", "id"), 50).get_page(
        request.GET.get("page")
    )
    mine = Dispute.objects.filter(assignments__mediator__user=user, state__in=OPEN_STATES).count()
    return render(
        request,
        "mediation/index.html",
        {
            "page": page,
            "state": state,
            "states": [("open", pgettext("mediation", "open")), *State.choices, ("all", _("all"))],
            "can_intake": policy.intake_centres(user).exists(),
            "mine": mine,
            "now": timezone.now(),
            "unread": unread_count(user),
        },
    )


def _parties_from(request) -> tuple[list, list[dict]]:
    pforms = forms.party_forms(request.POST if request.method == "POST" else None)
    rows = []
    if request.method == "POST":
        for f in pforms:
            if f.is_valid() and f.cleaned_data.get("name"):
                rows.append(dict(f.cleaned_data))
    return pforms, rows


@signed_in_view
def intake(request, case_pk: int | None = None):
    user = request.user
    case = None
    if case_pk is not None:
        case = get_object_or_404(Case, pk=case_pk)
        if not cases_policy.can_view(user, case):
            raise Http404
        centres = Centre.objects.filter(active=True, path__in=services._ancestor_paths(case.path))
        if not (
            cases_policy.can(user, "comment", case)
            or policy.staff_centre_ids(user) & set(centres.values_list("pk", flat=True))
        ):
            raise PermissionDenied
    else:
        centres = policy.intake_centres(user)
        if not centres.exists():
            raise PermissionDenied
    form = forms.IntakeForm(request.POST or None, centres=centres, case=case)
    pforms, rows = _parties_from(request)
    error = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            dispute = services.intake(
                centre=data["centre"],
                by=user,
                channel="case" if case else data["channel"],
                channel_ref="" if case else data.get("channel_ref", ""),
                dispute_type=data["dispute_type"],
                summary=data["summary"],
                facts=data["facts"],
                amount=data["amount"],
                urgency=data["urgency"],
                parties=rows,
                case=case,
            )
        except (ValidationError, PermissionDenied) as exc:
            error = _messages(exc)
        else:
            return redirect("mediation:dispute", dispute.pk)
    if case is not None and request.method == "GET":
        form.initial.update({"summary": (case.title or case.description)[:120], "facts": case.description})
    return render(
        request,
        "mediation/intake.html",
        {"form": form, "party_forms": pforms, "case": case, "error": error},
        status=400 if request.method == "POST" else 200,
    )


def _dispute_for(user, pk) -> Dispute:
    d = get_object_or_404(Dispute.objects.select_related("centre", "case", "came_back_from"), pk=pk)
    if not policy.can_view(user, d):
        raise Http404  # nothing of a dispute is shown to those who may not see it
    return d


def dispute_page(request, d: Dispute, *, error: str = "", unmasked=None, status: int = 200):
    user = request.user
    see_parties = policy.can_view_parties(user, d)
    parties = list(d.parties.all()) if see_parties else []
    agreement = Agreement.objects.filter(dispute=d).first()
    confirmed = {c.party_id: c for c in agreement.confirmations.all()} if agreement else {}
    sessions = list(d.sessions.prefetch_related("present"))
    may = {
        a: policy.can(user, a, d) and d.state in services.workflow.TRANSITIONS[a].sources
        for a in services.workflow.TRANSITIONS
    }
    proposals = services.propose(d) if (may["assign"] or may["add_mediator"]) else []
    initial_agreement = (
        {"facts": agreement.facts, "terms": agreement.terms} if agreement else agreements.template_for(d)
    )
    if agreement:
        for i, item in enumerate(agreement.schedule[: forms.SCHEDULE_ROWS]):
            initial_agreement[f"date{i}"] = item["date"]
            initial_agreement[f"what{i}"] = item["what"]
    open_session = next((s for s in sessions if not s.held_at), None)
    history = list(d.events.select_related("actor"))
    for e in history:
        e.label = action_label(e.action)
    judicial = getattr(d, "judicial", None) if hasattr(d, "judicial") else None
    return render(
        request,
        "mediation/dispute.html",
        {
            "d": d,
            "error": error,
            "see_parties": see_parties,
            "parties": [
                {
                    "p": p,
                    "name": p.name if unmasked else p.masked_name,
                    "phone": p.phone if unmasked else p.masked_phone,
                    "confirmed": confirmed.get(p.pk),
                }
                for p in parties
            ],
            "unmasked": bool(unmasked),
            "assignments": list(d.assignments.select_related("mediator")),
            "proposals": proposals,
            "sessions": sessions,
            "open_session": open_session,
            "agreement": agreement,
            "all_confirmed": agreement is not None and parties and len(confirmed) == len(parties),
            "follow_ups": list(d.follow_ups.all()),
            "judicial": judicial,
            "history": history,
            "may": may,
            "came_back": list(d.came_back.only("id", "ref", "received_at", "state")),
            "overdue": d.is_open and d.due_at <= timezone.now(),
            "f": {
                "pool": forms.PoolForm(),
                "declare": forms.DeclareForm(initial={}),
                "schedule": forms.ScheduleForm(),
                "record": forms.RecordSessionForm(
                    parties=parties, initial={"session": open_session.pk if open_session else ""}
                ),
                "agreement": forms.AgreementForm(initial=initial_agreement),
                "confirm": forms.ConfirmForm(),
                "fail": forms.FailForm(),
                "withdraw": forms.ReasonForm(),
                "judicial": forms.JudicialForm(initial={"referred_on": timezone.localdate()}),
                "judicial_result": forms.JudicialResultForm(initial={"result_on": timezone.localdate()}),
                "follow_up": forms.FollowUpForm(),
                "comment": forms.CommentForm(),
                "reveal": forms.RevealForm(),
            },
            "declare_mediators": list(Mediator.objects.filter(assignments__dispute=d))
            + [p.mediator for p in proposals],
        },
        status=status,
    )


@signed_in_view
def dispute_detail(request, pk: int):
    return dispute_page(request, _dispute_for(request.user, pk))


@signed_in_view
@require_POST
def reveal(request, pk: int):
    d = _dispute_for(request.user, pk)
    form = forms.RevealForm(request.POST)
    if not form.is_valid():
        return dispute_page(
            request, d, error=pgettext("mediation", "Say why you need the full details."), status=400
        )
    try:
        services.reveal_parties(d, request.user, reason=form.cleaned_data["reason"], request=request)
    except PermissionDenied:
        raise Http404 from None
    return dispute_page(request, d, unmasked=True)


def _version(request):
    v = request.POST.get("version")
    return int(v) if v and v.isdigit() else None


@signed_in_view
@require_POST
def act(request, pk: int, action: str):
    """Every action form of the dispute page posts here; the service decides."""
    user = request.user
    d = _dispute_for(user, pk)
    version = _version(request)
    post = request.POST
    parties = list(d.parties.all())
    try:
        if action == "assign":
            f = forms.AssignForm(post)
            _valid(f)
            services.assign(
                d, get_object_or_404(Mediator, pk=f.cleaned_data["mediator"]), user, expected_version=version
            )
        elif action == "add_pool":
            f = forms.PoolForm(post)
            _valid(f)
            services.add_from_pool(d, f.cleaned_data["pool"], user, expected_version=version)
        elif action == "declare":
            mediator = get_object_or_404(Mediator, pk=post.get("mediator") or 0)
            services.declare_conflict(d, mediator, user, note=post.get("note", ""))
        elif action == "schedule":
            f = forms.ScheduleForm(post)
            _valid(f)
            services.schedule_session(d, user, **f.cleaned_data, expected_version=version)
        elif action == "record":
            f = forms.RecordSessionForm(post, parties=parties)
            _valid(f)
            session = get_object_or_404(Session, pk=f.cleaned_data["session"], dispute=d)
            services.record_session(
                session,
                user,
                present=[int(x) for x in f.cleaned_data["present"]],
                notes=f.cleaned_data["notes"],
                outcome=f.cleaned_data["outcome"],
                expected_version=version,
            )
        elif action == "draft":
            f = forms.AgreementForm(post)
            _valid(f)
            services.draft_agreement(
                d,
                user,
                facts=f.cleaned_data["facts"],
                terms=f.cleaned_data["terms"],
                schedule=f.schedule(),
                expected_version=version,
            )
        elif action == "confirm":
            f = forms.ConfirmForm(post)
            _valid(f)
            services.confirm_party(d, f.cleaned_data["party"], user, method=f.cleaned_data["method"])
        elif action == "agreed":
            services.mark_agreed(d, user, expected_version=version)
        elif action == "fail":
            f = forms.FailForm(post)
            _valid(f)
            services.mark_failed(d, user, **f.cleaned_data, expected_version=version)
        elif action == "withdraw":
            f = forms.ReasonForm(post)
            _valid(f)
            services.withdraw(d, user, reason=f.cleaned_data["reason"], expected_version=version)
        elif action == "judicial":
            f = forms.JudicialForm(post)
            _valid(f)
            services.refer_judicial(d, user, **f.cleaned_data)
        elif action == "judicial_result":
            f = forms.JudicialResultForm(post)
            _valid(f)
            services.record_judicial_result(d, user, **f.cleaned_data)
        elif action == "follow_up":
            f = forms.FollowUpForm(post)
            _valid(f)
            fu = get_object_or_404(FollowUp, pk=f.cleaned_data["follow_up"], dispute=d)
            services.record_follow_up(
                fu,
                user,
                method=f.cleaned_data["method"],
                performance=f.cleaned_data["performance"],
                note=f.cleaned_data["note"],
            )
        elif action == "comment":
            f = forms.CommentForm(post)
            _valid(f)
            services.comment(d, user, f.cleaned_data["text"])
        else:
            raise Http404
    except services.DisputeConflict as exc:
        return dispute_page(request, _dispute_for(user, pk), error=str(exc), status=409)
    except PermissionDenied as exc:
        return dispute_page(
            request, d, error=str(exc) or _("You may not do this on this dispute."), status=403
        )
    except (ValidationError, services.IllegalTransition) as exc:
        return dispute_page(request, _dispute_for(user, pk), error=_messages(exc), status=400)
    return redirect(reverse("mediation:dispute", args=[pk]) + f"#{action}")


def _valid(form) -> None:
    if not form.is_valid():
        errors = [
            f"{form.fields[k].label if k in form.fields else ''}: {' '.join(v)}".lstrip(": ")
            for k, v in form.errors.items()
        ]
        raise ValidationError(" ".join(errors))


@signed_in_view
def agreement_pdf(request, pk: int):
    d = _dispute_for(request.user, pk)
    if not policy.can_view_parties(request.user, d):
        raise Http404
    if not Agreement.objects.filter(dispute=d).exists():
        raise Http404
    for p in d.parties.all():
        pii.log_unmasked_view(
            user=request.user,
            subject=p,
            fields=["name", "phone"],
            reason=_("printed the mediation agreement"),
            request=request,
        )
    response = HttpResponse(agreements.pdf(d), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{d.ref}-agreement.pdf"'
    return response


# --- figures --------------------------------------------------------------------------------------


def _figure_scope(user):
    centres = policy.figure_centres(user)
    paths = sorted({c.path for c in centres})
    # The broadest paths only (a path under another adds nothing).
    broad = [p for p in paths if not any(p != q and p.startswith(q) for q in paths)]
    if "" in policy._reader_paths(user):
        broad = [""]
    return centres, broad


def _period(form) -> tuple[date, date]:
    today = timezone.localdate()
    start = form.cleaned_data.get("start") if form.is_valid() else None
    end = form.cleaned_data.get("end") if form.is_valid() else None
    end = (end or today).replace(day=1)
    if start is None:
        start = date(end.year - 1, end.month, 1) if end.month == 12 else date(end.year - 1, end.month + 1, 1)
    return start.replace(day=1), end


@signed_in_view
def figures_page(request):
    user = request.user
    if not policy.can_read_figures(user):
        raise PermissionDenied
    centres, paths = _figure_scope(user)
    form = forms.FiguresForm(request.GET or None, centres=centres.order_by("path"))
    start, end = _period(form)
    filters = {}
    if form.is_valid():
        filters = {
            "centre": form.cleaned_data.get("centre"),
            "level": form.cleaned_data.get("level") or None,
            "dispute_type": form.cleaned_data.get("dispute_type") or None,
        }
    total = figures.figures(paths, start=start, end=end, **filters)
    tables = [
        (key, label, figures.breakdown(paths, key, start=start, end=end, **filters))
        for key, label in (
            ("level", _("By level")),
            ("centre", _("By centre")),
            ("type", _("By type")),
            ("month", _("By month")),
        )
    ]
    if request.GET.get("format") == "xlsx":
        return _xlsx(total, tables, start, end)
    return render(
        request,
        "mediation/figures.html",
        {
            "form": form,
            "total": total,
            "tables": tables,
            "columns": figures.columns(),
            "start": start,
            "end": end,
            "query": request.GET.urlencode(),
        },
    )


def _value(f, key):
    return getattr(f, key)


def _xlsx(total, tables, start, end) -> HttpResponse:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    cols = figures.columns()
    wb = Workbook()
    ws = wb.active
    ws.title = _("Summary")[:31]
    ws.append([pgettext("mediation", "Period"), f"{start:%Y-%m} – {end:%Y-%m}"])
    for key, label, kind in cols:
        ws.append([str(label), _value(total, key)])
        if kind == "rate":
            ws.cell(row=ws.max_row, column=2).number_format = "0.0%"
    for _key, title, rows in tables:
        sheet = wb.create_sheet(str(title)[:31])
        sheet.append(["", *[str(label) for _k, label, _kind in cols]])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([row.label, *[_value(row.figures, k) for k, _l, _kind in cols]])
            for i, (_k, _l, kind) in enumerate(cols, start=2):
                if kind == "rate":
                    sheet.cell(row=sheet.max_row, column=i).number_format = "0.0%"
    buffer = io.BytesIO()
    wb.save(buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="mediation-figures-{start:%Y%m}-{end:%Y%m}.xlsx"'
    return response


# --- panels on other pages ------------------------------------------------------------------------


def case_panel(request, case):
    """On a case's staff page: the dispute it was handed to (or the way to hand it over)."""
    user = request.user
    disputes = list(Dispute.objects.filter(case=case).select_related("centre").order_by("-received_at"))
    visible = [d for d in disputes if policy.can_view(user, d)]
    can_hand_over = (
        case.state not in ("closed", "not_accepted", "merged")
        and not any(d.is_open for d in disputes)
        and cases_policy.can(user, "comment", case)
        and Centre.objects.filter(active=True, path__in=services._ancestor_paths(case.path)).exists()
    )
    if not disputes and not can_hand_over:
        return None
    return {
        "id": "mediation",
        "template": "mediation/case_panel.html",
        "disputes": visible,
        "hidden": len(disputes) - len(visible),
        "can_hand_over": can_hand_over,
        "case": case,
    }


def home_panel(request, role):
    user = request.user
    if not policy.works_mediation(user):
        return []
    open_qs = policy.visible_disputes(user).filter(state__in=OPEN_STATES)
    counts = dict(open_qs.values_list("state").annotate(n=Count("id")).values_list("state", "n"))
    mine = list(
        Dispute.objects.filter(assignments__mediator__user=user, state__in=OPEN_STATES)
        .select_related("centre")
        .order_by("due_at")[:5]
    )
    due = list(
        FollowUp.objects.filter(dispute__assignments__mediator__user=user, done_at__isnull=True)
        .select_related("dispute")
        .order_by("due_on")[:5]
    )
    return [
        {
            "title": _("Mediation"),
            "template": "mediation/home_panel.html",
            "order": 25,
            "counts": [(State(s).label, counts.get(s, 0)) for s in OPEN_STATES],
            "mine": mine,
            "follow_ups": due,
            "can_intake": policy.intake_centres(user).exists(),
            "unread": unread_count(user),
        }
    ]
