"""Co-building: units offer resources, communities list needs, matching suggests resources by type
and area (nearest first), projects pair them with a status, history and a result."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from civicgrid.volunteering import services
from civicgrid.volunteering.models import NeedState, ProjectEvent, ProjectState, ResourceType


@pytest.fixture
def lists(city, people):
    hospital = services.create_unit(
        "区人民医院", city.street, people.community_staff, communities=[city.community]
    )
    firm = services.create_unit("律师事务所", city.street, people.admin, communities=[city.community2])
    doctors = services.add_resource(
        hospital, ResourceType.EXPERTISE, "每月义诊", city.community, people.community_staff
    )
    lawyers = services.add_resource(firm, ResourceType.EXPERTISE, "法律咨询", city.street, people.admin)
    hall = services.add_resource(hospital, ResourceType.VENUE, "会议室", city.street, people.community_staff)
    need = services.list_need(city.community, ResourceType.EXPERTISE, "老人健康讲座", people.community_staff)
    return hospital, firm, doctors, lawyers, hall, need


def test_matching_suggests_resources_of_the_type_nearest_first(lists):
    _hospital, _firm, doctors, lawyers, hall, need = lists
    assert services.suggest_resources(need) == [doctors, lawyers]


def test_a_project_pairs_them_and_moves_on_with_a_result(lists, people):
    _hospital, _firm, doctors, _lawyers, _hall, need = lists
    project = services.start_project(need, doctors, people.community_staff, agreed_on=date(2026, 3, 1))
    need.refresh_from_db()
    assert need.state == NeedState.PAIRED and doctors not in services.suggest_resources(need)
    services.move_project(project, ProjectState.IN_PROGRESS, people.community_staff, on=date(2026, 3, 10))
    with pytest.raises(ValidationError):
        services.move_project(project, ProjectState.DONE, people.community_staff)  # a result is needed
    services.move_project(
        project, ProjectState.DONE, people.community_staff, note="讲座 4 场，120 人次", on=date(2026, 6, 1)
    )
    project.refresh_from_db()
    need.refresh_from_db()
    assert project.result == "讲座 4 场，120 人次" and need.state == NeedState.MET
    assert list(ProjectEvent.objects.filter(project=project).values_list("to_state", flat=True)) == [
        "agreed",
        "in_progress",
        "done",
    ]
    with pytest.raises(ValidationError):
        services.move_project(project, ProjectState.IN_PROGRESS, people.community_staff)


def test_a_resource_of_another_type_cannot_be_paired(lists, people):
    *_rest, hall, need = lists
    with pytest.raises(ValidationError):
        services.start_project(need, hall, people.community_staff, agreed_on=date(2026, 3, 1))


def test_only_the_community_lists_its_needs(city, people):
    with pytest.raises(PermissionDenied):
        services.list_need(city.community, ResourceType.FUNDS, "x", people.resident_user)


@pytest.mark.parametrize("lang,word", [("zh-hans", "需求清单"), ("en", "Needs")])
def test_the_community_and_unit_pages_show_both_sides(client, lists, people, lang, word):
    hospital, *_rest = lists
    client.force_login(people.community_staff)
    page = client.get(
        reverse("volunteering:cobuilding_community", args=["330106001001"]), HTTP_ACCEPT_LANGUAGE=lang
    )
    text = page.content.decode()
    assert page.status_code == 200 and word in text and "老人健康讲座" in text and "每月义诊" in text
    unit_page = client.get(
        reverse("volunteering:cobuilding_unit", args=[hospital.pk]), HTTP_ACCEPT_LANGUAGE=lang
    )
    assert "每月义诊" in unit_page.content.decode() and "老人健康讲座" in unit_page.content.decode()
