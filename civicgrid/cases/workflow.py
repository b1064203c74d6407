"""The closed loop for a case (事件闭环), as data. Read this file to learn the whole loop.

    intake ──► submitted ──register──► registered ──dispatch──► dispatched ──accept──► in_progress
                  │                        │  ▲                    │   ▲                 │   ▲  │
                  │                        │  └─────dispatch───── returned ◄─return──┘   │   │  │
              not_accept               accept (handled in the                  put_on_hold  resume
                  ▼                    five-level chain, no department)             ▼   │  │
            not_accepted                   └──────────────► in_progress        on_hold ─┘  │
                                                                                mark_handled
    settle_on_spot (一般性: one step) ──► closed                                            ▼
                                                 closed ◄──verify(pass)── handled (result fed back)
                                                  │  ▲                       │
                    rate(unsatisfied, once) ──────┘  │                 verify(fail)
                    reopen (supervisor)  ──► rework ◄┴───────────────────────┘
                                              │ accept / mark_handled
                                              ▼
    Any open case may be merged into a main case (→ merged; it then follows the main case), escalated
    one level up the coordination chain, supervised (督办), commented on, flagged for deliberation.

`TRANSITIONS` says, for each action, the states it may start from, the state it leads to (None:
the state does not change) and which roles may take it. `cases/policy.py` adds the scope (which
grid, street, department or reporter); `cases/services/loop.py` performs the move and writes history.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from civicgrid.people.models import Role


class State(models.TextChoices):
    SUBMITTED = "submitted", _("submitted")  # 待受理
    REGISTERED = "registered", _("registered")  # 已立案, waiting for dispatch or for its level
    NOT_ACCEPTED = "not_accepted", _("not accepted")  # 不予受理
    DISPATCHED = "dispatched", _("dispatched")  # 已派遣, waiting for the department
    RETURNED = "returned", _("returned")  # 退单, back with the dispatcher
    IN_PROGRESS = "in_progress", _("in progress")  # 处置中
    ON_HOLD = "on_hold", _("on hold")  # 挂账
    HANDLED = "handled", _("handled")  # 已处置, result fed back, waiting for verification
    REWORK = "rework", _("rework")  # 返工 / 重办
    CLOSED = "closed", _("closed")  # 已结案
    MERGED = "merged", _("merged")  # 已合并 into a main case


# States in which work is still owed on the case.
OPEN_STATES = (
    State.SUBMITTED,
    State.REGISTERED,
    State.DISPATCHED,
    State.RETURNED,
    State.IN_PROGRESS,
    State.ON_HOLD,
    State.HANDLED,
    State.REWORK,
)
# Open states in which the clock runs (on hold stops it).
RUNNING_STATES = tuple(s for s in OPEN_STATES if s != State.ON_HOLD)
FINAL_STATES = (State.CLOSED, State.NOT_ACCEPTED, State.MERGED)
# States in which a holder in the chain may still be waited for (the level limit runs).
LEVEL_STATES = (State.SUBMITTED, State.REGISTERED, State.IN_PROGRESS, State.RETURNED)
# States in which the case waits for its first response.
RESPOND_STATES = (State.SUBMITTED, State.REGISTERED, State.DISPATCHED, State.RETURNED)


class Kind(models.TextChoices):
    GENERAL = "general", _("general (settled on the spot)")  # 一般性
    COORDINATION = "coordination", _("needs coordination")  # 协调性
    CONCENTRATED = "concentrated", _("concentrated (many residents)")  # 集中突出
    EMERGENCY = "emergency", _("emergency")  # 突发性


class Channel(models.TextChoices):
    RESIDENT_APP = "resident_app", _("resident report")
    GRID_PATROL = "grid_patrol", _("grid patrol")
    HOUSEHOLD_VISIT = "household_visit", _("household visit")
    STEWARD = "steward", _("unit steward or building leader")
    HOTLINE = "hotline", _("hotline (12345)")
    PETITION_LETTER = "petition_letter", _("petition by letter")
    PETITION_VISIT = "petition_visit", _("petition by visit")
    PETITION_ONLINE = "petition_online", _("online petition")
    DEPARTMENT_TRANSFER = "department_transfer", _("transfer from a department")
    OPEN311 = "open311", _("Open311 API")
    ERRAND = "errand", _("errand for a resident")


# Channels through which staff enter a case they have already checked: it starts registered.
STAFF_CHANNELS = {
    Channel.GRID_PATROL,
    Channel.HOUSEHOLD_VISIT,
    Channel.STEWARD,
    Channel.HOTLINE,
    Channel.PETITION_LETTER,
    Channel.PETITION_VISIT,
    Channel.DEPARTMENT_TRANSFER,
    Channel.ERRAND,
}


class CaseLevel(models.TextChoices):
    """Who holds a case in the service chain, lowest first (小事不出网格, 大事不出社区)."""

    UNIT = "unit_steward", _("unit steward")
    BUILDING = "building_leader", _("building leader")
    GRID = "grid_worker", _("grid worker")
    BRANCH = "branch", _("compound Party branch")
    COMMUNITY = "community", _("community")
    STREET = "street", _("street command centre")
    DISTRICT = "district", _("district command centre")


LEVEL_ORDER = list(CaseLevel.values)
NEXT_LEVEL = dict(zip(LEVEL_ORDER, LEVEL_ORDER[1:], strict=False))
# The role that holds each level (anyone holding a higher level in scope may act too).
LEVEL_ROLE = {
    CaseLevel.UNIT: Role.UNIT_STEWARD,
    CaseLevel.BUILDING: Role.BUILDING_LEADER,
    CaseLevel.GRID: Role.GRID_WORKER,
    CaseLevel.BRANCH: Role.BRANCH_SECRETARY,
    CaseLevel.COMMUNITY: Role.COMMUNITY_STAFF,
    CaseLevel.STREET: Role.STREET_DISPATCHER,
    CaseLevel.DISTRICT: Role.DISTRICT_SUPERVISOR,
}
# Working hours a level has before the case goes one level up by itself (the sweep escalates).
# The street and the district hand cases to departments, whose own limits then apply.
LEVEL_HOURS = {
    CaseLevel.UNIT: 8,
    CaseLevel.BUILDING: 8,
    CaseLevel.GRID: 16,
    CaseLevel.BRANCH: 24,
    CaseLevel.COMMUNITY: 40,
}
# Levels within the five-level chain (the sweep escalates within and out of it).
CHAIN_LEVELS = tuple(LEVEL_HOURS)


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("satisfied")  # 满意
    BASICALLY = "basically", _("basically satisfied")  # 基本满意
    UNSATISFIED = "unsatisfied", _("unsatisfied")  # 不满意


class AttachmentKind(models.TextChoices):
    REPORT = "report", _("report")
    HANDLING = "handling", _("handling")
    VERIFICATION = "verification", _("verification")


# Time a department has to return (退单) a case dispatched to it, in working hours.
RETURN_WINDOW_HOURS = 4
# Working hours a supervision order (督办) gives to act: by hand (the default) and the sweep's automatic
# ones; and the longer order after an unsatisfied rating that may no longer reopen the case.
SUPERVISION_HOURS = 8
UNSATISFIED_SUPERVISION_HOURS = 16
# A case is shown amber in the last share of its time, red once the limit has passed.
AMBER_SHARE = 0.2
# An unsatisfied rating reopens a case this many times; after that it goes to the supervisor.
MAX_REOPENS = 1

# Role groups used below.
CHAIN = {
    Role.UNIT_STEWARD,
    Role.BUILDING_LEADER,
    Role.GRID_WORKER,
    Role.BRANCH_SECRETARY,
    Role.COMMUNITY_STAFF,
}
DISPATCH = {Role.STREET_DISPATCHER, Role.DISTRICT_SUPERVISOR, Role.ADMINISTRATOR}
REGISTRARS = {Role.GRID_WORKER, Role.COMMUNITY_STAFF, Role.BRANCH_SECRETARY} | DISPATCH
VERIFIERS = {Role.GRID_WORKER, Role.COMMUNITY_STAFF} | DISPATCH
HANDLERS = {Role.DEPARTMENT_HANDLER} | CHAIN | DISPATCH
STAFF = CHAIN | DISPATCH | {Role.DEPARTMENT_HANDLER}


# Whose case it must be, per action (`Transition.scope`: any one of the listed rules will do).
# cases/policy.py says what each rule checks:
AREA = "area"  # the user holds one of `scope_roles` (default: the action's roles) over the case's place
AREA_STAFF = "area_staff"  # the user holds an area role that works cases (not the leader) over it
HANDLER = "handler"  # the lead department when the case has one; else the chain holder or a dispatcher
CHAIN_HOLDER = "chain_holder"  # the user holds the case's level in the chain (or a higher one) over it
DISPATCHER = "dispatcher"  # a dispatcher or supervisor over the case's place
LEAD_HANDLER = "lead_handler"  # a handler of the lead department
ASSISTING_HANDLER = "assisting_handler"  # a handler of an assisting department
REPORTER = "reporter"  # the resident who reported it
VIEWER = "viewer"  # anyone who may see the case (policy.can_view)


@dataclass(frozen=True)
class Transition:
    sources: tuple[str, ...]
    target: str | None  # None: the state stays as it is (for `rate`, see RATING_TARGETS)
    roles: frozenset[str]
    label: str
    public: bool = True  # shown on the reporter's / the public timeline
    scope: tuple[str, ...] = (AREA,)  # whose case it must be: any one of these rules
    scope_roles: frozenset[str] | None = None  # the roles AREA looks at, when not `roles`


def _t(sources, target, roles, label, public=True, scope=(AREA,), scope_roles=None) -> Transition:
    return Transition(
        tuple(sources),
        target,
        frozenset(roles),
        label,
        public,
        tuple(scope),
        frozenset(scope_roles) if scope_roles is not None else None,
    )


S = State
TRANSITIONS: dict[str, Transition] = {
    # 立案: someone responsible checks a reported case and takes it into the loop.
    "register": _t([S.SUBMITTED], S.REGISTERED, REGISTRARS, _("registered")),
    # 不予受理, with a reason the reporter sees.
    "not_accept": _t([S.SUBMITTED, S.REGISTERED], S.NOT_ACCEPTED, REGISTRARS, _("not accepted")),
    # 派遣 to a lead department (主办) and assisting ones (协办); again after a return.
    # Also re-dispatch: change the department before or while it works, or take over a case that
    # went past the community in the chain.
    "dispatch": _t(
        [S.SUBMITTED, S.REGISTERED, S.RETURNED, S.DISPATCHED, S.IN_PROGRESS],
        S.DISPATCHED,
        DISPATCH,
        _("dispatched"),
    ),
    # The department (or, without one, the holder at the case's level) takes the case on.
    "accept": _t(
        [S.DISPATCHED, S.REGISTERED, S.REWORK], S.IN_PROGRESS, HANDLERS, _("accepted"), scope=[HANDLER]
    ),
    # 退单: not ours, within RETURN_WINDOW_HOURS of dispatch; back to the dispatcher.
    "return_to_dispatcher": _t(
        [S.DISPATCHED, S.IN_PROGRESS],
        S.RETURNED,
        {Role.DEPARTMENT_HANDLER},
        _("returned to dispatcher"),
        scope=[LEAD_HANDLER],
    ),
    # 延期: asked by the handler, granted or refused by the dispatcher.
    "request_extension": _t(
        [S.DISPATCHED, S.IN_PROGRESS, S.REWORK],
        None,
        HANDLERS,
        _("extension requested"),
        public=False,
        scope=[HANDLER],
    ),
    "decide_extension": _t(
        [S.DISPATCHED, S.IN_PROGRESS, S.REWORK, S.ON_HOLD], None, DISPATCH, _("extension decided")
    ),
    # 挂账: cannot be solved now; reviewed on a date. The clock stops while on hold.
    "put_on_hold": _t([S.IN_PROGRESS, S.REWORK], S.ON_HOLD, DISPATCH, _("put on hold")),
    "resume": _t([S.ON_HOLD], S.IN_PROGRESS, DISPATCH, _("resumed")),
    # 处置完毕: the result (and photos) is fed back to the reporter.
    "mark_handled": _t([S.IN_PROGRESS, S.REWORK], S.HANDLED, HANDLERS, _("handled"), scope=[HANDLER]),
    # 核查: pass closes the case (结案); fail sends it back as rework (返工).
    "verify_pass": _t([S.HANDLED], S.CLOSED, VERIFIERS, _("verified and closed")),
    "verify_fail": _t([S.HANDLED], S.REWORK, VERIFIERS, _("verification failed: rework")),
    # 回访评价 by the reporter (or staff recording a call-back).
    "rate": _t(
        [S.CLOSED],
        None,
        {Role.RESIDENT} | VERIFIERS,
        _("rated"),
        scope=[REPORTER, AREA],
        scope_roles=VERIFIERS,
    ),
    # 不满意 reopens once (重办); after that the case goes to the supervisor, who may reopen it.
    "reopen": _t([S.CLOSED], S.REWORK, {Role.DISTRICT_SUPERVISOR, Role.ADMINISTRATOR}, _("reopened")),
    # One level up the chain (the sweep does it when a level's limit passes).
    "escalate": _t(
        [S.SUBMITTED, S.REGISTERED, S.IN_PROGRESS, S.RETURNED],
        None,
        CHAIN | DISPATCH,
        _("escalated"),
        scope=[CHAIN_HOLDER, DISPATCHER],
    ),
    # 督办: by hand, or automatically when overdue.
    "supervise": _t(
        OPEN_STATES,
        None,
        {Role.DISTRICT_SUPERVISOR, Role.STREET_DISPATCHER, Role.ADMINISTRATOR},
        _("supervised"),
    ),
    # 合并: a duplicate follows its main case from now on.
    "merge": _t(
        [S.SUBMITTED, S.REGISTERED, S.DISPATCHED, S.RETURNED, S.IN_PROGRESS, S.ON_HOLD, S.REWORK],
        S.MERGED,
        REGISTRARS,
        _("merged"),
    ),
    # 集中突出: many residents raise the same thing; taken to resident deliberation.
    "flag_for_deliberation": _t(
        OPEN_STATES,
        None,
        {Role.BRANCH_SECRETARY, Role.COMMUNITY_STAFF} | DISPATCH,
        _("flagged for deliberation"),
    ),
    # 定位: the dispatcher names the building of a report whose address text matched no one place.
    "pick_place": _t(OPEN_STATES, None, REGISTRARS, _("place picked"), public=False),
    # Leaders read their scope; they do not write, not even comments.
    "comment": _t(
        list(State.values), None, STAFF | {Role.RESIDENT}, _("comment"), public=False, scope=[VIEWER]
    ),
    "add_attachment": _t(
        list(OPEN_STATES) + [S.CLOSED],
        None,
        STAFF | {Role.RESIDENT},
        _("photo added"),
        scope=[REPORTER, AREA_STAFF, LEAD_HANDLER, ASSISTING_HANDLER],
    ),
}

# The state a rating leads to (`rate` keeps the state unless listed here): unsatisfied reopens the
# case as rework (重办) while it has been reopened fewer than MAX_REOPENS times; after that it stays
# closed and goes to the supervisor (an automatic supervision order).
RATING_TARGETS = {Rating.UNSATISFIED: State.REWORK}


def rating_target(rating: str, reopen_count: int) -> str | None:
    """The state a rating moves a closed case to, or None when it stays closed."""
    target = RATING_TARGETS.get(Rating(rating))
    return target if target is not None and reopen_count < MAX_REOPENS else None


# Actions that the intake itself records (not taken on an existing case).
INTAKE_ACTIONS = {"report": _("reported"), "settle_on_spot": _("settled on the spot")}
# Actions the worker takes by itself.
SYSTEM_ACTIONS = {
    "remind": _("deadline reminder"),
    "auto_escalate": _("escalated: level time limit passed"),
    "overdue_response": _("response overdue: supervised"),
    "overdue_resolution": _("resolution overdue: supervised"),
    "follow_main": _("followed its main case"),
}


# Intake actions are announced on the outbox in the past tense ("case.reported").
TOPIC_ACTIONS = {"reported": "report", "settled_on_spot": "settle_on_spot"}


def action_label(action: str) -> str:
    """What an action (or the outbox topic that announces it) is called in the interface."""
    action = TOPIC_ACTIONS.get(action, action)
    if action in TRANSITIONS:
        return str(TRANSITIONS[action].label)
    return str(INTAKE_ACTIONS.get(action) or SYSTEM_ACTIONS.get(action) or action)


def initial_state(channel: str, kind: str) -> str:
    """The state intake gives a case: staff channels (they have checked it) and emergencies start
    registered, other reports submitted (a category that dispatches automatically then takes the
    "dispatch" move at once, see services.intake)."""
    if channel in STAFF_CHANNELS or kind == Kind.EMERGENCY:
        return State.REGISTERED
    return State.SUBMITTED


class IllegalTransition(Exception):
    """An action that the case's state does not allow."""


def allowed_actions(state: str) -> list[str]:
    return [name for name, t in TRANSITIONS.items() if state in t.sources]


def check(action: str, state: str) -> str:
    """The state after `action` from `state`; raises IllegalTransition when the move is not allowed."""
    try:
        transition = TRANSITIONS[action]
    except KeyError:
        raise IllegalTransition(_("Unknown action “%(action)s”.") % {"action": action}) from None
    if state not in transition.sources:
        raise IllegalTransition(
            _("A case that is %(state)s cannot be %(action)s.")
            % {"state": State(state).label, "action": transition.label}
        )
    return transition.target or state


def next_level(level: str) -> str | None:
    return NEXT_LEVEL.get(level)
