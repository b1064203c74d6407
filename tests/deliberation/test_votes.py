"""Quorum and majority per procedure step; votes only during the meeting, once per member."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from civicgrid.deliberation import procedures, services
from civicgrid.deliberation.models import Vote
from civicgrid.deliberation.services import StepRefused
from civicgrid.deliberation.workflow import Majority, motion_passes, quorum_met

from .conftest import at


@pytest.mark.parametrize(
    "present, entitled, num, den, strict, met",
    [
        (4, 8, 1, 2, True, False),  # half is not "more than half"
        (5, 8, 1, 2, True, True),
        (4, 8, 1, 2, False, True),
        (6, 9, 2, 3, False, True),  # two thirds exactly is enough for the representatives
        (5, 9, 2, 3, False, False),
        (0, 0, 1, 2, True, False),
    ],
)
def test_quorum(present, entitled, num, den, strict, met):
    assert quorum_met(present, entitled, num, den, strict) is met


@pytest.mark.parametrize(
    "rule, f, a, present, entitled, passes",
    [
        (Majority.SIMPLE, 3, 2, 8, 8, True),
        (Majority.SIMPLE, 2, 2, 8, 8, False),
        (Majority.HALF_PRESENT, 4, 1, 8, 9, False),  # 4 of 8 present is not more than half
        (Majority.HALF_PRESENT, 5, 0, 8, 9, True),
        (Majority.HALF_ENTITLED, 5, 0, 6, 10, False),
        (Majority.HALF_ENTITLED, 6, 0, 6, 10, True),
        (Majority.TWO_THIRDS_PRESENT, 4, 2, 6, 6, True),
        (Majority.TWO_THIRDS_PRESENT, 3, 3, 6, 6, False),
    ],
)
def test_majority_rules(rule, f, a, present, entitled, passes):
    assert motion_passes(rule, votes_for=f, against=a, present=present, entitled=entitled) is passes


@pytest.fixture
def meeting(walk, people, frozen):
    topic = walk("meeting")
    return services.schedule(
        topic, people.community_staff, title="议事会", scheduled_at=at(2026, 3, 2, 19, 0)
    )


def test_the_council_1_7_x_is_invited(meeting):
    labels = list(meeting.invitations.values_list("label", flat=True))
    assert len(labels) == 8  # the secretary and the seven standing seats (no X seats yet)


def test_votes_are_counted_with_abstentions_and_the_steps_majority(meeting, people):
    staff = people.community_staff
    invitations = list(meeting.invitations.all())
    services.open_meeting(meeting, staff, present=[i.pk for i in invitations[:7]])  # 7 of 8
    motion = services.put_motion(meeting, staff, text="同意增设充电棚")
    for inv, choice in zip(
        invitations[:7], ["for", "for", "for", "for", "against", "abstain", "abstain"], strict=True
    ):
        services.vote(motion, staff, choice=choice, invitation=inv)
    motion = services.close_vote(motion, staff)
    assert (motion.votes_for, motion.votes_against, motion.abstentions) == (4, 1, 2)
    assert (motion.present, motion.entitled, motion.quorum_met) == (7, 8, True)
    assert motion.passed is True  # 4 of 7 present: more than half


def test_without_a_quorum_the_motion_fails_whatever_the_votes(meeting, people):
    staff = people.community_staff
    invitations = list(meeting.invitations.all())
    services.open_meeting(
        meeting, staff, present=[i.pk for i in invitations[:4]]
    )  # 4 of 8: not more than half
    motion = services.put_motion(meeting, staff, text="同意")
    for inv in invitations[:4]:
        services.vote(motion, staff, choice="for", invitation=inv)
    motion = services.close_vote(motion, staff)
    assert motion.quorum_met is False and motion.passed is False


def test_a_vote_outside_the_meeting_is_refused_and_nothing_is_recorded(meeting, people, council):
    staff = people.community_staff
    invitation = meeting.invitations.first()
    services.open_meeting(meeting, staff, present=[i.pk for i in meeting.invitations.all()])
    motion = services.put_motion(meeting, staff, text="同意")
    services.close_vote(motion, staff)
    with pytest.raises(StepRefused, match="表决已结束|closed"):
        services.vote(motion, staff, choice="for", invitation=invitation)
    motion2 = services.put_motion(meeting, staff, text="再议")
    services.close_vote(motion2, staff)
    services.close_meeting(meeting, staff, minutes="散会")
    with pytest.raises(StepRefused, match="会议进行中|during the meeting"):
        services.vote(motion2, council.legal, choice="for")
    assert Vote.objects.count() == 0


def test_a_member_votes_once_for_themselves_and_absent_members_do_not_vote(meeting, people, council):
    staff = people.community_staff
    invitations = {i.user_id: i for i in meeting.invitations.all()}
    absent = council.members["deputies"]
    services.open_meeting(meeting, staff, present=[i.pk for u, i in invitations.items() if u != absent.pk])
    motion = services.put_motion(meeting, staff, text="同意")
    services.vote(motion, council.legal, choice="for")
    with pytest.raises(ValidationError):
        services.vote(motion, council.legal, choice="against")
    with pytest.raises(ValidationError):
        services.vote(motion, absent, choice="for")
    with pytest.raises(PermissionDenied):
        services.vote(motion, people.resident_user, choice="for")
    with pytest.raises(PermissionDenied):
        services.vote(motion, council.legal, choice="for", invitation=invitations[council.secretary.pk])
    assert Vote.objects.filter(motion=motion).count() == 1


def test_a_vote_after_the_topic_left_the_meeting_step_is_refused(walk, people, council, frozen):
    staff = people.community_staff
    topic = walk("meeting")
    stale = services.schedule(topic, staff, title="预备会", scheduled_at=at(2026, 3, 2, 18, 0))
    services.open_meeting(stale, staff, present=[i.pk for i in stale.invitations.all()])
    motion = services.put_motion(stale, staff, text="先议选址")
    walk.meeting_passed(topic)
    services.review(topic, council.legal, lawful=True, opinion="合法")
    services.advance(topic, staff)
    with pytest.raises(StepRefused):
        services.vote(motion, staff, choice="for", invitation=stale.invitations.first())
    assert not Vote.objects.filter(motion=motion).exists()


def test_meetings_are_called_only_in_a_meeting_step(walk, people, frozen):
    topic = walk("research")
    with pytest.raises(StepRefused):
        services.schedule(topic, people.community_staff, title="议事会", scheduled_at=at(2026, 3, 2, 19, 0))


def test_the_villages_representatives_need_two_thirds_present(city, people, frozen):
    step = procedures.get(procedures.FOUR_TWO).steps.get(code="representatives_decide")
    assert (step.quorum_num, step.quorum_den, step.quorum_strict) == (2, 3, False)
    assert step.majority == Majority.HALF_PRESENT
    party = procedures.get(procedures.FOUR_TWO).steps.get(code="party_members_review")
    assert party.majority == Majority.HALF_ENTITLED
