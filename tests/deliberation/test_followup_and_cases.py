"""Follow-up progress rolls up to the topic; a task's case closes with it; concentrated cases that
raised a topic show it, and close with the result fed back when the topic is carried out."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from civicgrid.cases import services as case_services
from civicgrid.cases.workflow import Kind, State
from civicgrid.deliberation import services
from civicgrid.deliberation.models import TopicCase
from civicgrid.deliberation.services import StepRefused

from .conftest import at


@pytest.fixture
def concentrated(city, people, frozen):
    made = []
    for text in ("楼道飞线充电", "电动车在楼道充电着火隐患", "希望小区建充电桩"):
        case = case_services.intake(
            channel="resident_app", description=text, unit=city.unit, by=people.resident_user
        ).case
        case_services.register(case, people.grid_worker)
        made.append(case_services.flag_for_deliberation(case, people.secretary, note="居民集中反映充电难"))
    return made


def test_progress_rolls_up_from_milestones_and_reports(walk, people, frozen):
    topic = walk("follow_up")
    staff = people.community_staff
    built = services.add_task(
        topic, staff, title="建设充电棚", owner_label="物业公司", milestones=["选址", "施工", "验收"]
    )
    rules = services.add_task(topic, staff, title="制定充电公约", owner_label="居委会")
    services.complete_milestone(built.milestones.first(), staff)
    services.report_progress(rules, staff, progress=50)
    topic.refresh_from_db()
    assert topic.progress == (33 + 50) // 2
    with pytest.raises(Exception, match="0"):
        services.report_progress(rules, staff, progress=100)
    services.complete_task(rules, staff, result="公约已张贴")
    topic.refresh_from_db()
    assert topic.progress == (33 + 100) // 2


def test_a_task_owner_reports_progress_on_their_own_task_only(walk, people, council, frozen):
    topic = walk("follow_up")
    owner = council.members["organisations"]
    task = services.add_task(topic, people.community_staff, title="施工", owner_label="物业公司", owner=owner)
    other = services.add_task(topic, people.community_staff, title="公约", owner_label="居委会")
    services.report_progress(task, owner, progress=40)
    with pytest.raises((PermissionDenied, ValidationError)):
        services.report_progress(other, owner, progress=40)


def test_tasks_belong_to_the_follow_up_step(walk, people, frozen):
    topic = walk("research")
    with pytest.raises(StepRefused):
        services.add_task(topic, people.community_staff, title="施工", owner_label="物业")


def test_concentrated_cases_raise_a_topic_linked_both_ways(concentrated, people, council, client, frozen):
    topic = services.raise_from_cases(
        concentrated, people.secretary, title="电动车充电难", description="三户反映"
    )
    assert topic.source == "cases"
    assert set(topic.case_links.values_list("case_id", flat=True)) == {c.pk for c in concentrated}
    client.force_login(people.secretary)
    page = client.get(reverse("cases:staff_case", args=[concentrated[0].pk])).content.decode()
    assert "电动车充电难" in page and reverse("deliberation:topic", args=[topic.pk]) in page
    topic_page = client.get(reverse("deliberation:topic", args=[topic.pk])).content.decode()
    assert concentrated[1].ref in topic_page
    with pytest.raises(Exception, match="已属于|already belongs"):
        services.raise_from_cases(concentrated[:1], people.secretary, title="重复", description="重复")


def test_carrying_out_closes_the_cases_that_raised_it_with_the_result(walk, concentrated, people, frozen):
    topic = services.raise_from_cases(
        concentrated, people.secretary, title="电动车充电难", description="三户反映"
    )
    topic = walk("follow_up", topic)
    task = services.add_task(topic, people.community_staff, title="建设充电棚", owner_label="物业公司")
    frozen.move_to(at(2026, 4, 1, 10, 0))
    services.complete_task(task, people.community_staff, result="东门充电棚已投用，可停60辆")
    for case in concentrated:
        case.refresh_from_db()
        assert case.state == State.CLOSED and case.kind == Kind.CONCENTRATED
        assert "东门充电棚已投用" in case.result and topic.ref in case.result
    assert not TopicCase.objects.filter(topic=topic, closed_at__isnull=True).exists()


def test_a_case_linked_to_a_task_closes_with_it(walk, city, people, frozen):
    topic = walk("follow_up")
    case = case_services.intake(channel="resident_app", description="东门地面需硬化", unit=city.unit).case
    case_services.register(case, people.grid_worker)
    task = services.add_task(
        topic, people.community_staff, title="地面硬化", owner_label="物业公司", case=case
    )
    services.add_task(topic, people.community_staff, title="另一项", owner_label="居委会")
    services.complete_task(task, people.community_staff, result="已硬化")
    case.refresh_from_db()
    assert case.state == State.CLOSED and case.result == "已硬化"
