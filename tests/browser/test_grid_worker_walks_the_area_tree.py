"""A grid worker signs in, finds their grid on the map, walks down to a household, switches language."""

import re

import pytest
from playwright.sync_api import expect

from civicgrid.core.models import AccessLog

pytestmark = pytest.mark.browser


def test_grid_worker_sees_their_grid_on_the_map_and_walks_down_to_masked_household(
    city, people, page, login, live_server, shot
):
    login(page, "gridworker")
    assert page.url == f"{live_server.url}/"
    expect(page.locator("h1")).to_contain_text("欢迎")
    mine = page.locator(f'svg.map a.mine[data-code="{city.grid.code}"]')
    expect(mine).to_have_count(1)
    # The other grid of the community is drawn as context only: no link into someone else's grid.
    expect(page.locator(f'svg.map a[data-code="{city.grid_x.code}"]')).to_have_count(0)
    expect(page.locator("svg.map path.context")).to_have_count(1)
    shot(page, "grid-worker-home")

    box = mine.bounding_box()  # click inside the grid, away from the building dot at its centre
    mine.click(position={"x": box["width"] * 0.15, "y": box["height"] * 0.15})
    expect(page).to_have_url(re.compile(f"/areas/{city.grid.code}/$"))
    expect(page.locator("h1")).to_contain_text(city.grid.name)
    expect(page.locator("svg.map a.mine")).to_have_count(1)
    shot(page, "grid-page")

    page.locator("#buildings").get_by_role("link", name=city.building.name).click()
    expect(page).to_have_url(re.compile(f"/areas/{city.building.code}/$"))
    page.get_by_role("link", name="101", exact=True).click()
    expect(page).to_have_url(re.compile(f"/people/households/{city.household.pk}/$"))
    members = page.locator("table.members")
    expect(members).to_contain_text("张*明")
    expect(members).to_contain_text("138****5678")
    expect(members).to_contain_text("330***********1234")
    expect(members).not_to_contain_text("张晓明")
    expect(page.locator("h2").first).to_have_text("成员")

    page.locator(".langswitch button[value=en]").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h2").first).to_have_text("Members")
    expect(members).to_contain_text("张*明")
    assert AccessLog.objects.count() == 0


def test_resident_home_page_fits_a_phone(city, people, phone_page, login, shot):
    login(phone_page, "resident")
    panel = phone_page.locator("section.panel", has=phone_page.get_by_role("heading", name="我的家庭"))
    expect(panel).to_have_count(1)
    expect(panel).to_contain_text("张*明")
    expect(panel).not_to_contain_text("张晓明")
    expect(panel).to_contain_text(people.grid_worker.username)
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide on a 390px phone"
    shot(phone_page, "resident-home-phone")
