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
