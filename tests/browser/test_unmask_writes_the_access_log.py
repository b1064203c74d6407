"""Showing a resident's details in full is a deliberate, logged action."""

import pytest
from playwright.sync_api import expect

from civicgrid.core.models import AccessLog

pytestmark = pytest.mark.browser


def test_unmasking_a_household_member_writes_an_access_log_row(city, people, page, login, live_server, shot):
    login(page, "gridworker")
    page.goto(f"{live_server.url}/people/households/{city.household.pk}/")
    page.get_by_text("显示完整信息…").click()
    page.select_option("select[name=reason]", "visit")
    page.get_by_role("button", name="显示完整信息", exact=True).click()

    expect(page.locator(".unmasked-banner")).to_contain_text("gridworker")
    expect(page.locator(".unmasked-banner")).to_contain_text("访问记录")
    expect(page.locator("table.members")).to_contain_text("张晓明")
    expect(page.locator("table.members")).to_contain_text("13812345678")
    shot(page, "household-unmasked")

    entry = AccessLog.objects.get()
    assert entry.user == people.grid_worker
    assert entry.subject_type == "people.resident" and entry.subject_id == str(people.resident.pk)
    assert entry.reason == "入户走访"

    # The administrator reads it on the access-log page.
    page.locator("form.inline button").click()
    page.wait_for_url("**/login/")
    login(page, "admin")
    page.goto(f"{live_server.url}/people/access-log/?user=gridworker")
    expect(page.locator("table.accesslog tbody tr")).to_have_count(1)
    expect(page.locator("table.accesslog")).to_contain_text("张*明")
    expect(page.locator("table.accesslog")).to_contain_text("入户走访")


def test_each_browser_test_starts_with_the_rows_data_migrations_wrote(city, page, live_server):
    """The working-day calendar comes from a data migration; a transactional test before this one
    emptied the tables, and the serialized rollback put it back."""
    from civicgrid.core.models import CalendarDay

    assert CalendarDay.objects.filter(date__year=2026).exists()
    page.goto(f"{live_server.url}/login/")
    expect(page.locator("h1")).to_have_text("登录")
