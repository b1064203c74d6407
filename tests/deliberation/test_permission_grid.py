"""Who may do what on a topic, for every role at every step of the six-step procedure.

Expected = the step allows the action (procedure data) AND the role may take it (the table below),
written out here by hand, not computed from policy.py."""

import pytest

from civicgrid.deliberation import policy
from civicgrid.deliberation.workflow import Action

A = Action
STEP_ALLOWS = {
    "collect": {A.PROPOSE, A.SUPPORT, A.COMMENT, A.ADVANCE},
    "decide": {A.SUPPORT, A.COMMENT, A.DECIDE, A.ADVANCE},
    "research": {A.COMMENT, A.RESEARCH, A.ADVANCE},
    "meeting": {A.COMMENT, A.MEET, A.VOTE, A.REVIEW, A.ADVANCE},
    "publish": {A.OBJECT, A.ANSWER, A.COMMENT, A.ADVANCE},
    "follow_up": {A.IMPLEMENT, A.COMMENT, A.ADVANCE},
}
RUNNER = {A.PROPOSE, A.COMMENT, A.DECIDE, A.RESEARCH, A.MEET, A.VOTE, A.ANSWER, A.IMPLEMENT, A.ADVANCE}
ROLE_MAY = {
    "resident": {A.PROPOSE, A.SUPPORT, A.COMMENT, A.OBJECT},
    "resident_elsewhere": set(),
    "grid_worker": {A.COMMENT, A.RESEARCH},
    "other_grid_worker": set(),
    "secretary": RUNNER,
    "community_staff": RUNNER,
    "council_member": {A.COMMENT, A.VOTE},
    "legal_steward": {A.COMMENT, A.VOTE, A.REVIEW},
    "dispatcher": set(),
    "leader": set(),
    "handler": set(),
    "outsider": set(),
}


@pytest.fixture
def personas(people, council, outsider_resident):
    return {
        "resident": people.resident_user,
        "resident_elsewhere": outsider_resident,
        "grid_worker": people.grid_worker,
        "other_grid_worker": people.other_grid_worker,
        "secretary": people.secretary,
        "community_staff": people.community_staff,
        "council_member": council.members["respected"],
        "legal_steward": council.legal,
        "dispatcher": people.dispatcher,
        "leader": people.leader,
        "handler": people.handler,
        "outsider": people.outsider,
    }


def test_the_grid_of_roles_steps_and_actions(walk, personas, frozen):
    topics = {}
    for code in STEP_ALLOWS:
        topics[code] = walk(code, title=f"议题-{code}")
    wrong = []
    for code, topic in topics.items():
        for role, user in personas.items():
            user = type(user).objects.get(pk=user.pk)  # fresh role caches
            for action in Action.values:
                expected = action in STEP_ALLOWS[code] and action in ROLE_MAY[role]
                if policy.can(user, action, topic) != expected:
                    wrong.append((code, role, action, expected))
    assert wrong == []


def test_a_declined_topic_allows_nothing_more(walk, people, frozen):
    from civicgrid.deliberation import services

    topic = walk("decide")
    topic = services.decline(topic, people.community_staff, reason="属于业主自治事项")
    assert policy.available_actions(people.community_staff, topic) == []


def test_residents_see_their_own_communitys_topics_only(walk, people, outsider_resident, frozen):
    topic = walk("collect")
    assert policy.can_view(people.resident_user, topic)
    assert not policy.can_view(outsider_resident, topic)
    assert policy.visible_topics(outsider_resident).count() == 0
    assert policy.visible_topics(people.grid_worker).count() == 1  # a grid below the community
    assert policy.visible_topics(people.dispatcher).count() == 1  # the street above it
    assert policy.visible_topics(people.outsider).count() == 0


def test_votes_per_member_are_for_the_council_and_the_community_only(walk, people, council, frozen):
    topic = walk("meeting")
    assert policy.can_view_votes(council.members["deputies"], topic)
    assert policy.can_view_votes(people.community_staff, topic)
    assert not policy.can_view_votes(people.resident_user, topic)
    assert not policy.can_view_votes(people.dispatcher, topic)


def test_residents_use_the_public_page_and_the_council_its_own(
    walk, people, council, outsider_resident, client, frozen
):
    from django.urls import reverse

    topic = walk("collect")
    council_page = reverse("deliberation:topic", args=[topic.pk])
    for user, status in (
        (people.resident_user, 403),
        (outsider_resident, 403),
        (council.members["deputies"], 200),
        (people.community_staff, 200),
        (people.dispatcher, 200),
    ):
        client.force_login(user)
        assert client.get(council_page).status_code == status, user
    client.logout()
    assert client.get(reverse("deliberation:topic_public", args=[topic.pk])).status_code == 200
