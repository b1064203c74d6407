"""The resident's one-step report page: no account, photos, place, optional contact, idempotent."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from civicgrid.cases import photos, services
from civicgrid.cases.models import Attachment, Case
from civicgrid.cases.workflow import Channel, State

GPS_IFD = 0x8825


def jpeg(name="photo.jpg", *, gps=None, size=(64, 48), maker=None) -> SimpleUploadedFile:
    """A small JPEG, optionally with EXIF GPS ((lat, lng) in degrees) and a camera maker."""
    exif = Image.Exif()
    if maker:
        exif[0x010F] = maker
    if gps:
        lat, lng = gps

        def dms(value):
            d = int(value)
            m = int((value - d) * 60)
            s = round(((value - d) * 60 - m) * 60, 4)
            return (float(d), float(m), s)

        exif[GPS_IFD] = {1: "N", 2: dms(lat), 3: "E", 4: dms(lng)}
    buf = io.BytesIO()
    Image.new("RGB", size, "red").save(buf, "JPEG", exif=exif)
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/jpeg")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def client_key_of(response) -> str:
    return re.search(r'name="client_key" value="([^"]+)"', response.content.decode()).group(1)


def test_the_report_page_opens_without_an_account_with_a_fresh_client_key(client, city):
    first = client.get(reverse("cases:report"))
    second = client.get(reverse("cases:report"))
    assert first.status_code == 200
    html = first.content.decode()
    for element in (
        'id="report-form"',
        'id="id_description"',
        'id="id_photos"',
        'id="locate-btn"',
        'id="report-submit"',
    ):
        assert element in html
    assert "宝石社区" in html and "葛岭社区" in html  # the community list
    assert client_key_of(first) != client_key_of(second)


def test_anonymous_report_creates_one_case_even_when_posted_twice_with_the_same_client_key(client, city):
    data = {
        "description": "小区北门消防通道被车辆堵塞",
        "community": city.community.pk,
        "building": city.building.pk,
        "unit": city.unit.pk,
        "contact_phone": "13900001234",
        "client_key": "3f2b9c1e8d7a4b6c9e0f1a2b3c4d5e6f",
    }
    first = client.post(reverse("cases:report"), data)
    again = client.post(reverse("cases:report"), data)
    assert Case.objects.count() == 1
    case = Case.objects.get()
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"] == reverse("cases:report_done", args=[case.pk])
    assert case.channel == Channel.RESIDENT_APP and case.state == State.SUBMITTED
    assert case.unit == city.unit and case.grid == city.grid
    assert case.reporter_user is None and case.contact_phone == "13900001234"

    done = client.get(first["Location"])
    html = done.content.decode()
    assert case.ref in html and 'id="case-ref"' in html
    token = re.search(
        r'id="follow-link" type="text" readonly value="http://testserver/cases/follow/([^/"]+)/"', html
    ).group(1)
    assert services.case_for_token(token) == case
    assert done["Cache-Control"] == "private, no-store" and done["Referrer-Policy"] == "same-origin"
    assert "13900001234" not in html


def test_the_done_page_is_only_for_the_browser_that_reported(client, city):
    client.post(
        reverse("cases:report"),
        {
            "description": "路灯不亮",
            "community": city.community.pk,
            "address": "北门",
            "client_key": "k" * 32,
        },
    )
    case = Case.objects.get()
    other = client.__class__()
    assert other.get(reverse("cases:report_done", args=[case.pk])).status_code == 404


def test_a_non_image_file_is_refused_with_a_message_and_no_case_is_made(client, city, media):
    fake = SimpleUploadedFile("photo.jpg", b"%PDF-1.4 not a photo at all", content_type="image/jpeg")
    response = client.post(
        reverse("cases:report"),
        {
            "description": "垃圾满溢",
            "building": city.building.pk,
            "photos": [jpeg(), fake],
            "client_key": "a" * 32,
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "photo.jpg" in html and "只能上传照片" in html
    assert 'id="form-errors"' in html
    assert Case.objects.count() == 0 and Attachment.objects.count() == 0
    assert not any(media.rglob("*.*"))
    # What was typed is kept, and so is the client key.
    assert "垃圾满溢" in html and 'value="' + "a" * 32 + '"' in html


def test_a_photo_over_the_size_cap_is_refused(client, city, monkeypatch):
    monkeypatch.setattr(photos, "MAX_BYTES", 1024)
    big = jpeg(size=(400, 400))
    response = client.post(
        reverse("cases:report"), {"description": "垃圾满溢", "building": city.building.pk, "photos": [big]}
    )
    assert response.status_code == 200 and Case.objects.count() == 0
    assert response.context["form"].errors["photos"]


def test_too_many_photos_are_refused(client, city):
    response = client.post(
        reverse("cases:report"),
        {
            "description": "垃圾满溢",
            "building": city.building.pk,
            "photos": [jpeg(f"{i}.jpg") for i in range(7)],
        },
    )
    assert response.status_code == 200 and Case.objects.count() == 0
    assert response.context["form"].errors["photos"]


def test_a_report_without_description_or_place_is_refused_in_chinese(client, city):
    response = client.post(reverse("cases:report"), {"description": "", "client_key": "b" * 32})
    html = response.content.decode()
    assert response.status_code == 200 and Case.objects.count() == 0
    assert "请简单描述问题" in html  # "Describe the problem in a few words."
    response = client.post(reverse("cases:report"), {"description": "井盖丢失", "client_key": "b" * 32})
    assert Case.objects.count() == 0
    assert "问题在哪里" in response.content.decode()


def test_an_address_alone_needs_the_community(client, city):
    response = client.post(reverse("cases:report"), {"description": "井盖丢失", "address": "保俶路12号"})
    assert Case.objects.count() == 0
    assert response.context["form"].errors["community"]
    client.post(
        reverse("cases:report"),
        {"description": "井盖丢失", "address": "保俶路12号", "community": city.community.pk},
    )
    case = Case.objects.get()
    assert case.path == city.community.path and case.address == "保俶路12号" and case.grid is None


def test_a_unit_of_another_building_is_refused(client, city):
    response = client.post(
        reverse("cases:report"),
        {"description": "井盖丢失", "building": city.building.pk, "unit": city.unit3.pk},
    )
    assert Case.objects.count() == 0 and response.context["form"].errors["unit"]


def test_the_browser_location_places_the_case_in_its_grid(client, city):
    client.post(reverse("cases:report"), {"description": "路面塌陷", "lng": "120.105", "lat": "30.205"})
    case = Case.objects.get()
    assert case.grid == city.grid and (case.lng, case.lat) == (120.105, 30.205)


def test_exif_gps_is_used_for_the_place_then_stripped(client, city):
    photo = jpeg(gps=(30.205, 120.125), maker="PhoneMaker")  # inside 葛岭一网格
    response = client.post(reverse("cases:report"), {"description": "垃圾桶破损", "photos": [photo]})
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.grid == city.grid2
    assert abs(case.lng - 120.125) < 1e-4 and abs(case.lat - 30.205) < 1e-4
    attachment = Attachment.objects.get(case=case)
    with attachment.file.open("rb") as f:
        stored = f.read()
    image = Image.open(io.BytesIO(stored))
    exif = image.getexif()
    assert not exif.get_ifd(GPS_IFD) and 0x010F not in exif
    assert b"PhoneMaker" not in stored and b"Exif" not in stored


def test_a_signed_in_resident_finds_the_report_in_my_reports(client, city, people):
    client.force_login(people.resident_user)
    page = client.get(reverse("cases:report"))
    # Their own community is pre-selected.
    assert re.search(
        rf'value="{city.community.pk}" data-code="{city.community.code}" selected', page.content.decode()
    )
    client.post(reverse("cases:report"), {"description": "楼道灯坏了", "unit": city.unit.pk})
    case = Case.objects.get()
    assert case.reporter_user == people.resident_user and case.reporter == people.resident
    mine = client.get(reverse("cases:mine"))
    assert case.ref in mine.content.decode()
    assert client.get(reverse("cases:my_case", args=[case.pk])).status_code == 200


def test_a_qr_code_link_preselects_the_building(client, city):
    html = client.get(reverse("cases:report") + f"?at={city.unit.code}").content.decode()
    assert re.search(rf'<option value="{city.building.pk}" selected>', html)
    assert re.search(rf'<option value="{city.unit.pk}" selected>', html)


def test_the_place_pickers_list_buildings_and_units_of_a_community(client, city):
    data = client.get(reverse("cases:places"), {"area": city.community.pk}).json()
    assert data["buildings"] == [
        {
            "id": city.building.pk,
            "name": "1幢",
            "units": [{"id": city.unit.pk, "name": "1单元"}, {"id": city.unit2.pk, "name": "2单元"}],
        }
    ]
    assert client.get(reverse("cases:places"), {"area": "x"}).status_code == 404


def test_where_names_the_community_and_grid_of_a_point(client, city):
    data = client.get(reverse("cases:where"), {"lng": "120.105", "lat": "30.205"}).json()
    assert data == {
        "found": True,
        "grid": "宝石一网格",
        "community": {"id": city.community.pk, "name": "宝石社区"},
        "street": "北山街道",
    }
    assert client.get(reverse("cases:where"), {"lng": "10", "lat": "10"}).json()["found"] is False


def test_anonymous_reports_are_limited_per_address_and_the_excess_makes_no_case(client, city, settings):
    settings.CIVICGRID_ANONYMOUS_REPORTS_PER_HOUR = 2
    for n in range(2):
        client.post(
            "/cases/report/",
            {
                "description": f"路灯不亮 {n}",
                "community": city.community.pk,
                "address": "宝石路口",
                "client_key": f"{n}" * 32,
            },
        )
    before = Case.objects.count()
    response = client.post(
        "/cases/report/",
        {
            "description": "第三次",
            "community": city.community.pk,
            "address": "宝石路口",
            "client_key": "9" * 32,
        },
    )
    assert response.status_code == 429
    assert Case.objects.count() == before
    assert "12345" in response.content.decode()
