"""The closed loop's transitions on an existing case, one function per action of
workflow.TRANSITIONS: register … rate, reopen, escalate, supervise, merge, flag, comment.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.core.workcalendar import add_working_hours, day_start, working_hours_between
from civicgrid.people import policy as people_policy
from civicgrid.people.models import Department, Role

from .. import rollups, workflow
from ..deadlines import level_due, reminder_time, start_clock
from ..models import (
    Case,
    CaseEvent,
    Category,
    ExtensionRequest,
    ExtensionStatus,
    SupervisionOrder,
)
from ..workflow import (
    RETURN_WINDOW_HOURS,
    AttachmentKind,
    CaseLevel,
    Kind,
    Rating,
    State,
)
from .attachments import _clean_photos, _save_photo
from .catalogue import _suggest_ids, get_category
from .moves import (
    Actor,
    CaseConflict,
    CaseRef,
    CategoryRef,
    _actor,
    _case_id,
    _event,
    _level_of,
    _Move,
    _now,
    _require,
)
from .queries import case_for_token

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    from ..photos import CleanPhoto


@transaction.atomic
def register(
    case: CaseRef,
    by: Actor,
    *,
    category: CategoryRef | None = None,
    kind: str | None = None,
    note: str = "",
    expected_version: int | None = None,
) -> Case:
    """立案: take a submitted case into the loop (optionally correcting its category or kind)."""
    move = _Move(case, "register", by, expected_version)
    c = move.case
    data: dict[str, object] = {}
    if category is not None:
        _recategorise(c, get_category(category), data)
    if kind:
        if kind not in Kind.values:
            raise ValidationError(_("Unknown kind of case."))
        data["kind"] = [c.kind, kind]
        c.kind = kind
    c.registered_at = move.now
    return move.finish(note, data=data)


def _recategorise(c: Case, cat: Category, data: dict) -> None:
    if cat.pk == c.category_id:
        return
    data["category"] = [c.category_id, cat.pk]
    c.category = cat
    c.top_category_id = cat.top_id
    c.public = c.public and cat.public
    start_clock(c, c.clock_started_at or c.reported_at, respond=c.responded_at is None)
    dept_id, *_rest = _suggest_ids(cat, c.path)
    c.suggested_department_id = dept_id


@transaction.atomic
def not_accept(case: CaseRef, by: Actor, reason: str, *, expected_version: int | None = None) -> Case:
    """不予受理, with a reason that the reporter sees."""
    reason = _require(reason, _("Give the reason, the reporter will see it."))
    move = _Move(case, "not_accept", by, expected_version)
    c = move.case
    c.not_accepted_reason = reason[:300]
    c.level_due = c.remind_at = None
    return move.finish(reason, public=True)


@transaction.atomic
def dispatch(
    case: CaseRef,
    by: Actor,
    department: Department | int,
    *,
    assisting: Iterable[Department | int] = (),
    note: str = "",
    category: CategoryRef | None = None,
    expected_version: int | None = None,
    system: bool = False,
) -> Case:
    """派遣 to a lead department (主办) with optional assisting ones (协办).

    system=True: the system dispatches (by=None; no role check), as triage's auto-dispatch does
    above a district's threshold; the history row then says so (data "automatic")."""
    move = _Move(case, "dispatch", by, expected_version, system=system)
    c = move.case
    dept = (
        department if isinstance(department, Department) else Department.objects.filter(pk=department).first()
    )
    if dept is None or not dept.active:
        raise ValidationError(_("Pick an active department."))
    assisting_ids = sorted({d.pk if isinstance(d, Department) else int(d) for d in assisting} - {dept.pk})
    data: dict[str, object] = {"department": dept.pk, "assisting": assisting_ids}
    if system:
        data["automatic"] = True
    if category is not None:
        _recategorise(c, get_category(category), data)
    if c.department_id and c.department_id != dept.pk:
        data["previous_department"] = c.department_id
    c.department = dept
    c.registered_at = c.registered_at or move.now
    c.dispatched_at = move.now
    c.level = (
        CaseLevel.DISTRICT
        if people_policy.has_role(by, Role.DISTRICT_SUPERVISOR)
        and not people_policy.has_role(by, Role.STREET_DISPATCHER)
        else CaseLevel.STREET
    )
    c.level_due = None
    if c.responded_at is None:
        c.respond_due = add_working_hours(move.now, c.category.respond_hours)
    c.assisting.set(assisting_ids)
    return move.finish(note, data=data, department=dept.pk)


@transaction.atomic
def accept(case: CaseRef, by: Actor, *, note: str = "", expected_version: int | None = None) -> Case:
    """The department (or the holder at the case's level) takes the case on: the response."""
    move = _Move(case, "accept", by, expected_version)
    c = move.case
    if c.responded_at is None:
        c.responded_at = move.now
    if c.state == State.REGISTERED and not c.department_id:
        own = _level_of(by)
        if own and workflow.LEVEL_ORDER.index(own) > workflow.LEVEL_ORDER.index(c.level):
            c.level = own
            c.level_due = level_due(own, move.now)
    return move.finish(note)


@transaction.atomic
def return_to_dispatcher(
    case: CaseRef, by: Actor, reason: str, *, expected_version: int | None = None
) -> Case:
    """退单: not this department's matter; within RETURN_WINDOW_HOURS working hours of dispatch."""
    reason = _require(reason, _("Say why the case is not your department's."))
    move = _Move(case, "return_to_dispatcher", by, expected_version)
    c = move.case
    if c.dispatched_at and working_hours_between(c.dispatched_at, move.now) > RETURN_WINDOW_HOURS:
        raise ValidationError(
            _(
                "A case can be returned only within %(hours)d working hours of its dispatch; ask for an extension or handle it."
            )
            % {"hours": RETURN_WINDOW_HOURS}
        )
    data: dict[str, object] = {"department": c.department_id}
    returns = rollups.return_entries(c, c.department_id, move.now)
    if returns:
        data["returns"] = returns  # the worker adds it to ReturnRollup
    c.department = None
    c.assisting.clear()
    c.level = CaseLevel.STREET
    return move.finish(reason, data=data, public=False)


@transaction.atomic
def request_extension(
    case: CaseRef, by: Actor, hours: int, reason: str, *, expected_version: int | None = None
) -> ExtensionRequest:
    """延期: ask the dispatcher for more working hours."""
    reason = _require(reason, _("Say why more time is needed."))
    try:
        hours = int(hours)
    except (TypeError, ValueError):
        raise ValidationError(_("Give the extra time in working hours.")) from None
    if not 1 <= hours <= 400:
        raise ValidationError(_("Give the extra time in working hours (1 to 400)."))
    move = _Move(case, "request_extension", by, expected_version)
    if move.case.extension_requests.filter(status=ExtensionStatus.PENDING).exists():
        raise ValidationError(_("An extension request for this case is already waiting for a decision."))
    request = ExtensionRequest.objects.create(
        jurisdiction=move.case.jurisdiction,
        case=move.case,
        hours=hours,
        reason=reason[:300],
        requested_by=_actor(by),
        requested_at=move.now,
    )
    move.finish(reason, data={"request": request.pk, "hours": hours}, request=request.pk)
    return request


@transaction.atomic
def decide_extension(
    request: ExtensionRequest | int,
    by: Actor,
    *,
    grant: bool,
    note: str = "",
    expected_version: int | None = None,
) -> ExtensionRequest:
    """Grant (moving resolve_due by the hours asked) or refuse an extension request."""
    req = ExtensionRequest.objects.select_for_update().get(
        pk=request.pk if isinstance(request, ExtensionRequest) else request
    )
    if req.status != ExtensionStatus.PENDING:
        raise ValidationError(_("This extension request has already been decided."))
    move = _Move(req.case_id, "decide_extension", by, expected_version)
    c = move.case
    req.status = ExtensionStatus.GRANTED if grant else ExtensionStatus.REFUSED
    req.decided_by = _actor(by)
    req.decided_at = move.now
    req.decision_note = note[:300]
    req.save()
    data: dict[str, object] = {"request": req.pk, "granted": bool(grant), "hours": req.hours}
    if grant:
        old_due = c.resolve_due
        base = (
            max(c.resolve_due or move.now, move.now)
            if c.resolution_overdue_at
            else (c.resolve_due or move.now)
        )
        c.resolve_due = add_working_hours(base, req.hours)
        c.resolution_overdue_at = None
        c.remind_at = reminder_time(move.now, c.resolve_due)
        c.reminded_at = None
        data["resolve_due"] = [old_due.isoformat() if old_due else None, c.resolve_due.isoformat()]
    move.finish(note, data=data, request=req.pk, granted=bool(grant))
    return req


@transaction.atomic
def put_on_hold(
    case: CaseRef, by: Actor, *, until: date, reason: str, expected_version: int | None = None
) -> Case:
    """挂账: cannot be solved now; the clock stops until `resume`, reviewed on `until`."""
    reason = _require(reason, _("Say why the case cannot be solved now."))
    move = _Move(case, "put_on_hold", by, expected_version)
    c = move.case
    if until is None or until <= timezone.localdate(move.now):
        raise ValidationError(_("Pick a review date in the future."))
    c.held_at = move.now
    c.hold_until = until
    c.resolution_overdue_at = None
    c.level_due = None
    c.remind_at = day_start(until)  # the review date's first working minute
    c.reminded_at = None
    return move.finish(reason, data={"until": until.isoformat()})


@transaction.atomic
def resume(case: CaseRef, by: Actor, *, note: str = "", expected_version: int | None = None) -> Case:
    """Take a case off hold; its deadlines move by the working time it spent on hold."""
    move = _Move(case, "resume", by, expected_version)
    c = move.case
    if c.held_at:
        for name in ("resolve_due", "respond_due"):
            due = getattr(c, name)
            if due is None or due <= c.held_at:
                continue
            left = working_hours_between(c.held_at, due)
            setattr(c, name, add_working_hours(move.now, left))
    c.held_at = None
    c.hold_until = None
    if not c.department_id and c.level in workflow.CHAIN_LEVELS:
        c.level_due = level_due(c.level, move.now)
    c.remind_at = (
        reminder_time(move.now, c.resolve_due) if c.resolve_due and c.resolve_due > move.now else None
    )
    c.reminded_at = None
    return move.finish(note)


@transaction.atomic
def mark_handled(
    case: CaseRef,
    by: Actor,
    result: str,
    *,
    photos: Sequence[UploadedFile | CleanPhoto] = (),
    expected_version: int | None = None,
) -> Case:
    """处置完毕: the result is recorded and fed back to the reporter; verification follows."""
    result = _require(result, _("Say what was done."))
    cleaned = _clean_photos(photos)
    move = _Move(case, "mark_handled", by, expected_version)
    c = move.case
    c.result = result
    c.handled_at = move.now
    if c.responded_at is None:
        c.responded_at = move.now
    c.level_due = c.remind_at = None
    for photo in cleaned:
        _save_photo(c, photo, by, AttachmentKind.HANDLING)
    return move.finish(result)


@transaction.atomic
def verify(
    case: CaseRef,
    by: Actor,
    *,
    passed: bool,
    note: str = "",
    photos: Sequence[UploadedFile | CleanPhoto] = (),
    expected_version: int | None = None,
) -> Case:
    """核查: pass closes the case (结案); fail sends it back to the handler as rework (返工)."""
    if not passed:
        note = _require(note, _("Say what is still wrong."))
    cleaned = _clean_photos(photos)
    move = _Move(case, "verify_pass" if passed else "verify_fail", by, expected_version)
    c = move.case
    c.verified_at = move.now
    if passed:
        c.closed_at = move.now
        c.remind_at = c.level_due = None
    else:
        c.rework_count += 1
        c.handled_at = None
        c.closed_at = None
        c.remind_at = (
            reminder_time(move.now, c.resolve_due) if c.resolve_due and c.resolve_due > move.now else None
        )
    for photo in cleaned:
        _save_photo(c, photo, by, AttachmentKind.VERIFICATION)
    return move.finish(note)


def rate(
    case: CaseRef,
    by: Actor = None,
    *,
    rating: str,
    comment: str = "",
    token: str | None = None,
    expected_version: int | None = None,
) -> Case:
    """回访评价 by the reporter (an account, or the follow link's token) or by staff recording a
    call-back. Unsatisfied reopens the case once (重办); after that it goes to the supervisor."""
    if rating not in Rating.values:
        raise ValidationError(_("Choose satisfied, basically satisfied or unsatisfied."))
    with transaction.atomic():
        by_token = False
        if token is not None and not getattr(by, "is_authenticated", False):
            target = case_for_token(token)
            if target is None or target.pk != _case_id(case):
                raise PermissionDenied(_("This follow link is not valid."))
            by_token = True
        move = _Move(case, "rate", by, expected_version, system=by_token)
        c = move.case
        if c.rated_at and c.closed_at and c.rated_at >= c.closed_at:
            raise ValidationError(_("This case has already been rated."))
        c.rating = rating
        c.rating_comment = comment[:300]
        c.rated_at = move.now
        data: dict = {"rating": rating}
        to_state = workflow.rating_target(rating, c.reopen_count)
        if to_state == State.REWORK:
            c.reopen_count += 1
            c.rework_count += 1
            _reopen_fields(c, move.now)
            data["reopened"] = True
        elif rating in workflow.RATING_TARGETS:  # reopened often enough: to the supervisor
            SupervisionOrder.objects.create(
                jurisdiction=c.jurisdiction,
                case=c,
                issued_by=None,
                reason="unsatisfied",
                note=comment[:300],
                at=move.now,
                due=add_working_hours(move.now, workflow.UNSATISFIED_SUPERVISION_HOURS),
            )
            data["to_supervisor"] = True
        return move.finish(comment, to_state=to_state, data=data, public=True, rating=rating)


def _reopen_fields(c: Case, now: datetime) -> None:
    c.closed_at = None
    c.verified_at = None
    c.handled_at = None
    c.remind_at = reminder_time(now, c.resolve_due) if c.resolve_due and c.resolve_due > now else None


@transaction.atomic
def reopen(case: CaseRef, by: Actor, *, note: str, expected_version: int | None = None) -> Case:
    """A supervisor reopens a closed case (after a second unsatisfied rating, say)."""
    note = _require(note, _("Say why the case is reopened."))
    move = _Move(case, "reopen", by, expected_version)
    c = move.case
    c.reopen_count += 1
    c.rework_count += 1
    _reopen_fields(c, move.now)
    return move.finish(note)


@transaction.atomic
def escalate(case: CaseRef, by: Actor, *, note: str = "", expected_version: int | None = None) -> Case:
    """One level up the chain (unit steward → building leader → grid worker → branch → community →
    street → district). Past the community it goes to the street's dispatcher."""
    move = _Move(case, "escalate", by, expected_version)
    c = move.case
    data = _raise_level(c, move.now)
    if data is None:
        raise ValidationError(_("This case is already at the top level."))
    return move.finish(note, data=data)


def _raise_level(c: Case, now: datetime) -> dict | None:
    up = workflow.next_level(c.level)
    if up is None:
        return None
    data = {"level": [c.level, up]}
    c.level = up
    c.level_due = level_due(up, now)
    c.escalated_at = now
    return data


@transaction.atomic
def supervise(
    case: CaseRef, by: Actor, *, note: str, due: datetime | None = None, expected_version: int | None = None
) -> SupervisionOrder:
    """督办 by hand: an order to act, by `due` (default: one working day)."""
    note = _require(note, _("Say what must be done."))
    move = _Move(case, "supervise", by, expected_version)
    order = SupervisionOrder.objects.create(
        jurisdiction=move.case.jurisdiction,
        case=move.case,
        issued_by=_actor(by),
        reason="manual",
        note=note[:300],
        due=due or add_working_hours(move.now, workflow.SUPERVISION_HOURS),
        at=move.now,
    )
    move.finish(note, data={"order": order.pk}, order=order.pk)
    return order


@transaction.atomic
def merge(duplicates: Iterable[CaseRef], into: CaseRef, by: Actor, *, note: str = "") -> Case:
    """合并: duplicates follow the main case from now on; their reporters get its feedback.

    Every case involved is locked at once, in the order of its id, so two merges over the same cases
    (A into B while B into A) never deadlock: one waits for the other, then finds the cases changed
    and gets CaseConflict."""
    wanted = {_case_id(d) for d in duplicates}
    chain = _main_chain(_case_id(into))  # into, and the cases it was merged into, unlocked
    locked = {
        c.pk: c for c in Case.objects.select_for_update().filter(pk__in=wanted | set(chain)).order_by("pk")
    }
    if chain[-1] not in locked:
        raise Case.DoesNotExist("No case to merge into.")
    main = locked[chain[-1]]
    if main.merged_into_id is not None or _main_chain(_case_id(into)) != chain:
        raise CaseConflict(_("Someone else has just merged these cases. Reload them and try again."))
    if main.state in (State.NOT_ACCEPTED, State.MERGED):
        raise ValidationError(_("A case can only be merged into a case that is being handled or closed."))
    ids = sorted(wanted - {main.pk})
    if not ids:
        raise ValidationError(_("Pick at least one other case to merge."))
    for dup_id in ids:
        move = _Move(dup_id, "merge", by, None)
        move.case.merged_into = main
        move.case.level_due = move.case.remind_at = None
        move.finish(note, data={"into": main.pk}, into=main.pk)
    main.version += 1
    main.updated_at = _now()  # the merge row below
    main.save(update_fields=["version", "updated_at"])
    before = rollups.contribution(main)  # the main case's own figures do not change
    _event(
        main,
        "merge",
        by,
        main.state,
        main.state,
        note,
        public=False,
        data={"duplicates": ids},
        before=before,
        at=main.updated_at,
    )
    return main


def _main_chain(case_id: int) -> list[int]:
    """The case and the cases it follows (merged into), ending at its main case."""
    chain = [case_id]
    while True:
        nxt = Case.objects.filter(pk=chain[-1]).values_list("merged_into_id", flat=True).first()
        if nxt is None or nxt in chain:
            return chain
        chain.append(nxt)


@transaction.atomic
def flag_for_deliberation(
    case: CaseRef, by: Actor, *, note: str, expected_version: int | None = None
) -> Case:
    """集中突出: many residents raise it; flag it for resident deliberation (协商议事)."""
    note = _require(note, _("Say what should be deliberated."))
    move = _Move(case, "flag_for_deliberation", by, expected_version)
    c = move.case
    c.kind = Kind.CONCENTRATED
    c.flagged_for_deliberation_at = move.now
    c.deliberation_note = note[:200]
    return move.finish(note)


@transaction.atomic
def comment(
    case: CaseRef, by: Actor, text: str, *, public: bool = False, expected_version: int | None = None
) -> CaseEvent:
    """A note on the case's timeline (public ones are shown to the reporter)."""
    text = _require(text, _("Write a comment."))
    move = _Move(case, "comment", by, expected_version)
    move.finish(text[:2000], public=bool(public))
    return move.case.events.order_by("-id")[0]
