import pytest

from civicgrid.cases.models import Case, CaseEvent
from civicgrid.cases.workflow import Channel, State
from civicgrid.open311 import services as open311_services

from .conformance import assert_xml_matches_json, validate


def created(response, status=201):
    assert response.status_code == status, response.content
    data = response.json()
    validate("request_created", data)
    return data[0]


def test_a_post_creates_a_case_through_intake_in_its_grid(city, o311, post):
    answer = created(post(description="消防通道被汽车堵住了"))
    case = Case.objects.get()
    assert answer["service_request_id"] == case.ref
    assert answer["account_id"] is None and answer["service_notice"]
    assert case.channel == Channel.OPEN311
    assert case.category == o311.fire_lane
    assert case.grid_id == city.grid.pk and case.jurisdiction == "330106"
    assert case.state == State.SUBMITTED
    assert case.respond_due and case.resolve_due
    event = CaseEvent.objects.get(case=case, action="report")
    assert event.data["extra"]["attributes"] == {"BLOCKED": "car"}


def test_a_post_in_xml_answers_in_xml_with_the_same_content_as_json(city, o311, post):
    xml = post(fmt="xml", headers={"Idempotency-Key": "same"})
    assert xml.status_code == 201 and xml["Content-Type"] == "text/xml; charset=utf-8"
    data = created(post(headers={"Idempotency-Key": "same"}), status=200)
    assert_xml_matches_json(xml.content, [data], "service_requests")


def test_every_attribute_type_is_checked_and_kept(city, o311, post):
    created(
        post(
            **{
                "attribute[BLOCKED]": "bike",
                "attribute[SINCE]": "2026-03-01T08:00:00+08:00",
                "attribute[COUNT]": "3",
                "attribute[FLOORS][]": ["1", "3"],
                "attribute[PLATE]": "浙A12345",
                "attribute[MORE]": "第一行\n第二行",
            }
        )
    )
    event = CaseEvent.objects.get(action="report")
    assert event.data["extra"]["attributes"] == {
        "BLOCKED": "bike",
        "SINCE": "2026-03-01T08:00:00+08:00",
        "COUNT": 3,
        "FLOORS": ["1", "3"],
        "PLATE": "浙A12345",
        "MORE": "第一行\n第二行",
    }


@pytest.mark.parametrize(
    "form,fragment",
    [
        ({"attribute[BLOCKED]": None}, "BLOCKED"),
        ({"attribute[BLOCKED]": "boat"}, "car, bike"),
        ({"attribute[COUNT]": "many"}, "COUNT"),
        ({"attribute[COUNT]": "inf"}, "COUNT"),
        ({"attribute[COUNT]": "NaN"}, "COUNT"),
        ({"attribute[SINCE]": "yesterday"}, "SINCE"),
        ({"attribute[FLOORS][]": ["1", "9"]}, "FLOORS"),
        ({"attribute[PLATE]": "a\nb"}, "PLATE"),
        ({"attribute[NOPE]": "x"}, "NOPE"),
        ({"service_code": None}, "service_code"),
        ({"lat": "30.2", "long": None}, "lat"),
        ({"lat": "north", "long": "120.1"}, "lat"),
        ({"lat": "95", "long": "120.1"}, "lat"),
        ({"lat": None, "long": None, "address_string": None}, "location"),
        ({"email": "not-an-email"}, "email"),
        ({"description": "长" * 4001}, "4,000"),
    ],
)
def test_bad_input_is_400_with_the_spec_error_list(city, o311, post, form, fragment):
    response = post(headers={"Accept-Language": "en"}, **form)
    assert response.status_code == 400, response.content
    errors = response.json()
    validate("errors", errors)
    assert all(e["code"] == 400 for e in errors)
    assert fragment in " ".join(e["description"] for e in errors)
    assert not Case.objects.exists()


def test_an_unknown_service_code_is_404(city, o311, post):
    response = post(service_code="9999")
    assert response.status_code == 404
    validate("errors", response.json())


def test_posting_needs_an_api_key(city, o311, post):
    response = post(api_key="")
    assert response.status_code == 403
    validate("errors", response.json())
    assert "api_key" in response.json()[0]["description"]


def test_a_wrong_key_is_403(city, o311, post):
    assert post(api_key="not-a-key").status_code == 403


def test_a_revoked_key_is_403_and_says_so(city, o311, post):
    open311_services.revoke(o311.client)
    response = post(headers={"Accept-Language": "en"})
    assert response.status_code == 403
    assert "revoked" in response.json()[0]["description"]
    assert not Case.objects.exists()


def test_a_key_over_its_rate_is_429_with_retry_after(city, o311, post):
    o311.client.rate_limit_per_minute = 2
    o311.client.save()
    statuses = [post(description=f"第{i}次").status_code for i in range(3)]
    assert statuses == [201, 201, 429]
    response = post(description="再一次")
    assert int(response["Retry-After"]) >= 1
    validate("errors", response.json())
    assert Case.objects.count() == 2


def test_a_key_for_another_jurisdiction_is_403(city, o311, post):
    o311.client.jurisdiction_ids = ["330108"]
    o311.client.save()
    assert post().status_code == 403


def test_the_same_idempotency_key_never_makes_two_cases(city, o311, post):
    first = created(post(headers={"Idempotency-Key": "app-42"}))
    again = created(post(headers={"Idempotency-Key": "app-42"}, description="changed text"), status=200)
    assert again["service_request_id"] == first["service_request_id"]
    assert Case.objects.count() == 1


def test_another_client_with_the_same_idempotency_key_gets_its_own_case(city, o311, post):
    _, other_key = open311_services.create_client(name="Other app")
    first = created(post(headers={"Idempotency-Key": "k1"}))
    second = created(post(headers={"Idempotency-Key": "k1"}, api_key=other_key))
    assert first["service_request_id"] != second["service_request_id"]


def test_an_identical_body_without_a_key_is_a_retry(city, o311, post):
    first = created(post(description="同一个请求", device_id="tt222111"))
    again = created(post(description="同一个请求", device_id="tt222111"), status=200)
    assert again["service_request_id"] == first["service_request_id"]
    created(post(description="同一个请求", device_id="another-phone"))
    assert Case.objects.count() == 2


def test_a_retry_just_after_the_window_turned_is_still_a_retry(city, o311, post, monkeypatch):
    from civicgrid.open311 import views

    monkeypatch.setattr(views.time, "time", lambda: 600 * 1000 + 599.0)
    first = created(post(description="跨窗口"))
    monkeypatch.setattr(views.time, "time", lambda: 600 * 1001 + 1.0)
    again = created(post(description="跨窗口"), status=200)
    assert again["service_request_id"] == first["service_request_id"]


def test_personal_data_is_kept_on_the_case_for_staff(city, o311, post):
    created(post(first_name="晓明", last_name="张", phone="13812345678", email="zxm@example.org"))
    case = Case.objects.get()
    assert (case.contact_name, case.contact_phone, case.contact_email) == (
        "张晓明",
        "13812345678",
        "zxm@example.org",
    )


def test_address_id_places_the_case_on_a_unit(city, o311, post):
    created(post(lat=None, long=None, address_id=city.unit.code))
    case = Case.objects.get()
    assert (case.unit_id, case.building_id, case.grid_id) == (city.unit.pk, city.building.pk, city.grid.pk)


def test_an_unknown_address_id_is_404(city, o311, post):
    assert post(lat=None, long=None, address_id="330106999").status_code == 404


def test_an_address_string_alone_goes_to_the_district_command_centre(city, o311, post):
    created(post(lat=None, long=None, address_string="北山街道宝石社区东门"))
    case = Case.objects.get()
    assert case.path == city.district.path and case.address == "北山街道宝石社区东门"
    assert case.grid_id is None


def test_a_photo_can_come_with_the_report_and_passes_the_same_checks(city, o311, post):
    from django.core.files.uploadedfile import SimpleUploadedFile

    bogus = SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")
    response = post(media=bogus)
    assert response.status_code == 400
    validate("errors", response.json())


def test_error_descriptions_follow_the_language_chinese_first(city, o311, post):
    open311_services.revoke(o311.client)
    assert post().json()[0]["description"] == "此 api_key 已被吊销。"
    assert (
        post(headers={"Accept-Language": "en"}).json()[0]["description"] == "This api_key has been revoked."
    )
