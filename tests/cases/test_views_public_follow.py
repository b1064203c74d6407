"""The private follow page (token link, or "my reports"): public timeline, time left, reason, rating."""

import pytest
import time_machine
from django.urls import reverse

from civicgrid.cases import services
from civicgrid.cases.models import Case
from civicgrid.cases.workflow import Rating, State

from .conftest import at


@pytest.fixture
def reported(city):
    """An anonymous resident's report with a contact, and its follow link."""
    result = services.intake(
        channel="resident_app",
        description="小区门口乱停车，堵住了消防通道",
        unit=city.unit,
        contact_name="王小红",
        contact_phone="13700001111",
    )
    return result.case, reverse("cases:follow", args=[result.token])


def handled(case, city, people, result="已清理违停车辆，恢复通道畅通"):
    case = services.dispatch(case, people.dispatcher, city.dept)
    case = services.accept(case, people.handler)
    return services.mark_handled(case, people.handler, result)


def closed(case, city, people):
    return services.verify(handled(case, city, people), people.grid_worker, passed=True)


def test_the_follow_link_shows_the_case_and_a_wrong_token_is_not_found(client, reported):
    case, url = reported
    response = client.get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert case.ref in html and "小区门口乱停车" in html and 'id="timeline"' in html
    assert response["Referrer-Policy"] == "same-origin" and "no-store" in response["Cache-Control"]
    assert client.get(reverse("cases:follow", args=["not-the-token"])).status_code == 404
    assert client.get(url[:-3] + "xx/").status_code == 404


def test_the_follow_page_names_departments_and_roles_never_staff(client, city, people, reported):
    case, url = reported
    people.handler.first_name, people.handler.last_name = "处置", "李强"
    people.handler.save()
    handled(case, city, people)
    html = client.get(url).content.decode()
    assert "城管执法中队" in html  # dispatched to, and handled by, the department
    assert "已清理违停车辆" in html  # what was done
    for personal in ("dispatcher", "handler", "李强", "gridworker"):
        assert personal not in html
    # The reporter's contact stays private: masked, never in full.
    assert "13700001111" not in html and "王小红" not in html
    assert "137****1111" in html


def test_the_not_accepted_reason_is_shown_to_the_reporter(client, people, reported):
    case, url = reported
    services.not_accept(case, people.grid_worker, "属于物业合同纠纷，请联系物业公司")
    html = client.get(url).content.decode()
    assert 'id="not-accepted"' in html and "属于物业合同纠纷" in html


def test_the_time_left_indicator_turns_amber_then_red(client, city, people):
    with time_machine.travel(at(2026, 3, 2, 9, 0), tick=False) as traveller:
        result = services.intake(channel="resident_app", description="路灯不亮", unit=city.unit)
        url = reverse("cases:follow", args=[result.token])
        case = services.dispatch(result.case, people.dispatcher, city.dept)
        services.accept(case, people.handler)
        case.refresh_from_db()
        assert 'class="timeleft green"' in client.get(url).content.decode()
        traveller.move_to(case.resolve_due - (case.resolve_due - case.clock_started_at) * 0.1)
        assert 'class="timeleft amber"' in client.get(url).content.decode()
        traveller.move_to(at(2026, 3, 31, 10, 0))
        html = client.get(url).content.decode()
        assert 'class="timeleft red"' in html and "超时" in html


def test_the_reporter_rates_a_closed_case_through_the_follow_link(client, city, people, reported):
    case, url = reported
    handled(case, city, people)
    assert 'id="rate-form"' not in client.get(url).content.decode()  # not before it is closed
    closed_case = services.verify(Case.objects.get(pk=case.pk), people.grid_worker, passed=True)
    assert closed_case.state == State.CLOSED
    assert 'id="rate-form"' in client.get(url).content.decode()
    response = client.post(url, {"rating": Rating.SATISFIED, "comment": "处理很快"})
    assert response.status_code == 302 and response["Location"] == url
    case.refresh_from_db()
    assert (
        case.rating == Rating.SATISFIED and case.rating_comment == "处理很快" and case.state == State.CLOSED
    )
    html = client.get(url).content.decode()
    assert 'id="rate-form"' not in html and 'id="rating-given"' in html
    # A second rating is refused and changes nothing.
    client.post(url, {"rating": Rating.UNSATISFIED, "comment": "again"})
    case.refresh_from_db()
    assert case.rating == Rating.SATISFIED


def test_unsatisfied_needs_a_comment_and_reopens_the_case_once(client, city, people, reported):
    case, url = reported
    closed(case, city, people)
    response = client.post(url, {"rating": Rating.UNSATISFIED, "comment": ""})
    assert response.status_code == 200 and Case.objects.get(pk=case.pk).rating == ""
    response = client.post(url, {"rating": Rating.UNSATISFIED, "comment": "车辆又停回来了"})
    case.refresh_from_db()
    assert case.state == State.REWORK and case.reopen_count == 1
    html = client.get(url).content.decode()
    assert "重新办理" in html  # the public timeline says it was reopened
    # Handled again and closed: a second unsatisfied rating goes to the supervisor, not back.
    case = services.mark_handled(case, people.handler, "已安装隔离桩")
    services.verify(case, people.grid_worker, passed=True)
    client.post(url, {"rating": Rating.UNSATISFIED, "comment": "还是不行"})
    case.refresh_from_db()
    assert case.state == State.CLOSED and case.reopen_count == 1
    assert case.supervision_orders.filter(reason="unsatisfied").exists()


def test_a_signed_in_reporter_rates_from_my_reports(client, city, people):
    case = services.intake(
        channel="resident_app", description="楼道堆物", unit=city.unit, by=people.resident_user
    ).case
    closed(case, city, people)
    client.force_login(people.resident_user)
    url = reverse("cases:my_case", args=[case.pk])
    assert client.post(url, {"rating": Rating.BASICALLY}).status_code == 302
    case.refresh_from_db()
    assert case.rating == Rating.BASICALLY
    event = case.events.get(action="rate")
    assert event.actor == people.resident_user


def test_another_users_report_is_not_in_my_reports(client, city, people):
    case = services.intake(
        channel="resident_app", description="楼道堆物", unit=city.unit, by=people.resident_user
    ).case
    client.force_login(people.outsider)
    assert client.get(reverse("cases:my_case", args=[case.pk])).status_code == 404
    assert case.ref not in client.get(reverse("cases:mine")).content.decode()
    client.logout()
    assert client.get(reverse("cases:mine")).status_code == 302  # to the login page


def test_a_merged_report_follows_its_main_case(client, city, people, reported):
    case, url = reported
    main = services.intake(channel="resident_app", description="消防通道又被堵", unit=city.unit).case
    services.merge([case], main, people.grid_worker)
    handled(main, city, people, result="已劝离车辆")
    html = client.get(url).content.decode()
    assert 'id="merged-note"' in html and main.ref in html and "已劝离车辆" in html
