"""Resident deliberation (协商议事) as data: the kinds of step, the actions a step may allow, the
vote rules. The procedures themselves (六步议事, 四议两公开, and any a district adds) are rows of
`Procedure` and `ProcedureStep`, seeded from `procedures.py`.

A topic always has exactly one current step (a partial unique index on TopicStep). The step's *kind*
says what it takes to leave it; the step's `allows` list says what may be done while it is current:

    collect ──advance──► decide ──take_up──► research ──advance──► meeting ──advance──► publish
    (propose, support,   (decide,           (research notes,      (meet, vote,        (object, answer;
     comment)             comment)           questionnaire)        review)             N days)
                            │ decline (public reason) → the topic is declined             │ advance
                            ▼                                                             ▼
                                                            carried out ◄── every task done ── follow_up
                                                                                         (implement)

- leaving `collect`: a resident's topic needs the procedure's number of supports;
- leaving `research`: at least one research note (a visit, a document, a photo) or questionnaire answer;
- leaving `meeting`: a motion passed (quorum and majority as the step says) in a closed meeting of
  this step; when the next step publishes, a legality review (法治副书记) found it lawful;
- leaving `publish`: the publication period is over and every objection has been answered;
- `follow_up` ends by itself when its last task is done: the topic is carried out, and the concentrated
  cases that raised it are closed with the result fed back to their reporters.
"""

from __future__ import annotations

from fractions import Fraction

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class StepKind(models.TextChoices):
    COLLECT = "collect", _("collect topics")
    DECIDE = "decide", _("decide")
    RESEARCH = "research", _("research")
    MEETING = "meeting", _("meeting")
    PUBLISH = "publish", _("publication")
    FOLLOW_UP = "follow_up", _("follow-up")


class Action(models.TextChoices):
    PROPOSE = "propose", _("propose a topic")
    SUPPORT = "support", _("support")
    COMMENT = "comment", pgettext_lazy("deliberation", "comment")
    DECIDE = "decide", _("take up or decline")
    RESEARCH = "research", _("research notes and questionnaire")
    MEET = "meet", _("hold a meeting")
    VOTE = "vote", _("vote")
    REVIEW = "review", _("legality review")
    OBJECT = "object", _("object")
    ANSWER = "answer", _("answer objections")
    IMPLEMENT = "implement", _("implement")
    ADVANCE = "advance", _("move to the next step")


# Every step allows moving on (its kind says on what condition); the rest is the step's data.
ALWAYS_ALLOWED = {Action.ADVANCE}


class Majority(models.TextChoices):
    SIMPLE = "simple", _("more votes for than against")
    HALF_PRESENT = "half_present", _("more than half of those present vote for")
    HALF_ENTITLED = "half_entitled", _("more than half of those entitled to vote vote for")
    TWO_THIRDS_PRESENT = "two_thirds_present", _("at least two thirds of those present vote for")


class VoteChoice(models.TextChoices):
    FOR = "for", _("for")
    AGAINST = "against", _("against")
    ABSTAIN = "abstain", _("abstain")


class TopicSource(models.TextChoices):
    RESIDENT = "resident", _("residents")
    CASES = "cases", _("concentrated cases")
    BRANCH = "branch", _("the Party branch")
    JOINT_MEETING = "joint_meeting", _("the joint meeting")


class TopicStatus(models.TextChoices):
    OPEN = "open", _("in deliberation")
    DECLINED = "declined", _("declined")
    CARRIED_OUT = "carried_out", _("carried out")


class SeatKind(models.TextChoices):
    """The council "1+7+X": the secretary, seven standing seats, and each topic's stakeholders."""

    SECRETARY = "secretary", _("community Party secretary")
    BRANCH = "branch", _("Party branch")
    RESIDENTS_COMMITTEE = "residents_committee", _("residents' committee")
    SUPERVISION = "supervision", _("residents' supervision committee")
    DEPUTIES = "deputies", _("deputies and CPPCC members")
    LEGAL = "legal", _("legal worker (legal steward)")
    ORGANISATIONS = "organisations", _("economic and social organisations")
    RESPECTED = "respected", _("respected residents")
    STAKEHOLDER = "stakeholder", _("stakeholder (X)")
    DEPARTMENT = "department", _("department (X)")


STANDING_SEATS = [
    SeatKind.BRANCH,
    SeatKind.RESIDENTS_COMMITTEE,
    SeatKind.SUPERVISION,
    SeatKind.DEPUTIES,
    SeatKind.LEGAL,
    SeatKind.ORGANISATIONS,
    SeatKind.RESPECTED,
]


class JointParty(models.TextChoices):
    """The four parties of the compound's joint meeting (四位一体)."""

    BRANCH = "branch", _("compound Party branch")
    POLICE = "police", _("police office")
    OWNERS = "owners", _("owners' committee")
    PROPERTY = "property", _("property company")


def quorum_met(present: int, entitled: int, num: int, den: int, strict: bool) -> bool:
    """Whether `present` of `entitled` voting members make a quorum of num/den ("more than" if strict)."""
    if entitled <= 0:
        return False
    share = Fraction(present, entitled)
    need = Fraction(num, den)
    return share > need if strict else share >= need


def motion_passes(rule: str, *, votes_for: int, against: int, present: int, entitled: int) -> bool:
    """Whether a motion passes under the majority rule (after the quorum was met)."""
    if rule == Majority.SIMPLE:
        return votes_for > against
    if rule == Majority.HALF_PRESENT:
        return 2 * votes_for > present
    if rule == Majority.HALF_ENTITLED:
        return 2 * votes_for > entitled
    if rule == Majority.TWO_THIRDS_PRESENT:
        return 3 * votes_for >= 2 * present and present > 0
    raise ValueError(rule)
