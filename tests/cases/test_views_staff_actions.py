"""Every action on the case page, through the web: the right person moves the case, anyone else gets
403 (or 404 when the case is outside what they may see) and nothing changes."""

import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from civicgrid.cases import services
from civicgrid.cases.models import Attachment, Case, CaseEvent, ExtensionRequest, SupervisionOrder
from civicgrid.cases.workflow import State


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def as_user(client, user):
    client.force_login(user)
    return client


def act(client, case, action, version=None, files=None, **fields):
    """Post an action form as the case page does: prefixed fields and the version the person saw."""
    if version is None:
        version = Case.objects.get(pk=case.pk).version
    data = {f"{action}-expected_version": version}
    for key, value in fields.items():
        data[f"{action}-{key}"] = value
    if files:
        data.update({f"{action}-{k}": v for k, v in files.items()})
    return client.post(reverse("cases:staff_act", args=[case.pk, action]), data)


def photo(name="p.jpg"):
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (20, 120, 200)).save(out, "JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def state(case):
    return Case.objects.get(pk=case.pk).state


def events(case):
    return list(CaseEvent.objects.filter(case=case).values_list("action", flat=True))


def test_the_grid_worker_registers_a_report_with_a_corrected_category(client, people, report, cats):
    case = report()
    response = act(
        as_user(client, people.grid_worker), case, "register", category=cats.parking.pk, kind="coordination"
    )
    assert response.status_code == 302 and response.url == reverse("cases:staff_case", args=[case.pk])
    case.refresh_from_db()
    assert case.state == State.REGISTERED and case.category == cats.parking
    assert events(case)[-1] == "register"


def test_not_accepted_needs_a_reason_and_the_reason_is_kept(client, people, report):
    case = report()
    client = as_user(client, people.grid_worker)
    response = act(client, case, "not_accept", reason="")
    assert response.status_code == 400 and state(case) == State.SUBMITTED
    act(client, case, "not_accept", reason="属于私人纠纷")
    case.refresh_from_db()
    assert case.state == State.NOT_ACCEPTED and case.not_accepted_reason == "属于私人纠纷"


def test_the_dispatcher_confirms_the_suggested_departments_on_one_screen(client, city, people, rule, report):
    case = report(description="小区门口乱停车")
    client = as_user(client, people.dispatcher)
    response = client.get(reverse("cases:staff_case", args=[case.pk]))
    # The suggestion is pre-filled and open first: lead 城管执法中队, assisting 水务所.
    form = response.context["forms"][0]
    assert form.key() == "dispatch" and response.context["open_form"] == "dispatch"
    assert form["department"].value() == city.dept.pk and form["assisting"].value() == [city.dept2.pk]
    assert f'value="{city.dept.pk}" selected' in response.content.decode()
    response = act(
        client, case, "dispatch", department=city.dept.pk, assisting=[city.dept2.pk], note="请尽快处理"
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == State.DISPATCHED and case.department == city.dept
    assert list(case.assisting.all()) == [city.dept2]


def test_the_dispatcher_may_change_the_suggested_department(client, city, people, rule, report):
    case = report()
    act(as_user(client, people.dispatcher), case, "dispatch", department=city.dept2.pk)
    case.refresh_from_db()
    assert case.department == city.dept2 and case.assisting.count() == 0


def dispatched(city, people, report, **kw):
    return services.dispatch(report(**kw), people.dispatcher, city.dept)


def test_the_department_accepts_then_marks_handled_with_photos(client, city, people, report):
    case = dispatched(city, people, report)
    client = as_user(client, people.handler)
    act(client, case, "accept", note="已签收")
    assert state(case) == State.IN_PROGRESS
    response = act(
        client, case, "mark_handled", result="已清理", files={"photos": [photo("a.jpg"), photo("b.jpg")]}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == State.HANDLED and case.result == "已清理"
    assert Attachment.objects.filter(case=case, kind="handling").count() == 2


def test_the_department_returns_a_case_that_is_not_its_own(client, city, people, report, monday_morning):
    case = dispatched(city, people, report)
    act(as_user(client, people.handler), case, "return_to_dispatcher", reason="不属于本部门职责")
    case.refresh_from_db()
    assert case.state == State.RETURNED and case.department is None


def test_an_extension_is_requested_by_the_department_and_granted_by_the_dispatcher(
    client, city, people, report
):
    case = services.accept(dispatched(city, people, report), people.handler)
    due = case.resolve_due
    act(as_user(client, people.handler), case, "request_extension", hours=16, reason="需协调物业")
    request = ExtensionRequest.objects.get(case=case)
    assert request.status == "pending"
    client.logout()
    act(
        as_user(client, people.dispatcher),
        case,
        "decide_extension",
        request=request.pk,
        decision="grant",
        note="同意",
    )
    request.refresh_from_db()
    case.refresh_from_db()
    assert request.status == "granted" and case.resolve_due > due


def test_the_dispatcher_refuses_an_extension(client, city, people, report):
    case = services.accept(dispatched(city, people, report), people.handler)
    request = services.request_extension(case, people.handler, 8, "人手不足")
    act(as_user(client, people.dispatcher), case, "decide_extension", request=request.pk, decision="refuse")
    request.refresh_from_db()
    assert request.status == "refused"


def test_put_on_hold_with_a_review_date_then_resume(client, city, people, report, monday_morning):
    case = services.accept(dispatched(city, people, report), people.handler)
    client = as_user(client, people.dispatcher)
    act(client, case, "put_on_hold", until="2026-04-01", reason="需等待道路改造")
    case.refresh_from_db()
    assert case.state == State.ON_HOLD and case.hold_until == date(2026, 4, 1)
    act(client, case, "resume", note="改造完成")
    assert state(case) == State.IN_PROGRESS


def handled(city, people, report):
    case = services.accept(dispatched(city, people, report), people.handler)
    return services.mark_handled(case, people.handler, "已处理")


def test_the_grid_worker_verifies_and_closes(client, city, people, report):
    case = handled(city, people, report)
    act(
        as_user(client, people.grid_worker),
        case,
        "verify",
        passed="pass",
        note="现场已核实",
        files={"photos": [photo()]},
    )
    case.refresh_from_db()
    assert case.state == State.CLOSED and case.closed_at
    assert Attachment.objects.filter(case=case, kind="verification").count() == 1


def test_a_failed_verification_needs_a_note_and_sends_the_case_back(client, city, people, report):
    case = handled(city, people, report)
    client = as_user(client, people.grid_worker)
    assert act(client, case, "verify", passed="fail", note="").status_code == 400
    assert state(case) == State.HANDLED
    act(client, case, "verify", passed="fail", note="车辆仍在")
    assert state(case) == State.REWORK


def test_staff_record_a_call_back_rating_and_the_supervisor_reopens(client, city, people, report):
    case = services.verify(handled(city, people, report), people.grid_worker, passed=True)
    act(as_user(client, people.grid_worker), case, "rate", rating="basically", comment="电话回访")
    case.refresh_from_db()
    assert case.rating == "basically"
    client.logout()
    act(as_user(client, people.supervisor), case, "reopen", note="督查复核后重办")
    assert state(case) == State.REWORK


def test_escalate_supervise_flag_and_comment(client, city, people, report, monday_morning):
    case = report()
    client = as_user(client, people.grid_worker)
    act(client, case, "escalate", note="需社区协调")
    case.refresh_from_db()
    assert case.level == "branch"
    act(client, case, "comment", text="已电话联系居民", public="")
    assert CaseEvent.objects.filter(case=case, action="comment", public=False).exists()
    client.logout()
    client = as_user(client, people.dispatcher)
    act(client, case, "supervise", note="请今日处理", due="2026-03-03T17:00")
    order = SupervisionOrder.objects.get(case=case)
    assert order.issued_by == people.dispatcher and order.note == "请今日处理"
    act(client, case, "flag_for_deliberation", note="多位居民反映停车难")
    case.refresh_from_db()
    assert case.kind == "concentrated" and case.flagged_for_deliberation_at


def test_duplicates_are_merged_into_the_case_from_the_possible_duplicates(client, city, people, report):
    main = report(description="小区门口乱停车")
    dup = report(description="门口乱停车堵住通道")
    other = report(description="路灯坏了", unit=city.unit3)
    client = as_user(client, people.dispatcher)
    page = client.get(reverse("cases:staff_case", args=[main.pk])).content.decode()
    assert dup.ref in page
    act(client, main, "merge", duplicates=[dup.pk], ref=other.ref, note="同一事项")
    dup.refresh_from_db()
    other.refresh_from_db()
    assert dup.state == State.MERGED and dup.merged_into == main
    assert other.state == State.MERGED
    detail = client.get(reverse("cases:staff_case", args=[main.pk])).content.decode()
    assert "合并" in detail or "Merged" in detail


def test_photos_can_be_added_to_an_open_case(client, city, people, report):
    case = dispatched(city, people, report)
    act(as_user(client, people.handler), case, "add_attachment", kind="handling", files={"photos": [photo()]})
    assert Attachment.objects.filter(case=case, kind="handling").count() == 1


# ---------------------------------------------------------------- who may not


@pytest.mark.parametrize(
    "who,expected",
    [("outsider", 403), ("other_grid_worker", 404), ("other_handler", 404), ("resident_user", 403)],
)
def test_people_without_the_case_in_scope_cannot_see_or_dispatch_it(
    client, city, people, report, who, expected
):
    case = report()
    client = as_user(client, getattr(people, who))
    assert client.get(reverse("cases:staff_case", args=[case.pk])).status_code == expected
    response = act(client, case, "dispatch", department=city.dept.pk)
    assert response.status_code == expected
    assert state(case) == State.SUBMITTED and events(case) == ["report"]


def test_a_grid_worker_who_sees_the_case_may_not_dispatch_it(client, city, people, report):
    case = report()
    response = act(as_user(client, people.grid_worker), case, "dispatch", department=city.dept.pk)
    assert response.status_code == 403 and state(case) == State.SUBMITTED


def test_an_assisting_department_may_read_but_not_handle(client, city, people, report):
    case = services.dispatch(report(), people.dispatcher, city.dept, assisting=[city.dept2])
    client = as_user(client, people.other_handler)
    assert client.get(reverse("cases:staff_case", args=[case.pk])).status_code == 200
    assert act(client, case, "accept").status_code == 403
    assert act(client, case, "return_to_dispatcher", reason="不是我们的").status_code == 403
    assert state(case) == State.DISPATCHED


def test_a_leader_reads_but_never_acts(client, city, people, report):
    case = report()
    client = as_user(client, people.leader)
    page = client.get(reverse("cases:staff_case", args=[case.pk]))
    assert page.status_code == 200 and b"/act/" not in page.content
    assert act(client, case, "comment", text="看看").status_code == 403
    assert events(case) == ["report"]


def test_the_case_page_offers_only_the_actions_of_the_state_and_role(client, city, people, report):
    case = dispatched(city, people, report)
    handler_page = (
        as_user(client, people.handler).get(reverse("cases:staff_case", args=[case.pk])).content.decode()
    )
    assert "/act/accept/" in handler_page and "/act/return_to_dispatcher/" in handler_page
    assert "/act/dispatch/" not in handler_page and "/act/verify/" not in handler_page
    client.logout()
    dispatcher_page = (
        as_user(client, people.dispatcher).get(reverse("cases:staff_case", args=[case.pk])).content.decode()
    )
    assert "/act/dispatch/" in dispatcher_page and "/act/accept/" not in dispatcher_page


# ---------------------------------------------------------------- two people at once


def test_a_stale_form_gets_the_conflict_message_and_changes_nothing(client, city, people, rule, report):
    case = report()
    seen = case.version
    services.dispatch(case, people.dispatcher, city.dept)  # someone else acts first
    client = as_user(client, people.grid_worker)
    response = act(client, case, "not_accept", version=seen, reason="重复")
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == State.DISPATCHED and not case.not_accepted_reason
    page = client.get(response.url).content.decode()
    assert "其他人已先处理了此案件" in page or "Someone else acted on this case first" in page


def test_of_two_dispatchers_with_the_same_page_one_wins(client, city, people, rule, report):
    from civicgrid.people.models import Role
    from civicgrid.people.services import assign_role, create_user

    second = create_user("dispatcher2", "pw-dispatcher2")
    assign_role(second, Role.STREET_DISPATCHER, area=city.street)
    case = report()
    seen = case.version
    first = act(as_user(client, people.dispatcher), case, "dispatch", version=seen, department=city.dept.pk)
    assert first.status_code == 302
    client.logout()
    late = act(as_user(client, second), case, "dispatch", version=seen, department=city.dept2.pk)
    assert late.status_code == 302
    case.refresh_from_db()
    assert case.department == city.dept and events(case).count("dispatch") == 1
    messages = [str(m) for m in late.wsgi_request._messages]
    assert any("first" in m or "先" in m for m in messages)


def test_after_a_return_the_department_lands_on_its_queue(client, city, people, report):
    case = dispatched(city, people, report)
    response = act(as_user(client, people.handler), case, "return_to_dispatcher", reason="不属于本部门")
    assert response.status_code == 302 and response.url == reverse("cases:queue")
