"""Objections during the publication, answered before implementation starts; shown without names."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from civicgrid.deliberation import services
from civicgrid.deliberation.services import StepRefused

from .conftest import at


@pytest.fixture
def published(walk, council, people, frozen):
    topic = walk("meeting")
    walk.meeting_passed(topic)
    services.review(topic, council.legal, lawful=True, opinion="合法")
    return services.advance(topic, people.community_staff)


def test_an_objection_holds_implementation_until_it_is_answered(published, people, residents, frozen):
    objection = services.object_to(published, residents[0], text="充电棚离我家窗户太近")
    frozen.move_to(at(2026, 3, 10, 9, 0))
    with pytest.raises(StepRefused, match="异议|objection"):
        services.advance(published, people.community_staff)
    services.answer(objection, people.community_staff, text="选址已东移二十米")
    assert services.advance(published, people.community_staff).step_code == "follow_up"


def test_objections_are_taken_only_during_the_publication_and_from_the_community(
    published, residents, outsider_resident, people, frozen
):
    with pytest.raises(PermissionDenied):
        services.object_to(published, outsider_resident, text="反对")
    with pytest.raises(PermissionDenied):
        services.object_to(published, people.grid_worker, text="反对")
    frozen.move_to(at(2026, 3, 9, 9, 1))
    with pytest.raises(StepRefused):
        services.object_to(published, residents[0], text="反对")
    assert published.objections.count() == 0


def test_an_answered_objection_cannot_be_answered_again(published, residents, people, frozen):
    objection = services.object_to(published, residents[0], text="为什么不放在西门")
    services.answer(objection, people.community_staff, text="西门是消防通道")
    with pytest.raises(StepRefused):
        services.answer(objection, people.secretary, text="再答")


def test_the_public_page_shows_the_objection_and_its_answer_without_names(
    published, residents, people, client, frozen
):
    objection = services.object_to(published, residents[0], text="噪音问题怎么解决")
    services.answer(objection, people.community_staff, text="夜间停止施工")
    page = client.get(reverse("deliberation:topic_public", args=[published.pk])).content.decode()
    assert "噪音问题怎么解决" in page and "夜间停止施工" in page
    assert "居民0" not in page and "res0" not in page
