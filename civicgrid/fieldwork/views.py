"""The grid worker's phone pages (my day, visits, diary, patrols, reports, errands), the community's
progress and quota page, the figures, and the offline web app's manifest and service worker.

Forms post normally; the phone's script (static/fieldwork/app.js) sends the same forms from its
offline queue with the header `X-Fieldwork-Queue: 1` and gets JSON back: 201 saved, 200 already
saved (a resend), 400/403 refused with the translated reasons. Everything goes through services.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.areas.models import Area, Household, Level
from civicgrid.cases.models import Case
from civicgrid.cases.views.staff_queues import tabs_for
from civicgrid.core.access import public_view, signed_in_view
from civicgrid.people import policy as people_policy
from civicgrid.people.models import Resident

from . import forms, policy, quotas, rollups, services, tasks
from .models import DiaryEntry, Errand, GridMonth, HouseholdType, Patrol, Visit
from .workflow import OPEN_ERRAND_STATES, ErrandState


def _queued(request) -> bool:
    return request.headers.get("X-Fieldwork-Queue") == "1"


def _json_saved(request, saved, what: str, url: str = ""):
    if saved.created:
        message = _("%(what)s saved.") % {"what": what}
    else:
        message = _("%(what)s had already arrived; nothing was added.") % {"what": what}
    if _queued(request):
        return JsonResponse(
            {"ok": True, "created": saved.created, "id": saved.row.pk, "message": message, "url": url},
            status=201 if saved.created else 200,
        )
    (messages.success if saved.created else messages.info)(request, message)
    return None


def _refused(request, errors, status=400):
    return JsonResponse({"ok": False, "errors": [str(e) for e in errors]}, status=status)


def _worker(request) -> list[Area]:
    grids = policy.worker_grids(request.user)
    if not grids:
        raise PermissionDenied(_("These pages are for grid workers."))
    return grids


def _heads(grid_paths: list[str]) -> dict[int, str]:
    """The head of each household (for the masked label), one query."""
    q = people_policy.path_q(grid_paths)
    heads: dict[int, str] = {}
    for household_id, name, relation in (
        Resident.objects.filter(q, household_id__isnull=False)
        .order_by("id")
        .values_list("household_id", "name", "relation")
    ):
        if relation == "户主" or household_id not in heads:
            heads[household_id] = name
    return heads


def _households(grids):
    households = list(
        Household.objects.filter(grid__in=grids).select_related("unit__parent").order_by("path", "number")
    )
    return households, _heads([g.path for g in grids])


def _run(request, form, action):
    """Call a service; its refusals become form errors (page) or a JSON refusal (queue)."""
    try:
        return action(), None
    except ValidationError as exc:
        errors, status = exc.messages, 400
    except PermissionDenied as exc:
        errors, status = [str(exc) or _("You may not do this.")], 403
    if _queued(request):
        return None, _refused(request, errors, status)
    for e in errors:
        form.add_error(None, e)
    return None, None


def _invalid(request, form):
    if _queued(request):
        errors = [
            f"{form.fields[k].label if k in form.fields else ''}: {m}".lstrip(": ")
            for k, ms in form.errors.items()
            for m in ms
        ]
        return _refused(request, errors)
    return None


def _round(request, key: str | None, running: Patrol | None) -> Patrol | None:
    """The patrol round an item was made on: the phone names it by its key (an item queued offline
    may arrive after the round ended, or while another one runs); a plain form post is filed under
    the round running now."""
    if key:
        try:
            return services.patrol_for_key(request.user, key)
        except ValidationError:
            return None
    return None if _queued(request) else running


# ---------------------------------------------------------------- my day


@signed_in_view
def my_day(request):
    grids = _worker(request)
    today = timezone.localdate()
    grid_rows = []
    for grid in grids:
        rows = quotas.grid_status(grid, today)
        due = quotas.due_list(rows)
        month_end = quotas.month_end(today)
        grid_rows.append(
            {
                "grid": grid,
                "progress": quotas.progress(rows),
                "due": due[:30],
                "due_count": len(due),
                "due_this_month": sum(1 for r in due if r.due_by <= month_end),
            }
        )
    verify_tab = next((t for t in tabs_for(request.user) if t.key == "verify"), None)

    to_verify = list(Case.objects.filter(verify_tab.q).order_by("handled_at")[:10]) if verify_tab else []
    errands = list(
        Errand.objects.filter(worker=request.user, state__in=OPEN_ERRAND_STATES).select_related("household")[
            :20
        ]
    )
    follow_ups = list(
        Visit.objects.filter(
            worker=request.user,
            follow_up_on__isnull=False,
            follow_up_done_at__isnull=True,
            follow_up_on__lte=today + timedelta(days=3),
        )
        .select_related("household")
        .order_by("follow_up_on")[:20]
    )
    patrol = Patrol.objects.filter(worker=request.user, ended_at__isnull=True).first()
    return render(
        request,
        "fieldwork/my_day.html",
        {
            "grids": grid_rows,
            "to_verify": to_verify,
            "errands": errands,
            "follow_ups": follow_ups,
            "patrol": patrol,
            "today": today,
            "tasks": tasks.tasks_for(request.user, today),
        },
    )


# ---------------------------------------------------------------- visits


@signed_in_view
def visit_new(request):
    grids = _worker(request)
    households, heads = _households(grids)
    patrol = Patrol.objects.filter(worker=request.user, ended_at__isnull=True).first()
    if request.method == "POST":
        form = forms.VisitForm(request.POST, request.FILES, households=households, heads=heads)
        if form.is_valid():
            d = form.cleaned_data
            saved, refused = _run(
                request,
                form,
                lambda: services.record_visit(
                    request.user,
                    d["household"],
                    visited_on=d["visited_on"],
                    met=d["met"],
                    heard=d["heard"],
                    needs=d["needs"],
                    follow_up=d["follow_up"],
                    follow_up_on=d["follow_up_on"],
                    need_action=d["need_action"] or "none",
                    category=d.get("category"),
                    consent_way=d.get("consent_way") or "",
                    patrol=_round(request, request.POST.get("patrol_key"), patrol),
                    client_key=d["client_key"],
                    photos=d["photos"],
                ),
            )
            if refused:
                return refused
            if saved:
                url = reverse("fieldwork:visit", args=[saved.row.pk])
                return _json_saved(request, saved, _("Visit"), url) or redirect(url)
        elif (refused := _invalid(request, form)) is not None:
            return refused
    else:
        initial = {"client_key": forms.new_client_key()}
        if request.GET.get("household"):
            initial["household"] = request.GET["household"]
        form = forms.VisitForm(households=households, heads=heads, initial=initial)
    return render(request, "fieldwork/visit_form.html", {"form": form, "patrol": patrol})


@signed_in_view
def visits(request):
    grids = _worker(request)
    today = timezone.localdate()
    blocks = []
    for grid in grids:
        rows = quotas.grid_status(grid, today)
        by_type = {}
        for r in rows:
            b = by_type.setdefault(
                r.type, {"label": r.type_label, "period": r.period_label, "quota": r.quota, "rows": []}
            )
            b["rows"].append(r)
        blocks.append(
            {
                "grid": grid,
                "progress": quotas.progress(rows),
                "types": [
                    {**by_type[t], "progress": quotas.progress(by_type[t]["rows"])}
                    for t in quotas.TYPE_ORDER
                    if t in by_type
                ],
                "due": quotas.due_list(rows),
            }
        )
    recent = Visit.objects.filter(worker=request.user).select_related("household__unit__parent")[:30]
    return render(request, "fieldwork/visits.html", {"blocks": blocks, "recent": recent})


@signed_in_view
def visit_detail(request, pk):
    visit = get_object_or_404(
        Visit.objects.select_related("household__unit__parent", "case", "errand"), pk=pk
    )
    if not policy.can_view_visit(request.user, visit):
        raise PermissionDenied
    can_act = policy.can_record(request.user, visit.household)
    if request.method == "POST" and can_act:
        action = request.POST.get("action")
        try:
            if action in ("case", "errand"):
                services.raise_need(
                    visit, request.user, as_=action, consent_way=request.POST.get("consent_way", "")
                )
                messages.success(request, _("The need has been taken up."))
            elif action == "follow_up_done":
                services.complete_follow_up(visit, request.user)
                messages.success(request, _("Follow-up marked done."))
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect("fieldwork:visit", pk=visit.pk)
    heads = _heads([visit.household.path])
    return render(
        request,
        "fieldwork/visit_detail.html",
        {
            "visit": visit,
            "label": forms.household_label(visit.household, heads.get(visit.household_id)),
            "can_act": can_act,
            "consent_choices": forms.ConsentWay.choices,
        },
    )


# ---------------------------------------------------------------- diary


@signed_in_view
def diary(request):
    grids = _worker(request)
    households, heads = _households(grids)
    if request.method == "POST":
        form = forms.DiaryForm(request.POST, households=households, heads=heads)
        if form.is_valid():
            d = form.cleaned_data
            saved, refused = _run(
                request,
                form,
                lambda: services.write_diary(
                    request.user,
                    day=d["day"],
                    text=d["text"],
                    households=d["households"],
                    client_key=d["client_key"],
                ),
            )
            if refused:
                return refused
            if saved:
                return _json_saved(request, saved, _("Diary entry")) or redirect("fieldwork:diary")
        elif (refused := _invalid(request, form)) is not None:
            return refused
    else:
        form = forms.DiaryForm(
            households=households, heads=heads, initial={"client_key": forms.new_client_key()}
        )
    entries = list(
        DiaryEntry.objects.filter(worker=request.user).prefetch_related("households__unit__parent")[:30]
    )
    for e in entries:
        e.labels = [forms.household_label(h, heads.get(h.pk)) for h in e.households.all()]
    return render(request, "fieldwork/diary.html", {"form": form, "entries": entries})


@signed_in_view
def diary_new(request):
    """The diary form alone (the page the phone keeps for offline use)."""
    grids = _worker(request)
    households, heads = _households(grids)
    form = forms.DiaryForm(households=households, heads=heads, initial={"client_key": forms.new_client_key()})
    return render(request, "fieldwork/diary_form.html", {"form": form})


@signed_in_view
def diary_community(request, pk):
    """Community staff: how many diary entries each grid worker wrote, per grid and month; the text
    of an entry only after a logged unmask."""
    area = get_object_or_404(Area, pk=pk)
    if not policy.can_see_diary_counts(request.user, area):
        raise PermissionDenied
    month = timezone.localdate().replace(day=1)
    entries = list(
        DiaryEntry.objects.filter(path__startswith=area.path, day__gte=month)
        .select_related("worker", "grid")
        .order_by("grid__code", "-day", "-id")[:200]
    )
    revealed = {}
    if request.method == "POST":
        entry = get_object_or_404(DiaryEntry, pk=request.POST.get("entry"), path__startswith=area.path)
        try:
            revealed[entry.pk] = services.unmask_diary(
                request.user, entry, reason=request.POST.get("reason", ""), request=request
            )
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    for e in entries:
        e.revealed = revealed.get(e.pk)
        e.can_unmask = policy.can_unmask_diary(request.user, e)
    return render(
        request, "fieldwork/diary_community.html", {"area": area, "entries": entries, "month": month}
    )


# ---------------------------------------------------------------- patrols and reports


@signed_in_view
def patrol(request):
    grids = _worker(request)
    current = Patrol.objects.filter(worker=request.user, ended_at__isnull=True).first()
    if request.method == "POST":
        form = forms.PatrolForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            if request.POST.get("action") == "start":
                saved, refused = _run(
                    request,
                    form,
                    lambda: services.start_patrol(
                        request.user, grid=grids[0], started_at=d.get("at"), client_key=d["client_key"]
                    ),
                )
                if refused:
                    return refused
                if saved:
                    return _json_saved(request, saved, _("Patrol round")) or redirect("fieldwork:patrol")
            else:
                target = _round(request, request.POST.get("patrol_key"), None) or current
                if target is None:
                    if _queued(request):
                        return _refused(request, [_("There is no running patrol round to end.")])
                    messages.info(request, _("There is no running patrol round to end."))
                    return redirect("fieldwork:patrol")
                done, refused = _run(
                    request,
                    form,
                    lambda: services.end_patrol(request.user, target, ended_at=d.get("at"), note=d["note"]),
                )
                if refused:
                    return refused
                if done:
                    if _queued(request):
                        return JsonResponse(
                            {"ok": True, "created": False, "id": done.pk, "message": _("Patrol round ended.")}
                        )
                    messages.success(request, _("Patrol round ended."))
                    return redirect("fieldwork:patrol")
        elif (refused := _invalid(request, form)) is not None:
            return refused
    else:
        form = forms.PatrolForm(initial={"client_key": forms.new_client_key()})
    rounds = list(
        Patrol.objects.filter(worker=request.user).prefetch_related("reports__case", "visits__household")[:15]
    )
    return render(request, "fieldwork/patrol.html", {"form": form, "current": current, "rounds": rounds})


@signed_in_view
def report_new(request):
    grids = _worker(request)
    units = list(
        Area.objects.filter(level=Level.UNIT, path__startswith=grids[0].path)
        .select_related("parent")
        .order_by("path")
    )
    current = Patrol.objects.filter(worker=request.user, ended_at__isnull=True).first()
    if request.method == "POST":
        form = forms.ReportForm(request.POST, request.FILES, units=units)
        if form.is_valid():
            d = form.cleaned_data
            round_ = _round(request, d.get("patrol_key"), current)
            saved, refused = _run(
                request,
                form,
                lambda: services.report(
                    request.user,
                    description=d["description"],
                    settled=d["settled"],
                    result=d["result"],
                    category=d.get("category"),
                    unit=d.get("unit"),
                    grid=grids[0],
                    lng=d.get("lng") if not d.get("unit") else None,
                    lat=d.get("lat") if not d.get("unit") else None,
                    emergency=d["emergency"],
                    photos=d["photos"],
                    patrol=round_,
                    client_key=d["client_key"],
                ),
            )
            if refused:
                return refused
            if saved:
                return _json_saved(request, saved, _("Report")) or redirect("fieldwork:report_new")
        elif (refused := _invalid(request, form)) is not None:
            return refused
    else:
        form = forms.ReportForm(units=units, initial={"client_key": forms.new_client_key()})
    return render(request, "fieldwork/report_form.html", {"form": form, "patrol": current})


# ---------------------------------------------------------------- errands


@signed_in_view
def errands(request):
    grids = _worker(request)
    households, heads = _households(grids)
    if request.method == "POST":
        form = forms.ErrandForm(request.POST, households=households, heads=heads)
        if form.is_valid():
            d = form.cleaned_data
            saved, refused = _run(
                request,
                form,
                lambda: services.create_errand(
                    request.user,
                    household=d["household"],
                    request=d["request"],
                    consent_way=d["consent_way"],
                    consent_note=d["consent_note"],
                    category=d.get("category"),
                    client_key=d["client_key"],
                ),
            )
            if refused:
                return refused
            if saved:
                url = reverse("fieldwork:errand", args=[saved.row.pk])
                return _json_saved(request, saved, _("Errand"), url) or redirect(url)
        elif (refused := _invalid(request, form)) is not None:
            return refused
    else:
        form = forms.ErrandForm(
            households=households, heads=heads, initial={"client_key": forms.new_client_key()}
        )
    rows = list(Errand.objects.filter(grid__in=grids).select_related("household__unit__parent", "case")[:50])
    for e in rows:
        e.label = forms.household_label(e.household, heads.get(e.household_id))
    return render(request, "fieldwork/errands.html", {"form": form, "errands": rows})


@signed_in_view
def errand_detail(request, pk):
    errand = get_object_or_404(Errand.objects.select_related("household__unit__parent", "case"), pk=pk)
    if not policy.can_view_errand(request.user, errand):
        raise PermissionDenied
    can_work = policy.can_work_errand(request.user, errand)
    if request.method == "POST" and can_work:
        action = request.POST.get("action")
        text = request.POST.get("text", "")
        version = request.POST.get("version")
        try:
            if action == "start":
                services.start_errand(errand, request.user, expected_version=version)
            elif action == "step":
                services.add_errand_step(errand, request.user, text)
            elif action == "close":
                services.close_errand(errand, request.user, result=text, expected_version=version)
            elif action == "cancel":
                services.cancel_errand(errand, request.user, reason=text, expected_version=version)
            messages.success(request, _("Saved."))
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect("fieldwork:errand", pk=errand.pk)
    heads = _heads([errand.household.path])
    return render(
        request,
        "fieldwork/errand_detail.html",
        {
            "errand": errand,
            "label": forms.household_label(errand.household, heads.get(errand.household_id)),
            "steps": errand.steps.select_related("by"),
            "can_work": can_work,
            "open": errand.state in OPEN_ERRAND_STATES,
            "requested": errand.state == ErrandState.REQUESTED,
        },
    )


# ---------------------------------------------------------------- progress, quotas, figures


@signed_in_view
def progress(request, pk):
    """A community's (or street's) visit progress per grid, and — for community staff — its quotas."""
    area = get_object_or_404(Area, pk=pk)
    if not policy.can_view_progress(request.user, area):
        raise PermissionDenied
    if area.level not in (Level.COMMUNITY, Level.GRID):
        # Above a community the live view would scan every grid: the figures read the rollup.
        return redirect(reverse("fieldwork:figures") + f"?area={area.pk}")
    community = area if area.level == Level.COMMUNITY else None
    can_set = community is not None and policy.can_set_quota(request.user, community)
    if request.method == "POST":
        if not can_set:
            raise PermissionDenied
        form = forms.QuotaForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.set_quota(
                    request.user,
                    community,
                    household_type=d["household_type"],
                    period=d["period"],
                    visits=d["visits"],
                )
                messages.success(request, _("Visit quota saved."))
            except (ValidationError, PermissionDenied) as exc:
                messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        else:
            messages.error(request, _("Give the number of visits as a whole number from 1 to 31."))
        return redirect("fieldwork:progress", pk=area.pk)
    today = timezone.localdate()
    grids = list(Area.objects.filter(level=Level.GRID, path__startswith=area.path).order_by("code")[:60])
    rows = [{"grid": g, "progress": quotas.progress(quotas.grid_status(g, today))} for g in grids]
    quota_rows = []
    if community is not None:
        current = quotas.quotas_for(community)
        for t in quotas.TYPE_ORDER:
            period, visits = current[t]
            quota_rows.append(
                {
                    "type": t,
                    "label": HouseholdType(t).label,
                    "period": period,
                    "visits": visits,
                    "periods": forms.Period.choices,
                }
            )
    return render(
        request,
        "fieldwork/progress.html",
        {
            "area": area,
            "rows": rows,
            "quota_rows": quota_rows,
            "can_set": can_set,
            "community": community,
            "diary_link": policy.can_see_diary_counts(request.user, area),
        },
    )


@signed_in_view
def figures(request):
    roots = policy.worker_grids(request.user) or people_policy.home_areas(request.user)
    if not roots:
        raise PermissionDenied
    area = roots[0]
    if request.GET.get("area"):
        area = get_object_or_404(Area, pk=request.GET["area"])
    if not policy.can_view_progress(request.user, area):
        raise PermissionDenied
    try:
        year = int(request.GET.get("year") or timezone.localdate().year)
    except ValueError:
        year = timezone.localdate().year
    data = rollups.figures(area, year)
    years = sorted(
        {m.year for m in GridMonth.objects.filter(path__startswith=area.path).dates("month", "year")} | {year}
    )
    return render(
        request, "fieldwork/figures.html", {"area": area, "year": year, "years": years, "data": data}
    )


# ---------------------------------------------------------------- the offline web app

# Pages the phone keeps for offline use (the worker's grid: households masked, units, categories, forms).
OFFLINE_PAGES = [
    "fieldwork:my_day",
    "fieldwork:visit_new",
    "fieldwork:report_new",
    "fieldwork:diary_new",
    "fieldwork:patrol",
]
STATIC_FILES = [
    "civicgrid/site.css",
    "fieldwork/fieldwork.css",
    "fieldwork/app.js",
    "fieldwork/icon-192.png",
    "fieldwork/icon-512.png",
]


def _assets_version() -> str:
    digest = hashlib.sha256()
    for name in STATIC_FILES + ["fieldwork/sw.js"]:
        path = finders.find(name)
        if path:
            with open(path, "rb") as fh:
                digest.update(fh.read())
    digest.update(settings.LANGUAGE_CODE.encode())
    return digest.hexdigest()[:12]


@public_view  # a static script (no data): the browser fetches it without a session check
def service_worker(request):
    """The service worker, served from the site root so that it may control /fieldwork/."""
    path = finders.find("fieldwork/sw.js")
    if not path:
        raise Http404
    with open(path, encoding="utf-8") as fh:
        body = fh.read()
    config = {
        "version": _assets_version(),
        "pages": [reverse(name) for name in OFFLINE_PAGES],
        "assets": [static(name) for name in STATIC_FILES],
    }

    body = f"self.FIELDWORK = {json.dumps(config)};\n" + body
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response


@public_view  # the web-app manifest: names and icons only
def manifest(request):
    data = {
        "name": _("civicgrid fieldwork"),
        "short_name": _("Fieldwork"),
        "description": _("The grid worker's day: visits, diary, patrols, errands; works without signal."),
        "start_url": reverse("fieldwork:my_day"),
        "scope": reverse("fieldwork:my_day"),
        "display": "standalone",
        "background_color": "#f5f6f8",
        "theme_color": "#b3261e",
        "lang": request.LANGUAGE_CODE,
        "icons": [
            {"src": static("fieldwork/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {
                "src": static("fieldwork/icon-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "any maskable",
            },
        ],
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    return response
