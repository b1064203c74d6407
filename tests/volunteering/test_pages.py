"""The pages: a resident's phone pages, the organiser's activity page, the shop's page, the
figures and co-building pages; each renders in Chinese and in English, and refuses strangers."""

import pytest
import time_machine
from django.urls import reverse

from civicgrid.volunteering import rollups, services
from civicgrid.volunteering.models import RedemptionState

from .conftest import at

LANGS = [("zh-hans", "我的积分"), ("en", "My points")]


@pytest.fixture
def done(make_activity, residents, people, scheme, shop):
    with time_machine.travel(at(2026, 6, 1), tick=False):
        activity = make_activity()
        signup = services.sign_up(activity, residents.a, residents.a_user)
    services.check_in(signup, people.community_staff, at=at(2026, 6, 6, 9))
    services.check_out(signup, people.community_staff, at=at(2026, 6, 6, 11))
    services.confirm_all(activity, people.community_staff)
    reward = services.add_reward(shop, scheme, "理发一次", 2, 4, shop.keeper)
    return activity, reward


@pytest.mark.parametrize("lang,title", LANGS)
def test_the_resident_sees_balance_history_and_what_they_can_redeem(client, residents, done, lang, title):
    client.force_login(residents.a_user)
    page = client.get(reverse("volunteering:mine"), HTTP_ACCEPT_LANGUAGE=lang)
    assert page.status_code == 200
    text = page.content.decode()
    assert title in text and "理发一次" in text and 'data-testid="balance">2<' in text
    assert "清扫楼道" in text  # the award in the history


@pytest.mark.parametrize("lang,word", [("zh-hans", "签到码"), ("en", "check in and out")])
def test_the_organiser_sees_the_code_and_the_roll(client, people, residents, make_activity, lang, word):
    with time_machine.travel(at(2026, 6, 1), tick=False):
        activity = make_activity()
        services.sign_up(activity, residents.a, residents.a_user)
    client.force_login(people.community_staff)
    page = client.get(reverse("volunteering:activity", args=[activity.pk]), HTTP_ACCEPT_LANGUAGE=lang)
    text = page.content.decode()
    assert page.status_code == 200 and word in text and activity.checkin_code in text
    assert "张*明" in text and "张晓明" not in text  # names on the roll are masked


def test_a_resident_redeems_and_the_shop_confirms_through_the_pages(client, residents, done, shop):
    _activity, reward = done
    client.force_login(residents.a_user)
    response = client.post(reverse("volunteering:redeem", args=[reward.pk]))
    redemption = reward.redemptions.get()
    assert response.url == reverse("volunteering:redemption", args=[redemption.pk])
    assert redemption.code in client.get(response.url).content.decode()
    client.force_login(shop.keeper)
    client.post(reverse("volunteering:shop", args=[shop.pk]), {"code": redemption.code, "action": "confirm"})
    redemption.refresh_from_db()
    assert redemption.state == RedemptionState.CONFIRMED


def test_a_bad_code_at_the_shop_is_a_clear_message_and_changes_nothing(client, shop, done):
    client.force_login(shop.keeper)
    page = client.post(
        reverse("volunteering:shop", args=[shop.pk]), {"code": "NOPE", "action": "confirm"}, follow=True
    )
    assert (
        "No redemption at this shop has that code" in page.content.decode() or "没有" in page.content.decode()
    )


def test_strangers_are_refused(client, people, shop, done):
    activity, _reward = done
    client.force_login(people.outsider)
    assert client.get(reverse("volunteering:mine")).status_code == 403
    assert client.get(reverse("volunteering:shop", args=[shop.pk])).status_code == 403
    assert client.get(reverse("volunteering:activity", args=[activity.pk])).status_code == 403
    assert client.get(reverse("volunteering:figures")).status_code == 403


@pytest.mark.parametrize("lang,word", [("zh-hans", "志愿服务时长"), ("en", "Volunteer hours")])
def test_the_figures_come_from_the_rollup(client, people, done, lang, word):
    rollups.rebuild()
    client.force_login(people.dispatcher)
    page = client.get(reverse("volunteering:figures") + "?from=2026-06&to=2026-06", HTTP_ACCEPT_LANGUAGE=lang)
    text = page.content.decode()
    assert page.status_code == 200 and word in text
    row = rollups.table(["330100/"], at(2026, 6, 1).date(), at(2026, 6, 1).date())[0]
    assert (row["hours"], row["participants"], row["points_awarded"]) == (2.0, 1, 2)


def test_the_sign_up_page_flow(client, residents, make_activity):
    with time_machine.travel(at(2026, 6, 1), tick=False):
        activity = make_activity(title="陪老人聊天")
        client.force_login(residents.b_user)
        listing = client.get(reverse("volunteering:activities")).content.decode()
        assert "陪老人聊天" in listing
        client.post(reverse("volunteering:sign_up", args=[activity.pk]))
        page = client.get(reverse("volunteering:activity", args=[activity.pk])).content.decode()
    assert 'data-testid="my-signup"' in page


def test_an_organiser_sets_up_an_activity_from_the_form(client, people, city, scheme):
    from civicgrid.volunteering.models import Activity

    client.force_login(people.grid_worker)
    assert client.get(reverse("volunteering:activity_new")).status_code == 200
    response = client.post(
        reverse("volunteering:activity_new"),
        {
            "title": "楼道清理",
            "organiser_kind": "community",
            "organiser_name": "宝石社区居委会",
            "post_type": "sanitation_supervision",
            "place": city.grid.pk,
            "starts_at": "2026-06-06T09:00",
            "hours": "2",
            "capacity": "8",
        },
    )
    activity = Activity.objects.get()
    assert response.url == reverse("volunteering:activity", args=[activity.pk])
    assert activity.scheme == scheme and (activity.ends_at - activity.starts_at).seconds == 7200


def test_a_place_outside_the_organisers_scope_is_not_offered(client, people, city, scheme):
    from civicgrid.volunteering.models import Activity

    client.force_login(people.grid_worker)
    page = client.post(
        reverse("volunteering:activity_new"),
        {"title": "x", "organiser_kind": "community", "post_type": "sanitation_supervision",
         "place": city.grid2.pk, "starts_at": "2026-06-06T09:00", "hours": "2", "capacity": "8"},
    )  # fmt: skip
    assert page.status_code == 200 and not Activity.objects.exists()
