"""The closed loop in a real browser, as the people on each step walk it.

A resident reports on a phone (the report page's element ids are listed in test_resident_report.py)
→ the street dispatcher dispatches from the queue with the suggested departments → the department
accepts and reports the result with a photo → the grid worker verifies → the resident rates on the
follow page → a leader reads the figures. And the two detours: a return (退单) and an extension.

Staff pages' hooks: queue tabs `.tabs a[href="?tab=<key>"]`, rows `table.cases a.title`, action
forms `#act-<action>` (submit buttons, `button[value=pass]` / `button[value=grant]` on two-way ones),
messages `.messages`, timeline `#timeline`, figures `.rates`.
"""

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from civicgrid.cases import rollups, services
from civicgrid.cases.models import Case, Category, DispatchRule, ExtensionRequest
from civicgrid.cases.seed import seed_categories
from civicgrid.cases.workflow import State

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def categories(db):
    """The seeded categories (a transactional test may have emptied the table before this one)."""
    if not Category.objects.exists():
        seed_categories()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def city_rule(city):
    """城市管理 in the street goes to 城管执法中队, with 水务所 assisting."""
    rule = DispatchRule.objects.create(
        category=Category.objects.get(code="04"), area=city.street, department=city.dept
    )
    rule.assisting.set([city.dept2])
    return rule


@pytest.fixture
def photo_file(tmp_path):
    buf = io.BytesIO()
    Image.new("RGB", (640, 480), (60, 160, 90)).save(buf, "JPEG")
    path = tmp_path / "done.jpg"
    path.write_bytes(buf.getvalue())
    return path


def open_case_from_queue(page, live_server, case, tab=None):
    page.goto(f"{live_server.url}/cases/work/" + (f"?tab={tab}" if tab else ""))
    page.click(f"table.cases a[href='/cases/work/{case.pk}/']")
    expect(page.locator(".casehead h1")).to_be_visible()


def other_reports(city, n=6):
    """Some other cases in the street, so the queue looks like a working day."""
    texts = ["路灯不亮", "垃圾桶满溢没人清运", "小区门口乱停车", "楼道堆放杂物", "井盖松动", "广告乱张贴"]
    for i in range(n):
        services.intake(channel="resident_app", description=texts[i % len(texts)], unit=city.unit)


def test_report_dispatch_handle_verify_rate_and_the_figures(
    city, people, city_rule, phone_page, page, login, live_server, photo_file, shot
):
    # A resident reports on a phone, without an account.
    phone = phone_page
    phone.goto(f"{live_server.url}/cases/report/")
    phone.fill("#id_description", "小区北门乱停车，车辆占道严重")
    phone.select_option("#id_community", str(city.community.pk))
    expect(phone.locator(f"#id_building option[value='{city.building.pk}']")).to_have_count(1)
    phone.select_option("#id_building", str(city.building.pk))
    phone.select_option("#id_unit", str(city.unit.pk))
    phone.fill("#id_contact_phone", "13900001234")
    phone.click("#report-submit")
    expect(phone).to_have_url(re.compile(r"/cases/report/done/\d+/$"))
    case = Case.objects.get()
    assert case.category.parent.code == "04" and case.suggested_department == city.dept
    follow_url = phone.input_value("#follow-link")
    other_reports(city)

    # The dispatcher finds it in the queue and confirms the suggestion on one screen.
    login(page, "dispatcher")
    page.goto(f"{live_server.url}/cases/work/")
    expect(page.locator(".tabs a[aria-current=page]")).to_contain_text("待立案派遣")
    shot(page, "staff-dispatcher-queue")
    open_case_from_queue(page, live_server, case)
    expect(page.locator("#act-dispatch")).to_have_attribute("open", "")
    expect(page.locator("#act-dispatch .suggestion")).to_contain_text("城管执法中队")
    expect(page.locator("#contact")).to_contain_text("139****1234")
    assert "13900001234" not in page.content()
    shot(page, "staff-case-page-dispatch")
    page.click("#act-dispatch button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("派遣")
    expect(page.locator(".casehead .state")).to_have_text("已派遣")

    # The department accepts and reports what it did, with a photo.
    login(page, "handler")
    open_case_from_queue(page, live_server, case)
    page.click("#act-accept button[type=submit]")
    expect(page.locator(".casehead .state")).to_have_text("处置中")
    page.fill("#act-mark_handled textarea", "已联系车主挪车，并加装隔离桩")
    page.set_input_files("#act-mark_handled input[type=file]", str(photo_file))
    page.click("#act-mark_handled button[type=submit]")
    expect(page.locator(".casehead .state")).to_have_text("已处置")
    expect(page.locator("#photos img")).to_have_count(1)

    # The grid worker verifies on site and closes it.
    login(page, "gridworker")
    open_case_from_queue(page, live_server, case, tab="verify")
    page.fill("#act-verify textarea", "现场已核实，通道畅通")
    page.click("#act-verify button[value=pass]")
    expect(page.locator(".casehead .state")).to_have_text("已结案")
    expect(page.locator("#timeline li")).to_have_count(5)
    shot(page, "staff-case-page-closed")

    # The resident rates the result on the follow page.
    phone.goto(follow_url)
    expect(phone.locator("#case-result")).to_contain_text("隔离桩")
    phone.check("input[name=rating][value=satisfied]")
    phone.fill("#id_comment", "处理得很快")
    phone.click("#rate-submit")
    case.refresh_from_db()
    expect(phone.locator("#rate-form")).to_have_count(0)
    assert case.state == State.CLOSED and case.rating == "satisfied"

    # A leader lands on the figures, which the worker has brought up to date.
    rollups.process_pending()
    login(page, "leader")
    page.goto(f"{live_server.url}/dashboard/")
    expect(page.locator("h1")).to_contain_text(city.street.name)
    expect(page.locator(".counts")).to_contain_text("办结")
    expect(page.locator("#areas")).to_contain_text(city.community.name)
    shot(page, "staff-figures-street")
    closed_cell = page.locator(".counts li", has_text="已办结").locator("b")
    expect(closed_cell).to_have_text("1")


def test_a_return_and_an_extension(city, people, city_rule, page, login, live_server, shot):
    case = services.intake(channel="resident_app", description="门口乱停车堵住通道", unit=city.unit).case

    login(page, "dispatcher")
    open_case_from_queue(page, live_server, case)
    page.click("#act-dispatch button[type=submit]")
    expect(page.locator(".casehead .state")).to_have_text("已派遣")

    # 退单: the department says it is not theirs.
    login(page, "handler")
    open_case_from_queue(page, live_server, case)
    page.click("#act-return_to_dispatcher summary")
    page.fill("#act-return_to_dispatcher textarea", "属于水务管辖，不属于城管职责")
    page.click("#act-return_to_dispatcher button[type=submit]")
    expect(page).to_have_url(re.compile(r"/cases/work/$"))  # no longer theirs: back to the queue
    expect(page.locator(".messages")).to_contain_text("退单")
    assert Case.objects.get(pk=case.pk).state == State.RETURNED

    # The dispatcher finds it under “returned” and sends it to the other department.
    login(page, "dispatcher")
    page.goto(f"{live_server.url}/cases/work/?tab=returned")
    expect(page.locator(".tabs a[aria-current=page] .n")).to_have_text("1")
    open_case_from_queue(page, live_server, case, tab="returned")
    expect(page.locator("#timeline")).to_contain_text("属于水务管辖")
    page.select_option("#act-dispatch select[name=dispatch-department]", str(city.dept2.pk))
    page.uncheck(f"#act-dispatch input[name=dispatch-assisting][value='{city.dept2.pk}']")
    page.click("#act-dispatch button[type=submit]")
    case.refresh_from_db()
    assert case.state == State.DISPATCHED and case.department == city.dept2

    # 延期: the other department takes it on and asks for one more working day.
    login(page, "handler2")
    open_case_from_queue(page, live_server, case)
    page.click("#act-accept button[type=submit]")
    expect(page.locator(".casehead .state")).to_have_text("处置中")
    page.click("#act-request_extension summary")
    page.fill("#act-request_extension input[name=request_extension-hours]", "8")
    page.fill("#act-request_extension textarea", "需与物业协调施工时间")
    page.click("#act-request_extension button[type=submit]")
    expect(page.locator("#requests")).to_contain_text("待审批")
    due_before = Case.objects.get(pk=case.pk).resolve_due

    login(page, "dispatcher")
    page.goto(f"{live_server.url}/cases/work/?tab=extensions")
    open_case_from_queue(page, live_server, case, tab="extensions")
    expect(page.locator("#act-decide_extension")).to_contain_text("需与物业协调施工时间")
    shot(page, "staff-case-page-extension")
    page.click("#act-decide_extension button[value=grant]")
    expect(page.locator("#requests")).to_contain_text("已同意")
    assert ExtensionRequest.objects.get(case=case).status == "granted"
    assert Case.objects.get(pk=case.pk).resolve_due > due_before
