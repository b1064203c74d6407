"""A resident on a phone starts to report a problem that is already open: the page shows the open
case ("already reported — follow that one instead?") and one click makes them its follower; no new
case is made.

Element ids: report page #similar-cases .similar-case button.follow-instead; follower page
#following-note #case-ref #timeline.
"""

import pytest
from playwright.sync_api import expect

from civicgrid.cases import services
from civicgrid.cases.models import Case, CaseFollower, Category
from civicgrid.cases.seed import seed_categories

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def categories(db):
    if not Category.objects.exists():
        seed_categories()


def test_a_resident_is_warned_of_a_similar_open_case_and_follows_it(city, people, phone_page, live_server, shot):
    existing = services.intake(
        channel="resident_app",
        description="张晓明 13812345678：小区北门消防通道被电动车堵住了",
        unit=city.unit,
        by=people.resident_user,
    ).case
    page = phone_page
    page.goto(f"{live_server.url}/cases/report/")
    page.select_option("#id_community", str(city.community.pk))
    expect(page.locator(f"#id_building option[value='{city.building.pk}']")).to_have_count(1)
    page.select_option("#id_building", str(city.building.pk))
    page.fill("#id_description", "北门消防通道被电动车堵了")
    box = page.locator("#similar-cases")
    expect(box).to_be_visible()
    expect(box.locator(".similar-case")).to_have_count(1)
    expect(box).to_contain_text(existing.ref)
    expect(box).not_to_contain_text("13812345678")
    expect(box).not_to_contain_text("张晓明")
    shot(page, "resident-similar-case-phone")
    before = Case.objects.count()
    box.locator("button.follow-instead").click()
    expect(page.locator("#following-note")).to_be_visible()
    expect(page.locator("#case-ref")).to_have_text(existing.ref)
    assert Case.objects.count() == before
    assert CaseFollower.objects.filter(case=existing).count() == 1
