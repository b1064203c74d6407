"""One topic through all six steps (六步议事): residents on a phone raise, support and object; the
council on a desktop takes it up, researches, meets and votes, reviews, publishes and follows it up.

Element ids used here are part of the deliberation pages' contract:
propose   #id_title #id_description #propose-submit
public    #stepbar li[aria-current=step][data-step] #support-btn #object-text #object-submit
          #topic-status #topic-progress #topic-result #objections
council   #advance #take-up-reason #take-up #note-text #note-submit #meeting-title #meeting-at #schedule
          #review-opinion #review-submit .answer-form textarea .answer-submit #task-title #task-owner
          #task-milestones #task-submit .milestone-done .complete-form textarea .complete-submit
meeting   #all-present #open-meeting #motion-text #motion-submit #vote-grid .record-for #close-vote
          #minutes #close-meeting #minutes-record .member-vote
"""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from civicgrid.deliberation import procedures
from civicgrid.deliberation.models import Procedure, Publication, Topic
from tests.deliberation.conftest import council, residents  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("council", "residents")]


def current_step(page):
    return page.locator("#stepbar li[aria-current=step]").get_attribute("data-step")


def test_one_topic_through_all_six_steps(city, people, page, phone_page, login, live_server, shot):
    procedures.sync_builtin()
    Procedure.objects.filter(code=procedures.SIX_STEPS).update(support_threshold=2)
    url = live_server.url
    phone, desk = phone_page, page
    desk.on("dialog", lambda dialog: dialog.accept())

    # 1 collect: a resident raises the topic on the phone; two neighbours support it
    login(phone, "resident")
    phone.goto(f"{url}/deliberation/propose/")
    phone.fill("#id_title", "小区电动车充电难")
    phone.fill("#id_description", "楼道里飞线充电很危险，希望在东门增设充电棚")
    phone.click("#propose-submit")
    expect(phone.locator("#topic-title")).to_have_text("小区电动车充电难")
    assert current_step(phone) == "collect"
    shot(phone, "deliberation-phone-raised")
    topic = Topic.objects.get()
    for user in ("res0", "res1"):
        login(phone, user)
        phone.goto(f"{url}/deliberation/t/{topic.pk}/")
        phone.click("#support-btn")
        expect(phone.locator("#supported")).to_be_visible()
    expect(phone.locator("#supports-count")).to_contain_text("2")

    # 2 decide, 3 research: the community on a desktop
    login(desk, "community")
    desk.goto(f"{url}/deliberation/topic/{topic.pk}/")
    desk.click("#advance")
    assert current_step(desk) == "decide"
    desk.fill("#take-up-reason", "涉及全体住户消防安全")
    desk.click("#take-up")
    assert current_step(desk) == "research"
    desk.fill("#note-text", "走访1幢、2幢住户，多数赞成东门选址")
    desk.click("#note-submit")
    expect(desk.locator("#research-notes")).to_contain_text("东门选址")
    desk.click("#advance")
    assert current_step(desk) == "meeting"

    # 4 meeting: the council 1+7+X meets and votes
    desk.fill("#meeting-at", timezone.localtime().strftime("%Y-%m-%dT%H:%M"))
    desk.click("#schedule")
    desk.click("#all-present")
    desk.click("#open-meeting")
    desk.fill("#motion-text", "同意在小区东门增设电动车充电棚，费用由维修资金列支")
    desk.click("#motion-submit")
    rows = desk.locator("#vote-grid tr").count()
    assert rows == 8
    for n in range(rows):
        desk.locator("#vote-grid tr").nth(n).locator(".record-for").click()
        expect(desk.locator(".messages .msg-success")).to_be_visible()
    desk.click("#close-vote")
    expect(desk.locator(".motion-result")).to_contain_text("通过")
    desk.fill("#minutes", "议事会就充电棚选址和费用进行协商，一致同意。")
    desk.click("#close-meeting")
    expect(desk.locator("#minutes-record .member-vote").first).to_have_text("赞成")
    shot(desk, "deliberation-desktop-minutes")

    # publishing without the legality review is refused, with a message, nothing changed
    desk.goto(f"{url}/deliberation/topic/{topic.pk}/")
    desk.click("#advance")
    expect(desk.locator(".messages .msg-error")).to_contain_text("合法性审查")
    assert current_step(desk) == "meeting"
    login(desk, "seat_legal")
    desk.goto(f"{url}/deliberation/topic/{topic.pk}/")
    desk.fill("#review-opinion", "决议符合《物业管理条例》，程序合法")
    desk.click("#review-submit")
    login(desk, "community")
    desk.goto(f"{url}/deliberation/topic/{topic.pk}/")
    desk.click("#advance")
    assert current_step(desk) == "publish"

    # 5 publish: a resident objects on the phone; the community answers
    login(phone, "res2")
    phone.goto(f"{url}/deliberation/t/{topic.pk}/")
    phone.fill("#object-text", "充电棚离2幢窗户太近")
    phone.click("#object-submit")
    expect(phone.locator("#objections")).to_contain_text("充电棚离2幢窗户太近")
    desk.goto(f"{url}/deliberation/topic/{topic.pk}/")
    desk.fill(".answer-form textarea", "选址东移二十米，远离住户窗户")
    desk.click(".answer-submit")
    desk.click("#advance")  # the publication period is not over yet
    expect(desk.locator(".messages .msg-error")).to_contain_text("公示")
    Publication.objects.filter(topic=topic).update(ends_at=timezone.now())  # seven days later
    desk.click("#advance")
    assert current_step(desk) == "follow_up"

    # 6 follow up: a task with milestones, done; the topic is carried out
    desk.fill("#task-title", "建设东门充电棚")
    desk.fill("#task-owner", "物业公司")
    desk.fill("#task-milestones", "施工\n验收")
    desk.click("#task-submit")
    desk.locator(".milestone-done").first.click()
    expect(desk.locator("#topic-progress")).to_have_text("50%")
    desk.fill(".complete-form textarea", "充电棚已建成投用，可停60辆")
    desk.click(".complete-submit")
    expect(desk.locator("#topic-status")).to_have_text("已落实")

    phone.goto(f"{url}/deliberation/t/{topic.pk}/")
    expect(phone.locator("#topic-progress")).to_have_text("100%")
    expect(phone.locator("#topic-result")).to_contain_text("充电棚已建成投用")
    shot(phone, "deliberation-phone-carried-out")
