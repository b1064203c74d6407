"""The pages render in Chinese and English; a resident raises and supports a topic from the phone
page; public pages show no personal data; refusals come back as messages and change nothing."""

import pytest
from django.urls import reverse

from civicgrid.deliberation import services
from civicgrid.deliberation.models import Topic


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_every_page_renders_in_both_languages(client, walk, people, city, council, lang, frozen):
    topic = walk("meeting")
    meeting = services.schedule(topic, people.community_staff, title="议事会", scheduled_at=frozen_time())
    client.force_login(people.community_staff)
    client.cookies["django_language"] = lang
    urls = [
        reverse("deliberation:index"),
        reverse("deliberation:topic", args=[topic.pk]),
        reverse("deliberation:topic_public", args=[topic.pk]),
        reverse("deliberation:community", args=[city.community.code]),
        reverse("deliberation:meeting", args=[meeting.pk]),
        reverse("deliberation:from_cases"),
        reverse("deliberation:joint"),
        reverse("deliberation:figures", args=[city.street.code]),
        reverse("deliberation:propose"),
    ]
    marker = "协商议事" if lang == "zh-hans" else "deliberation"
    for url in urls:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=lang)
        assert response.status_code == 200, url
    page = client.get(reverse("deliberation:index"), HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    assert marker in page


def frozen_time():
    from django.utils import timezone

    return timezone.now()


def test_a_resident_raises_a_topic_and_a_neighbour_supports_it(client, city, people, residents):
    client.force_login(people.resident_user)
    response = client.post(
        reverse("deliberation:propose"),
        {
            "community": city.community.pk,
            "title": "小区停车难",
            "description": "晚上车位不够，车停到了消防通道",
        },
    )
    topic = Topic.objects.get()
    assert response.url == reverse("deliberation:topic_public", args=[topic.pk])
    assert topic.source == "resident" and topic.step_code == "collect"
    client.force_login(residents[0])
    client.post(reverse("deliberation:resident_act", args=[topic.pk, "support"]))
    client.post(reverse("deliberation:resident_act", args=[topic.pk, "support"]))  # twice: counted once
    topic.refresh_from_db()
    assert topic.supports_count == 1


def test_the_public_pages_show_no_names_and_no_votes(client, walk, people, city, council, frozen):
    topic = walk("publish")
    services.comment(topic, people.resident_user, "支持，在东门附近建")
    for url in (
        reverse("deliberation:topic_public", args=[topic.pk]),
        reverse("deliberation:community", args=[city.community.code]),
    ):
        page = client.get(url).content.decode()
        assert "张晓明" not in page and "138" not in page
        assert "委员" not in page  # seat holders' names appear only to the council
        assert "支持，在东门附近建" in page or url.endswith(f"{city.community.code}/")


def test_a_refused_action_comes_back_as_a_message_and_changes_nothing(client, walk, people, frozen):
    topic = walk("collect")
    client.force_login(people.community_staff)
    before = topic.version
    response = client.post(reverse("deliberation:act", args=[topic.pk, "advance"]), follow=True)
    assert "需要" in response.content.decode() or "supports" in response.content.decode()
    topic.refresh_from_db()
    assert topic.version == before and topic.step_code == "collect"
