"""Whistle calls (吹哨报到): a branch or community committee issues a call with a task, a place,
the number of members needed and a deadline; members report for it (报到), check in and out on
site; the call closes with a short result. A case in the closed loop can raise one (the call
keeps a link to it). Every write of calls and reports is here; states and moves are data below."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.areas.models import Area
from civicgrid.core import outbox
from civicgrid.people.models import Resident

from . import policy
from .models import (
    CallEvent,
    CallReport,
    CallState,
    HomeRegistration,
    OrgLevel,
    PartyOrganization,
    WhistleCall,
)

# Which state may follow which (anything else is refused).
TRANSITIONS = {
    CallState.OPEN: {CallState.CLOSED, CallState.CANCELLED},
    CallState.CLOSED: set(),
    CallState.CANCELLED: set(),
}
ISSUING_LEVELS = (OrgLevel.BRANCH, OrgLevel.COMMUNITY_COMMITTEE, OrgLevel.STREET_COMMITTEE)


class CallConflict(ValidationError):
    """The call is full, closed, or the member has already reported: nothing changed."""


def _move(call: WhistleCall, to_state: str, by, action: str, note: str = "", at: datetime | None = None):
    if to_state not in TRANSITIONS[call.state]:
        raise CallConflict(_("This call is already %(state)s.") % {"state": CallState(call.state).label})
    CallEvent.objects.create(
        call=call,
        by=by,
        action=action,
        from_state=call.state,
        to_state=to_state,
        note=note,
        at=at or timezone.now(),
    )
    call.state = to_state


def issue_call(
    issuer: PartyOrganization,
    task: str,
    place: Area,
    members_needed: int,
    deadline: datetime,
    by,
    *,
    details: str = "",
    case=None,
    at: datetime | None = None,
) -> WhistleCall:
    """Blow the whistle. `case` (a cases.Case) when a case in the closed loop raises the call."""
    if issuer.level not in ISSUING_LEVELS:
        raise ValidationError(_("Calls are issued by a branch or a Party committee."))
    if not policy.can_lead(by, issuer):
        raise PermissionDenied(_("Only the branch or committee blows its whistle."))
    at = at or timezone.now()
    errors = []
    if not task.strip():
        errors.append(_("Say what the task is."))
    if isinstance(members_needed, bool) or not isinstance(members_needed, int) or members_needed < 1:
        errors.append(_("At least one member is needed."))
    if deadline <= at:
        errors.append(_("The deadline is in the future."))
    if not place.path.startswith(issuer.area.path):
        errors.append(_("The place lies outside the organisation's area."))
    if case is not None and not case.path.startswith(issuer.area.path):
        errors.append(_("The case lies outside the organisation's area."))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        call = WhistleCall.objects.create(
            issuer=issuer,
            task=task.strip(),
            details=details.strip(),
            place=place,
            members_needed=members_needed,
            deadline=deadline,
            issued_at=at,
            issued_by=by,
            case=case,
            jurisdiction=issuer.jurisdiction,
        )
        CallEvent.objects.create(call=call, by=by, action="issue", to_state=CallState.OPEN, at=at)
        outbox.emit("party.call_issued", {"call": call.pk}, jurisdiction=call.jurisdiction)
    return call


def may_answer(call: WhistleCall, member: Resident) -> bool:
    """Members of the issuing organisation (or below it), members living in its area, and members
    registered with a community in its area (双报到)."""
    area_path = call.issuer.area.path
    if member.party_memberships.filter(organization__area__path__startswith=area_path).exists():
        return True
    if member.path.startswith(area_path):
        return True
    return HomeRegistration.objects.filter(
        member=member, path__startswith=area_path, ended_on__isnull=True
    ).exists()


def report(call: WhistleCall, member: Resident, by, at: datetime | None = None) -> CallReport:
    """A member reports for the call (报到). When the last needed member reports, the call is filled."""
    if policy.member_of(by) != member:
        raise PermissionDenied(_("Members report for themselves."))
    at = at or timezone.now()
    with transaction.atomic():
        call = WhistleCall.objects.select_for_update().select_related("issuer__area").get(pk=call.pk)
        if call.state != CallState.OPEN:
            raise CallConflict(_("This call is no longer open."))
        if not may_answer(call, member):
            raise PermissionDenied(_("This call is for members of another area."))
        count = call.reports.count()
        if count >= call.members_needed:
            raise CallConflict(_("Enough members have reported already; thank you."))
        area_path = call.issuer.area.path
        via_home = (
            not member.party_memberships.filter(organization__area__path__startswith=area_path).exists()
            and HomeRegistration.objects.filter(
                member=member, path__startswith=area_path, ended_on__isnull=True
            ).exists()
        )
        try:
            with transaction.atomic():
                rep = CallReport.objects.create(
                    call=call,
                    member=member,
                    reported_at=at,
                    via_home_registration=via_home,
                    jurisdiction=call.jurisdiction,
                )
        except IntegrityError as exc:
            raise CallConflict(_("You have already reported for this call.")) from exc
        if count + 1 == call.members_needed and call.filled_at is None:
            call.filled_at = at
            call.version += 1
            call.save(update_fields=["filled_at", "version"])
            CallEvent.objects.create(
                call=call, by=by, action="filled", from_state=call.state, to_state=call.state, at=at
            )
    return rep


def _own_report(call: WhistleCall, by) -> CallReport:
    member = policy.member_of(by)
    rep = CallReport.objects.filter(call=call, member=member).first() if member else None
    if rep is None:
        raise PermissionDenied(_("Report for the call first."))
    return rep


def check_in(call: WhistleCall, by, at: datetime | None = None) -> CallReport:
    rep = _own_report(call, by)
    with transaction.atomic():
        rep = CallReport.objects.select_for_update().select_related("call").get(pk=rep.pk)
        if rep.call.state != CallState.OPEN:
            raise CallConflict(_("This call is no longer open."))
        if rep.checked_in_at:
            raise CallConflict(_("Already checked in."))
        rep.checked_in_at = at or timezone.now()
        rep.save(update_fields=["checked_in_at"])
    return rep


def check_out(call: WhistleCall, by, at: datetime | None = None) -> CallReport:
    rep = _own_report(call, by)
    with transaction.atomic():
        rep = CallReport.objects.select_for_update().get(pk=rep.pk)
        if not rep.checked_in_at:
            raise CallConflict(_("Check in first."))
        if rep.checked_out_at:
            raise CallConflict(_("Already checked out."))
        rep.checked_out_at = max(at or timezone.now(), rep.checked_in_at)
        rep.save(update_fields=["checked_out_at"])
    return rep


def close_call(call: WhistleCall, result: str, by, at: datetime | None = None) -> WhistleCall:
    """The task is done: close the call with a short result (members still on site are checked out)."""
    if not policy.can_lead(by, call.issuer):
        raise PermissionDenied(_("Only the issuer closes the call."))
    if not result.strip():
        raise ValidationError(_("Say briefly what was done."))
    at = at or timezone.now()
    with transaction.atomic():
        call = WhistleCall.objects.select_for_update().get(pk=call.pk)
        _move(call, CallState.CLOSED, by, "close", result.strip(), at)
        call.result, call.closed_at = result.strip(), at
        call.version += 1
        call.save(update_fields=["state", "result", "closed_at", "version"])
        call.reports.filter(checked_in_at__isnull=False, checked_out_at__isnull=True).update(
            checked_out_at=at
        )
        outbox.emit("party.call_closed", {"call": call.pk}, jurisdiction=call.jurisdiction)
    return call


def cancel_call(call: WhistleCall, reason: str, by) -> WhistleCall:
    if not policy.can_lead(by, call.issuer):
        raise PermissionDenied(_("Only the issuer cancels the call."))
    if not reason.strip():
        raise ValidationError(_("Say why the call is cancelled."))
    with transaction.atomic():
        call = WhistleCall.objects.select_for_update().get(pk=call.pk)
        _move(call, CallState.CANCELLED, by, "cancel", reason.strip())
        call.result, call.closed_at = reason.strip(), timezone.now()
        call.version += 1
        call.save(update_fields=["state", "result", "closed_at", "version"])
    return call


def open_calls_for(member: Resident):
    """Open calls a member may answer, soonest deadline first."""
    calls = WhistleCall.objects.filter(state=CallState.OPEN).select_related("issuer__area", "place")
    return [c for c in calls.order_by("deadline") if may_answer(c, member)]
