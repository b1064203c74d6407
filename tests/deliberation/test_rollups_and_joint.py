"""Figures per community and street, kept by the services and equal to a rebuild; the joint
meeting's quarterly rhythm with reminders and the overdue flag."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from civicgrid.areas.models import Compound
from civicgrid.deliberation import rollups, services
from civicgrid.deliberation.models import JointMeetingReminder, TopicRollup
from civicgrid.deliberation.services.joint import joint_status

from .conftest import at


def test_figures_per_community_and_street_match_a_rebuild(walk, city, people, frozen):
    done = walk("follow_up", title="充电")
    task = services.add_task(done, people.community_staff, title="建设", owner_label="物业")
    frozen.move_to(at(2026, 3, 12, 9, 0))
    services.complete_task(task, people.community_staff, result="建成")
    walk("research", title="停车")
    declined = walk("decide", title="养犬")
    services.decline(declined, people.secretary, reason="已有规定")
    for area in (city.community, city.street, city.district):
        f = rollups.figures(area)
        assert (f["raised"], f["taken_up"], f["declined"], f["resolved"], f["carried_out"]) == (3, 2, 1, 1, 1)
        assert f["avg_days"] == 10.0
    assert rollups.figures(city.community2)["raised"] == 0
    before = sorted(
        TopicRollup.objects.values_list("area_id", "month", "raised", "carried_out", "days_to_carried_out")
    )
    rollups.rebuild()
    after = sorted(
        TopicRollup.objects.values_list("area_id", "month", "raised", "carried_out", "days_to_carried_out")
    )
    assert before == after


@pytest.fixture
def compound(city):
    return Compound.objects.create(
        community=city.community, name="宝石花园", jurisdiction=city.community.jurisdiction
    )


def test_a_quarter_without_a_joint_meeting_is_flagged_overdue(compound, people, frozen):
    assert joint_status(compound, date(2026, 3, 2)).overdue  # none ever held
    meeting = services.schedule_joint_meeting(compound, people.secretary, scheduled_for=date(2026, 3, 2))
    services.hold_joint_meeting(
        meeting,
        people.secretary,
        held_on=date(2026, 3, 2),
        parties=["branch", "police", "owners", "property"],
        minutes="议停车",
    )
    assert joint_status(compound, date(2026, 3, 20)).held_this_quarter
    status = joint_status(compound, date(2026, 5, 10))
    assert not status.overdue and not status.remind  # Q2 has time left
    assert joint_status(compound, date(2026, 6, 20)).remind  # the quarter is nearly over
    assert joint_status(compound, date(2026, 7, 1)).overdue  # Q2 passed without one


def test_reminders_go_out_once_a_quarter(compound, people, frozen):
    assert services.send_joint_reminders(date(2026, 3, 2)) == 1
    assert services.send_joint_reminders(date(2026, 3, 3)) == 0
    assert JointMeetingReminder.objects.get().quarter == "2026Q1"


def test_a_joint_meeting_needs_two_parties_and_raises_topics(compound, people, council, frozen):
    meeting = services.schedule_joint_meeting(compound, people.secretary, scheduled_for=date(2026, 3, 2))
    with pytest.raises((PermissionDenied, ValidationError)):
        services.hold_joint_meeting(
            meeting, people.secretary, held_on=date(2026, 3, 2), parties=["branch"], minutes="x"
        )
    with pytest.raises((PermissionDenied, ValidationError)):
        services.raise_from_joint_meeting(meeting, people.secretary, title="停车", description="停车难")
    meeting = services.hold_joint_meeting(
        meeting, people.secretary, held_on=date(2026, 3, 2), parties=["branch", "property"], minutes="停车"
    )
    topic = services.raise_from_joint_meeting(meeting, people.secretary, title="停车", description="停车难")
    assert topic.source == "joint_meeting" and topic.compound == compound
    with pytest.raises((PermissionDenied, ValidationError)):
        services.schedule_joint_meeting(compound, people.resident_user, scheduled_for=date(2026, 3, 5))
