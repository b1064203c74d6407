"""The whole loop through /api/v1/, each step by the persona whose step it is."""

import datetime

from django.utils import timezone

from civicgrid.cases.models import Case, CaseEvent
from civicgrid.core.models import AccessLog


def act(client, case_id, action, **body):
    version = client.get(f"/api/v1/cases/{case_id}/").json()["version"]
    body.setdefault("expected_version", version)
    return client.post(f"/api/v1/cases/{case_id}/{action}/", body, format="json")


def ok(response):
    assert response.status_code == 200, response.content
    return response.json()


def test_a_case_goes_from_report_to_rating_through_the_api(city, people, api, intake):
    case = intake(by=people.resident_user)
    grid_worker, dispatcher, handler, resident = (
        api(people.grid_worker),
        api(people.dispatcher),
        api(people.handler),
        api(people.resident_user),
    )
    assert ok(act(grid_worker, case.pk, "register", note="已核实"))["state"] == "registered"
    data = ok(act(dispatcher, case.pk, "dispatch", department=city.dept.pk, assisting=[city.dept2.pk]))
    assert data["state"] == "dispatched" and data["department"] == city.dept.pk
    assert ok(act(handler, case.pk, "accept"))["state"] == "in_progress"
    assert ok(act(handler, case.pk, "mark-handled", result="已清理"))["state"] == "handled"
    closed = ok(act(grid_worker, case.pk, "verify", passed=True))
    assert closed["state"] == "closed" and closed["closed_at"]
    rated = ok(act(resident, case.pk, "rate", rating="satisfied"))
    assert rated["rating"] == "satisfied"
    actions = [e.action for e in CaseEvent.objects.filter(case=case).order_by("at", "id")]
    assert actions == ["report", "register", "dispatch", "accept", "mark_handled", "verify_pass", "rate"]


def test_a_return_and_a_new_dispatch(city, people, api, intake):
    case = intake()
    ok(act(api(people.dispatcher), case.pk, "dispatch", department=city.dept2.pk))
    returned = ok(act(api(people.other_handler), case.pk, "return", reason="不属于水务所职责"))
    assert returned["state"] == "returned" and returned["department"] is None
    assert (
        ok(act(api(people.dispatcher), case.pk, "dispatch", department=city.dept.pk))["state"] == "dispatched"
    )


def test_an_extension_asked_and_granted(city, people, api, intake):
    case = intake()
    ok(act(api(people.dispatcher), case.pk, "dispatch", department=city.dept.pk))
    ok(act(api(people.handler), case.pk, "accept"))
    before = Case.objects.get(pk=case.pk).resolve_due
    asked = ok(act(api(people.handler), case.pk, "request-extension", hours=16, reason="需要等待配件"))
    (pending,) = asked["extension_requests"]
    assert pending["status"] == "pending"
    granted = ok(act(api(people.dispatcher), case.pk, "decide-extension", request=pending["id"], grant=True))
    assert granted["extension_requests"][0]["status"] == "granted"
    assert Case.objects.get(pk=case.pk).resolve_due > before


def test_hold_resume_escalate_supervise_flag_and_reopen(city, people, api, intake):
    case = intake()
    dispatcher = api(people.dispatcher)
    ok(act(dispatcher, case.pk, "dispatch", department=city.dept.pk))
    ok(act(api(people.handler), case.pk, "accept"))
    until = (timezone.localdate() + datetime.timedelta(days=10)).isoformat()
    assert ok(act(dispatcher, case.pk, "put-on-hold", until=until, reason="等待资金"))["state"] == "on_hold"
    assert ok(act(dispatcher, case.pk, "resume"))["state"] == "in_progress"
    ok(act(api(people.supervisor), case.pk, "supervise", note="请尽快处理"))
    assert ok(act(dispatcher, case.pk, "flag-for-deliberation", note="多户反映"))["kind"] == "concentrated"
    ok(act(api(people.handler), case.pk, "mark-handled", result="已处理"))
    ok(act(api(people.grid_worker), case.pk, "verify", passed=True))
    assert ok(act(api(people.supervisor), case.pk, "reopen", note="居民再次反映"))["state"] == "rework"


def test_escalation_and_not_accepting(city, people, api, intake):
    case = intake()
    escalated = ok(act(api(people.grid_worker), case.pk, "escalate", note="网格无法协调"))
    assert escalated["level"] == "branch"
    other = intake(description="重复的反映")
    refused = ok(act(api(people.grid_worker), other.pk, "not-accept", reason="已有同类事件在办"))
    assert refused["state"] == "not_accepted" and refused["not_accepted_reason"] == "已有同类事件在办"


def test_merge_into_a_main_case(city, people, api, intake):
    main, duplicate = intake(), intake(description="同一辆车")
    response = api(people.grid_worker).post(
        f"/api/v1/cases/{duplicate.pk}/merge/", {"into": main.pk, "note": "重复"}, format="json"
    )
    assert ok(response)["state"] == "merged" and response.json()["merged_into"] == main.pk


def test_a_stale_version_is_409_with_a_clear_body(city, people, api, intake):
    case = intake()
    client = api(people.grid_worker)
    version = client.get(f"/api/v1/cases/{case.pk}/").json()["version"]
    ok(client.post(f"/api/v1/cases/{case.pk}/register/", {"expected_version": version}, format="json"))
    response = client.post(
        f"/api/v1/cases/{case.pk}/not-accept/", {"expected_version": version, "reason": "迟了"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "conflict" and response.json()["detail"]


def test_a_move_the_state_forbids_is_409(city, people, api, intake):
    case = intake()
    response = act(api(people.grid_worker), case.pk, "verify", passed=True)
    assert response.status_code == 409
    assert response.json()["code"] == "illegal_transition"


def test_a_missing_field_is_400_naming_it(city, people, api, intake):
    case = intake()
    response = act(api(people.grid_worker), case.pk, "not-accept")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and "reason" in response.json()["errors"]
    response = api(people.grid_worker).post(f"/api/v1/cases/{case.pk}/register/", {}, format="json")
    assert "expected_version" in response.json()["errors"]


def test_comments_and_photos(city, people, api, intake, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    import io

    from PIL import Image

    case = intake()
    client = api(people.grid_worker)
    comment = client.post(
        f"/api/v1/cases/{case.pk}/comments/", {"text": "已电话联系", "public": True}, format="json"
    )
    assert comment.status_code == 201 and comment.json()["note"] == "已电话联系"
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buffer, "JPEG")
    buffer.seek(0)
    buffer.name = "photo.jpg"
    uploaded = client.post(f"/api/v1/cases/{case.pk}/attachments/", {"file": buffer}, format="multipart")
    assert uploaded.status_code == 201, uploaded.content
    assert uploaded.json()["content_type"] == "image/jpeg" and uploaded.json()["width"] == 40
    listed = client.get(f"/api/v1/cases/{case.pk}/attachments/").json()
    assert [a["id"] for a in listed] == [uploaded.json()["id"]]
    bogus = io.BytesIO(b"not an image at all")
    bogus.name = "x.jpg"
    refused = client.post(f"/api/v1/cases/{case.pk}/attachments/", {"file": bogus}, format="multipart")
    assert refused.status_code == 400 and refused.json()["detail"]


def test_the_reporting_resident_sees_only_public_events(city, people, api, intake):
    case = intake(by=people.resident_user)
    client = api(people.grid_worker)
    client.post(f"/api/v1/cases/{case.pk}/comments/", {"text": "内部备注"}, format="json")
    client.post(f"/api/v1/cases/{case.pk}/comments/", {"text": "已安排处理", "public": True}, format="json")
    staff_notes = [e["note"] for e in client.get(f"/api/v1/cases/{case.pk}/").json()["timeline"]]
    resident_notes = [
        e["note"] for e in api(people.resident_user).get(f"/api/v1/cases/{case.pk}/").json()["timeline"]
    ]
    assert "内部备注" in staff_notes
    assert "内部备注" not in resident_notes and "已安排处理" in resident_notes


def test_contact_details_are_masked_and_unmasking_is_logged(city, people, api, intake):
    case = intake(contact_name="张晓明", contact_phone="13812345678")
    data = api(people.grid_worker).get(f"/api/v1/cases/{case.pk}/").json()
    assert (data["contact_name"], data["contact_phone"]) == ("张*明", "138****5678")
    assert "13812345678" not in str(data)
    unmasked = api(people.grid_worker).get(f"/api/v1/cases/{case.pk}/contact/")
    assert unmasked.json()["contact_phone"] == "13812345678"
    assert AccessLog.objects.filter(user=people.grid_worker, subject_id=str(case.pk)).count() == 1
    assert api(people.leader).get(f"/api/v1/cases/{case.pk}/contact/").status_code == 403


def test_intake_through_the_api_is_idempotent(city, people, api):
    client = api(people.grid_worker)
    body = {"channel": "grid_patrol", "description": "井盖缺失", "area": city.grid.code}
    first = client.post("/api/v1/cases/", body, format="json", headers={"Idempotency-Key": "patrol-1"})
    again = client.post("/api/v1/cases/", body, format="json", headers={"Idempotency-Key": "patrol-1"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"] and first.json()["created"] is True
    assert first.json()["state"] == "registered" and first.json()["category"] == "1602"
    assert Case.objects.count() == 1


def test_a_resident_may_not_use_a_staff_channel(city, people, api):
    response = api(people.resident_user).post(
        "/api/v1/cases/", {"channel": "hotline", "description": "x", "area": city.grid.code}, format="json"
    )
    assert response.status_code == 403 and response.json()["detail"]


def test_settled_on_the_spot_in_one_step(city, people, api):
    response = api(people.grid_worker).post(
        "/api/v1/cases/settle-on-spot/",
        {"description": "楼道堆物", "result": "已劝导清理", "unit": city.unit.code},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["state"] == "closed" and response.json()["result"] == "已劝导清理"
