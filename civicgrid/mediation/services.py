"""Every write of mediation: permission check, transaction, row lock, state change, history row,
rollup delta and outbox row, in one place. Views, the demo and commands all call these.

Errors callers should catch: PermissionDenied, IllegalTransition, DisputeConflict, ValidationError
(ConflictOfInterest is a ValidationError with the reason). All carry translated messages.

A dispute handed over from a case keeps its link (Dispute.case); at handover the case gets a public
comment, and at the dispute's close the case is marked handled with the mediation's outcome when the
closing user may do so on the case (else commented on, else its holders are told through the inbox),
through the public functions of civicgrid.cases.services only.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override, pgettext

from civicgrid.areas.models import Area
from civicgrid.cases import policy as cases_policy
from civicgrid.cases import services as cases_services
from civicgrid.core import outbox, pii
from civicgrid.core.workcalendar import add_working_days, add_working_hours, is_workday

from . import policy, rollups, workflow
from .models import (
    Agreement,
    Assignment,
    Centre,
    CentreStaff,
    Confirmation,
    DeclaredConflict,
    Dispute,
    DisputeEvent,
    FollowUp,
    JudicialReferral,
    Mediator,
    Party,
    Session,
    StaffRole,
)
from .workflow import (
    CAME_BACK_DAYS,
    CLOSED_STATES,
    JUDICIAL_WINDOW_DAYS,
    LEVEL_OF_AREA,
    LIMIT_WORKING_DAYS,
    OPEN_STATES,
    POOLS_FOR_TYPE,
    REMIND_SHARE,
    Channel,
    ConfirmMethod,
    DisputeType,
    FollowUpMethod,
    JudicialResult,
    PartyKind,
    PartySide,
    Performance,
    Pool,
    Route,
    SessionOutcome,
    State,
    Urgency,
)

IllegalTransition = workflow.IllegalTransition


class DisputeConflict(Exception):
    """Someone else acted on the dispute after the caller loaded it."""

    def __init__(self, message: str | None = None):
        super().__init__(
            message or _("Someone else has already acted on this dispute. Reload it and try again.")
        )


class ConflictOfInterest(ValidationError):
    """The mediator is related to a party: the reason says how."""


def _now() -> datetime:
    return timezone.now()


def _require(text: str, message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError(message)
    return text


def _id(obj) -> int:
    return obj.pk if hasattr(obj, "pk") else int(obj)


def _actor(by):
    return by if getattr(by, "is_authenticated", False) else None


def _event(dispute, action, by, from_state, to_state, note="", data=None, at=None) -> DisputeEvent:
    return DisputeEvent.objects.create(
        dispute=dispute,
        jurisdiction=dispute.jurisdiction,
        actor=_actor(by),
        action=action,
        from_state=from_state,
        to_state=to_state,
        note=note,
        data=data or {},
        at=at or _now(),
    )


def _emit(dispute, action: str, **extra) -> None:
    outbox.emit(
        f"mediation.{action}",
        {"dispute": dispute.pk, "state": dispute.state, **extra},
        jurisdiction=dispute.jurisdiction,
    )


class _Move:
    """One action on one dispute: lock, checks; `finish()` writes state, history, rollup, outbox."""

    def __init__(self, dispute, action: str, by, expected_version: int | None = None, *, system=False):
        self.action, self.by = action, by
        # Lock the dispute's row only (not its centre's: disputes of one centre are worked in parallel).
        self.dispute = (
            Dispute.objects.select_for_update(of=("self",)).select_related("centre").get(pk=_id(dispute))
        )
        if expected_version is not None and int(expected_version) != self.dispute.version:
            raise DisputeConflict()
        if not system:
            policy.check(by, action, self.dispute)
        self.from_state = self.dispute.state
        self.to_state = workflow.check(action, self.from_state)
        self.before = rollups.contribution(self.dispute)
        self.now = _now()

    def finish(
        self, note: str = "", *, to_state: str | None = None, data=None, emit=True, **extra
    ) -> Dispute:
        d = self.dispute
        d.state = to_state or self.to_state
        d.version += 1
        d.save()
        rollups.apply(d, self.before, rollups.contribution(d))
        _event(d, self.action, self.by, self.from_state, d.state, note, data, at=self.now)
        if emit:
            _emit(d, self.action, **extra)
        return d


# --- centres and rosters --------------------------------------------------------------------------


def _check_roster(by, centre) -> None:
    if by is not None and not policy.can_manage_roster(by, centre):
        raise PermissionDenied(_("Only the centre's head or an administrator may change its roster."))


@transaction.atomic
def create_centre(*, area: Area, name: str, by=None, address: str = "") -> Centre:
    """A mediation centre owned by a community, a street/town or a district (county)."""
    if by is not None and not pii_admin(by):
        raise PermissionDenied(_("Only an administrator may set up a mediation centre."))
    level = LEVEL_OF_AREA.get(area.level)
    if level is None:
        raise ValidationError(
            _("A mediation centre belongs to a community, a street or town, or a district.")
        )
    name = _require(name, _("Give the centre a name."))
    return Centre.objects.create(
        name=name, level=level, area=area, path=area.path, jurisdiction=area.jurisdiction, address=address
    )


def pii_admin(user) -> bool:
    from civicgrid.people import policy as people_policy

    return people_policy.is_admin(user)


@transaction.atomic
def add_staff(centre: Centre, user, *, role: str = StaffRole.STAFF, by=None) -> CentreStaff:
    _check_roster(by, centre)
    member, _created = CentreStaff.objects.get_or_create(
        centre=centre, user=user, role=role, defaults={"jurisdiction": centre.jurisdiction}
    )
    if member.ended_on:
        member.ended_on = None
        member.save(update_fields=["ended_on"])
    return member


@transaction.atomic
def enrol_mediator(
    centre: Centre,
    user,
    *,
    name: str,
    pool: str,
    by=None,
    types=(),
    household=None,
    organisation: str = "",
    max_open: int = 6,
) -> Mediator:
    _check_roster(by, centre)
    if pool not in Pool.values:
        raise ValidationError(_("Choose the pool the mediator comes from."))
    bad = [t for t in types if t not in DisputeType.values]
    if bad:
        raise ValidationError(_("Unknown dispute type: %(type)s.") % {"type": bad[0]})
    return Mediator.objects.create(
        centre=centre,
        user=user,
        name=_require(name, _("Give the mediator's name.")),
        pool=pool,
        types=list(types),
        household=household,
        organisation=(organisation or "").strip(),
        max_open=max_open,
        jurisdiction=centre.jurisdiction,
    )


@transaction.atomic
def set_unavailable(mediator: Mediator, until: date | None, *, by) -> Mediator:
    if not (policy.can_manage_roster(by, mediator.centre) or mediator.user_id == getattr(by, "pk", None)):
        raise PermissionDenied(_("Only the mediator or the centre's head may change this."))
    mediator.unavailable_until = until
    mediator.save(update_fields=["unavailable_until"])
    return mediator


# --- intake ---------------------------------------------------------------------------------------


def time_limit(dispute_type: str, received_at: datetime) -> tuple[datetime, datetime]:
    """(settle by, remind at) on the working calendar for a dispute of this type received then."""
    hours = LIMIT_WORKING_DAYS[DisputeType(dispute_type)] * 8
    return add_working_hours(received_at, hours), add_working_hours(received_at, hours * (1 - REMIND_SHARE))


def _clean_amount(amount) -> Decimal | None:
    if amount in (None, ""):
        return None
    try:
        value = Decimal(str(amount)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise ValidationError(_("The amount at stake must be a number of yuan.")) from None
    if value < 0:
        raise ValidationError(_("The amount at stake cannot be negative."))
    return value


def _clean_parties(parties) -> list[dict]:
    cleaned = []
    for p in parties:
        name = (p.get("name") or "").strip()
        if not name:
            continue
        side = p.get("side") or PartySide.APPLICANT
        kind = p.get("kind") or PartyKind.PERSON
        if side not in PartySide.values or kind not in PartyKind.values:
            raise ValidationError(_("Each party needs a side and a kind."))
        phone = (p.get("phone") or "").strip()
        if phone and not phone.replace("-", "").replace(" ", "").isdigit():
            raise ValidationError(_("A phone number has only digits."))
        cleaned.append(
            {
                "side": side,
                "kind": kind,
                "name": name[:100],
                "phone": phone[:20],
                "household": p.get("household"),
                "organisation": (p.get("organisation") or "").strip()[:100],
            }
        )
    sides = {p["side"] for p in cleaned}
    if sides != {PartySide.APPLICANT, PartySide.RESPONDENT}:
        raise ValidationError(_("A dispute needs at least one applicant and one respondent."))
    return cleaned


def find_came_back(dispute_type: str, names: list[str], jurisdiction: str, *, now=None) -> Dispute | None:
    """An earlier closed dispute of the same type with the same parties (at least two names in
    common, or every name when there are fewer), within CAME_BACK_DAYS: the one this comes back to."""
    now = now or _now()
    names = sorted({n.strip() for n in names if n.strip()})
    need = min(2, len(names))
    if not need:
        return None
    found = (
        Party.objects.filter(
            name__in=names,
            jurisdiction=jurisdiction,
            dispute__dispute_type=dispute_type,
            dispute__state__in=CLOSED_STATES,
            dispute__received_at__gte=now - timedelta(days=CAME_BACK_DAYS),
        )
        .values("dispute_id")
        .annotate(n=Count("name", distinct=True))
        .filter(n__gte=need)
        .order_by("-dispute_id")
        .first()
    )
    return Dispute.objects.get(pk=found["dispute_id"]) if found else None


@transaction.atomic
def intake(
    *,
    centre: Centre,
    by,
    channel: str,
    dispute_type: str,
    summary: str,
    parties: list[dict],
    facts: str = "",
    amount=None,
    urgency: str = Urgency.NORMAL,
    channel_ref: str = "",
    case=None,
    came_back_from: Dispute | None = None,
) -> Dispute:
    """One-window intake (一站式受理): walk-in, a case handed over, the police, a court's referral."""
    if channel not in Channel.values:
        raise ValidationError(_("Choose how the dispute came in."))
    if dispute_type not in DisputeType.values:
        raise ValidationError(_("Choose the type of dispute."))
    if urgency not in Urgency.values:
        raise ValidationError(_("Choose the urgency."))
    if not centre.active:
        raise ValidationError(_("This centre no longer takes in disputes."))
    summary = _require(summary, _("Say in a line what the dispute is about."))[:120]
    channel_ref = (channel_ref or "").strip()[:60]
    if channel in (Channel.POLICE, Channel.COURT) and not channel_ref:
        raise ValidationError(_("Give the referral number of the police or the court."))
    if channel == Channel.CASE:
        if case is None:
            raise ValidationError(_("Say which case is handed over."))
        if not people_covers(centre, case.path):
            raise ValidationError(_("This centre does not serve the case's area."))
        if not (policy.can_intake(by, centre) or cases_policy.can(by, "comment", case)):
            raise PermissionDenied(_("You may not hand this case over to mediation."))
        open_one = Dispute.objects.filter(case=case, state__in=OPEN_STATES).first()
        if open_one:
            raise ValidationError(
                _("This case is already with mediation as dispute %(ref)s.") % {"ref": open_one.ref}
            )
    elif not policy.can_intake(by, centre):
        raise PermissionDenied(_("Only the centre's staff take in disputes at its window."))
    cleaned = _clean_parties(parties)
    amount = _clean_amount(amount)
    now = _now()
    if came_back_from is None:
        came_back_from = find_came_back(
            dispute_type, [p["name"] for p in cleaned], centre.jurisdiction, now=now
        )
    due, remind = time_limit(dispute_type, now)
    dispute = Dispute(
        ref=f"tmp-{uuid.uuid4().hex[:26]}",  # replaced by the numbered reference once the row has its id
        centre=centre,
        path=centre.path,
        level=centre.level,
        jurisdiction=centre.jurisdiction,
        channel=channel,
        channel_ref=channel_ref,
        dispute_type=dispute_type,
        summary=summary,
        facts=(facts or "").strip(),
        amount=amount,
        urgency=urgency,
        case=case if channel == Channel.CASE else None,
        came_back_from=came_back_from,
        received_at=now,
        received_by=_actor(by),
        due_at=due,
        remind_at=remind,
    )
    dispute.save()
    dispute.ref = f"TJ{timezone.localdate(now):%Y}-{centre.jurisdiction[-6:]}-{dispute.pk:06d}"
    dispute.save(update_fields=["ref"])
    Party.objects.bulk_create(
        [Party(dispute=dispute, jurisdiction=dispute.jurisdiction, **p) for p in cleaned]
    )
    rollups.apply(dispute, {}, rollups.contribution(dispute))
    data = {"channel": channel}
    if came_back_from:
        data["came_back_from"] = came_back_from.ref
    _event(dispute, "intake", by, "", dispute.state, summary, data, at=now)
    _emit(dispute, "intake", risk=urgency == Urgency.RISK)
    if dispute.case_id:
        with override(settings.LANGUAGE_CODE):
            text = _("Handed to mediation: dispute %(ref)s at %(centre)s.") % {
                "ref": dispute.ref,
                "centre": centre.name,
            }
        if cases_policy.can(by, "comment", case):
            cases_services.comment(case, by, text, public=True)
    return dispute


def people_covers(centre: Centre, path: str) -> bool:
    return path.startswith(centre.path)


# --- mediators: proposals, conflicts of interest, assignment --------------------------------------


def conflict_of_interest(mediator: Mediator, dispute: Dispute) -> str | None:
    """Why a mediator may not mediate this dispute, or None: same household as a party, same
    organisation as a party, or a declared conflict."""
    parties = list(dispute.parties.all())
    for p in parties:
        if mediator.household_id and p.household_id == mediator.household_id:
            return _("Lives in the same household as party %(party)s.") % {"party": p.masked_name}
    org = (mediator.organisation or "").strip()
    if org:
        for p in parties:
            theirs = p.name if p.kind == PartyKind.ORGANISATION else p.organisation
            if theirs and theirs.strip() == org:
                return _("Works at the same organisation as party %(party)s (%(org)s).") % {
                    "party": p.masked_name,
                    "org": org,
                }
    declared = DeclaredConflict.objects.filter(dispute=dispute, mediator=mediator).first()
    if declared:
        return _("Declared a conflict of interest: %(note)s") % {"note": declared.note}
    return None


@dataclass
class Proposal:
    mediator: Mediator
    score: float
    open_count: int
    reasons: list[str] = field(default_factory=list)
    refusal: str | None = None


def open_loads(mediator_ids) -> dict[int, int]:
    rows = (
        Assignment.objects.filter(mediator_id__in=list(mediator_ids), dispute__state__in=OPEN_STATES)
        .values("mediator_id")
        .annotate(n=Count("id"))
    )
    return {r["mediator_id"]: r["n"] for r in rows}


def propose(dispute: Dispute, *, pool: str | None = None) -> list[Proposal]:
    """Mediators for a dispute, best first: by type (pool and specialism), level (own centre first,
    then centres above that serve it), workload and availability. Those who cannot take it are listed
    last with the reason (conflict of interest, unavailable, full)."""
    today = timezone.localdate()
    centre_paths = [c.path for c in [dispute.centre]]
    above = [p for p in _ancestor_paths(dispute.path)]
    qs = Mediator.objects.filter(active=True, centre__path__in=above + centre_paths).select_related("centre")
    if pool:
        qs = qs.filter(pool=pool)
    assigned = set(dispute.assignments.values_list("mediator_id", flat=True))
    mediators = [m for m in qs if m.pk not in assigned]
    loads = open_loads(m.pk for m in mediators)
    preferred = POOLS_FOR_TYPE.get(DisputeType(dispute.dispute_type), ())
    out = []
    for m in mediators:
        load = loads.get(m.pk, 0)
        p = Proposal(m, 0.0, load)
        if m.pool in preferred:
            p.score += 30 - 10 * preferred.index(m.pool)
            p.reasons.append(_("pool suits the type"))
        if dispute.dispute_type in (m.types or []):
            p.score += 20
            p.reasons.append(_("specialises in this type"))
        if m.centre_id == dispute.centre_id:
            p.score += 10
            p.reasons.append(_("this centre"))
        p.score -= 30 * load / max(m.max_open, 1)
        p.reasons.append(_("%(n)s open") % {"n": load})
        refusal = conflict_of_interest(m, dispute)
        if refusal is None and m.unavailable_until and m.unavailable_until >= today:
            refusal = _("Unavailable until %(date)s.") % {"date": m.unavailable_until.isoformat()}
        if refusal is None and load >= m.max_open:
            refusal = _("Already has %(n)s open disputes (the most).") % {"n": load}
        p.refusal = refusal
        out.append(p)
    out.sort(key=lambda p: (p.refusal is not None, -p.score, p.mediator.name))
    return out


def _ancestor_paths(path: str) -> list[str]:
    codes = [c for c in path.split("/") if c]
    return ["/".join(codes[: i + 1]) + "/" for i in range(len(codes))]


@transaction.atomic
def assign(dispute, mediator: Mediator, by, *, expected_version: int | None = None) -> Dispute:
    """Assign a mediator: the first one (lead) moves the dispute on; later ones join it (联调)."""
    # Lock first, then choose: the first assignment moves the state, later ones do not.
    current = Dispute.objects.select_for_update().only("state").get(pk=_id(dispute)).state
    action = "assign" if current == State.RECEIVED else "add_mediator"
    move = _Move(dispute, action, by, expected_version)
    d = move.dispute
    mediator = Mediator.objects.select_related("centre").get(pk=_id(mediator))
    if not mediator.active or not d.path.startswith(mediator.centre.path):
        raise ValidationError(_("This mediator does not serve this dispute's centre."))
    if d.assignments.filter(mediator=mediator).exists():
        raise ValidationError(_("This mediator is already on the dispute."))
    refusal = conflict_of_interest(mediator, d)
    if refusal:
        raise ConflictOfInterest(
            _("%(name)s cannot mediate this dispute: %(reason)s") % {"name": mediator.name, "reason": refusal}
        )
    if mediator.unavailable_until and mediator.unavailable_until >= timezone.localdate(move.now):
        raise ValidationError(
            _("%(name)s is unavailable until %(date)s.")
            % {"name": mediator.name, "date": mediator.unavailable_until}
        )
    Assignment.objects.create(
        dispute=d,
        mediator=mediator,
        lead=action == "assign",
        assigned_by=_actor(by),
        assigned_at=move.now,
        jurisdiction=d.jurisdiction,
    )
    return move.finish(mediator.name, data={"mediator": mediator.pk}, mediator=mediator.pk)


@transaction.atomic
def add_from_pool(dispute, pool: str, by, *, expected_version: int | None = None) -> Dispute:
    """联调: add the best available mediator of a pool (deputies, lawyers, police, …)."""
    d = Dispute.objects.get(pk=_id(dispute))
    best = next((p for p in propose(d, pool=pool) if p.refusal is None), None)
    if best is None:
        raise ValidationError(_("No mediator of this pool is free to take the dispute."))
    return assign(d, best.mediator, by, expected_version=expected_version)


@transaction.atomic
def declare_conflict(dispute, mediator: Mediator, by, *, note: str) -> Dispute:
    """A mediator declares a relation to a party; if assigned, they leave the dispute."""
    note = _require(note, _("Say what the relation is."))[:200]
    mediator = Mediator.objects.get(pk=_id(mediator))
    d0 = Dispute.objects.get(pk=_id(dispute))
    if mediator.user_id != getattr(by, "pk", None) and not policy.is_centre_staff(by, d0.centre_id):
        raise PermissionDenied(_("A conflict is declared by the mediator or recorded by centre staff."))
    move = _Move(dispute, "declare_conflict", by, system=True)
    d = move.dispute
    DeclaredConflict.objects.create(dispute=d, mediator=mediator, note=note, jurisdiction=d.jurisdiction)
    removed = d.assignments.filter(mediator=mediator).delete()[0]
    to_state = None
    if removed and d.state == State.ASSIGNED and not d.assignments.exists():
        to_state = State.RECEIVED
    elif removed and not d.assignments.filter(lead=True).exists():
        d.assignments.filter(pk=d.assignments.order_by("assigned_at").values("pk")[:1]).update(lead=True)
    return move.finish(f"{mediator.name}: {note}", to_state=to_state, data={"mediator": mediator.pk})


# --- sessions -------------------------------------------------------------------------------------


def _notice(d: Dispute, session: Session) -> tuple[str, str]:
    local = timezone.localtime(session.starts_at)
    with override(settings.LANGUAGE_CODE):
        when = local.strftime("%Y-%m-%d %H:%M")
        notice = _(
            "Notice of mediation session\n\nDispute %(ref)s (%(type)s): %(summary)s\n"
            "Session %(n)s: %(when)s at %(place)s, %(centre)s.\n"
            "Please come in person, or tell the centre in advance if you cannot; you may bring "
            "documents that support your account. Mediation is voluntary and free of charge."
        ) % {
            "ref": d.ref,
            "type": DisputeType(d.dispute_type).label,
            "summary": d.summary,
            "n": session.number,
            "when": when,
            "place": session.place,
            "centre": d.centre.name,
        }
        sms = _(
            "[%(centre)s] Mediation of %(ref)s: session %(n)s on %(when)s at %(place)s. Please attend."
        ) % {
            "centre": d.centre.name,
            "ref": d.ref,
            "n": session.number,
            "when": when,
            "place": session.place,
        }
    return notice, sms[:300]


@transaction.atomic
def schedule_session(
    dispute,
    by,
    *,
    starts_at: datetime,
    place: str,
    non_working_day: bool = False,
    override_reason: str = "",
    expected_version: int | None = None,
) -> Session:
    """Book a session: never in the past; on a non-working day only when said so, with a reason."""
    move = _Move(dispute, "schedule_session", by, expected_version)
    d = move.dispute
    place = _require(place, _("Say where the session takes place."))[:120]
    if starts_at is None or timezone.is_naive(starts_at):
        raise ValidationError(_("Give the date and time of the session."))
    if starts_at <= move.now:
        raise ValidationError(_("A session cannot be booked in the past."))
    day = timezone.localdate(starts_at)
    off = not is_workday(day)
    if off and not non_working_day:
        raise ValidationError(
            _("%(day)s is not a working day. Tick “on a non-working day” and say why to book it anyway.")
            % {"day": day.isoformat()}
        )
    reason = ""
    if off:
        reason = _require(override_reason, _("Say why the session is on a non-working day."))[:200]
    number = (d.sessions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    session = Session(
        dispute=d,
        number=number,
        starts_at=starts_at,
        place=place,
        non_working_day=off,
        override_reason=reason,
        scheduled_by=_actor(by),
        jurisdiction=d.jurisdiction,
    )
    session.notice_text, session.sms_text = _notice(d, session)
    session.save()
    move.finish(
        _("Session %(n)s on %(when)s")
        % {"n": number, "when": timezone.localtime(starts_at).strftime("%Y-%m-%d %H:%M")},
        data={"session": session.pk},
        session=session.pk,
    )
    return session


@transaction.atomic
def record_session(
    session,
    by,
    *,
    present: list,
    notes: str,
    outcome: str,
    expected_version: int | None = None,
) -> Session:
    """Attendance, notes and outcome of a session that took place."""
    session = Session.objects.get(pk=_id(session))
    move = _Move(session.dispute_id, "record_session", by, expected_version)
    session = Session.objects.select_for_update().get(pk=session.pk)
    if session.held_at:
        raise ValidationError(_("This session has already been recorded."))
    if outcome not in SessionOutcome.values:
        raise ValidationError(_("Choose the outcome of the session."))
    notes = _require(notes, _("Write what was said and done at the session."))
    ids = {_id(p) for p in present}
    parties = list(move.dispute.parties.filter(pk__in=ids))
    if len(parties) != len(ids):
        raise ValidationError(_("Only the dispute's parties can be marked present."))
    session.held_at = move.now
    session.notes = notes
    session.outcome = outcome
    session.save()
    session.present.set(parties)
    move.finish(
        _("Session %(n)s: %(outcome)s") % {"n": session.number, "outcome": SessionOutcome(outcome).label},
        data={"session": session.pk, "present": sorted(ids)},
    )
    return session


# --- agreement ------------------------------------------------------------------------------------


def _clean_schedule(schedule, today: date) -> list[dict]:
    out = []
    for item in schedule or []:
        when, what = item.get("date"), (item.get("what") or "").strip()
        if not when and not what:
            continue
        if isinstance(when, str):
            try:
                when = date.fromisoformat(when)
            except ValueError:
                raise ValidationError(_("A performance date must look like 2026-03-31.")) from None
        if not isinstance(when, date) or not what:
            raise ValidationError(_("Each step of the performance schedule needs a date and what is due."))
        if when < today:
            raise ValidationError(_("A performance date cannot be in the past."))
        out.append({"date": when.isoformat(), "what": what[:200]})
    return sorted(out, key=lambda i: i["date"])


@transaction.atomic
def draft_agreement(
    dispute, by, *, facts: str, terms: str, schedule=(), expected_version: int | None = None
) -> Agreement:
    """Draw up (or redraw) the 人民调解协议书; redrawing clears the parties' confirmations."""
    move = _Move(dispute, "draft_agreement", by, expected_version)
    d = move.dispute
    facts = _require(facts, _("State the facts and the matter in dispute."))
    terms = _require(terms, _("State the terms the parties agree to."))
    items = _clean_schedule(schedule, timezone.localdate(move.now))
    agreement = Agreement.objects.filter(dispute=d).first()
    redrawn = agreement is not None
    if agreement is None:
        agreement = Agreement(dispute=d, jurisdiction=d.jurisdiction)
    agreement.facts, agreement.terms, agreement.schedule = facts, terms, items
    agreement.drafted_at, agreement.drafted_by = move.now, _actor(by)
    agreement.save()
    cleared = agreement.confirmations.all().delete()[0] if redrawn else 0
    move.finish(_("redrawn; confirmations cleared") if cleared else "", data={"cleared": cleared})
    return agreement


@transaction.atomic
def confirm_party(dispute, party, by, *, method: str, expected_version: int | None = None) -> Confirmation:
    """Record that a party confirmed the agreement (signed it, or confirmed at the window)."""
    move = _Move(dispute, "confirm_party", by, expected_version)
    d = move.dispute
    if method not in ConfirmMethod.values:
        raise ValidationError(_("Say how the party confirmed."))
    agreement = Agreement.objects.filter(dispute=d).first()
    if agreement is None:
        raise ValidationError(_("Draw up the agreement before the parties confirm it."))
    party = d.parties.filter(pk=_id(party)).first()
    if party is None:
        raise ValidationError(_("This is not a party to the dispute."))
    if agreement.confirmations.filter(party=party).exists():
        raise ValidationError(_("%(party)s has already confirmed.") % {"party": party.masked_name})
    c = Confirmation.objects.create(
        agreement=agreement,
        party=party,
        method=method,
        at=move.now,
        recorded_by=_actor(by),
        jurisdiction=d.jurisdiction,
    )
    move.finish(
        _("%(party)s: %(how)s") % {"party": party.masked_name, "how": ConfirmMethod(method).label},
        data={"party": party.pk},
    )
    return c


def unconfirmed_parties(dispute) -> list[Party]:
    agreement = Agreement.objects.filter(dispute_id=_id(dispute)).first()
    confirmed = set(agreement.confirmations.values_list("party_id", flat=True)) if agreement else set()
    return [p for p in Party.objects.filter(dispute_id=_id(dispute)) if p.pk not in confirmed]


@transaction.atomic
def mark_agreed(dispute, by, *, expected_version: int | None = None) -> Dispute:
    """Close with the agreement: only when every party has confirmed it. Follow-ups are set on its
    performance dates (or, without any, ten working days on)."""
    move = _Move(dispute, "mark_agreed", by, expected_version)
    d = move.dispute
    agreement = Agreement.objects.filter(dispute=d).first()
    if agreement is None:
        raise ValidationError(_("There is no agreement to mark agreed."))
    missing = unconfirmed_parties(d)
    if missing:
        raise ValidationError(
            _("Every party must confirm the agreement first; still missing: %(names)s.")
            % {"names": "、".join(p.masked_name for p in missing)}
        )
    agreement.agreed_at = move.now
    agreement.save(update_fields=["agreed_at"])
    d.closed_at = move.now
    items = agreement.schedule or []
    with override(settings.LANGUAGE_CODE):
        default_what = _("Check that the agreement is performed")
    follow = [
        FollowUp(dispute=d, due_on=date.fromisoformat(i["date"]), what=i["what"], jurisdiction=d.jurisdiction)
        for i in items
    ]
    if not follow:
        follow = [
            FollowUp(
                dispute=d,
                due_on=add_working_days(timezone.localdate(move.now), 10),
                what=default_what,
                jurisdiction=d.jurisdiction,
            )
        ]
    FollowUp.objects.bulk_create(follow)
    d = move.finish(_("Agreement confirmed by every party."))
    with override(settings.LANGUAGE_CODE):
        outcome = _("Mediation %(ref)s succeeded: agreement confirmed by every party. Terms: %(terms)s") % {
            "ref": d.ref,
            "terms": agreement.terms[:200],
        }
    _feed_back_to_case(d, by, outcome)
    return d


@transaction.atomic
def mark_failed(dispute, by, *, reason: str, route: str, expected_version: int | None = None) -> Dispute:
    """Close without agreement, with the reason and the route onward stated to the parties."""
    reason = _require(reason, _("Say why the mediation failed."))[:300]
    if route not in Route.values:
        raise ValidationError(
            _("Choose the route onward for the parties (litigation, arbitration, administrative).")
        )
    move = _Move(dispute, "mark_failed", by, expected_version)
    d = move.dispute
    d.failure_reason, d.route, d.closed_at = reason, route, move.now
    d = move.finish(f"{reason} → {Route(route).label}")
    with override(settings.LANGUAGE_CODE):
        outcome = _("Mediation %(ref)s failed: %(reason)s. Route onward: %(route)s.") % {
            "ref": d.ref,
            "reason": reason,
            "route": Route(route).label,
        }
    _feed_back_to_case(d, by, outcome)
    return d


@transaction.atomic
def withdraw(dispute, by, *, reason: str, expected_version: int | None = None) -> Dispute:
    reason = _require(reason, _("Say why the dispute is withdrawn."))[:300]
    move = _Move(dispute, "withdraw", by, expected_version)
    d = move.dispute
    d.failure_reason, d.closed_at = reason, move.now
    d = move.finish(reason)
    with override(settings.LANGUAGE_CODE):
        outcome = _("Mediation %(ref)s withdrawn: %(reason)s.") % {"ref": d.ref, "reason": reason}
    _feed_back_to_case(d, by, outcome)
    return d


def _feed_back_to_case(d: Dispute, by, outcome: str) -> None:
    """The case follows the dispute: marked handled with the outcome when the closing user may,
    else commented on, else its holders hear of it through the inbox (the outbox event)."""
    if not d.case_id:
        return
    case = d.case
    if case.state in ("in_progress", "rework") and cases_policy.can(by, "mark_handled", case):
        cases_services.mark_handled(case, by, outcome)
        how = "handled"
    elif cases_policy.can(by, "comment", case):
        cases_services.comment(case, by, outcome, public=True)
        how = "commented"
    else:
        how = "notified"
    _emit(d, "case_feedback", case=case.pk, how=how, text=outcome[:280])


# --- judicial confirmation and follow-up ----------------------------------------------------------


@transaction.atomic
def refer_judicial(dispute, by, *, court: str, referred_on: date) -> JudicialReferral:
    """司法确认: the parties apply to the court within 30 days of the agreement."""
    move = _Move(dispute, "refer_judicial", by)
    d = move.dispute
    court = _require(court, _("Name the court."))[:100]
    agreed_on = timezone.localdate(d.agreement.agreed_at)
    today = timezone.localdate(move.now)
    if referred_on is None or referred_on > today:
        raise ValidationError(_("The application date cannot be in the future."))
    if referred_on < agreed_on:
        raise ValidationError(_("The application cannot be before the agreement."))
    if (referred_on - agreed_on).days > JUDICIAL_WINDOW_DAYS:
        raise ValidationError(
            _(
                "Judicial confirmation must be applied for within %(days)s days of the agreement (by %(last)s)."
            )
            % {
                "days": JUDICIAL_WINDOW_DAYS,
                "last": (agreed_on + timedelta(days=JUDICIAL_WINDOW_DAYS)).isoformat(),
            }
        )
    if JudicialReferral.objects.filter(dispute=d).exists():
        raise ValidationError(_("This agreement has already been referred for judicial confirmation."))
    referral = JudicialReferral.objects.create(
        dispute=d, court=court, referred_on=referred_on, jurisdiction=d.jurisdiction
    )
    move.finish(court)
    return referral


@transaction.atomic
def record_judicial_result(dispute, by, *, result: str, result_on: date, note: str = "") -> JudicialReferral:
    move = _Move(dispute, "record_judicial_result", by)
    d = move.dispute
    referral = JudicialReferral.objects.select_for_update().filter(dispute=d).first()
    if referral is None:
        raise ValidationError(_("The agreement has not been referred for judicial confirmation."))
    if result not in (JudicialResult.CONFIRMED, JudicialResult.REJECTED):
        raise ValidationError(_("Choose the court's decision."))
    if referral.result != JudicialResult.PENDING:
        raise ValidationError(_("The court's decision is already recorded."))
    if result_on is None or result_on < referral.referred_on or result_on > timezone.localdate(move.now):
        raise ValidationError(_("The decision date must lie between the application and today."))
    referral.result, referral.result_on, referral.note = result, result_on, (note or "").strip()[:200]
    referral.save()
    move.finish(JudicialResult(result).label)
    return referral


@transaction.atomic
def record_follow_up(follow_up, by, *, method: str, performance: str, note: str = "") -> FollowUp:
    """A visit or call on a performance date; when every follow-up found it performed, the
    agreement counts as performed (履行完毕)."""
    fu = FollowUp.objects.get(pk=_id(follow_up))
    move = _Move(fu.dispute_id, "record_follow_up", by)
    fu = FollowUp.objects.select_for_update().get(pk=fu.pk)
    if fu.done_at:
        raise ValidationError(_("This follow-up is already recorded."))
    if method not in FollowUpMethod.values or performance not in Performance.values:
        raise ValidationError(_("Say how you followed up and whether the agreement was performed."))
    fu.done_at, fu.method, fu.performance = move.now, method, performance
    fu.note, fu.done_by = (note or "").strip()[:300], _actor(by)
    fu.save()
    d = move.dispute
    rest = FollowUp.objects.filter(dispute=d).exclude(pk=fu.pk)
    all_done = not rest.filter(done_at__isnull=True).exists()
    all_performed = (
        performance == Performance.PERFORMED and not rest.exclude(performance=Performance.PERFORMED).exists()
    )
    to_state = None
    if all_done and all_performed:
        to_state = State.PERFORMED
        d.performed_at = move.now
    move.finish(
        f"{Performance(performance).label}. {fu.note}".strip(), to_state=to_state, data={"follow_up": fu.pk}
    )
    return fu


@transaction.atomic
def comment(dispute, by, text: str) -> DisputeEvent:
    text = _require(text, pgettext("mediation", "Write a comment."))[:2000]
    move = _Move(dispute, "comment", by)
    move.finish(text, emit=False)
    return move.dispute.events.order_by("-id").first()


# --- personal data --------------------------------------------------------------------------------


def reveal_parties(dispute, by, *, reason: str, request=None) -> list[Party]:
    """Parties with their unmasked data, after writing one access-log row per party."""
    d = Dispute.objects.get(pk=_id(dispute))
    if not policy.can_view_parties(by, d):
        raise PermissionDenied(_("Only the centre's staff and the assigned mediators see the parties."))
    reason = _require(reason, _("Say why you need to see the parties' data."))
    parties = list(d.parties.all())
    for p in parties:
        pii.log_unmasked_view(user=by, subject=p, fields=["name", "phone"], reason=reason, request=request)
    return parties


# --- the worker's sweep ---------------------------------------------------------------------------


def sweep(now: datetime | None = None, batch: int = 2000) -> dict:
    """Reminders when a fifth of the time is left; escalation once the time limit has passed."""
    from django.db import connection

    now = now or _now()
    counts = {"remind": 0, "escalate": 0}
    lock = connection.features.has_select_for_update_skip_locked
    steps = (
        ("remind", Q(reminded_at__isnull=True, remind_at__lte=now), "reminded_at"),
        ("escalate", Q(escalated_at__isnull=True, due_at__lte=now), "escalated_at"),
    )
    for action, cond, stamp in steps:
        while True:
            with transaction.atomic():
                qs = Dispute.objects.filter(cond, state__in=OPEN_STATES).order_by("id")
                if lock:
                    qs = qs.select_for_update(skip_locked=True)
                rows = list(qs.values_list("id", "state", "jurisdiction")[:batch])
                if not rows:
                    break
                ids = [r[0] for r in rows]
                Dispute.objects.filter(pk__in=ids).update(**{stamp: now})
                DisputeEvent.objects.bulk_create(
                    [
                        DisputeEvent(
                            dispute_id=i, jurisdiction=j, action=action, from_state=s, to_state=s, at=now
                        )
                        for i, s, j in rows
                    ]
                )
                for i, s, j in rows:
                    outbox.emit(f"mediation.{action}", {"dispute": i, "state": s}, jurisdiction=j)
                counts[action] += len(rows)
            if len(rows) < batch:
                break
    return counts
