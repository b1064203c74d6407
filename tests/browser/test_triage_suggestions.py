"""A dispatcher sees the top-3 suggestions on a new report's case page and confirms the first: the
case is dispatched with the suggested category to the rule's department."""

import pytest
from playwright.sync_api import expect

from civicgrid.cases import services
from civicgrid.cases.models import Case, Category, DispatchRule
from civicgrid.cases.seed import seed_categories
from civicgrid.cases.workflow import State
from civicgrid.core import outbox

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def categories(db):
    if not Category.objects.exists():
        seed_categories()


def test_dispatcher_sees_top_three_suggestions_and_confirms_one(city, people, page, login, live_server, shot):
    DispatchRule.objects.create(
        category=Category.objects.get(code="04"), area=city.street, department=city.dept
    )
    case = services.intake(
        channel="resident_app", description="小区北门乱停车，车辆把路都堵了", unit=city.unit, category="2201"
    ).case
    outbox.drain()  # the worker makes the suggestions off the intake path

    login(page, "dispatcher")
    page.goto(f"{live_server.url}/cases/work/{case.pk}/")
    panel = page.locator("#triage")
    expect(panel.locator("tr.triage-suggestion")).to_have_count(3)
    first = panel.locator("tr.triage-suggestion[data-rank='1']")
    expect(first).to_contain_text("乱停车")
    expect(first).to_contain_text("城管执法中队")
    expect(first.locator(".confidence")).to_contain_text("%")
    shot(page, "triage-suggestions")
    with page.expect_navigation():
        first.locator("button.confirm").click()
    expect(page.locator(".messages")).to_contain_text("已确认建议")
    case = Case.objects.get(pk=case.pk)
    assert case.state == State.DISPATCHED
    assert case.category.code == "0403" and case.department == city.dept
