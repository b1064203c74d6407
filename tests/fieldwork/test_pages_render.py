"""The phone pages render for a grid worker in Chinese and English, and the queue gets JSON back."""

from datetime import date

import pytest
from django.urls import reverse

from civicgrid.fieldwork import services
from civicgrid.fieldwork.models import FieldReport, Visit

pytestmark = pytest.mark.django_db

PAGES = ["my_day", "visits", "visit_new", "diary", "diary_new", "patrol", "report_new", "errands", "figures"]


@pytest.mark.parametrize("lang,word", [("zh-hans", "走访"), ("en", "visit")])
def test_every_phone_page_renders_in_both_languages(client, people, homes, wednesday, lang, word):
    client.force_login(people.grid_worker)
    for name in PAGES:
        response = client.get(reverse(f"fieldwork:{name}"), HTTP_ACCEPT_LANGUAGE=lang)
        assert response.status_code == 200, name
    response = client.get(reverse("fieldwork:my_day"), HTTP_ACCEPT_LANGUAGE=lang)
    assert word in response.content.decode().lower()


def test_the_household_list_is_masked(client, people, homes, wednesday):
    client.force_login(people.grid_worker)
    body = client.get(reverse("fieldwork:visit_new")).content.decode()
    assert "王*英" in body and "王秀英" not in body
    assert "葛岭" not in body  # another grid's household is not offered


def test_the_pages_are_for_grid_workers(client, people):
    client.force_login(people.resident_user)
    assert client.get(reverse("fieldwork:my_day")).status_code == 403


def test_a_queued_visit_sent_twice_arrives_once(client, people, homes, wednesday):
    client.force_login(people.grid_worker)
    data = {
        "client_key": "queued-visit-0001",
        "household": homes.alone.pk,
        "visited_on": "2026-03-11",
        "met": "head",
        "heard": "身体还好",
    }
    first = client.post(
        reverse("fieldwork:visit_new"), data, HTTP_X_FIELDWORK_QUEUE="1", HTTP_ACCEPT_LANGUAGE="en"
    )
    again = client.post(
        reverse("fieldwork:visit_new"), data, HTTP_X_FIELDWORK_QUEUE="1", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert first.status_code == 201 and first.json()["created"]
    assert again.status_code == 200 and not again.json()["created"]
    assert "already" in again.json()["message"]
    assert Visit.objects.count() == 1


def test_a_queued_visit_to_another_grid_is_refused_with_a_reason(client, people, homes, wednesday):
    client.force_login(people.grid_worker)
    data = {
        "client_key": "queued-visit-0002",
        "household": homes.outside.pk,
        "visited_on": "2026-03-11",
        "met": "head",
    }
    response = client.post(
        reverse("fieldwork:visit_new"), data, HTTP_X_FIELDWORK_QUEUE="1", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert "not in your grid" in " ".join(response.json()["errors"])


def test_a_queued_future_visit_is_refused_with_a_translated_reason(client, people, homes, wednesday):
    client.force_login(people.grid_worker)
    data = {
        "client_key": "queued-visit-0003",
        "household": homes.alone.pk,
        "visited_on": "2026-03-20",
        "met": "head",
    }
    response = client.post(
        reverse("fieldwork:visit_new"), data, HTTP_X_FIELDWORK_QUEUE="1", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.status_code == 400
    assert "走访不能填写未来的日期" in " ".join(response.json()["errors"])
    assert not Visit.objects.exists()


def test_a_queued_report_sent_twice_makes_one_case(client, people, city, wednesday):
    client.force_login(people.grid_worker)
    data = {"client_key": "queued-report-0001", "description": "井盖松动", "unit": city.unit.pk}
    first = client.post(reverse("fieldwork:report_new"), data, HTTP_X_FIELDWORK_QUEUE="1")
    again = client.post(reverse("fieldwork:report_new"), data, HTTP_X_FIELDWORK_QUEUE="1")
    assert first.status_code == 201 and again.status_code == 200
    assert FieldReport.objects.count() == 1


def test_the_manifest_and_the_root_scoped_service_worker_are_served(client, people):
    manifest = client.get(reverse("fieldwork:manifest"))
    assert manifest["Content-Type"] == "application/manifest+json"
    assert manifest.json()["start_url"] == reverse("fieldwork:my_day")
    sw = client.get("/fieldwork-sw.js")
    assert sw.status_code == 200 and sw["Service-Worker-Allowed"] == "/"
    assert reverse("fieldwork:visit_new") in sw.content.decode()


def test_no_page_carries_an_inline_script(client, people, homes, wednesday):
    client.force_login(people.grid_worker)
    services.record_visit(people.grid_worker, homes.alone, visited_on=date(2026, 3, 11), met="head")
    for name in PAGES:
        body = client.get(reverse(f"fieldwork:{name}")).content.decode()
        for chunk in body.split("<script")[1:]:
            assert chunk.lstrip().startswith("src="), name


def test_without_the_phone_script_a_visit_form_posts_and_redirects_to_the_visit(
    client, people, homes, wednesday
):
    client.force_login(people.grid_worker)
    data = {
        "client_key": "plain-visit-0001",
        "household": homes.couple.pk,
        "visited_on": "2026-03-11",
        "met": "member",
        "needs": "希望加装扶手",
        "need_action": "case",
    }
    response = client.post(reverse("fieldwork:visit_new"), data)
    visit = Visit.objects.get()
    assert response.status_code == 302 and response.url == reverse("fieldwork:visit", args=[visit.pk])
    page = client.get(response.url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert visit.case.ref in page and "李*国" in page


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_the_detail_progress_and_diary_pages_render_in_both_languages(
    client, people, homes, city, wednesday, lang
):
    visit = services.record_visit(
        people.grid_worker, homes.alone, visited_on=date(2026, 3, 11), met="head", needs="助餐"
    ).row
    errand = services.create_errand(
        people.grid_worker, household=homes.alone, request="代缴医保", consent_way="phone"
    ).row
    client.force_login(people.grid_worker)
    for url in (
        reverse("fieldwork:visit", args=[visit.pk]),
        reverse("fieldwork:errand", args=[errand.pk]),
        reverse("fieldwork:progress", args=[city.grid.pk]),
        "/",
    ):
        assert client.get(url, HTTP_ACCEPT_LANGUAGE=lang).status_code == 200, url
    client.force_login(people.community_staff)
    for url in (
        reverse("fieldwork:progress", args=[city.community.pk]),
        reverse("fieldwork:diary_community", args=[city.community.pk]),
        "/",
    ):
        assert client.get(url, HTTP_ACCEPT_LANGUAGE=lang).status_code == 200, url


def test_community_staff_set_a_quota_on_the_progress_page(client, people, city, wednesday):
    from civicgrid.fieldwork.models import VisitQuota

    client.force_login(people.community_staff)
    url = reverse("fieldwork:progress", args=[city.community.pk])
    response = client.post(url, {"household_type": "elderly", "period": "week", "visits": "2"})
    assert response.status_code == 302
    quota = VisitQuota.objects.get(community=city.community, household_type="elderly")
    assert (quota.period, quota.visits) == ("week", 2)
    client.force_login(people.grid_worker)
    assert client.post(url, {"household_type": "elderly", "period": "week", "visits": "3"}).status_code == 403


def test_an_errand_is_worked_from_its_page(client, people, homes, wednesday):
    errand = services.create_errand(
        people.grid_worker, household=homes.alone, request="代缴医保", consent_way="phone"
    ).row
    client.force_login(people.grid_worker)
    url = reverse("fieldwork:errand", args=[errand.pk])
    client.post(url, {"action": "step", "text": "已收集材料"})
    client.post(url, {"action": "close", "text": "已代缴", "version": errand.version + 1})
    errand.refresh_from_db()
    assert errand.state == "done" and errand.steps.count() == 1


def test_a_patrol_is_started_and_ended_from_the_queue(client, people, wednesday):
    from civicgrid.fieldwork.models import Patrol

    client.force_login(people.grid_worker)
    url = reverse("fieldwork:patrol")
    start = {"client_key": "queued-patrol-0001", "action": "start", "at": "2026-03-11T01:30:00Z"}
    assert client.post(url, start, HTTP_X_FIELDWORK_QUEUE="1").status_code == 201
    assert client.post(url, start, HTTP_X_FIELDWORK_QUEUE="1").status_code == 200
    end = {"client_key": "queued-patrol-0002", "action": "end", "patrol_key": "queued-patrol-0001"}
    assert client.post(url, end, HTTP_X_FIELDWORK_QUEUE="1").status_code == 200
    patrol = Patrol.objects.get()
    assert patrol.ended_at is not None and patrol.started_at.isoformat().startswith("2026-03-11T01:30")


def test_a_queued_report_is_filed_under_the_round_the_phone_names_only(client, people, city, wednesday):
    client.force_login(people.grid_worker)
    running = services.start_patrol(people.grid_worker, client_key="round-now-0001").row
    url = reverse("fieldwork:report_new")
    plain = {"client_key": "round-rep-0001", "description": "井盖缺失", "unit": city.unit.pk}
    client.post(url, plain, HTTP_X_FIELDWORK_QUEUE="1")  # recorded before the round: no key
    named = {**plain, "client_key": "round-rep-0002", "patrol_key": "round-now-0001"}
    client.post(url, named, HTTP_X_FIELDWORK_QUEUE="1")
    client.post(
        url, {**plain, "client_key": "round-rep-0003", "patrol_key": "bad key!"}, HTTP_X_FIELDWORK_QUEUE="1"
    )
    reports = dict(FieldReport.objects.values_list("client_key", "patrol_id"))
    assert reports == {"round-rep-0001": None, "round-rep-0002": running.pk, "round-rep-0003": None}
