"""Mediation of a dispute (矛盾纠纷多元化解), as data. Read this file to learn the whole path.

    intake ──► received ──assign──► assigned ──record_session──► mediating ──mark_agreed──► agreed
     (walk-in, a case,   │             │                           │  ▲ (every party       │
      the police, a      │             │                           └──┘  confirmed)        │
      court's 诉前调解)   │             └──────mark_failed──────────────┐              record_follow_up
                         │                                          ▼               (all performed)
                         └──withdraw──► withdrawn          failed (reason + route       ▼
                                                           onward: litigation,      performed
                                                           arbitration, admin)

    On any open dispute: add a second mediator or a pool (联调), schedule sessions, comment.
    On an agreed one: refer it for judicial confirmation (司法确认) within 30 days and record the
    result; follow-up visits on the performance dates.

`TRANSITIONS` says, for each action, the states it may start from and the state it leads to (None:
the state stays). `mediation/policy.py` decides who (centre staff, assigned mediators);
`mediation/services.py` performs the move and writes a `DisputeEvent` row.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class State(models.TextChoices):
    RECEIVED = "received", _("received")  # 已受理
    ASSIGNED = "assigned", _("mediator assigned")  # 已分派调解员
    MEDIATING = "mediating", _("mediating")  # 调解中
    AGREED = "agreed", _("agreed")  # 调解成功, 已签协议
    PERFORMED = "performed", _("agreement performed")  # 协议履行完毕
    FAILED = "failed", pgettext_lazy("mediation", "failed")  # 调解不成
    WITHDRAWN = "withdrawn", pgettext_lazy("mediation", "withdrawn")  # 撤回 / 终止


OPEN_STATES = (State.RECEIVED, State.ASSIGNED, State.MEDIATING)
# Closed (结案): the mediation has ended, with an agreement, a failure or a withdrawal.
CLOSED_STATES = (State.AGREED, State.PERFORMED, State.FAILED, State.WITHDRAWN)
SUCCESS_STATES = (State.AGREED, State.PERFORMED)


class Level(models.TextChoices):
    """The level of a mediation centre, from the area it serves."""

    COMMUNITY = "community", pgettext_lazy("mediation", "community / village")  # 社区(村)人民调解委员会
    STREET = "street", pgettext_lazy("mediation", "street / town")  # 街道(乡镇)矛调中心
    COUNTY = "county", _("county / district")  # 县(区)矛调中心


# Area level → centre level.
LEVEL_OF_AREA = {"community": Level.COMMUNITY, "street": Level.STREET, "district": Level.COUNTY}
LEVEL_ORDER = [Level.COMMUNITY, Level.STREET, Level.COUNTY]


class Channel(models.TextChoices):
    WALK_IN = "walk_in", _("walk-in at the window")  # 来访
    CASE = "case", _("handed over from a case")  # 事件转调解
    POLICE = "police", _("referred by the police")  # 公安移送 (警调对接)
    COURT = "court", _("court pre-litigation referral")  # 诉前调解 (诉调对接)


class DisputeType(models.TextChoices):
    NEIGHBOURS = "neighbours", _("neighbours")  # 邻里纠纷
    FAMILY = "family", _("family and marriage")  # 婚姻家庭纠纷
    PROPERTY = "property", _("property management")  # 物业纠纷
    LABOUR = "labour", _("labour and wages")  # 劳资纠纷
    LAND = "land", _("land and resettlement")  # 土地征迁纠纷
    CONSUMER = "consumer", _("consumer")  # 消费纠纷
    TRAFFIC = "traffic", _("traffic accident")  # 交通事故纠纷
    MEDICAL = "medical", _("medical")  # 医疗纠纷
    OTHER = "other", pgettext_lazy("mediation", "other")  # 其他


# Time limits in working days on the official calendar (core/workcalendar.py). People's mediation is
# normally settled within 30 days (人民调解法; ~22 working days); a labour dispute within 15 days of the
# application (劳动争议调解仲裁法 art. 41; ~11 working days), after which a party may go to arbitration.
LIMIT_WORKING_DAYS = {
    DisputeType.NEIGHBOURS: 22,
    DisputeType.FAMILY: 22,
    DisputeType.PROPERTY: 22,
    DisputeType.LABOUR: 11,
    DisputeType.LAND: 22,
    DisputeType.CONSUMER: 22,
    DisputeType.TRAFFIC: 22,
    DisputeType.MEDICAL: 22,
    DisputeType.OTHER: 22,
}
# A reminder goes out when this share of the time is left (like a case's amber share).
REMIND_SHARE = 0.2
# Judicial confirmation (司法确认) must be applied for within 30 days of the agreement (民事诉讼法 201).
JUDICIAL_WINDOW_DAYS = 30
# A dispute that comes back within this many days (same parties, same type) is linked to the first.
CAME_BACK_DAYS = 365


class Urgency(models.TextChoices):
    NORMAL = "normal", _("normal")
    RISK = "risk", _("risk of escalation")  # 有激化风险: flagged to the centre head at once


class Pool(models.TextChoices):
    """Where a mediator comes from (多元化解)."""

    COMMITTEE = "committee", _("people's mediation committee")  # 人民调解委员会
    LEGAL = "legal", _("lawyer or legal steward")  # 律师 / 法管家
    DEPUTY = "deputy", _("deputy or CPPCC member")  # 人大代表 / 政协委员
    POLICE = "police", _("police")  # 民警 (警调)
    PROFESSIONAL = "professional", _("professional mediator")  # 行业性专业调解员


# Pools that suit each type best (proposals rank them first).
POOLS_FOR_TYPE = {
    DisputeType.NEIGHBOURS: (Pool.COMMITTEE, Pool.DEPUTY),
    DisputeType.FAMILY: (Pool.COMMITTEE, Pool.LEGAL),
    DisputeType.PROPERTY: (Pool.COMMITTEE, Pool.LEGAL, Pool.DEPUTY),
    DisputeType.LABOUR: (Pool.PROFESSIONAL, Pool.LEGAL),
    DisputeType.LAND: (Pool.DEPUTY, Pool.LEGAL),
    DisputeType.CONSUMER: (Pool.PROFESSIONAL, Pool.COMMITTEE),
    DisputeType.TRAFFIC: (Pool.POLICE, Pool.PROFESSIONAL),
    DisputeType.MEDICAL: (Pool.PROFESSIONAL, Pool.LEGAL),
    DisputeType.OTHER: (Pool.COMMITTEE,),
}


class PartyKind(models.TextChoices):
    PERSON = "person", _("person")
    ORGANISATION = "organisation", pgettext_lazy("mediation party", "organisation")


class PartySide(models.TextChoices):
    APPLICANT = "applicant", _("applicant")  # 申请人
    RESPONDENT = "respondent", _("respondent")  # 被申请人


class SessionOutcome(models.TextChoices):
    PROGRESS = "progress", _("progress, another session needed")
    ADJOURNED = "adjourned", _("adjourned (a party absent)")
    AGREEMENT = "agreement", _("agreement reached")
    NO_AGREEMENT = "no_agreement", _("no agreement possible")


class Route(models.TextChoices):
    """Where a failed mediation goes on (stated to the parties)."""

    LITIGATION = "litigation", _("litigation (court)")  # 诉讼
    ARBITRATION = "arbitration", _("arbitration")  # 仲裁
    ADMINISTRATIVE = "administrative", _("administrative handling")  # 行政处理


class ConfirmMethod(models.TextChoices):
    SIGNATURE = "signature", _("signed the agreement")  # 签字
    WINDOW = "window", _("confirmed at the window")  # 窗口现场确认


class JudicialResult(models.TextChoices):
    PENDING = "pending", pgettext_lazy("judicial confirmation", "pending")
    CONFIRMED = "confirmed", _("confirmed valid")  # 裁定有效
    REJECTED = "rejected", _("rejected")  # 驳回申请


class Performance(models.TextChoices):
    PERFORMED = "performed", _("performed as agreed")
    PARTLY = "partly", _("partly performed")
    NOT = "not", _("not performed")


class FollowUpMethod(models.TextChoices):
    VISIT = "visit", pgettext_lazy("mediation", "visit")
    CALL = "call", _("phone call")


@dataclass(frozen=True)
class Transition:
    sources: tuple[str, ...]
    target: str | None  # None: the state stays as it is
    label: str


def _t(sources, target, label) -> Transition:
    return Transition(tuple(sources), target, label)


S = State
OPEN = list(OPEN_STATES)
TRANSITIONS: dict[str, Transition] = {
    # The first mediator; later ones (联调) do not move the state.
    "assign": _t([S.RECEIVED], S.ASSIGNED, _("mediator assigned")),
    "add_mediator": _t([S.ASSIGNED, S.MEDIATING], None, _("mediator added (joint mediation)")),
    "declare_conflict": _t(OPEN, None, _("conflict of interest declared")),
    "schedule_session": _t([S.ASSIGNED, S.MEDIATING], None, _("session scheduled")),
    "record_session": _t([S.ASSIGNED, S.MEDIATING], S.MEDIATING, _("session held")),
    "draft_agreement": _t([S.MEDIATING], None, _("agreement drafted")),
    "confirm_party": _t([S.MEDIATING], None, _("party confirmed the agreement")),
    # Closing: an agreement every party has confirmed, or a failure with the route onward.
    "mark_agreed": _t([S.MEDIATING], S.AGREED, _("agreed: closed with an agreement")),
    "mark_failed": _t([S.ASSIGNED, S.MEDIATING], S.FAILED, _("failed: closed without agreement")),
    "withdraw": _t(OPEN, S.WITHDRAWN, pgettext_lazy("mediation", "withdrawn")),
    "refer_judicial": _t([S.AGREED, S.PERFORMED], None, _("referred for judicial confirmation")),
    "record_judicial_result": _t([S.AGREED, S.PERFORMED], None, _("judicial confirmation result")),
    "record_follow_up": _t([S.AGREED], None, _("follow-up recorded")),
    "comment": _t(list(State.values), None, pgettext_lazy("mediation", "comment")),
}
# Actions the intake and the worker record.
INTAKE_ACTIONS = {"intake": _("taken in")}
SYSTEM_ACTIONS = {
    "remind": _("time limit reminder"),
    "escalate": _("time limit passed: escalated to the centre head and the level above"),
    "performed": _("agreement performed"),
}


class IllegalTransition(Exception):
    """An action the dispute's state does not allow."""


def action_label(action: str) -> str:
    if action in TRANSITIONS:
        return str(TRANSITIONS[action].label)
    return str(INTAKE_ACTIONS.get(action) or SYSTEM_ACTIONS.get(action) or action)


def allowed_actions(state: str) -> list[str]:
    return [name for name, t in TRANSITIONS.items() if state in t.sources]


def check(action: str, state: str) -> str:
    """The state after `action` from `state`; raises IllegalTransition when not allowed."""
    try:
        transition = TRANSITIONS[action]
    except KeyError:
        raise IllegalTransition(_("Unknown action “%(action)s”.") % {"action": action}) from None
    if state not in transition.sources:
        raise IllegalTransition(
            _("A dispute that is %(state)s cannot be %(action)s.")
            % {"state": State(state).label, "action": transition.label}
        )
    return transition.target or state
