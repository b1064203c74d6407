"""The grid worker's field report: patrol or visit, settled on the spot in one step, errands."""

import re

import pytest
from django.urls import reverse

from civicgrid.cases.models import Case, CaseEvent
from civicgrid.cases.workflow import CaseLevel, Channel, Kind, State


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_the_grid_worker_gets_the_form_with_their_grid_preselected(client, city, people):
    client.force_login(people.grid_worker)
    response = client.get(reverse("cases:field_report"))
    html = response.content.decode()
    assert 'id="field-form"' in html
    assert response.context["areas"] == [city.grid]  # only their grid …
    assert re.search(rf'<option value="{city.grid.pk}" selected>', html)  # … and chosen
    assert [b["id"] for b in response.context["buildings"]] == [city.building.pk]  # ready to pick
    assert f'<option value="{city.building.pk}">1幢</option>' in html


def test_a_matter_settled_on_the_spot_is_one_step_and_a_closed_case(client, city, people):
    client.force_login(people.grid_worker)
    response = client.post(
        reverse("cases:field_report"),
        {
            "mode": "settled",
            "channel": Channel.HOUSEHOLD_VISIT,
            "description": "楼道里堆放纸箱，堵塞通道",
            "result": "已协助住户清理纸箱，通道畅通",
            "area": city.grid.pk,
            "building": city.building.pk,
            "client_key": "c" * 32,
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("cases:field_report")
    case = Case.objects.get()
    assert case.state == State.CLOSED and case.kind == Kind.GENERAL and case.closed_at
    assert case.result == "已协助住户清理纸箱，通道畅通"
    assert case.channel == Channel.HOUSEHOLD_VISIT and case.building == city.building
    assert list(case.events.values_list("action", "actor")) == [("settle_on_spot", people.grid_worker.pk)]
    page = client.get(reverse("cases:field_report")).content.decode()
    assert case.ref in page  # in "my latest entries", and in the saved message


def test_settled_on_the_spot_needs_what_was_done(client, city, people):
    client.force_login(people.grid_worker)
    response = client.post(
        reverse("cases:field_report"),
        {"mode": "settled", "channel": Channel.GRID_PATROL, "description": "井盖松动", "area": city.grid.pk},
    )
    assert response.status_code == 200 and Case.objects.count() == 0
    assert response.context["form"].errors["result"]


def test_a_patrol_report_goes_into_the_loop_registered(client, city, people):
    client.force_login(people.grid_worker)
    client.post(
        reverse("cases:field_report"),
        {
            "mode": "report",
            "channel": Channel.GRID_PATROL,
            "description": "路边违章搭建棚子",
            "area": city.grid.pk,
            "client_key": "d" * 32,
        },
    )
    case = Case.objects.get()
    assert case.channel == Channel.GRID_PATROL and case.state == State.REGISTERED
    assert case.grid == city.grid and case.reporter_user is None
    assert CaseEvent.objects.get(case=case, action="report").actor == people.grid_worker


def test_a_retried_field_report_makes_one_case(client, city, people):
    client.force_login(people.grid_worker)
    data = {
        "mode": "settled",
        "channel": Channel.GRID_PATROL,
        "description": "路灯不亮",
        "result": "已报修并更换灯泡",
        "area": city.grid.pk,
        "client_key": "e" * 32,
    }
    client.post(reverse("cases:field_report"), data)
    client.post(reverse("cases:field_report"), data)
    assert Case.objects.count() == 1


def test_an_emergency_goes_straight_up(client, city, people):
    client.force_login(people.grid_worker)
    client.post(
        reverse("cases:field_report"),
        {
            "mode": "report",
            "channel": Channel.GRID_PATROL,
            "description": "燃气泄漏，有刺鼻气味",
            "area": city.grid.pk,
            "emergency": "on",
        },
    )
    case = Case.objects.get()
    assert case.kind == Kind.EMERGENCY and case.level == CaseLevel.DISTRICT


def test_an_errand_for_a_resident_is_a_tracked_case(client, city, people):
    client.force_login(people.grid_worker)
    client.post(
        reverse("cases:field_report"),
        {
            "mode": "errand",
            "channel": Channel.HOUSEHOLD_VISIT,
            "description": "帮独居老人代办高龄津贴申请",
            "area": city.grid.pk,
            "unit": city.unit.pk,
            "contact_name": "陈奶奶",
            "contact_phone": "13600002222",
        },
    )
    case = Case.objects.get()
    assert case.is_errand and case.channel == Channel.ERRAND and case.state == State.REGISTERED
    assert case.contact_name == "陈奶奶" and case.unit == city.unit
    assert case.events.get(action="report").data["extra"] == {"found_on": Channel.HOUSEHOLD_VISIT}


def test_a_place_outside_the_workers_grid_is_refused(client, city, people):
    client.force_login(people.grid_worker)
    response = client.post(
        reverse("cases:field_report"),
        {"mode": "report", "channel": Channel.GRID_PATROL, "description": "路灯不亮", "area": city.grid2.pk},
    )
    assert response.status_code == 200 and Case.objects.count() == 0
    assert response.context["form"].errors["area"]


def test_residents_and_departments_have_no_field_report(client, people):
    for user in (people.resident_user, people.handler, people.outsider):
        client.force_login(user)
        assert client.get(reverse("cases:field_report")).status_code == 403
    client.logout()
    assert client.get(reverse("cases:field_report")).status_code == 302


def test_community_staff_pick_among_the_grids_of_their_community(client, city, people):
    client.force_login(people.community_staff)
    areas = client.get(reverse("cases:field_report")).context["areas"]
    assert [a.code for a in areas] == [city.community.code, city.grid.code, city.grid_x.code]


def test_a_unit_steward_settles_a_matter_in_their_own_unit(client, city, people):
    client.force_login(people.steward)
    response = client.get(reverse("cases:field_report"))
    assert response.context["areas"] == [city.unit]
    assert [c for c, _ in response.context["form"].fields["channel"].choices] == [Channel.STEWARD]
    client.post(
        reverse("cases:field_report"),
        {
            "mode": "settled",
            "channel": Channel.STEWARD,
            "description": "楼道灯不亮",
            "result": "已更换灯泡",
            "area": city.unit.pk,
        },
    )
    case = Case.objects.get()
    assert case.state == State.CLOSED and case.level == CaseLevel.UNIT and case.channel == Channel.STEWARD
    assert (case.unit, case.building, case.grid) == (city.unit, city.building, city.grid)
