"""The case page: all facts, the whole timeline with actor, from → to, reason and time, photos by
kind, merged duplicates, and the reporter's contact masked until a deliberate, logged unmask."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from civicgrid.cases import services
from civicgrid.core.models import AccessLog


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def photo():
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "JPEG")
    return SimpleUploadedFile("p.jpg", out.getvalue(), content_type="image/jpeg")


def page(client, user, case):
    client.force_login(user)
    response = client.get(reverse("cases:staff_case", args=[case.pk]))
    assert response.status_code == 200
    return response


def test_the_timeline_shows_every_step_with_actor_states_reason_and_time(client, city, people, report):
    case = report(description="小区门口乱停车", photos=[photo()])
    case = services.dispatch(case, people.dispatcher, city.dept, note="请核查")
    case = services.return_to_dispatcher(case, people.handler, "不属于本部门")
    case = services.dispatch(case, people.dispatcher, city.dept2)
    response = page(client, people.dispatcher, case)
    rows = response.context["timeline"]
    assert [r["event"].action for r in rows] == ["report", "dispatch", "return_to_dispatcher", "dispatch"]
    actors = [r["actor"] for r in rows]
    assert actors[1:] == ["dispatcher", "handler", "dispatcher"]
    assert actors[0] != people.resident_user.username  # the reporter is never named
    returned = rows[2]
    assert returned["event"].note == "不属于本部门" and returned["moved"]
    html = response.content.decode()
    assert "不属于本部门" in html and "城管执法中队" in html and "水务所" in html
    assert response.context["photos"] and len(response.context["photos"][0][1]) == 1


def test_contact_details_are_masked_and_unmasked_only_by_a_logged_post(client, city, people):
    case = services.intake(
        channel="resident_app",
        description="路灯不亮",
        unit=city.unit,
        contact_name="李小红",
        contact_phone="13900001111",
    ).case
    response = page(client, people.grid_worker, case)
    html = response.content.decode()
    assert "13900001111" not in html and "李小红" not in html
    assert "139****1111" in html and "李*红" in html
    assert response.context["can_unmask"]

    url = reverse("cases:staff_unmask", args=[case.pk])
    assert client.post(url, {"reason": ""}).status_code == 400
    assert AccessLog.objects.count() == 0
    shown = client.post(url, {"reason": "callback"})
    assert shown.status_code == 200 and "13900001111" in shown.content.decode()
    log = AccessLog.objects.get()
    assert log.user == people.grid_worker and log.subject_id == str(case.pk) and "contact_phone" in log.fields


def test_staff_who_may_not_unmask_cannot_and_nothing_is_logged(client, city, people):
    case = services.intake(
        channel="resident_app", description="路灯不亮", unit=city.unit, contact_phone="13900001111"
    ).case
    case = services.dispatch(case, people.dispatcher, city.dept, assisting=[city.dept2])
    response = page(client, people.other_handler, case)
    assert not response.context["can_unmask"]
    assert (
        client.post(reverse("cases:staff_unmask", args=[case.pk]), {"reason": "callback"}).status_code == 403
    )
    assert AccessLog.objects.count() == 0
    assert client.get(reverse("cases:staff_unmask", args=[case.pk])).status_code == 405


def test_a_merged_duplicate_points_to_its_main_case_and_the_main_lists_it(client, people, report):
    main = report(description="乱停车")
    dup = report(description="门口乱停车")
    services.merge([dup], main, people.dispatcher)
    dup_page = page(client, people.dispatcher, dup).content.decode()
    assert reverse("cases:staff_case", args=[main.pk]) in dup_page
    main_page = page(client, people.dispatcher, main)
    assert [d.pk for d in main_page.context["duplicates"]] == [dup.pk]


def test_the_case_page_runs_a_bounded_number_of_queries(
    client, city, people, rule, report, django_assert_max_num_queries
):
    case = report()
    for i in range(10):
        services.comment(case, people.grid_worker, f"第{i}次电话联系")
    case = services.dispatch(case, people.dispatcher, city.dept, assisting=[city.dept2])
    client.force_login(people.dispatcher)
    # a fixed number, whatever the rows: the page's own, the top bar's (one look-up per app, and one per case-page panel;
    # the possible duplicates' panel is one query, shared with the merge form; the triage panel one)
    with django_assert_max_num_queries(28):
        assert client.get(reverse("cases:staff_case", args=[case.pk])).status_code == 200
