"""A resident on a phone reports a problem with a photo, gets the reference code, follows it.

Element ids used here (and by the main-path browser test) are part of the pages' contract:
report page  #report-form #id_description #id_photos #photo-previews #locate-btn #locate-status
             #id_community #id_building #id_unit #id_address #id_contact_phone #report-submit
done page    #case-ref #follow-link #follow-open
follow page  #case-ref #case-state #time-left #timeline #case-result #rate-form
             input[name=rating] (values satisfied/basically/unsatisfied) #id_comment #rate-submit
"""

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from civicgrid.cases import services
from civicgrid.cases.models import Attachment, Case, Category
from civicgrid.cases.seed import seed_categories

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def categories(db):
    """The seeded categories (a transactional test may have emptied the table before this one)."""
    if not Category.objects.exists():
        seed_categories()


@pytest.fixture
def photo(tmp_path):
    """A phone photo: a JPEG with the camera's EXIF GPS (inside the first grid) and maker."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (30.0, 12.0, 18.0), 3: "E", 4: (120.0, 6.0, 18.0)}  # 30.205 N, 120.105 E
    buf = io.BytesIO()
    Image.new("RGB", (800, 600), (90, 140, 200)).save(buf, "JPEG", exif=exif)
    path = tmp_path / "IMG_0001.jpg"
    path.write_bytes(buf.getvalue())
    return path


def test_a_resident_reports_from_a_phone_with_a_photo_and_follows_it(
    city, phone_page, live_server, photo, settings, tmp_path, shot
):
    settings.MEDIA_ROOT = tmp_path / "media"
    page = phone_page
    page.goto(f"{live_server.url}/cases/report/")
    expect(page.locator("h1")).to_have_text("上报问题")
    expect(page.locator("#locate-btn")).to_be_visible()  # geolocation is available in the browser
    shot(page, "resident-report-phone")

    page.fill("#id_description", "小区北门消防通道被电动车堵住了")
    page.set_input_files("#id_photos", str(photo))
    expect(page.locator("#photo-previews img")).to_have_count(1)
    expect(page.locator("#photo-pick-text")).to_have_text("已选 1 张照片")
    page.select_option("#id_community", str(city.community.pk))
    expect(page.locator(f"#id_building option[value='{city.building.pk}']")).to_have_count(1)
    page.select_option("#id_building", str(city.building.pk))
    page.select_option("#id_unit", str(city.unit.pk))
    page.fill("#id_contact_phone", "13900001234")
    shot(page, "resident-report-phone-filled")

    page.click("#report-submit")
    expect(page).to_have_url(re.compile(r"/cases/report/done/\d+/$"))
    case = Case.objects.get()
    expect(page.locator("#case-ref")).to_have_text(case.ref)
    assert case.unit == city.unit and case.contact_phone == "13900001234"
    assert Attachment.objects.filter(case=case).count() == 1
    follow_url = page.input_value("#follow-link")
    assert follow_url.startswith(f"{live_server.url}/cases/follow/")
    shot(page, "resident-report-done")

    page.click("#follow-open")
    expect(page).to_have_url(follow_url)
    expect(page.locator("#case-ref")).to_have_text(case.ref)
    expect(page.locator("#case-state")).to_have_text("已收到，等待受理")
    expect(page.locator("#timeline li")).to_have_count(1)
    assert "13900001234" not in page.content()
    shot(page, "resident-follow-phone")

    # A reload of the report page knows this phone's report.
    page.goto(f"{live_server.url}/cases/report/")
    expect(page.locator("#recent-reports")).to_contain_text(case.ref)


def test_use_my_location_fills_the_place_and_picks_the_community(city, phone_page, live_server):
    page = phone_page
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"longitude": 120.125, "latitude": 30.205, "accuracy": 12})
    page.goto(f"{live_server.url}/cases/report/")
    page.click("#locate-btn")
    expect(page.locator("#locate-status")).to_contain_text("葛岭社区 · 葛岭一网格")
    expect(page.locator("#id_community")).to_have_value(str(city.community2.pk))
    assert page.input_value("#id_lng") == "120.125000" and page.input_value("#id_lat") == "30.205000"
    page.fill("#id_description", "路面有个大坑")
    page.click("#report-submit")
    expect(page.locator("#case-ref")).to_be_visible()
    case = Case.objects.get()
    assert case.grid == city.grid2 and (case.lng, case.lat) == (120.125, 30.205)


def test_a_bad_file_is_refused_on_the_page_and_nothing_is_sent(city, phone_page, live_server, tmp_path):
    fake = tmp_path / "letter.jpg"
    fake.write_bytes(b"%PDF-1.4 this is not a photo")
    page = phone_page
    page.goto(f"{live_server.url}/cases/report/")
    page.fill("#id_description", "垃圾满溢")
    page.set_input_files("#id_photos", str(fake))
    page.select_option("#id_community", str(city.community.pk))
    page.click("#report-submit")
    expect(page.locator("#form-errors")).to_contain_text("只能上传照片")
    expect(page.locator("#id_description")).to_have_value("垃圾满溢")
    assert Case.objects.count() == 0


def test_the_follow_link_of_a_handled_case_shows_what_the_department_did(
    city, people, phone_page, live_server
):
    result = services.intake(channel="resident_app", description="楼道灯不亮", unit=city.unit)
    case = services.dispatch(result.case, people.dispatcher, city.dept)
    case = services.accept(case, people.handler)
    services.mark_handled(case, people.handler, "已更换灯泡")
    page = phone_page
    page.goto(f"{live_server.url}/cases/follow/{result.token}/")
    expect(page.locator("#case-result")).to_contain_text("已更换灯泡")
    expect(page.locator("#timeline")).to_contain_text("城管执法中队")
    expect(page.locator("#rate-form")).to_have_count(0)  # rated once verified and closed
