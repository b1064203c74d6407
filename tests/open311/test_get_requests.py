from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from civicgrid.areas.models import Level
from civicgrid.areas.services import create_area
from civicgrid.cases import services as case_services
from civicgrid.cases.models import Case
from civicgrid.cases.workflow import State
from civicgrid.open311 import presenters
from civicgrid.open311 import services as open311_services

from .conformance import validate


@pytest.fixture
def reported(city, o311, post):
    """reported(**form) → the Case a POST made."""

    def make(**form):
        response = post(**form)
        assert response.status_code == 201, response.content
        return Case.objects.get(pk=int(response.json()[0]["service_request_id"].rsplit("-", 1)[1]))

    return make


def close(case, people, dept):
    case = case_services.register(case, people.grid_worker)
    case = case_services.dispatch(case, people.dispatcher, dept)
    case = case_services.accept(case, people.handler)
    case = case_services.mark_handled(case, people.handler, "已挪走车辆，恢复消防通道畅通")
    return case_services.verify(case, people.grid_worker, passed=True)


def ids(data):
    return [r["service_request_id"] for r in data]


def test_requests_are_listed_newest_first_in_both_formats(city, o311, reported, get):
    first = reported(description="第一件")
    second = reported(description="第二件")
    data = get("requests", "requests", "service_requests")
    assert ids(data) == [second.ref, first.ref]
    row = data[1]
    assert row["status"] == "open" and row["service_code"] == "0501" and row["service_name"] == "消防通道堵塞"
    assert row["description"] == "第一件"
    assert row["requested_datetime"] == presenters.w3(first.reported_at)
    assert row["expected_datetime"] == presenters.w3(first.resolve_due)
    assert row["address"] == "宝石一网格 宝石社区 北山街道" and row["address_id"] == city.grid.code
    assert row["lat"] == 30.205 and row["long"] == 120.105


def test_a_closed_request_says_what_was_done_and_when_it_closed(city, people, o311, reported, get):
    case = close(reported(), people, city.dept)
    (row,) = get(f"requests/{case.ref}", "requests", "service_requests")
    assert row["status"] == "closed"
    assert row["status_notes"] == "已挪走车辆，恢复消防通道畅通"
    assert row["agency_responsible"] == city.dept.name
    assert row["updated_datetime"] == presenters.w3(case.closed_at)


def test_a_request_not_accepted_is_closed_with_its_reason(city, people, o311, reported, get):
    case = case_services.not_accept(reported(), people.grid_worker, "不属于本网格管辖")
    (row,) = get(f"requests/{case.ref}", "requests", "service_requests")
    assert (row["status"], row["status_notes"]) == ("closed", "不属于本网格管辖")


def test_a_merged_duplicate_follows_its_main_request(city, people, o311, reported, get):
    main, duplicate = reported(description="主"), reported(description="重复")
    case_services.merge([duplicate], main, people.grid_worker)
    (row,) = get(f"requests/{duplicate.ref}", "requests", "service_requests")
    assert row["status"] == "open" and main.ref in row["status_notes"]
    close(main, people, city.dept)
    (row,) = get(f"requests/{duplicate.ref}", "requests", "service_requests")
    assert (
        row["status"] == "closed" and "已挪走车辆" in row["status_notes"] and main.ref in row["status_notes"]
    )
    assert row["agency_responsible"] == city.dept.name


def test_status_service_code_and_dates_filter(city, people, o311, reported, get):
    open_case = reported()
    closed_case = close(reported(description="另一件"), people, city.dept)
    parking = reported(service_code="0403", **{"attribute[BLOCKED]": None})
    assert ids(get("requests", "requests", "service_requests", status="open")) == [parking.ref, open_case.ref]
    assert ids(get("requests", "requests", "service_requests", status="closed")) == [closed_case.ref]
    assert len(get("requests", "requests", "service_requests", status="open,closed")) == 3
    assert ids(get("requests", "requests", "service_requests", service_code="0403")) == [parking.ref]
    assert len(get("requests", "requests", "service_requests", service_code="0403,0501")) == 3
    today = timezone.now()
    window = {
        "start_date": (today - timedelta(days=1)).isoformat(),
        "end_date": (today + timedelta(days=1)).isoformat(),
    }
    assert len(get("requests", "requests", "service_requests", **window)) == 3
    past = {"start_date": "2010-05-24T00:00:00Z", "end_date": "2010-06-24T00:00:00Z"}
    assert get("requests", "requests", "service_requests", **past) == []


def test_without_dates_only_the_last_90_days_are_listed(city, o311, reported, get):
    with time_machine.travel(timezone.now() - timedelta(days=120)):
        old = reported(description="四个月前")
    recent = reported(description="今天")
    assert ids(get("requests", "requests", "service_requests")) == [recent.ref]
    assert ids(get("requests", "requests", "service_requests", service_request_id=old.ref)) == [old.ref]


def test_service_request_ids_override_the_other_filters(city, people, o311, reported, get):
    a, _b, c = reported(description="a"), reported(description="b"), reported(description="c")
    data = get(
        "requests", "requests", "service_requests", service_request_id=f"{a.ref},{c.ref}", status="closed"
    )
    assert set(ids(data)) == {a.ref, c.ref}
    assert get("requests", "requests", "service_requests", service_request_id="nonsense,2026-1-1") == []
    huge = "2026-330106-" + "9" * 30
    assert get("requests", "requests", "service_requests", service_request_id=huge) == []
    get(f"requests/{huge}", "requests", "service_requests", expect=404)


def test_pages_follow_the_page_and_page_size_extension(city, o311, reported, get):
    cases = [reported(description=f"第{i}件") for i in range(5)]
    newest_first = [c.ref for c in reversed(cases)]
    assert ids(get("requests", "requests", "service_requests", page_size="2")) == newest_first[:2]
    assert ids(get("requests", "requests", "service_requests", page_size="2", page="3")) == newest_first[4:]
    assert get("requests", "requests", "service_requests", page_size="2", page="4") == []


@pytest.mark.parametrize(
    "params",
    [
        {"status": "pending"},
        {"start_date": "yesterday"},
        {"start_date": "2026-01-01T00:00:00Z", "end_date": "2025-12-01T00:00:00Z"},
        {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"},
        {"page": "0"},
        {"page": "1001"},
        {"page_size": "5000"},
        {"page_size": "ten"},
    ],
)
def test_bad_filters_are_400_with_the_spec_error_list(city, o311, get, params):
    (error,) = get("requests", "requests", "service_requests", expect=400, **params)
    assert error["code"] == 400


def test_an_unknown_request_is_404(city, o311, get):
    get("requests/2026-330106-999999", "requests", "service_requests", expect=404)


def test_personal_data_never_appears_and_typed_numbers_are_masked(city, o311, reported, client):
    case = reported(
        description="请联系我13812345678，身份证330106198001011234，邮箱zxm@example.org",
        first_name="晓明",
        last_name="张",
        phone="13912345678",
        email="private@example.org",
        address_string="宝石社区1幢1单元101室",
    )
    for fmt in ("json", "xml"):
        for path in ("requests", f"requests/{case.ref}"):
            text = client.get(f"/open311/v2/{path}.{fmt}", {"extensions": "true"}).content.decode()
            for secret in (
                "张晓明",
                "晓明",
                "13912345678",
                "private@example.org",
                "13812345678",
                "330106198001011234",
                "zxm@example.org",
                "101室",
            ):
                assert secret not in text, (fmt, path, secret)
            assert "138****5678" in text


def test_a_category_not_shown_publicly_stays_private_except_to_the_client_that_posted_it(
    city, o311, reported, client
):
    private = reported(service_code="0701", **{"attribute[BLOCKED]": None})  # 邻里纠纷: not public
    assert private.public is False
    assert client.get("/open311/v2/requests.json").json() == []
    assert client.get(f"/open311/v2/requests/{private.ref}.json").status_code == 404
    mine = client.get(f"/open311/v2/requests/{private.ref}.json", {"api_key": o311.key})
    assert mine.status_code == 200 and mine.json()[0]["service_request_id"] == private.ref
    _, other_key = open311_services.create_client(name="Someone else")
    assert client.get(f"/open311/v2/requests/{private.ref}.json", {"api_key": other_key}).status_code == 404


def test_extensions_add_the_detailed_state_department_deadline_and_public_notes(
    city, people, o311, reported, client
):
    case = reported()
    case = case_services.register(case, people.grid_worker)
    case = case_services.dispatch(case, people.dispatcher, city.dept)
    case_services.comment(case, people.dispatcher, "内部备注", public=False)
    for fmt in ("json", "xml"):
        response = client.get(f"/open311/v2/requests/{case.ref}.{fmt}", {"extensions": "true"})
        assert response.status_code == 200
    data = client.get(f"/open311/v2/requests/{case.ref}.json", {"extensions": "true"}).json()
    validate("requests_extended", data)
    (row,) = data
    assert row["extended_attributes"] == {
        "state": "dispatched",
        "state_name": str(State.DISPATCHED.label),
        "department": city.dept.name,
        "deadline": presenters.w3(case.resolve_due),
    }
    assert [n["type"] for n in row["notes"]] == ["report", "register", "dispatch"]
    assert "内部备注" not in str(data)
    plain = client.get(f"/open311/v2/requests/{case.ref}.json").json()
    validate("requests", plain)
    assert "notes" not in plain[0]


def test_a_token_is_the_idempotency_key_and_only_its_client_can_look_it_up(city, o311, post, get, client):
    response = post(headers={"Idempotency-Key": "phone-7-report-3"})
    ref = response.json()[0]["service_request_id"]
    data = get("tokens/phone-7-report-3", "token", "service_requests", api_key=o311.key)
    assert data == [{"service_request_id": ref, "token": "phone-7-report-3"}]
    get("tokens/phone-7-report-3", "token", "service_requests", expect=403)
    get("tokens/unknown", "token", "service_requests", expect=404, api_key=o311.key)


def test_reading_without_a_key_is_rate_limited_per_address(city, o311, client, settings):
    settings.CIVICGRID_OPEN311_ANON_RATE_PER_MINUTE = 3
    statuses = [client.get("/open311/v2/services.json").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert client.get("/open311/v2/services.json", {"api_key": o311.key}).status_code == 200


class TestSeveralJurisdictions:
    @pytest.fixture
    def second_district(self, city):
        return create_area(level=Level.DISTRICT, code="330108", name="滨江区", parent=city.city)

    def test_jurisdiction_id_becomes_required(self, city, o311, second_district, get, post):
        (error,) = get("services", "services", "services", expect=400)
        assert "jurisdiction_id" in error["description"]
        assert post().status_code == 400
        get("services", "services", "services", jurisdiction_id="330106")
        assert post(jurisdiction_id="330106").status_code == 201

    def test_an_unknown_jurisdiction_is_404(self, city, o311, second_district, get):
        get("services", "services", "services", expect=404, jurisdiction_id="sfgov.org")

    def test_requests_are_listed_per_jurisdiction(self, city, o311, second_district, post, get):
        post(jurisdiction_id="330106")
        assert len(get("requests", "requests", "service_requests", jurisdiction_id="330106")) == 1
        assert get("requests", "requests", "service_requests", jurisdiction_id="330108") == []

    def test_a_key_may_post_only_to_its_own_jurisdictions(self, city, o311, second_district, post):
        assert post(jurisdiction_id="330108").status_code == 403


def test_a_duplicate_of_a_duplicate_follows_the_end_of_the_chain(city, people, o311, reported, get):
    first, second, third = reported(description="一"), reported(description="二"), reported(description="三")
    case_services.merge([third], second, people.grid_worker)
    case_services.merge([second], first, people.grid_worker)  # third → second → first
    assert Case.objects.get(pk=third.pk).merged_into_id == second.pk
    close(first, people, city.dept)
    (row,) = get(f"requests/{third.ref}", "requests", "service_requests")
    assert row["status"] == "closed" and first.ref in row["status_notes"]
