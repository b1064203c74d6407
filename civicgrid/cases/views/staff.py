"""Staff pages of the closed loop: the case page (facts, timeline, photos, actions), contact unmasking
and the search. Queues are in staff_queues.py, the action handler in staff_actions.py, the inbox in
staff_inbox.py.

Who sees a case here: staff whose area scope covers it, its lead and assisting departments, and
administrators (cases.policy). A resident who reported it follows it on the residents' pages instead.
Every write goes through cases/services/ (via the forms in cases/forms_staff.py).
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Count, F, Q, Window
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from civicgrid.areas.models import Area, Level
from civicgrid.cases.panels import case_panels
from civicgrid.core.access import signed_in_view
from civicgrid.core.pii import log_unmasked_view, mask_email, mask_name, mask_phone
from civicgrid.people import policy as people_policy
from civicgrid.people.models import Department, Role

from .. import policy, services, workflow
from ..forms_staff import ACTION_FORMS, UNMASK_REASONS, SearchForm, UnmaskContactForm, search_states
from ..models import Case, Category, ExtensionStatus
from ..workflow import AttachmentKind, State

STAFF_ROLES = workflow.STAFF | {Role.LEADER, Role.ADMINISTRATOR}
PAGE_SIZE = 25
CONTACT_FIELDS = ["contact_name", "contact_phone", "contact_email", "reporter"]


# ---------------------------------------------------------------- access


def is_staff(user) -> bool:
    """Anyone who works or reads cases (not residents, who have their own pages)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return people_policy.is_admin(user) or bool(people_policy.roles(user) & STAFF_ROLES)


def staff_required(view):
    @signed_in_view
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not is_staff(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def staff_can_view(user, case: Case) -> bool:
    """Scope, department or administrator: being the reporter is not enough for the staff page."""
    return (
        people_policy.is_admin(user)
        or policy.in_area_scope(user, case)
        or policy.is_lead_handler(user, case)
        or policy.is_assisting_handler(user, case)
    )


def case_for(user, pk: int) -> Case:
    """The case, with what its page shows in one query; 404 if the user may not see it here."""
    case = (
        Case.objects.select_related(
            "category__parent",
            "grid",
            "building",
            "unit",
            "department",
            "suggested_department",
            "reporter",
            "merged_into",
        )
        .filter(pk=pk)
        .first()
    )
    if case is None or not staff_can_view(user, case):
        raise Http404
    return case


# ---------------------------------------------------------------- time left


def clock(case: Case, now) -> dict:
    """The deadline that matters now, its colour (green, amber before the limit, red after) and words."""
    status = case.time_left(now)
    if not status.colour:
        return {"colour": "", "text": "", "due": None, "which": ""}
    if status.colour == "red":
        text = _("overdue by %(time)s") % {"time": timesince(status.due, now, depth=2)}
    else:
        text = _("%(time)s left") % {"time": timeuntil(status.due, now, depth=2)}
    which = _("to respond") if status.which == "respond" else _("to resolve")
    return {"colour": status.colour, "text": text, "due": status.due, "which": which}


# ---------------------------------------------------------------- the case page


def category_label(category: Category | None) -> str:
    if category is None:
        return ""
    if translation.get_language() == "en" and category.name_en:
        return category.name_en
    return str(category)


def _actor_label(event, case: Case) -> str:
    if event.actor_id is None:
        return _("the reporter") if event.action in ("report", "rate") else _("the system")
    if event.actor_id == case.reporter_user_id and event.action in ("report", "rate", "comment"):
        return _("the reporter")
    actor = event.actor
    return actor.get_full_name() or actor.username


def _event_details(event, departments: dict) -> list[str]:
    data = event.data or {}
    out = []
    if event.action == "dispatch" and data.get("department"):
        dept = departments.get(data["department"])
        out.append(_("lead: %(name)s") % {"name": dept.name if dept else data["department"]})
        names = [departments[d].name for d in data.get("assisting", []) if d in departments]
        if names:
            out.append(_("assisting: %(names)s") % {"names": "、".join(names)})
        if data.get("automatic"):
            out.append(_("automatic"))
    if event.action == "return_to_dispatcher" and data.get("department") in departments:
        out.append(_("returned by %(name)s") % {"name": departments[data["department"]].name})
    if "hours" in data:
        out.append(_("%(hours)s working hours") % {"hours": data["hours"]})
    if "granted" in data:
        out.append(_("granted") if data["granted"] else _("refused"))
    if data.get("until"):
        out.append(_("review on %(date)s") % {"date": data["until"]})
    if data.get("rating"):
        out.append(str(workflow.Rating(data["rating"]).label))
    if data.get("level"):
        levels = dict(workflow.CaseLevel.choices)
        out.append(" → ".join(str(levels.get(lv, lv)) for lv in data["level"]))
    if data.get("channel"):
        out.append(str(dict(workflow.Channel.choices).get(data["channel"], data["channel"])))
    return out


def timeline(case: Case) -> list[dict]:
    events = list(case.events.select_related("actor").order_by("at", "id"))
    dept_ids = set()
    for e in events:
        data = e.data or {}
        for key in ("department", "previous_department"):
            if isinstance(data.get(key), int):
                dept_ids.add(data[key])
        dept_ids.update(d for d in data.get("assisting", []) if isinstance(d, int))
    departments = Department.objects.in_bulk(dept_ids) if dept_ids else {}
    states = dict(State.choices)
    return [
        {
            "event": e,
            "label": e.label,
            "actor": _actor_label(e, case),
            "from": states.get(e.from_state, e.from_state),
            "to": states.get(e.to_state, e.to_state),
            "moved": bool(e.to_state) and e.from_state != e.to_state,
            "details": _event_details(e, departments),
        }
        for e in events
    ]


# The usual next step in each state: the first of these the user may take is shown open, on top.
NEXT_STEP = {
    State.SUBMITTED: ["dispatch", "register", "accept"],
    State.REGISTERED: ["dispatch", "accept"],
    State.RETURNED: ["dispatch"],
    State.DISPATCHED: ["accept"],
    State.IN_PROGRESS: ["decide_extension", "mark_handled"],
    State.REWORK: ["decide_extension", "mark_handled"],
    State.ON_HOLD: ["decide_extension", "resume"],
    State.HANDLED: ["verify"],
    State.CLOSED: ["rate", "reopen"],
}


def next_step(case: Case, forms: list) -> str:
    keys = [f.key() for f in forms]
    return next((k for k in NEXT_STEP.get(case.state, []) if k in keys), "")


def action_forms(user, case: Case, *, bound=None) -> list:
    """The forms for the actions the user may take on the case now, the usual next step first."""
    if policy.is_read_only(user) and not people_policy.is_admin(user):
        return []
    available = set(policy.available_actions(user, case))
    pending = None
    forms = []
    for key, form_class in ACTION_FORMS.items():
        if key == "merge":
            if case.state in (State.NOT_ACCEPTED, State.MERGED) or not _may_merge(user, case):
                continue
        elif not available & set(form_class.policy_actions()):
            continue
        kwargs = {"case": case, "user": user}
        if key == "dispatch":
            kwargs["suggestion"] = services.suggest_dispatch(case)
        if key == "decide_extension":
            pending = case.extension_requests.filter(status=ExtensionStatus.PENDING).first()
            if pending is None:
                continue
            kwargs["pending"] = pending
        if key == "rate" and case.rated_at and case.closed_at and case.rated_at >= case.closed_at:
            continue
        if key == "merge":
            kwargs["candidates"] = merge_candidates(user, case)
        if bound is not None and bound.key() == key:
            forms.append(bound)
        else:
            forms.append(form_class(**kwargs))
    first = next_step(case, forms)
    return sorted(forms, key=lambda f: f.key() != first)


def _may_merge(user, case: Case) -> bool:
    """Registrars of the case's area may merge duplicates into it (the service checks each one)."""
    roles = workflow.TRANSITIONS["merge"].roles
    return people_policy.is_admin(user) or policy.in_area_scope(user, case, roles - {Role.ADMINISTRATOR})


def merge_candidates(user, case: Case) -> list[Case]:
    found = services.find_possible_duplicates(
        category=case.category,
        description=case.description,
        lng=case.lng,
        lat=case.lat,
        grid=case.grid_id,
        address=case.address,
        exclude=case.pk,
    )
    from ..duplicates import duplicates_of

    seen = {c.pk for c in found}
    found = list(found) + [d.case for d in duplicates_of(case) if d.case.pk not in seen]
    return [c for c in found if c.merged_into_id is None and policy.can(user, "merge", c)]


def case_page(request, case: Case, *, bound=None, unmask_form=None, unmasked=False, status=200):
    user = request.user
    now = timezone.now()
    attachments = list(case.attachments.all())
    photos = [
        (label, [a for a in attachments if a.kind == kind])
        for kind, label in AttachmentKind.choices
        if any(a.kind == kind for a in attachments)
    ]
    can_contact = policy.can_view_contact(user, case)
    has_contact = bool(case.contact_name or case.contact_phone or case.contact_email or case.reporter_id)
    reporter = case.reporter
    contact = {
        "name": case.contact_name if unmasked else mask_name(case.contact_name),
        "phone": case.contact_phone if unmasked else mask_phone(case.contact_phone),
        "email": case.contact_email if unmasked else mask_email(case.contact_email),
        "resident": (reporter.name if unmasked else reporter.masked_name) if reporter else "",
        "resident_phone": (reporter.phone if unmasked else mask_phone(reporter.phone)) if reporter else "",
    }
    forms = action_forms(user, case, bound=bound)
    return render(
        request,
        "cases/staff/case.html",
        {
            "case": case,
            "category": category_label(case.category),
            "assisting": list(case.assisting.all()),
            "clock": clock(case, now),
            "timeline": timeline(case),
            "photos": photos,
            "duplicates": list(case.duplicates.only("id", "title", "state", "reported_at", "jurisdiction")),
            "extensions": list(case.extension_requests.select_related("requested_by", "decided_by")),
            "orders": list(case.supervision_orders.select_related("issued_by")),
            "forms": forms,
            "case_panels": case_panels(request, case),
            "open_form": bound.key() if bound is not None else next_step(case, forms),
            "contact": contact,
            "has_contact": has_contact,
            "can_unmask": can_contact and has_contact and not unmasked,
            "unmask_form": unmask_form or UnmaskContactForm(),
            "unmasked": unmasked,
            "read_only": not forms,
        },
        status=status,
    )


@staff_required
def case_detail(request, pk: int):
    return case_page(request, case_for(request.user, pk))


@never_cache
@require_POST
@staff_required
def unmask_contact(request, pk: int):
    """Show the reporter's contact details in full, for a stated reason; the view is logged first."""
    case = case_for(request.user, pk)
    if not policy.can_view_contact(request.user, case):
        raise PermissionDenied
    form = UnmaskContactForm(request.POST)
    if not form.is_valid():
        return case_page(request, case, unmask_form=form, status=400)
    with translation.override(settings.LANGUAGE_CODE):
        reason = str(dict(UNMASK_REASONS)[form.cleaned_data["reason"]])
    note = (form.cleaned_data.get("note") or "").strip()
    log_unmasked_view(
        user=request.user,
        subject=case,
        fields=CONTACT_FIELDS,
        reason=f"{reason}: {note}" if note else reason,
        request=request,
    )
    return case_page(request, case, unmasked=True)


# ---------------------------------------------------------------- search


def search_areas(user) -> list[Area]:
    """Streets, communities and grids within the user's own scopes (for the area filter)."""
    paths = people_policy.scope_paths(user, people_policy.AREA_STAFF_ROLES)
    if not paths:
        return []
    qs = Area.objects.filter(people_policy.path_q(paths)).filter(
        level__in=[Level.STREET, Level.COMMUNITY, Level.GRID]
    )
    areas = list(qs.order_by("path")[:500])
    top = min((a.path.count("/") for a in areas), default=0)
    for a in areas:
        a.indented_name = "\u3000" * (a.path.count("/") - top) + a.name
    return areas


def search_departments(user) -> list[Department]:
    qs = Department.objects.filter(active=True)
    if not people_policy.is_admin(user):
        jurisdictions = {a.area.jurisdiction for a in people_policy.assignments(user) if a.area_id}
        ids = people_policy.department_ids(user)
        qs = qs.filter(Q(jurisdiction__in=jurisdictions) | Q(pk__in=ids))
    return list(qs.order_by("code")[:300])


def one_scan_page(qs, ordering, number) -> Page:
    """The page `Paginator(qs.order_by(*ordering), PAGE_SIZE).get_page(number)` gives, from one scan of
    the matching cases: their number counted beside the page's ids (a window count), then the page's
    25 cases with their related rows by id. The paginator's own way reads every match twice (its count,
    then the page) and joins the related rows to every match before sorting them."""
    paginator = Paginator(qs.order_by(*ordering), PAGE_SIZE)
    ids = qs.order_by(*ordering).annotate(matches=Window(Count("pk"))).values_list("pk", "matches")

    def rows(n: int) -> list:
        return list(ids[(n - 1) * PAGE_SIZE : n * PAGE_SIZE])

    try:
        n = int(number) if number is not None else 1
    except (TypeError, ValueError):
        n = 1  # as get_page: not a number → the first page
    found = rows(n) if n >= 1 else []
    if found:
        paginator.count = found[0][1]
    else:  # no match, or a page before the first or past the last: get_page gives the last page
        paginator.count = qs.count()
        n = 1 if n == 1 and not paginator.count else paginator.num_pages
        found = rows(n) if paginator.count else []
    by_id = {c.pk: c for c in qs.filter(pk__in=[pk for pk, _n in found]).order_by()}
    return Page([by_id[pk] for pk, _n in found if pk in by_id], n, paginator)


@staff_required
def search(request):
    user = request.user
    now = timezone.now()
    areas = search_areas(user)
    departments = search_departments(user)
    form = SearchForm(request.GET or None, areas=areas, departments=departments)
    qs = policy.visible_cases(user).select_related("category__parent", "grid", "department")
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    area = {a.code: a for a in areas}.get(data.get("area") or "")
    qs = services.filter_cases(
        qs,
        text=data.get("q") or "",
        states=search_states(data.get("state")),
        category=data.get("category"),
        area=area,
        department=data.get("department"),
        channel=data.get("channel") or "",
        kind=data.get("kind") or "",
        overdue=True if data.get("overdue") else None,
        reported_from=data.get("reported_from"),
        reported_to=data.get("reported_to"),
        now=now,
    )
    page = one_scan_page(qs, (F("reported_at").desc(), "-pk"), request.GET.get("page"))
    for case in page.object_list:
        case.clock = clock(case, now)
        case.category_label = category_label(case.category)
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "cases/staff/search.html",
        {"form": form, "page": page, "params": params.urlencode(), "searched": form.is_bound},
    )
