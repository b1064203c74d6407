"""A residents' topic goes through all six steps and is carried out; every move is in the history."""

from civicgrid.deliberation import services
from civicgrid.deliberation.models import TopicStep
from civicgrid.deliberation.workflow import TopicStatus


def test_a_residents_topic_goes_through_the_six_steps_and_is_carried_out(walk, people, frozen):
    topic = walk("follow_up")
    assert topic.step_code == "follow_up"
    task = services.add_task(topic, people.community_staff, title="建设充电棚", owner_label="物业公司",
                             milestones=["选址", "施工"])  # fmt: skip
    services.complete_task(task, people.community_staff, result="充电棚已建成投用")
    topic.refresh_from_db()
    assert topic.status == TopicStatus.CARRIED_OUT
    assert topic.progress == 100
    assert list(TopicStep.objects.filter(topic=topic).values_list("step__code", flat=True)) == [
        "collect", "decide", "research", "meeting", "publish", "follow_up"
    ]  # fmt: skip
    actions = list(topic.events.values_list("action", flat=True))
    assert actions.count("advanced") == 5
    assert actions[-1] == "carried_out"
