"""Activities: set one up, sign up (a waiting list when full), check in and out on site, confirm
the hours (which awards the points, once)."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.areas.models import Area
from civicgrid.core import outbox
from civicgrid.party.models import PartyOrganization, PostType
from civicgrid.people.models import Resident

from .. import ledger, policy
from ..models import Activity, ActivityState, OrganiserKind, PointsScheme, SignUp, SignUpState

# Residents check in with the code from this long before the start until this long after the end.
CHECK_IN_EARLY = timedelta(hours=1)
CHECK_OUT_LATE = timedelta(hours=2)
CODE_ALPHABET = "23456789"


class ActivityConflict(ValidationError):
    """The activity or sign-up is not in a state that allows this (full, closed, already done)."""


def _code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _i in range(4))


def create_activity(
    *,
    title: str,
    organiser_kind: str,
    organiser_name: str,
    post_type: str,
    place: Area,
    starts_at: datetime,
    ends_at: datetime,
    capacity: int,
    scheme: PointsScheme,
    by,
    branch: PartyOrganization | None = None,
    description: str = "",
    address: str = "",
) -> Activity:
    if not policy.can_organise(by, place):
        raise PermissionDenied(_("You may not organise activities there."))
    errors = []
    if not title.strip():
        errors.append(_("An activity needs a title."))
    if organiser_kind not in OrganiserKind.values:
        errors.append(_("Choose who organises the activity."))
    if post_type not in PostType.values:
        errors.append(_("Choose the kind of post."))
    if ends_at <= starts_at:
        errors.append(_("An activity ends after it starts."))
    if not isinstance(capacity, int) or capacity < 1:
        errors.append(_("An activity has at least one place."))
    if not place.path.startswith(scheme.path):
        errors.append(_("The points scheme does not cover this place."))
    if organiser_kind == OrganiserKind.BRANCH and branch is None:
        errors.append(_("Name the Party branch that organises it."))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        return Activity.objects.create(
            title=title.strip(),
            description=description.strip(),
            organiser_kind=organiser_kind,
            organiser_name=(organiser_name or (branch.name if branch else "")).strip(),
            branch=branch,
            post_type=post_type,
            place=place,
            address=address.strip(),
            starts_at=starts_at,
            ends_at=ends_at,
            capacity=capacity,
            scheme=scheme,
            checkin_code=_code(),
            organiser=by,
            jurisdiction=place.jurisdiction,
        )


def _lock_activity(activity: Activity) -> Activity:
    return Activity.objects.select_for_update().get(pk=activity.pk)


def _places_taken(activity: Activity) -> int:
    return SignUp.objects.filter(activity=activity, state=SignUpState.PLACE).count()


def sign_up(activity: Activity, resident: Resident, by) -> SignUp:
    """A place if one is free, else the waiting list (first come, first served)."""
    if policy.resident_of(by) != resident:
        raise PermissionDenied(_("Residents sign up for themselves."))
    now = timezone.now()
    with transaction.atomic():
        activity = _lock_activity(activity)
        if activity.state != ActivityState.OPEN or now >= activity.ends_at:
            raise ActivityConflict(_("This activity no longer takes sign-ups."))
        state = SignUpState.PLACE if _places_taken(activity) < activity.capacity else SignUpState.WAITING
        signup = SignUp.objects.filter(activity=activity, resident=resident).first()
        if signup and signup.state != SignUpState.WITHDRAWN:
            raise ActivityConflict(_("You have already signed up."))
        if signup:
            signup.state, signup.signed_up_at, signup.withdrawn_at, signup.offered_at = state, now, None, None
            signup.save(update_fields=["state", "signed_up_at", "withdrawn_at", "offered_at"])
        else:
            signup = SignUp.objects.create(
                activity=activity,
                resident=resident,
                state=state,
                signed_up_at=now,
                jurisdiction=activity.jurisdiction,
            )
    return signup


def withdraw(signup: SignUp, by) -> SignUp:
    """The resident (or the organiser) withdraws; a freed place goes to the next in line, who is told."""
    activity = signup.activity
    if policy.resident_of(by) != signup.resident and not policy.can_run_activity(by, activity):
        raise PermissionDenied(_("You may not change this sign-up."))
    now = timezone.now()
    with transaction.atomic():
        activity = _lock_activity(activity)
        signup = SignUp.objects.select_for_update().get(pk=signup.pk)
        if signup.state == SignUpState.WITHDRAWN:
            raise ActivityConflict(_("This sign-up is already withdrawn."))
        if signup.checked_in_at:
            raise ActivityConflict(_("Checked in already: the organiser confirms the hours instead."))
        had_place = signup.state == SignUpState.PLACE
        signup.state, signup.withdrawn_at = SignUpState.WITHDRAWN, now
        signup.save(update_fields=["state", "withdrawn_at"])
        if had_place and activity.state == ActivityState.OPEN and now < activity.ends_at:
            nxt = (
                SignUp.objects.select_for_update()
                .filter(activity=activity, state=SignUpState.WAITING)
                .order_by("signed_up_at", "id")
                .first()
            )
            if nxt is not None:
                nxt.state, nxt.offered_at = SignUpState.PLACE, now
                nxt.save(update_fields=["state", "offered_at"])
                outbox.emit(
                    "volunteering.place_given", {"signup": nxt.pk}, jurisdiction=activity.jurisdiction
                )
    return signup


def _window(activity: Activity, now: datetime) -> None:
    if not (activity.starts_at - CHECK_IN_EARLY <= now <= activity.ends_at + CHECK_OUT_LATE):
        raise ActivityConflict(
            _("Checking in and out is open from an hour before the start until two hours after the end.")
        )


def _signup_for_code(activity: Activity, by, code: str) -> SignUp:
    resident = policy.resident_of(by)
    if resident is None:
        raise PermissionDenied(_("Log in as a resident to check in."))
    if not secrets.compare_digest((code or "").strip(), activity.checkin_code):
        raise ValidationError(_("That is not the code the organiser shows."))
    signup = SignUp.objects.filter(activity=activity, resident=resident).first()
    if signup is None or signup.state != SignUpState.PLACE:
        raise ActivityConflict(_("You have no place in this activity."))
    return signup


def _check_in(signup: SignUp, at: datetime) -> SignUp:
    with transaction.atomic():
        signup = SignUp.objects.select_for_update().select_related("activity").get(pk=signup.pk)
        if signup.state != SignUpState.PLACE:
            raise ActivityConflict(_("Only people with a place check in."))
        if signup.activity.state != ActivityState.OPEN:
            raise ActivityConflict(_("The hours of this activity are already confirmed."))
        if signup.checked_in_at:
            raise ActivityConflict(_("Already checked in."))
        signup.checked_in_at = at
        signup.save(update_fields=["checked_in_at"])
    return signup


def _check_out(signup: SignUp, at: datetime) -> SignUp:
    """Once: a second check-out changes nothing and says so."""
    with transaction.atomic():
        signup = SignUp.objects.select_for_update().select_related("activity").get(pk=signup.pk)
        if not signup.checked_in_at:
            raise ActivityConflict(_("Check in first."))
        if signup.checked_out_at:
            raise ActivityConflict(_("Already checked out."))
        signup.checked_out_at = max(at, signup.checked_in_at)
        signup.save(update_fields=["checked_out_at"])
    return signup


def check_in_by_code(activity: Activity, code: str, by) -> SignUp:
    now = timezone.now()
    _window(activity, now)
    return _check_in(_signup_for_code(activity, by, code), now)


def check_out_by_code(activity: Activity, code: str, by) -> SignUp:
    now = timezone.now()
    _window(activity, now)
    return _check_out(_signup_for_code(activity, by, code), now)


def check_in(signup: SignUp, by, at: datetime | None = None) -> SignUp:
    """The organiser ticks the list."""
    if not policy.can_run_activity(by, signup.activity):
        raise PermissionDenied(_("Only the organiser keeps the list."))
    return _check_in(signup, at or timezone.now())


def check_out(signup: SignUp, by, at: datetime | None = None) -> SignUp:
    if not policy.can_run_activity(by, signup.activity):
        raise PermissionDenied(_("Only the organiser keeps the list."))
    return _check_out(signup, at or timezone.now())


def measured_minutes(signup: SignUp) -> int:
    """Minutes between check-in and check-out, within the activity's own time."""
    activity = signup.activity
    if not (signup.checked_in_at and signup.checked_out_at):
        return 0
    start = max(signup.checked_in_at, activity.starts_at)
    end = min(signup.checked_out_at, activity.ends_at)
    return max(int((end - start).total_seconds() // 60), 0)


def confirm_hours(signup: SignUp, by, minutes: int | None = None, at: datetime | None = None) -> SignUp:
    """The organiser confirms the time served (default: as measured) and the points are awarded.

    Once: confirming again changes nothing (the award is unique per activity and person)."""
    activity = signup.activity
    if not policy.can_run_activity(by, activity):
        raise PermissionDenied(_("Only the organiser confirms hours."))
    at = at or timezone.now()
    with transaction.atomic():
        signup = (
            SignUp.objects.select_for_update()
            .select_related("activity__scheme", "resident")
            .get(pk=signup.pk)
        )
        if signup.confirmed_at:
            return signup
        if not signup.checked_out_at:
            raise ActivityConflict(_("Hours are confirmed after check-out."))
        if minutes is None:
            minutes = measured_minutes(signup)
        longest = int((activity.ends_at - activity.starts_at).total_seconds() // 60)
        if isinstance(minutes, bool) or not isinstance(minutes, int) or not 0 <= minutes <= longest:
            raise ValidationError(
                _("Confirm between 0 and %(n)d minutes (the length of the activity).") % {"n": longest}
            )
        signup.confirmed_minutes, signup.confirmed_at, signup.confirmed_by = minutes, at, by
        signup.save(update_fields=["confirmed_minutes", "confirmed_at", "confirmed_by"])
        tx = ledger.award(signup.activity, signup.resident, minutes, by=by, at=at)
        outbox.emit(
            "volunteering.points_awarded",
            {"signup": signup.pk, "transaction": tx.pk},
            jurisdiction=activity.jurisdiction,
        )
    return signup


def confirm_all(activity: Activity, by, at: datetime | None = None) -> int:
    """Confirm the measured hours of everyone checked out and close the activity; returns how many
    were confirmed now."""
    if not policy.can_run_activity(by, activity):
        raise PermissionDenied(_("Only the organiser confirms hours."))
    at = at or timezone.now()
    n = 0
    with transaction.atomic():
        activity = _lock_activity(activity)
        for signup in activity.signups.filter(
            state=SignUpState.PLACE, checked_out_at__isnull=False, confirmed_at__isnull=True
        ):
            confirm_hours(signup, by, at=at)
            n += 1
        if activity.state == ActivityState.OPEN:
            activity.state, activity.finished_at = ActivityState.FINISHED, at
            activity.save(update_fields=["state", "finished_at"])
    return n
