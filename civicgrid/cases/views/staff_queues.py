"""Each role's queue ("my cases"), sorted by time left: the case whose deadline comes first is on top.

The tabs a person sees follow the roles they hold:
- street dispatcher: to register or dispatch, returned (退单), extension requests waiting, on hold due
  for review;
- department handler: dispatched to my department (accept or return), in progress, assisting;
- grid worker and the rest of the five-level chain: cases held at my level in my area, to verify;
- district supervisor: overdue, supervised (督办), unsatisfied ratings.
An administrator sees the dispatcher's and the supervisor's tabs. Counts on the tabs come from one
query (and one more for each tab drawn from another table); a page of a tab from one more (plus the
paginator's count), whatever the number of cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db.models import Case as Switch
from django.db.models import Count, F, Q, QuerySet, When
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from civicgrid.people import policy as people_policy
from civicgrid.people.models import Role

from .. import workflow
from ..models import Case, ExtensionRequest, ExtensionStatus, SupervisionOrder, overdue_q
from ..workflow import LEVEL_ROLE, CaseLevel, Rating, State
from .staff import PAGE_SIZE, category_label, clock, staff_required

S = State
# The deadline that matters now (the same rule as deadlines.time_status), for sorting in the database.
DUE = Switch(
    When(
        Q(responded_at__isnull=True, respond_due__isnull=False, state__in=[S.DISPATCHED, S.REGISTERED]),
        then=F("respond_due"),
    ),
    default=F("resolve_due"),
)
CHAIN_WORK_STATES = [S.SUBMITTED, S.REGISTERED, S.IN_PROGRESS, S.REWORK]
OPEN = list(workflow.OPEN_STATES)


@dataclass
class Tab:
    key: str
    label: str | Promise
    q: Q
    order: tuple = ()  # default: by time left

    def ordering(self):
        return self.order or (F("due_at").asc(nulls_last=True), "reported_at", "pk")


def _scope(user, roles) -> Q | None:
    paths = people_policy.scope_paths(user, set(roles))
    return people_policy.path_q(paths) if paths else None


def tabs_for(user, now=None) -> list[Tab]:
    """The queue tabs for the roles the user holds (none for residents and read-only leaders)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    held = people_policy.roles(user)
    admin = people_policy.is_admin(user)
    tabs: list[Tab] = []

    if admin or Role.STREET_DISPATCHER in held:
        scope = _scope(user, {Role.STREET_DISPATCHER, Role.ADMINISTRATOR})
        if scope is not None:
            waiting = Q(level__in=[CaseLevel.STREET, CaseLevel.DISTRICT]) | Q(
                suggested_department__isnull=False
            )
            waiting |= Q(kind=workflow.Kind.EMERGENCY)
            pending = ExtensionRequest.objects.filter(status=ExtensionStatus.PENDING).values("case_id")
            tabs += [
                Tab(
                    "dispatch",
                    _("To register or dispatch"),
                    scope & Q(state__in=[S.SUBMITTED, S.REGISTERED], department__isnull=True) & waiting,
                ),
                Tab("returned", _("Returned (退单)"), scope & Q(state=S.RETURNED)),
                Tab("extensions", _("Extension requests"), scope & Q(state__in=OPEN, pk__in=pending)),
                Tab(
                    "hold_review",
                    _("On hold, due for review"),
                    scope & Q(state=S.ON_HOLD, hold_until__lte=today),
                    order=("hold_until", "pk"),
                ),
            ]

    departments = people_policy.department_ids(user)
    if departments:
        assisting = Case.assisting.through.objects.filter(department_id__in=departments).values("case_id")
        tabs += [
            Tab("incoming", _("Dispatched to us"), Q(department_id__in=departments, state=S.DISPATCHED)),
            Tab(
                "handling",
                _("In progress"),
                Q(department_id__in=departments, state__in=[S.IN_PROGRESS, S.REWORK, S.ON_HOLD]),
            ),
            Tab(
                "assisting",
                _("Assisting (协办)"),
                Q(pk__in=assisting, state__in=OPEN) & ~Q(department_id__in=departments),
            ),
        ]

    chain = [lv for lv in workflow.CHAIN_LEVELS if LEVEL_ROLE[CaseLevel(lv)] in held]
    if chain:
        mine = []
        for level in chain:
            scope = _scope(user, {LEVEL_ROLE[CaseLevel(level)]})
            if scope is not None:
                mine.append(scope & Q(level=level))
        if mine:
            tabs.append(
                Tab(
                    "my_level",
                    _("To handle at my level"),
                    reduce(or_, mine) & Q(state__in=CHAIN_WORK_STATES, department__isnull=True),
                )
            )
    verifier_roles = held & {Role.GRID_WORKER, Role.COMMUNITY_STAFF}
    if verifier_roles:
        scope = _scope(user, verifier_roles)
        if scope is not None:
            tabs.append(
                Tab("verify", _("To verify (核查)"), scope & Q(state=S.HANDLED), order=("handled_at", "pk"))
            )

    if admin or Role.DISTRICT_SUPERVISOR in held:
        scope = _scope(user, {Role.DISTRICT_SUPERVISOR, Role.ADMINISTRATOR})
        if scope is not None:
            supervised = SupervisionOrder.objects.values("case_id")
            tabs += [
                Tab("overdue", _("Overdue"), scope & overdue_q(now)),
                Tab("supervised", _("Supervised (督办)"), scope & Q(state__in=OPEN, pk__in=supervised)),
                Tab(
                    "unsatisfied",
                    _("Unsatisfied ratings"),
                    scope & Q(state=S.CLOSED, rating=Rating.UNSATISFIED),
                    order=(F("rated_at").desc(nulls_last=True), "pk"),
                ),
            ]
    return tabs


def tab_counts(tabs: list[Tab]) -> dict[str, int]:
    """How many cases each tab holds: the tabs that filter the cases themselves in one query, each
    tab that picks cases from another table (assisting, extensions, supervision) in one of its own.
    OR-ed into one scan, such a tab's `pk IN (…)` could use no index: the query read every open case
    (a department handler's queue: 0.7 s at a tenth of a province); alone, it starts from its own
    few rows."""
    if not tabs:
        return {}
    plain = [t for t in tabs if not _picks_from_another_table(t.q)]
    counts: dict[str, int] = {}
    if plain:
        union = reduce(or_, (t.q for t in plain))
        counts.update(Case.objects.filter(union).aggregate(**{t.key: Count("pk", filter=t.q) for t in plain}))
    for t in tabs:
        if t not in plain:
            counts[t.key] = Case.objects.filter(t.q).count()
    return {t.key: counts[t.key] for t in tabs}


def _picks_from_another_table(q: Q) -> bool:
    """Whether a filter holds a sub-query (`pk__in=<queryset>`)."""
    for child in q.children:
        if isinstance(child, Q):
            if _picks_from_another_table(child):
                return True
        elif isinstance(child[1], QuerySet):
            return True
    return False


def tab_cases(tab: Tab):
    return (
        Case.objects.filter(tab.q)
        .annotate(due_at=DUE)
        .select_related("category__parent", "grid", "department")
        .order_by(*tab.ordering())
    )


def decorate(cases, now) -> None:
    for case in cases:
        case.clock = clock(case, now)
        case.category_label = category_label(case.category)


@staff_required
def queue(request):
    from django.core.paginator import Paginator

    user = request.user
    now = timezone.now()
    tabs = tabs_for(user, now)
    if not tabs:
        # Leaders read figures; others without a queue can still search what they may see.
        if people_policy.has_role(user, Role.LEADER):
            return redirect("dashboard:index")
        return redirect("cases:search")
    counts = tab_counts(tabs)
    current = next((t for t in tabs if t.key == request.GET.get("tab")), None)
    if current is None:
        current = next((t for t in tabs if counts.get(t.key)), tabs[0])
    page = Paginator(tab_cases(current), PAGE_SIZE).get_page(request.GET.get("page"))
    decorate(page.object_list, now)
    return render(
        request,
        "cases/staff/queue.html",
        {
            "tabs": [{"key": t.key, "label": t.label, "count": counts.get(t.key, 0)} for t in tabs],
            "current": current,
            "page": page,
            "now": now,
        },
    )


def queue_home_panel(request, role) -> list[dict]:
    """A home-page panel with the queue's tabs and the most urgent cases (two queries)."""
    user = request.user
    tabs = tabs_for(user)
    if not tabs:
        return []
    counts = tab_counts(tabs)
    now = timezone.now()
    current = next((t for t in tabs if counts.get(t.key)), tabs[0])
    urgent = list(tab_cases(current)[:5])
    decorate(urgent, now)
    return [
        {
            "title": _("My cases"),
            "template": "cases/staff/panel.html",
            "order": 10,
            "tabs": [{"key": t.key, "label": t.label, "count": counts.get(t.key, 0)} for t in tabs],
            "current": current,
            "cases": urgent,
        }
    ]
