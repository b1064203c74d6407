"""Pages for the Party members' work: a branch's posts (5+X) and holders, whistle calls (issue,
report, check in and out, close), 双报到 registrations, and the pioneer star board."""

from __future__ import annotations

from datetime import date, datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.areas.models import Area, Level
from civicgrid.core.access import signed_in_view
from civicgrid.people.models import Resident

from . import calls, dual, pioneer, policy, posts
from .models import (
    CallState,
    HomeRegistration,
    OrgLevel,
    PartyMembership,
    PartyOrganization,
    PioneerSnapshot,
    PostHolding,
    WhistleCall,
)


def _errors(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _date(raw: str) -> date:
    try:
        return date.fromisoformat((raw or "").strip())
    except ValueError as exc:
        raise ValidationError(_("Enter a date like 2026-07-01.")) from exc


def _org(request, pk, *, lead=False) -> PartyOrganization:
    org = get_object_or_404(PartyOrganization.objects.select_related("area"), pk=pk)
    allowed = policy.can_lead(request.user, org) if lead else policy.can_read(request.user, org)
    if not allowed:
        raise PermissionDenied
    return org


@signed_in_view
def work_index(request):
    """Organisations the user leads or reads, and for a member: the open calls they can answer."""
    orgs = list(
        policy.led_organizations(request.user)
        .select_related("area")
        .order_by("area__path", "level", "name")[:200]
    )
    member = policy.member_of(request.user)
    open_calls = calls.open_calls_for(member) if member else []
    mine = list(member.call_reports.select_related("call").order_by("-reported_at")[:20]) if member else []
    registrations = (
        list(member.home_registrations.select_related("community", "own_organization")) if member else []
    )
    if not orgs and member is None:
        raise PermissionDenied
    return render(
        request,
        "party/work_index.html",
        {
            "orgs": orgs,
            "member": member,
            "open_calls": open_calls,
            "my_reports": mine,
            "registrations": registrations,
        },
    )


# --------------------------------------------------------------------------------------- posts


@signed_in_view
def org_posts(request, pk):
    org = _org(request, pk)
    may_lead = policy.can_lead(request.user, org)
    if request.method == "POST":
        if not may_lead:
            raise PermissionDenied
        action = request.POST.get("action")
        try:
            if action == "fixed":
                posts.ensure_fixed_posts(org, request.user)
            elif action == "x":
                posts.add_x_post(
                    org, request.POST.get("title", ""), request.user, request.POST.get("duties", "")
                )
            elif action == "assign":
                post = get_object_or_404(org.posts, pk=request.POST.get("post") or 0)
                member = get_object_or_404(Resident, pk=request.POST.get("member") or 0)
                ends = request.POST.get("ends_on")
                posts.assign_holder(
                    post,
                    member,
                    request.user,
                    started_on=_date(request.POST.get("started_on")),
                    ends_on=_date(ends) if ends else None,
                )
            elif action == "stand_down":
                holding = get_object_or_404(
                    PostHolding, pk=request.POST.get("holding") or 0, post__branch=org
                )
                posts.stand_down(holding, request.user, timezone.localdate())
            else:
                raise ValidationError(_("Unknown action."))
            messages.success(request, _("Saved."))
        except ValidationError as exc:
            _errors(request, exc)
        return redirect("party:org_posts", org.pk)
    org_posts_ = list(org.posts.filter(retired_on__isnull=True).prefetch_related("holdings__member"))
    for post in org_posts_:
        post.current = [h for h in post.holdings.all() if h.ended_on is None]
    return render(
        request,
        "party/org_posts.html",
        {
            "org": org,
            "posts": org_posts_,
            "may_lead": may_lead,
            "eligible": list(posts.eligible_members(org)) if may_lead else [],
            "today": timezone.localdate(),
        },
    )


# --------------------------------------------------------------------------------------- calls


def _find_case(ref: str):
    """A case by its public reference (cases is above party: reached through the call's link)."""
    ref = (ref or "").strip()
    if not ref:
        return None
    case_model = WhistleCall._meta.get_field("case").related_model
    case = case_model.objects.by_ref(ref).first()
    if case is None:
        raise ValidationError(_("No case has the reference %(ref)s.") % {"ref": ref})
    return case


@signed_in_view
def org_calls(request, pk):
    org = _org(request, pk)
    may_lead = policy.can_lead(request.user, org)
    if request.method == "POST":
        if not may_lead:
            raise PermissionDenied
        try:
            place = get_object_or_404(Area, pk=request.POST.get("place") or 0)
            try:
                deadline = timezone.make_aware(datetime.fromisoformat(request.POST.get("deadline", "")))
                needed = int(request.POST.get("members_needed", ""))
            except ValueError as exc:
                raise ValidationError(_("Give the number of members needed and a deadline.")) from exc
            call = calls.issue_call(
                org,
                request.POST.get("task", ""),
                place,
                needed,
                deadline,
                request.user,
                details=request.POST.get("details", ""),
                case=_find_case(request.POST.get("case", "")),
            )
        except ValidationError as exc:
            _errors(request, exc)
            return redirect(f"{request.path}?case={request.POST.get('case', '')}")
        messages.success(request, _("The whistle is blown: members are told."))
        return redirect("party:call", call.pk)
    places = Area.objects.filter(
        path__startswith=org.area.path, level__in=[Level.STREET, Level.COMMUNITY, Level.GRID, Level.BUILDING]
    ).order_by("path")[:300]
    return render(
        request,
        "party/org_calls.html",
        {
            "org": org,
            "calls": org.calls.select_related("place").order_by("-issued_at")[:100],
            "may_lead": may_lead,
            "places": places,
            "case_ref": request.GET.get("case", ""),
        },
    )


@signed_in_view
def call(request, pk):
    item = get_object_or_404(WhistleCall.objects.select_related("issuer__area", "place", "case"), pk=pk)
    member = policy.member_of(request.user)
    leads = policy.can_lead(request.user, item.issuer)
    reads = leads or policy.can_read(request.user, item.issuer)
    if not reads and not (member and calls.may_answer(item, member)):
        raise PermissionDenied
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "report":
                if member is None:
                    raise PermissionDenied
                calls.report(item, member, request.user)
                messages.success(request, _("Reported. Thank you!"))
            elif action == "in":
                calls.check_in(item, request.user)
                messages.success(request, _("Checked in."))
            elif action == "out":
                calls.check_out(item, request.user)
                messages.success(request, _("Checked out. Thank you!"))
            elif action == "close":
                calls.close_call(item, request.POST.get("result", ""), request.user)
                messages.success(request, _("The call is closed."))
            elif action == "cancel":
                calls.cancel_call(item, request.POST.get("result", ""), request.user)
                messages.success(request, _("The call is cancelled."))
            else:
                raise ValidationError(_("Unknown action."))
        except ValidationError as exc:
            _errors(request, exc)
        return redirect("party:call", item.pk)
    mine = item.reports.filter(member=member).first() if member else None
    return render(
        request,
        "party/call.html",
        {
            "call": item,
            "leads": leads,
            "reads": reads,
            "mine": mine,
            "reports": list(item.reports.select_related("member")) if reads else [],
            "reported": item.reports.count(),
            "is_open": item.state == CallState.OPEN,
        },
    )


# ------------------------------------------------------------------------------------ 双报到


@signed_in_view
def reported_elsewhere(request, pk):
    """The member's own organisation: who registered where they live. Nothing of what they did."""
    org = _org(request, pk)
    rows = dual.reported_elsewhere(org, request.user)
    return render(request, "party/reported_elsewhere.html", {"org": org, "rows": rows})


@signed_in_view
def home_registrations(request, code):
    """The home community: members registered here, and (for a member) registering here."""
    community = get_object_or_404(Area, code=code, level=Level.COMMUNITY)
    member = policy.member_of(request.user)
    staff = policy.leads_area(request.user, community.path)
    if not staff and member is None:
        raise PermissionDenied
    if request.method == "POST":
        try:
            org = get_object_or_404(PartyOrganization, pk=request.POST.get("organization") or 0)
            target = member
            if staff and request.POST.get("member"):
                target = get_object_or_404(Resident, pk=request.POST.get("member"))
            if target is None:
                raise PermissionDenied
            dual.register_at_home(target, org, community, request.user, on=timezone.localdate())
            messages.success(request, _("Registered with %(c)s.") % {"c": community.name})
        except ValidationError as exc:
            _errors(request, exc)
        return redirect("party:home_registrations", community.code)
    own_orgs = (
        PartyOrganization.objects.filter(memberships__resident=member).exclude(
            area__path__startswith=community.path
        )
        if member
        else PartyOrganization.objects.none()
    )
    return render(
        request,
        "party/home_registrations.html",
        {
            "community": community,
            "rows": dual.registered_here(community) if staff else [],
            "staff": staff,
            "own_orgs": own_orgs,
            "mine": HomeRegistration.objects.filter(
                member=member, community=community, ended_on__isnull=True
            ).first()
            if member
            else None,
        },
    )


# ------------------------------------------------------------------------------- star board


@signed_in_view
def board(request, pk):
    org = get_object_or_404(PartyOrganization.objects.select_related("area"), pk=pk)
    if not policy.can_read_board(request.user, org):
        raise PermissionDenied
    may_lead = policy.can_lead(request.user, org)
    if request.method == "POST":
        if not may_lead:
            raise PermissionDenied
        try:
            snap = pioneer.publish(org, request.POST.get("quarter", "").strip(), request.user)
            messages.success(request, _("The stars of %(q)s are published.") % {"q": snap.quarter})
        except ValidationError as exc:
            _errors(request, exc)
        return redirect("party:board", org.pk)
    snapshots = list(PioneerSnapshot.objects.filter(branch=org).order_by("-quarter")[:8])
    current = snapshots[0] if snapshots else None
    chosen = request.GET.get("quarter")
    if chosen:
        current = next((s for s in snapshots if s.quarter == chosen), current)
    today = timezone.localdate()
    start, _end = pioneer.quarter_bounds(pioneer.quarter_of(today))
    last_quarter = pioneer.quarter_of(date.fromordinal(start.toordinal() - 1))
    weights = current.weights if current else pioneer.weights_for(org, today)[0]
    return render(
        request,
        "party/board.html",
        {
            "org": org,
            "snapshot": current,
            "snapshots": snapshots,
            "scores": list(current.scores.all()) if current else [],
            "may_lead": may_lead,
            "last_quarter": last_quarter,
            "can_publish_last": may_lead and not any(s.quarter == last_quarter for s in snapshots),
            "weights": [(pioneer.FACTOR_LABELS.get(k, k), v) for k, v in weights.items()],
            "unmeasured": pioneer.unmeasured_factors(weights),
            "members": PartyMembership.objects.filter(organization=org).count()
            if org.level != OrgLevel.STREET_COMMITTEE
            else None,
        },
    )
