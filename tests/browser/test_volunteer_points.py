"""A resident on a phone signs up for an activity, checks in and out with the organiser's code,
sees the points arrive once the organiser confirms the hours, and redeems a reward that the shop
confirms by the code the resident shows.

Page contract used here: the sign-up form posts to …/sign-up; input[name=code] on the activity
page (check in/out) and on the shop page; [data-testid=checkin-code] shows the organiser's code;
[data-testid=balance] the resident's balance; [data-testid=redemption-code] the code to show.
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from civicgrid.party.models import PostType
from civicgrid.people.services import create_user
from civicgrid.volunteering import services
from civicgrid.volunteering.models import OrganiserKind, RedemptionState

from .conftest import TIMEOUT_MS, ZH_HEADERS

pytestmark = pytest.mark.browser


@pytest.fixture
def setting(city, people):
    scheme = services.create_scheme(
        city.community, "宝石社区道德银行", {"bonus_by_post_type": {"care_mutual_aid": 1}}, people.community_staff
    )
    now = timezone.now()
    activity = services.create_activity(
        title="陪独居老人聊天",
        organiser_kind=OrganiserKind.COMMUNITY,
        organiser_name="宝石社区居委会",
        post_type=PostType.CARE_MUTUAL_AID,
        place=city.grid,
        starts_at=now - timedelta(minutes=10),
        ends_at=now + timedelta(hours=2),
        capacity=5,
        scheme=scheme,
        by=people.community_staff,
    )
    keeper = create_user("shopkeeper", "pw-shopkeeper")
    shop = services.create_shop(city.community, "宝石理发店", people.community_staff, keepers=[keeper])
    services.add_reward(shop, scheme, "理发一次", 3, 2, keeper)
    return activity


def _desk(browser):
    context = browser.new_context(locale="zh-CN", extra_http_headers=ZH_HEADERS, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    return context, context.new_page()


def test_a_resident_earns_points_on_a_phone_and_redeems_them_at_the_shop(
    setting, people, phone_page, browser, login, live_server, shot
):
    activity = setting
    phone = login(phone_page, "resident")
    phone.goto(f"{live_server.url}/volunteering/activities/")
    phone.click("text=陪独居老人聊天")
    with phone.expect_navigation():
        phone.click("form[action$='/sign-up'] button")
    expect(phone.locator(".messages")).to_contain_text("报名成功")

    desk_context, desk = _desk(browser)
    try:
        login(desk, "community")
        desk.goto(f"{live_server.url}/volunteering/activities/{activity.pk}/")
        code = desk.locator("[data-testid=checkin-code]").inner_text().strip()
        assert code == activity.checkin_code
        shot(desk, "organiser-activity")

        phone.fill("input[name=code]", code)
        with phone.expect_navigation():
            phone.click("form[action$='/check-in'] button")
        expect(phone.locator(".messages")).to_contain_text("签到成功")
        phone.fill("input[name=code]", code)
        with phone.expect_navigation():
            phone.click("form[action$='/check-out'] button")
        expect(phone.locator(".messages")).to_contain_text("已签退")

        # The organiser confirms two hours on the roll (the minutes field, then confirm).
        desk.reload()
        row = desk.locator("tr[data-signup]").filter(has_text="张*明")
        row.locator("input[name=minutes]").fill("120")
        with desk.expect_navigation():
            row.locator("button[value=confirm]").click()
        expect(desk.locator("tr[data-signup]").filter(has_text="张*明")).to_contain_text("120 ✓")

        phone.goto(f"{live_server.url}/volunteering/")
        expect(phone.locator("[data-testid=balance]")).to_have_text("3")  # 2 hours + 1 for care
        expect(phone.locator(".vol-history")).to_contain_text("陪独居老人聊天")
        shot(phone, "resident-points-phone")
        with phone.expect_navigation():
            phone.locator(".vol-rewards li").filter(has_text="理发一次").locator("button").click()
        redemption_code = phone.locator("[data-testid=redemption-code]").inner_text().strip()
        assert len(redemption_code) == 6

        desk_context.clear_cookies()
        login(desk, "shopkeeper")
        desk.goto(f"{live_server.url}/volunteering/shops/")
        desk.fill("input[name=code]", redemption_code)
        with desk.expect_navigation():
            desk.click("button[value=confirm]")
        expect(desk.locator(".messages")).to_contain_text("核销成功")

        phone.reload()
        expect(phone.locator("[data-testid=redemption-state]")).to_contain_text("领取")
        phone.goto(f"{live_server.url}/volunteering/")
        expect(phone.locator("[data-testid=balance]")).to_have_text("0")
    finally:
        desk_context.close()
    from civicgrid.volunteering.models import Redemption

    assert Redemption.objects.get().state == RedemptionState.CONFIRMED
