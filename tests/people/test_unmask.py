"""A household's members are masked; showing them in full is a deliberate, logged POST."""

import pytest
from django.urls import reverse

from civicgrid.core.models import AccessLog
from civicgrid.people.services import create_resident


def household_url(city):
    return reverse("people:household", args=[city.household.pk])


def unmask_url(city):
    return reverse("people:unmask", args=[city.household.pk])


def test_household_page_shows_members_masked(client, city, people):
    client.force_login(people.grid_worker)
    html = client.get(household_url(city)).content.decode()
    assert "张*明" in html and "138****5678" in html and "330***********1234" in html
    assert "张晓明" not in html and "13812345678" not in html and "330106198001011234" not in html
    assert AccessLog.objects.count() == 0


def test_unmasking_writes_the_access_log_then_shows_who_is_viewing(client, city, people):
    client.force_login(people.grid_worker)
    response = client.post(unmask_url(city), {"member": "all", "reason": "visit"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "张晓明" in html and "13812345678" in html and "330106198001011234" in html
    assert "已显示完整信息" in html and "gridworker" in html and "入户走访" in html
    entry = AccessLog.objects.get()
    assert entry.user == people.grid_worker
    assert (entry.subject_type, entry.subject_id) == ("people.resident", str(people.resident.pk))
    assert entry.fields == "name,phone,id_number" and entry.reason == "入户走访"
    assert entry.path == unmask_url(city)
    assert "no-store" in response["Cache-Control"]


def test_unmasking_one_member_logs_and_shows_only_that_member(client, city, people):
    other = create_resident(household=city.household, name="王小红", phone="13900001111", relation="配偶")
    client.force_login(people.community_staff)
    response = client.post(unmask_url(city), {"member": str(other.pk), "reason": "case"})
    html = response.content.decode()
    assert "王小红" in html and "13900001111" in html
    assert "张晓明" not in html and "张*明" in html
    assert list(AccessLog.objects.values_list("subject_id", flat=True)) == [str(other.pk)]


def test_unmasking_needs_a_reason(client, city, people):
    client.force_login(people.grid_worker)
    response = client.post(unmask_url(city), {"member": "all", "reason": ""})
    assert response.status_code == 400
    assert "张晓明" not in response.content.decode()
    assert AccessLog.objects.count() == 0


def test_other_reason_needs_an_explanation_which_is_logged(client, city, people):
    client.force_login(people.grid_worker)
    assert client.post(unmask_url(city), {"member": "all", "reason": "other"}).status_code == 400
    assert AccessLog.objects.count() == 0
    response = client.post(unmask_url(city), {"member": "all", "reason": "other", "note": "核对低保申请"})
    assert response.status_code == 200
    assert AccessLog.objects.get().reason == "其他（请在下方说明）: 核对低保申请"


def test_reason_is_logged_in_the_sites_language_whatever_the_viewers(client, city, people):
    client.force_login(people.grid_worker)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    client.post(unmask_url(city), {"member": "all", "reason": "emergency"})
    assert AccessLog.objects.get().reason == "紧急联系"


@pytest.mark.parametrize("persona", ["dispatcher", "leader", "supervisor", "steward", "building_leader"])
def test_roles_without_unmask_see_no_button_and_are_refused(client, city, people, persona):
    client.force_login(getattr(people, persona))
    page = client.get(household_url(city))
    assert page.status_code == 200 and page.context["can_unmask"] is False
    assert unmask_url(city) not in page.content.decode()
    assert client.post(unmask_url(city), {"member": "all", "reason": "visit"}).status_code == 403
    assert AccessLog.objects.count() == 0


@pytest.mark.parametrize("persona", ["other_grid_worker", "handler", "resident_user", "outsider"])
def test_people_outside_the_scope_cannot_open_the_household(client, city, people, persona):
    client.force_login(getattr(people, persona))
    assert client.get(household_url(city)).status_code == 403
    assert client.post(unmask_url(city), {"member": "all", "reason": "visit"}).status_code == 403
    assert AccessLog.objects.count() == 0


def test_unmasking_is_a_post_only(client, city, people):
    client.force_login(people.grid_worker)
    assert client.get(unmask_url(city)).status_code == 405


def test_anonymous_visitors_are_sent_to_log_in(client, city, people):
    assert client.get(household_url(city)).status_code == 302
    assert client.post(unmask_url(city), {"member": "all", "reason": "visit"}).status_code == 302
    assert AccessLog.objects.count() == 0
