"""Steps advance only by an action with a history row, on the conditions of each step's kind,
with the time frozen; a refusal says why and changes nothing."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied

from civicgrid.deliberation import services
from civicgrid.deliberation.models import Publication, TopicEvent, TopicStep
from civicgrid.deliberation.services import StepRefused
from civicgrid.deliberation.workflow import TopicStatus

from .conftest import at


def snapshot(topic):
    topic.refresh_from_db()
    return (
        topic.version,
        topic.step_code,
        TopicStep.objects.filter(topic=topic).count(),
        topic.events.count(),
    )


def test_each_step_starts_when_the_last_ends_at_the_frozen_time(walk, people, frozen):
    topic = walk("collect")
    frozen.move_to(at(2026, 3, 3, 10, 0))
    topic = walk("decide", topic)
    steps = list(TopicStep.objects.filter(topic=topic).order_by("started_at"))
    assert steps[0].ended_at == at(2026, 3, 3, 10, 0) == steps[1].started_at
    assert steps[1].ended_at is None and steps[0].ended_by == people.community_staff
    event = TopicEvent.objects.filter(topic=topic, action="advanced").get()
    assert event.data == {"from": "collect", "to": "decide"} and event.actor == people.community_staff


def test_a_residents_topic_needs_its_supports_before_the_decision(walk, people, residents, frozen):
    topic = walk("collect")
    for user in residents[:9]:
        services.support(topic, user)
    before = snapshot(topic)
    with pytest.raises(StepRefused, match="10"):
        services.advance(topic, people.community_staff)
    assert snapshot(topic) == before
    services.support(topic, residents[9])
    assert services.advance(topic, people.community_staff).step_code == "decide"


def test_a_branch_topic_goes_to_the_decision_without_supports(city, people, council, frozen):
    topic = services.propose(
        city.community, people.secretary, title="老旧小区加装电梯", description="1幢住户多为老人"
    )
    assert topic.source == "branch"
    assert services.advance(topic, people.secretary).step_code == "decide"


def test_taking_up_records_the_public_reason_and_the_time(walk, people, frozen):
    topic = walk("decide")
    frozen.move_to(at(2026, 3, 4, 15, 0))
    topic = services.take_up(topic, people.secretary, reason="涉及全体住户")
    assert topic.taken_up_at == at(2026, 3, 4, 15, 0) and topic.decision_reason == "涉及全体住户"
    assert topic.step_code == "research"


def test_a_declined_topic_keeps_its_reason_and_refuses_further_actions(walk, people, residents, frozen):
    topic = walk("decide")
    with pytest.raises(Exception, match="理由|reason"):
        services.decline(topic, people.secretary, reason="  ")
    topic = services.decline(topic, people.secretary, reason="属于业主大会决定事项")
    assert topic.status == TopicStatus.DECLINED and topic.declined_at
    with pytest.raises(StepRefused):
        services.comment(topic, people.resident_user, "为什么？")


def test_research_needs_a_note_before_the_meeting(walk, people, frozen):
    topic = walk("research")
    before = snapshot(topic)
    with pytest.raises(StepRefused):
        services.advance(topic, people.community_staff)
    assert snapshot(topic) == before


def test_the_meeting_step_needs_a_passed_motion_and_a_lawful_review_before_publication(
    walk, people, council, frozen
):
    topic = walk("meeting")
    with pytest.raises(StepRefused):
        services.advance(topic, people.community_staff)  # no motion yet
    walk.meeting_passed(topic)
    before = snapshot(topic)
    with pytest.raises(StepRefused, match="合法性审查|legality review"):
        services.advance(topic, people.community_staff)  # publishing without the review
    assert snapshot(topic) == before
    with pytest.raises(PermissionDenied):
        services.review(topic, people.community_staff, lawful=True, opinion="可以")  # not the legal seat
    services.review(topic, council.legal, lawful=False, opinion="收费标准须经业主大会表决")
    with pytest.raises(StepRefused):
        services.advance(topic, people.community_staff)
    services.review(topic, council.legal, lawful=True, opinion="修改后符合规定")
    topic = services.advance(topic, people.community_staff)
    assert topic.step_code == "publish" and topic.resolved_at == at(2026, 3, 2, 9, 0)
    assert topic.resolution == "同意在小区东侧增设电动车充电棚"


def test_the_publication_runs_its_days_before_implementation(walk, people, council, frozen):
    topic = walk("meeting")
    walk.meeting_passed(topic)
    services.review(topic, council.legal, lawful=True, opinion="合法")
    topic = services.advance(topic, people.community_staff)
    publication = Publication.objects.get(topic=topic)
    assert publication.ends_at - publication.starts_at == timedelta(days=7)
    frozen.move_to(at(2026, 3, 8, 9, 0))
    with pytest.raises(StepRefused, match="2026-03-09"):
        services.advance(topic, people.community_staff)
    frozen.move_to(at(2026, 3, 9, 9, 0))
    assert services.advance(topic, people.community_staff).step_code == "follow_up"


def test_follow_up_ends_only_when_every_task_is_done(walk, people, frozen):
    topic = walk("follow_up")
    with pytest.raises(StepRefused):
        services.advance(topic, people.community_staff)
    first = services.add_task(topic, people.community_staff, title="选址", owner_label="居委会")
    second = services.add_task(topic, people.community_staff, title="施工", owner_label="物业公司")
    services.complete_task(first, people.community_staff, result="已选定东门")
    topic.refresh_from_db()
    assert topic.status == TopicStatus.OPEN and topic.progress == 50
    services.complete_task(second, people.community_staff, result="已建成")
    topic.refresh_from_db()
    assert topic.status == TopicStatus.CARRIED_OUT and topic.carried_out_at == at(2026, 3, 2, 9, 0)
