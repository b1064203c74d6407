"""Every fieldwork write: visits, the diary, patrol rounds, field reports, errands, quotas.

Each function checks permission (fieldwork/policy.py), validates its input with a translated
message, writes in one transaction with a FieldworkEvent history row and an outbox row (the rollup
handler keeps the monthly figures current), and returns what it wrote.

Phones send what they recorded offline later, maybe twice: every function that takes a
`client_key` returns `Saved(row, created=False)` for a key the worker has used already, and a
unique constraint on (worker, client_key) settles two sends that arrive at the same moment.
Cases (a need raised on a visit, a report, an errand) are written by cases/services.py only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import NamedTuple

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from civicgrid.areas.models import Area, Household, Level
from civicgrid.cases import services as cases
from civicgrid.cases.workflow import Channel, Kind, State
from civicgrid.core import outbox
from civicgrid.core.pii import log_unmasked_view

from . import policy, workflow
from .models import (
    ConsentWay,
    DiaryEntry,
    Errand,
    ErrandStep,
    FieldReport,
    FieldworkEvent,
    HouseholdType,
    Met,
    Patrol,
    Period,
    Visit,
    VisitQuota,
)

__all__ = [
    "Saved",
    "record_visit",
    "raise_need",
    "complete_follow_up",
    "write_diary",
    "unmask_diary",
    "start_patrol",
    "end_patrol",
    "report",
    "create_errand",
    "start_errand",
    "add_errand_step",
    "close_errand",
    "cancel_errand",
    "set_quota",
]

# How late a visit or diary entry may still be written down (a phone that was offline for days).
LATE_DAYS = 60
# A phone's clock may run a little fast; further ahead than this is refused.
CLOCK_SLACK = timedelta(minutes=10)
TEXT_MAX = 2000
KEY_RE = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")
NEED_ACTIONS = ("none", "case", "errand")


class Saved(NamedTuple):
    row: object
    created: bool


# --- helpers -----------------------------------------------------------------------------------


def _key(client_key: str | None) -> str | None:
    key = (client_key or "").strip()
    if not key:
        return None
    if not KEY_RE.match(key):
        raise ValidationError(_("The item's client key is malformed; it was not saved."))
    return key


def _existing(model, by, key: str | None):
    if not key:
        return None
    return model.objects.filter(worker=by, client_key=key).first()


def _history(subject: str, row, action: str, by, **data) -> FieldworkEvent:
    return FieldworkEvent.objects.create(
        jurisdiction=row.jurisdiction,
        actor=by if getattr(by, "is_authenticated", False) else None,
        subject=subject,
        subject_id=row.pk,
        action=action,
        path=getattr(row, "path", ""),
        data=data,
    )


def _emit(topic: str, row, *, grid_id: int, day: date) -> None:
    outbox.emit(
        f"fieldwork.{topic}",
        {"id": row.pk, "grid": grid_id, "day": day.isoformat()},
        jurisdiction=row.jurisdiction,
    )


def _text(value: str, limit: int = TEXT_MAX) -> str:
    return (value or "").strip()[:limit]


def _check_day(day: date, what: str) -> date:
    if not isinstance(day, date):
        raise ValidationError(_("Give the date."))
    if isinstance(day, datetime):
        day = day.date()
    today = timezone.localdate()
    if day > today:
        raise ValidationError(_("A %(what)s cannot be dated in the future.") % {"what": what})
    if day < today - timedelta(days=LATE_DAYS):
        raise ValidationError(
            _("A %(what)s can be written down at most %(days)d days later.")
            % {"what": what, "days": LATE_DAYS}
        )
    return day


def _check_time(at: datetime | None) -> datetime:
    now = timezone.now()
    if at is None:
        return now
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    if at > now + CLOCK_SLACK:
        raise ValidationError(_("The time given lies in the future; check the phone's clock."))
    if at < now - timedelta(days=LATE_DAYS):
        raise ValidationError(_("The time given is too long ago."))
    return min(at, now)


def _household(value) -> Household:
    if isinstance(value, Household):
        return value
    household = Household.objects.select_related("unit", "grid").filter(pk=value).first()
    if household is None:
        raise ValidationError(_("Pick a household."))
    return household


def _grid_of(by, grid: Area | None) -> Area:
    grids = policy.worker_grids(by)
    if grid is None:
        if not grids:
            raise PermissionDenied(_("Only a grid worker can do this."))
        return grids[0]
    policy.check_grid(by, grid)
    return grid


def _save_once(model, by, key, create):
    """Create a row once per (worker, client key): a resend, even a simultaneous one, returns the first."""
    found = _existing(model, by, key)
    if found is not None:
        return Saved(found, False)
    try:
        with transaction.atomic():
            return Saved(create(), True)
    except IntegrityError:
        found = _existing(model, by, key)
        if found is not None:
            return Saved(found, False)
        raise


def _case_key(by, key: str | None, what: str) -> str | None:
    """The client key the case service gets for a case made from a fieldwork item."""
    return f"fw{by.pk}{what}:{key}"[:70] if key else None


# --- visits ------------------------------------------------------------------------------------


def record_visit(
    by,
    household,
    *,
    visited_on: date,
    met: str,
    heard: str = "",
    needs: str = "",
    follow_up: str = "",
    follow_up_on: date | None = None,
    need_action: str = "none",
    category=None,
    consent_way: str = "",
    patrol: Patrol | None = None,
    client_key: str | None = None,
    photos: Sequence = (),
) -> Saved:
    """入户走访: record a visit to a household of the worker's own grid. A need raised may become a
    case (need_action="case") or an errand ("errand", with the resident's consent) in the same step."""
    household = _household(household)
    policy.check_household(by, household)
    key = _key(client_key)
    found = _existing(Visit, by, key)
    if found is not None:
        return Saved(found, False)
    visited_on = _check_day(visited_on, _("visit"))
    if met not in Met.values:
        raise ValidationError(_("Say who was met."))
    if need_action not in NEED_ACTIONS:
        raise ValidationError(_("Unknown choice for the need raised."))
    needs = _text(needs)
    if need_action != "none" and not needs:
        raise ValidationError(_("Write down the need before making it a case or an errand."))
    if photos and need_action == "none":
        raise ValidationError(
            _("Photos go with the case or errand made from the need; choose one, or leave the photos out.")
        )
    if follow_up_on is not None and follow_up_on < visited_on:
        raise ValidationError(_("The follow-up date lies before the visit."))
    if patrol is not None and patrol.worker_id != by.pk:
        raise PermissionDenied(_("This patrol round is not yours."))

    def create() -> Visit:
        visit = Visit.objects.create(
            jurisdiction=household.jurisdiction,
            worker=by,
            household=household,
            grid_id=household.grid_id,
            path=household.path,
            visited_on=visited_on,
            met=met,
            heard=_text(heard),
            needs=needs,
            follow_up=_text(follow_up, 500),
            follow_up_on=follow_up_on if follow_up else None,
            patrol=patrol,
            client_key=key,
        )
        _history("visit", visit, "record", by, visited_on=visited_on.isoformat(), need_action=need_action)
        if need_action == "case":
            _visit_case(visit, by, category=category, photos=photos, key=key)
        elif need_action == "errand":
            _visit_errand(visit, by, category=category, consent_way=consent_way, key=key, photos=photos)
        _emit("visit_recorded", visit, grid_id=visit.grid_id, day=visited_on)
        return visit

    return _save_once(Visit, by, key, create)


def _visit_case(visit: Visit, by, *, category, photos, key) -> None:
    result = cases.intake(
        channel=Channel.HOUSEHOLD_VISIT,
        by=by,
        description=visit.needs,
        category=category,
        unit=visit.household.unit_id,
        address=visit.household.address,
        photos=photos,
        client_key=_case_key(by, key, "v") or f"fwv-{visit.pk}",
        extra={"visit": visit.pk},
    )
    visit.case = result.case
    visit.save(update_fields=["case"])
    _history("visit", visit, "need_to_case", by, case=result.case.pk)


def _visit_errand(visit: Visit, by, *, category, consent_way, key, photos=()) -> None:
    saved = create_errand(
        by,
        household=visit.household,
        request=visit.needs,
        consent_way=consent_way,
        category=category,
        photos=photos,
        client_key=f"v-{key}" if key else None,
    )
    visit.errand = saved.row
    visit.save(update_fields=["errand"])
    _history("visit", visit, "need_to_errand", by, errand=saved.row.pk)


@transaction.atomic
def raise_need(visit: Visit, by, *, as_: str, category=None, consent_way: str = "", photos=()) -> Visit:
    """Make the need written on a visit a case or an errand, in one step, once."""
    visit = Visit.objects.select_for_update().select_related("household").get(pk=visit.pk)
    policy.check_household(by, visit.household)
    if not visit.needs:
        raise ValidationError(_("This visit records no need."))
    if visit.case_id or visit.errand_id:
        raise ValidationError(_("The need of this visit has already been taken up."))
    if as_ == "case":
        _visit_case(visit, by, category=category, photos=photos, key=None)
    elif as_ == "errand":
        _visit_errand(visit, by, category=category, consent_way=consent_way, key=None)
    else:
        raise ValidationError(_("Unknown choice for the need raised."))
    return visit


@transaction.atomic
def complete_follow_up(visit: Visit, by) -> Visit:
    visit = Visit.objects.select_for_update().select_related("household").get(pk=visit.pk)
    policy.check_household(by, visit.household)
    if not visit.follow_up or visit.follow_up_done_at:
        raise ValidationError(_("There is no open follow-up on this visit."))
    visit.follow_up_done_at = timezone.now()
    visit.save(update_fields=["follow_up_done_at"])
    _history("visit", visit, "follow_up_done", by)
    return visit


# --- the visit diary ----------------------------------------------------------------------------


def write_diary(
    by,
    *,
    day: date,
    text: str,
    households: Iterable = (),
    grid: Area | None = None,
    client_key: str | None = None,
) -> Saved:
    """民情日记: a note of the worker's day, linked to households of their grid."""
    grid = _grid_of(by, grid)
    key = _key(client_key)
    found = _existing(DiaryEntry, by, key)
    if found is not None:
        return Saved(found, False)
    day = _check_day(day, _("diary entry"))
    text = _text(text, 4000)
    if not text:
        raise ValidationError(_("Write the entry."))
    linked = [_household(h) for h in households]
    for h in linked:
        policy.check_household(by, h)

    def create() -> DiaryEntry:
        entry = DiaryEntry.objects.create(
            jurisdiction=grid.jurisdiction,
            worker=by,
            grid=grid,
            path=grid.path,
            day=day,
            text=text,
            client_key=key,
        )
        if linked:
            entry.households.set(linked)
        _history("diary", entry, "write", by, day=day.isoformat(), households=[h.pk for h in linked])
        _emit("diary_written", entry, grid_id=grid.pk, day=day)
        return entry

    return _save_once(DiaryEntry, by, key, create)


def unmask_diary(by, entry: DiaryEntry, *, reason: str, request=None) -> str:
    """Community staff read an entry's text for a stated reason; the access log row comes first."""
    if not policy.can_unmask_diary(by, entry):
        raise PermissionDenied(_("Only the community's staff may read a grid worker's diary."))
    reason = _text(reason, 200)
    if not reason:
        raise ValidationError(_("Say why you need to read this entry."))
    with transaction.atomic():
        log_unmasked_view(user=by, subject=entry, fields=["text"], reason=reason, request=request)
        _history("diary", entry, "unmask", by, reason=reason)
    return entry.text


# --- patrols -----------------------------------------------------------------------------------


def start_patrol(
    by, *, grid: Area | None = None, started_at: datetime | None = None, client_key=None
) -> Saved:
    """Start a patrol round. Only the start is stored: no positions, no trace."""
    grid = _grid_of(by, grid)
    key = _key(client_key)
    found = _existing(Patrol, by, key)
    if found is not None:
        return Saved(found, False)
    started_at = _check_time(started_at)
    if Patrol.objects.filter(worker=by, ended_at__isnull=True).exists():
        raise ValidationError(_("A patrol round is already running; end it before starting another."))

    def create() -> Patrol:
        patrol = Patrol.objects.create(
            jurisdiction=grid.jurisdiction,
            worker=by,
            grid=grid,
            path=grid.path,
            started_at=started_at,
            client_key=key,
        )
        _history("patrol", patrol, "start", by)
        _emit("patrol_started", patrol, grid_id=grid.pk, day=timezone.localdate(started_at))
        return patrol

    try:
        return _save_once(Patrol, by, key, create)
    except IntegrityError:
        raise ValidationError(
            _("A patrol round is already running; end it before starting another.")
        ) from None


@transaction.atomic
def end_patrol(by, patrol: Patrol, *, ended_at: datetime | None = None, note: str = "") -> Patrol:
    patrol = Patrol.objects.select_for_update().get(pk=patrol.pk)
    if patrol.worker_id != by.pk:
        raise PermissionDenied(_("This patrol round is not yours."))
    if patrol.ended_at is not None:
        return patrol  # ending twice (a resent item) changes nothing
    ended_at = _check_time(ended_at)
    if ended_at < patrol.started_at:
        raise ValidationError(_("A patrol round cannot end before it started."))
    patrol.ended_at = ended_at
    patrol.note = _text(note, 500)
    patrol.save(update_fields=["ended_at", "note"])
    _history("patrol", patrol, "end", by)
    return patrol


def patrol_for_key(by, key: str | None) -> Patrol | None:
    """The worker's patrol a queued item names by its client key (sent before it, in order)."""
    key = _key(key)
    return Patrol.objects.filter(worker=by, client_key=key).first() if key else None


# --- field reports -----------------------------------------------------------------------------


def report(
    by,
    *,
    description: str,
    settled: bool = False,
    result: str = "",
    category=None,
    unit=None,
    building=None,
    grid: Area | None = None,
    lng: float | None = None,
    lat: float | None = None,
    crs: str = "wgs84",
    address: str = "",
    emergency: bool = False,
    photos: Sequence = (),
    patrol: Patrol | None = None,
    client_key: str | None = None,
) -> Saved:
    """A problem found in the field, handed to the closed loop (or settled on the spot), grouped under
    the patrol round it was found on. Its place is the case's own: a unit, a building or a point."""
    key = _key(client_key)
    found = _existing(FieldReport, by, key)
    if found is not None:
        return Saved(found, False)
    if patrol is not None and patrol.worker_id != by.pk:
        raise PermissionDenied(_("This patrol round is not yours."))
    place_path = None
    for node in (unit, building):
        if node is not None:
            node = node if isinstance(node, Area) else Area.objects.filter(pk=node).first()
            if node is None:
                raise ValidationError(_("Pick a building or unit of your grid."))
            place_path = node.path
            break
    if place_path is None and lng is None:
        grid = _grid_of(by, grid)
        place_path = grid.path
    if place_path is not None and not policy.works_in(by, place_path):
        raise PermissionDenied(_("This place is not in your grid."))
    channel = Channel.GRID_PATROL
    common = {
        "by": by,
        "description": description,
        "category": category,
        "unit": unit,
        "building": building,
        "area": grid if unit is None and building is None and lng is None else None,
        "lng": lng,
        "lat": lat,
        "crs": crs,
        "address": address,
        "photos": photos,
        "client_key": _case_key(by, key, "r"),
    }

    def create() -> FieldReport:
        if settled:
            made = cases.settle_on_spot(result=result, channel=channel, **common)
        else:
            made = cases.intake(channel=channel, kind=Kind.EMERGENCY if emergency else None, **common)
        case = made.case
        if not policy.works_in(by, case.path):
            raise PermissionDenied(_("This place is not in your grid."))
        row = FieldReport.objects.create(
            jurisdiction=case.jurisdiction,
            worker=by,
            case=case,
            patrol=patrol,
            path=case.path,
            client_key=key,
        )
        _history(
            "report", row, "report", by, case=case.pk, settled=settled, patrol=patrol.pk if patrol else None
        )
        return row

    return _save_once(FieldReport, by, key, create)


# --- errands -----------------------------------------------------------------------------------


def create_errand(
    by,
    *,
    household,
    request: str,
    consent_way: str,
    consent_note: str = "",
    category=None,
    photos: Sequence = (),
    client_key: str | None = None,
) -> Saved:
    """便民代办: a resident asks the grid worker to do something; their consent is recorded first.
    The errand is a case in the loop (channel errand), held at the grid worker's level."""
    household = _household(household)
    if not policy.can_take_errand(by, household):
        raise PermissionDenied(_("Only the grid worker or the community's staff can work this errand."))
    key = _key(client_key)
    found = _existing(Errand, by, key)
    if found is not None:
        return Saved(found, False)
    request = _text(request, 500)
    if not request:
        raise ValidationError(_("Say what the resident asked for."))
    if consent_way not in ConsentWay.values:
        raise ValidationError(
            _("Record how the resident gave their consent before running an errand for them.")
        )

    def create() -> Errand:
        made = cases.intake(
            channel=Channel.ERRAND,
            is_errand=True,
            by=by,
            description=request,
            category=category,
            unit=household.unit_id,
            address=household.address,
            photos=photos,
            client_key=_case_key(by, key, "e"),
        )
        now = timezone.now()
        errand = Errand.objects.create(
            jurisdiction=household.jurisdiction,
            case=made.case,
            worker=by,
            household=household,
            grid_id=household.grid_id,
            path=household.path,
            request=request,
            consent_way=consent_way,
            consent_at=now,
            consent_note=_text(consent_note, 200),
            requested_at=now,
            client_key=key,
        )
        _history("errand", errand, "request", by, case=made.case.pk, consent=consent_way)
        _emit("errand_requested", errand, grid_id=errand.grid_id, day=timezone.localdate(now))
        return errand

    return _save_once(Errand, by, key, create)


class _ErrandMove:
    def __init__(self, errand, by, action: str, expected_version: int | None):
        self.errand = Errand.objects.select_for_update().select_related("case").get(pk=errand.pk)
        if not policy.can_work_errand(by, self.errand):
            raise PermissionDenied(_("Only the grid worker or the community's staff can work this errand."))
        if expected_version is not None and int(expected_version) != self.errand.version:
            raise ValidationError(
                _("Someone else has already acted on this errand. Reload it and try again.")
            )
        try:
            self.to_state = workflow.check(action, self.errand.state)
        except workflow.IllegalErrandMove as exc:
            raise ValidationError(str(exc)) from None
        self.from_state = self.errand.state
        self.action = action
        self.by = by

    def finish(self, **data) -> Errand:
        e = self.errand
        e.state = self.to_state
        e.version += 1
        e.save()
        _history("errand", e, self.action, self.by, from_state=self.from_state, to_state=e.state, **data)
        return e


def _case_step(fn, *args, **kwargs):
    """A step of the errand's case; the loop's refusals come back as translated validation errors."""
    try:
        return fn(*args, **kwargs)
    except (cases.IllegalTransition, cases.CaseConflict) as exc:
        raise ValidationError(str(exc)) from None


@transaction.atomic
def start_errand(errand: Errand, by, *, expected_version: int | None = None) -> Errand:
    move = _ErrandMove(errand, by, "start", expected_version)
    if move.errand.case.state in (State.REGISTERED, State.REWORK):
        _case_step(cases.accept, move.errand.case, by, note=_("Errand started"))
    move.errand.started_at = timezone.now()
    return move.finish()


@transaction.atomic
def add_errand_step(errand: Errand, by, text: str) -> ErrandStep:
    text = _text(text, 500)
    if not text:
        raise ValidationError(pgettext("fieldwork", "Say what was done."))
    move = _ErrandMove(errand, by, "add_step", None)
    step = ErrandStep.objects.create(
        jurisdiction=move.errand.jurisdiction, errand=move.errand, by=by, text=text
    )
    move.finish(step=step.pk)
    return step


@transaction.atomic
def close_errand(errand: Errand, by, *, result: str, expected_version: int | None = None) -> Errand:
    """Done: the result goes on the errand's case, which is handled and verified (closed)."""
    result = _text(result, 500)
    if not result:
        raise ValidationError(pgettext("fieldwork", "Say what was done."))
    move = _ErrandMove(errand, by, "close", expected_version)
    case = move.errand.case
    if case.state in (State.REGISTERED, State.REWORK):
        case = _case_step(cases.accept, case, by, note=_("Errand started"))
    if case.state == State.IN_PROGRESS:
        case = _case_step(cases.mark_handled, case, by, result)
    if case.state == State.HANDLED:
        _case_step(cases.verify, case, by, passed=True, note=_("Errand done for the resident"))
    now = timezone.now()
    e = move.errand
    e.result = result
    e.done_at = now
    e.started_at = e.started_at or now
    e = move.finish()
    _emit("errand_done", e, grid_id=e.grid_id, day=timezone.localdate(now))
    return e


@transaction.atomic
def cancel_errand(errand: Errand, by, *, reason: str, expected_version: int | None = None) -> Errand:
    reason = _text(reason, 300)
    if not reason:
        raise ValidationError(_("Say why the errand is cancelled."))
    move = _ErrandMove(errand, by, "cancel", expected_version)
    if move.errand.case.state in (State.SUBMITTED, State.REGISTERED):
        _case_step(cases.not_accept, move.errand.case, by, reason)
    move.errand.cancelled_at = timezone.now()
    move.errand.result = reason
    return move.finish(reason=reason)


# --- quotas ------------------------------------------------------------------------------------


@transaction.atomic
def set_quota(by, community: Area, *, household_type: str, period: str, visits: int) -> VisitQuota:
    """A community's visit quota for one household type (e.g. elderly living alone: 1 per week)."""
    if not policy.can_set_quota(by, community):
        raise PermissionDenied(_("Only the community's staff set its visit quotas."))
    if household_type not in HouseholdType.values:
        raise ValidationError(_("Unknown household type."))
    if period not in Period.values:
        raise ValidationError(_("Unknown period."))
    try:
        visits = int(visits)
    except (TypeError, ValueError):
        raise ValidationError(_("Give the number of visits as a whole number from 1 to 31.")) from None
    if not 1 <= visits <= 31:
        raise ValidationError(_("Give the number of visits as a whole number from 1 to 31."))
    quota, _created = VisitQuota.objects.select_for_update().get_or_create(
        community=community,
        household_type=household_type,
        defaults={
            "jurisdiction": community.jurisdiction,
            "path": community.path,
            "period": period,
            "visits": visits,
        },
    )
    before = [quota.period, quota.visits]
    quota.period, quota.visits = period, visits
    quota.path = community.path
    quota.updated_by = by
    quota.updated_at = timezone.now()
    quota.save()
    _history("quota", quota, "set", by, before=before, after=[period, visits])
    outbox.emit("fieldwork.quota_set", {"community": community.pk}, jurisdiction=community.jurisdiction)
    return quota


def grid_area(pk) -> Area | None:
    return Area.objects.filter(pk=pk, level=Level.GRID).first()
