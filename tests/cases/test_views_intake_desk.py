"""The hotline operator's and petition desk's entry: channel recorded, duplicate warning first."""

import pytest
from django.urls import reverse

from civicgrid.cases import services
from civicgrid.cases.models import Case
from civicgrid.cases.workflow import Channel, State


@pytest.fixture
def open_case(city, people):
    """An open case in the first grid: a blocked fire lane reported by a resident."""
    return services.intake(
        channel="resident_app", description="消防通道被车辆堵塞", unit=city.unit, by=people.resident_user
    ).case


def call(**fields):
    data = {
        "channel": Channel.HOTLINE,
        "description": "市民来电：消防通道又被堵塞了",
        "contact_name": "赵先生",
        "contact_phone": "13511112222",
        "client_key": "f" * 32,
    }
    data.update(fields)
    return data


def test_a_call_that_looks_like_an_open_case_is_warned_about_before_saving(client, city, people, open_case):
    client.force_login(people.dispatcher)
    url = reverse("cases:desk")
    response = client.post(url, call(area=city.grid.pk, external_ref="12345-0001"))
    html = response.content.decode()
    assert response.status_code == 200 and Case.objects.count() == 1  # nothing saved yet
    assert 'id="duplicates"' in html and open_case.ref in html
    assert 'name="confirm" value="on"' in html and 'id="desk-confirm"' in html
    # Everything typed is still there to confirm.
    assert "13511112222" in html and "12345-0001" in html

    response = client.post(url, call(area=city.grid.pk, external_ref="12345-0001", confirm="on"))
    assert response.status_code == 302 and Case.objects.count() == 2
    case = Case.objects.exclude(pk=open_case.pk).get()
    assert case.channel == Channel.HOTLINE and case.state == State.REGISTERED
    assert case.contact_phone == "13511112222" and case.grid == city.grid
    assert case.events.get(action="report").data["extra"] == {"external_ref": "12345-0001"}


def test_the_warning_links_to_the_open_case(client, city, people, open_case, monkeypatch):
    from civicgrid.cases.views import intake

    monkeypatch.setattr(intake, "staff_case_url", lambda case: f"/cases/staff/{case.pk}/")
    client.force_login(people.dispatcher)
    html = client.post(reverse("cases:desk"), call(area=city.grid.pk)).content.decode()
    assert f'href="/cases/staff/{open_case.pk}/"' in html


def test_a_letter_with_no_look_alike_is_saved_at_once_with_its_channel(client, city, people, open_case):
    client.force_login(people.community_staff)
    response = client.post(
        reverse("cases:desk"),
        call(channel=Channel.PETITION_LETTER, description="来信反映小区健身器材损坏", area=city.community.pk),
    )
    assert response.status_code == 302
    case = Case.objects.exclude(pk=open_case.pk).get()
    assert case.channel == Channel.PETITION_LETTER and case.path == city.community.path


def test_a_retried_desk_entry_makes_one_case(client, city, people):
    client.force_login(people.dispatcher)
    data = call(description="来电反映路灯不亮", area=city.grid2.pk)
    client.post(reverse("cases:desk"), data)
    client.post(reverse("cases:desk"), data)
    assert Case.objects.count() == 1


def test_the_desk_offers_the_areas_of_the_operators_scope(client, city, people):
    client.force_login(people.community_staff)
    areas = client.get(reverse("cases:desk")).context["areas"]
    assert [a.code for a in areas] == [city.community.code, city.grid.code, city.grid_x.code]
    response = client.post(reverse("cases:desk"), call(area=city.grid2.pk))  # another community
    assert response.status_code == 200 and Case.objects.count() == 0
    assert response.context["form"].errors["area"]


def test_a_department_enters_transfers_only(client, city, people):
    client.force_login(people.handler)
    response = client.get(reverse("cases:desk"))
    assert [c for c, _ in response.context["form"].fields["channel"].choices] == [Channel.DEPARTMENT_TRANSFER]
    response = client.post(reverse("cases:desk"), call(area=city.street.pk))
    assert Case.objects.count() == 0 and response.context["form"].errors["channel"]
    client.post(
        reverse("cases:desk"),
        call(channel=Channel.DEPARTMENT_TRANSFER, description="转办：占道经营", area=city.street.pk),
    )
    assert Case.objects.get().channel == Channel.DEPARTMENT_TRANSFER


def test_grid_workers_and_residents_have_no_desk(client, people):
    for user in (people.grid_worker, people.resident_user, people.outsider):
        client.force_login(user)
        assert client.get(reverse("cases:desk")).status_code == 403
