"""A grid worker with no signal: a visit and a report recorded offline wait on the phone and arrive
exactly once when the network returns."""

import time

import pytest
from playwright.sync_api import expect

from civicgrid.areas.services import create_household
from civicgrid.cases.models import Case
from civicgrid.fieldwork.models import FieldReport, Visit
from civicgrid.people.services import create_resident

pytestmark = pytest.mark.browser


def _png() -> bytes:
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (64, 48), "#88aacc").save(out, "PNG")
    return out.getvalue()


def _wait_until_offline_ready(page, timeout=15.0):
    """The service worker is active, controls the page and has kept the pages."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready = page.evaluate(
            """async () => {
                if (!navigator.serviceWorker || !navigator.serviceWorker.controller) return false;
                const keys = (await caches.keys()).filter((k) => k.startsWith("fieldwork-"));
                if (!keys.length) return false;
                const cache = await caches.open(keys[0]);
                return !!(await cache.match("/fieldwork/visits/new/")) && !!(await cache.match("/fieldwork/report/"));
            }"""
        )
        if ready:
            return
        page.wait_for_timeout(200)
        if not page.evaluate("!!(navigator.serviceWorker && navigator.serviceWorker.controller)"):
            page.reload()
    raise AssertionError("the service worker did not take control of the page")


def test_a_visit_and_a_report_made_offline_arrive_once_when_the_network_returns(
    city, people, phone_page, login, live_server, shot
):
    page = phone_page
    household = create_household(unit=city.unit, number="102", address="宝石社区1幢1单元102")
    create_resident(household=household, name="王秀英", gender="F", birth_year=1940, relation="户主")
    login(page, "gridworker")
    page.goto(f"{live_server.url}/fieldwork/")
    expect(page.locator("#due-list")).to_contain_text("102")
    _wait_until_offline_ready(page)
    shot(page, "fieldwork-my-day")

    page.context.set_offline(True)
    # The visit form comes from the phone's cache; the household list is masked.
    page.goto(f"{live_server.url}/fieldwork/visits/new/?household={household.pk}")
    expect(page.locator("select[name=household]")).to_contain_text("王*英")
    page.check("input[name=met][value=head]")
    page.fill("textarea[name=heard]", "老人身体还好，想了解助餐")
    page.click("form[data-queue=visit] button[type=submit]")
    expect(page.locator("#fw-queue-count")).to_have_text("1")
    expect(page.locator("#fw-queue")).to_contain_text("等待发送")

    page.goto(f"{live_server.url}/fieldwork/report/")
    expect(page.locator("#fw-queue-count")).to_have_text("1")
    page.fill("textarea[name=description]", "1幢楼道堆放杂物，堵塞通道")
    page.select_option("select[name=unit]", str(city.unit.pk))
    page.set_input_files(
        "input[name=photos]", files=[{"name": "stairwell.png", "mimeType": "image/png", "buffer": _png()}]
    )
    page.click("form[data-queue=report] button[type=submit]")
    expect(page.locator("#fw-queue-count")).to_have_text("2")
    shot(page, "fieldwork-offline-queue")
    page.wait_for_timeout(500)
    assert Visit.objects.count() == 0 and FieldReport.objects.count() == 0

    page.context.set_offline(False)
    expect(page.locator("#fw-queue")).to_be_hidden(timeout=30_000)
    # A second send attempt (the interval, a reload) finds nothing left to send.
    page.reload()
    page.wait_for_timeout(500)
    assert Visit.objects.count() == 1
    visit = Visit.objects.get()
    assert visit.household_id == household.pk and visit.worker == people.grid_worker
    assert FieldReport.objects.count() == 1 and Case.objects.count() == 1
    case = Case.objects.get()
    assert case.unit_id == city.unit.pk
    assert case.attachments.count() == 1  # the photo taken offline went with the report


def test_a_queued_visit_the_server_refuses_stays_listed_with_its_reason_until_discarded(
    city, people, phone_page, login, live_server
):
    page = phone_page
    household = create_household(unit=city.unit, number="102", address="宝石社区1幢1单元102")
    login(page, "gridworker")
    page.goto(f"{live_server.url}/fieldwork/visits/new/?household={household.pk}")
    page.fill("input[name=visited_on]", "2099-01-01")
    page.check("input[name=met][value=nobody]")
    page.click("form[data-queue=visit] button[type=submit]")
    refused = page.locator("#fw-queue-list li.refused")
    expect(refused).to_contain_text("走访不能填写未来的日期")
    assert Visit.objects.count() == 0
    refused.get_by_role("button", name="丢弃").click()
    expect(page.locator("#fw-queue")).to_be_hidden()
