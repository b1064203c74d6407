"""Administrators read the personal-data access log, filtered by user, subject and date."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from civicgrid.core.pii import log_unmasked_view

URL = reverse("people:access_log")


@pytest.fixture
def entries(city, people):
    with time_machine.travel(dt.datetime(2025, 3, 3, 10, tzinfo=dt.UTC), tick=False):
        log_unmasked_view(
            user=people.grid_worker, subject=people.resident, fields=["phone"], reason="入户走访"
        )
    with time_machine.travel(dt.datetime(2025, 3, 10, 10, tzinfo=dt.UTC), tick=False):
        log_unmasked_view(
            user=people.community_staff, subject=people.resident, fields=["name"], reason="办理事件"
        )
        log_unmasked_view(
            user=people.community_staff, subject=city.household, fields=["address"], reason="核对"
        )


def rows(client, **params):
    response = client.get(URL, params)
    assert response.status_code == 200
    return [(r.user.username, r.subject_type) for r in response.context["rows"]]


def test_administrator_reads_every_entry_newest_first_with_masked_subject(client, people, entries):
    client.force_login(people.admin)
    response = client.get(URL)
    assert [r.reason for r in response.context["rows"]] == ["核对", "办理事件", "入户走访"]
    html = response.content.decode()
    assert "张*明" in html and "张晓明" not in html


def test_filters_by_user_subject_and_date(client, city, people, entries):
    client.force_login(people.admin)
    assert rows(client, user="gridworker") == [("gridworker", "people.resident")]
    assert rows(client, subject=f"people.resident#{people.resident.pk}") == [
        ("community", "people.resident"),
        ("gridworker", "people.resident"),
    ]
    assert rows(client, subject=f"areas.household#{city.household.pk}") == [("community", "areas.household")]
    assert rows(client, date_from="2025-03-05") == [
        ("community", "areas.household"),
        ("community", "people.resident"),
    ]
    assert rows(client, date_to="2025-03-05") == [("gridworker", "people.resident")]


@pytest.mark.parametrize(
    "persona", ["grid_worker", "community_staff", "dispatcher", "leader", "resident_user"]
)
def test_only_administrators_may_read_the_log(client, people, entries, persona):
    client.force_login(getattr(people, persona))
    assert client.get(URL).status_code == 403


def test_log_is_linked_from_the_top_bar_for_administrators_only(client, city, people):
    client.force_login(people.admin)
    assert URL in client.get("/").content.decode()
    client.force_login(people.grid_worker)
    assert URL not in client.get("/").content.decode()
