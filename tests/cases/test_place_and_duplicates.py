"""Address-only reports get their place from the registry (or the dispatcher picks it); possible
duplicates near/far, recent/old, alike/different, same unit; a resident follows an open case
instead of reporting it again; the dispatcher merges from the panel."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from civicgrid.cases import services
from civicgrid.cases.duplicates import find_duplicates, radius_for, similarity
from civicgrid.cases.models import Case, CaseEvent, CaseFollower, Category, InboxMessage, PlaceMatch
from civicgrid.cases.workflow import State
from civicgrid.core import outbox
from tests import address_fixtures

registry = address_fixtures.registry  # the fixture


# --- place from the address ------------------------------------------------------------------


def test_an_address_only_report_is_placed_in_its_unit(city, people, registry):
    result = services.intake(
        channel="resident_app", description="楼道灯坏了", address="翠苑小区３栋２单元302室"
    )
    case = result.case
    b3, (u1, u2) = registry.b[3]
    assert case.unit_id == u2.pk and case.building_id == b3.pk and case.grid_id == city.grid.pk
    match = PlaceMatch.objects.get(case=case)
    assert match.status == "matched" and match.level == "unit" and match.used and match.confidence >= 0.85


def test_an_ambiguous_address_is_filed_above_and_never_guessed(city, people, registry):
    case = services.intake(channel="resident_app", description="楼道灯坏了", address="幸福家园1幢").case
    assert case.building_id is None and case.grid_id is None
    assert case.path == city.street.path  # the deepest area both candidates share
    match = PlaceMatch.objects.get(case=case)
    assert match.status == "ambiguous" and not match.used and len(match.candidates) >= 2


def test_no_match_and_no_area_is_a_clear_error(city, registry):
    with pytest.raises(ValidationError):
        services.intake(channel="resident_app", description="灯坏了", address="火星基地99幢")
    assert not Case.objects.exists()


def test_a_report_with_a_point_is_not_matched(city, registry):
    case = services.intake(
        channel="resident_app", description="灯坏了", address="翠苑小区3幢", lng=120.105, lat=30.205
    ).case
    assert not PlaceMatch.objects.filter(case=case).exists()


def test_the_dispatcher_picks_the_building_and_a_history_row_says_so(client, city, people, registry):
    case = services.intake(channel="resident_app", description="楼道灯坏了", address="幸福家园1幢").case
    client.force_login(people.dispatcher)
    page = client.get(reverse("cases:staff_case", args=[case.pk])).content.decode()
    assert 'id="place-match"' in page and 'id="pick-place-form"' in page
    x2 = registry.x2[0]
    response = client.post(
        reverse("cases:staff_pick_place", args=[case.pk]),
        {"building": x2.pk, "expected_version": case.version},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.building_id == x2.pk and case.grid_id == city.grid2.pk and case.path == x2.path
    event = CaseEvent.objects.get(case=case, action="pick_place")
    assert event.actor == people.dispatcher and event.data["from_path"] == city.street.path
    assert PlaceMatch.objects.get(case=case).picked_by == people.dispatcher


def test_picking_a_place_is_for_registrars_in_scope(city, people, registry):
    case = services.intake(channel="resident_app", description="楼道灯坏了", address="幸福家园1幢").case
    with pytest.raises(PermissionDenied):
        services.pick_place(case, people.resident_user, building=registry.x1[0])
    with pytest.raises(PermissionDenied):
        services.pick_place(case, people.other_grid_worker, building=registry.x1[0])
    with pytest.raises(PermissionDenied):  # the street's case, the grid worker's building, but not their case
        services.pick_place(case, people.grid_worker, building=registry.x1[0])
    services.pick_place(case, people.dispatcher, building=registry.x1[0])
    assert Case.objects.get(pk=case.pk).building_id == registry.x1[0].pk


# --- duplicates ------------------------------------------------------------------------------


def test_radius_rules_are_data(cats):
    lamp = Category.objects.get(code="1603")
    road = Category.objects.get(code="1601")
    assert radius_for(lamp) == 50
    assert radius_for(road) == 200  # from its parent 16
    assert radius_for(cats.fire_lane) == 100  # the default
    road.duplicate_metres = 80
    assert radius_for(road) == 80


def test_near_and_far(city, report):
    lamp = Category.objects.get(code="1603")
    first = report(description="路灯不亮了", category=lamp, lng=120.1050, lat=30.2050)
    near = find_duplicates(description="路灯不亮", category=lamp, lng=120.1053, lat=30.2051)  # ~30 m
    far = find_duplicates(description="路灯不亮", category=lamp, lng=120.1060, lat=30.2050)  # ~96 m
    assert [d.case for d in near] == [first] and "near" in near[0].reasons
    assert far == []  # beyond a street light's 50 m
    road = Category.objects.get(code="1601")
    report(description="路面有大坑", category=road, lng=120.1050, lat=30.2050)
    assert find_duplicates(description="路面大坑", category=road, lng=120.1065, lat=30.2050)  # ~144 m < 200 m


def test_the_hotline_desk_and_the_phone_page_ask_one_rule(city, report, cats):
    lamp = Category.objects.get(code="1603")
    first = report(description="路灯不亮了", category=lamp, lng=120.1050, lat=30.2050)
    # The desk's warning uses the category's radius (a street light's 50 m), as the phone page does.
    assert services.find_possible_duplicates(
        category=lamp, description="路灯不亮", lng=120.1053, lat=30.2051
    ) == [first]
    assert (
        services.find_possible_duplicates(category=lamp, description="路灯不亮", lng=120.1060, lat=30.2050)
        == []
    )
    # The same address as written, with no point: found by both, for a related report only.
    at_gate = report(description="小区门口垃圾桶满溢", address="文三路100号门口", unit=None, area=city.grid)
    assert [d.case for d in find_duplicates(description="垃圾桶满了", address="文三路100号门口")] == [at_gate]
    assert services.find_possible_duplicates(description="垃圾桶满了", address="文三路100号门口") == [at_gate]
    assert find_duplicates(description="楼上装修噪音扰民到深夜", address="文三路100号门口") == []
    # A category in a grid, nothing else known: the desk still warns.
    assert services.find_possible_duplicates(category=cats.rubbish, grid=city.grid) == [at_gate]


def test_recent_and_old(city, report):
    lamp = Category.objects.get(code="1603")
    old = report(description="路灯不亮了", category=lamp, lng=120.1050, lat=30.2050)
    Case.objects.filter(pk=old.pk).update(reported_at=timezone.now() - timedelta(days=20))
    assert find_duplicates(description="路灯不亮", category=lamp, lng=120.1050, lat=30.2050) == []
    lamp.duplicate_days = 30
    assert find_duplicates(description="路灯不亮", category=lamp, lng=120.1050, lat=30.2050)


def test_similar_and_different_text(city, report, cats):
    first = report(description="小区门口有车辆乱停，占用消防通道", lng=120.1050, lat=30.2050)
    alike = find_duplicates(description="消防通道被车堵住了", lng=120.1051, lat=30.2050)
    assert [d.case for d in alike] == [first]
    assert similarity("小区门口有车辆乱停，占用消防通道", "楼下垃圾桶满了没人清运") < 30
    different = find_duplicates(description="楼下垃圾桶满了没人清运", lng=120.1051, lat=30.2050)
    assert different == []


def test_same_unit_counts_without_a_point(city, report, cats):
    first = report(description="楼道灯坏了，晚上很黑", unit=city.unit)
    report(description="楼道灯坏了，晚上很黑", unit=city.unit3)  # another building
    found = find_duplicates(description="楼道里的灯不亮", unit_id=city.unit.pk, building_id=city.building.pk)
    assert [d.case for d in found] == [first] and "same_unit" in found[0].reasons


def test_closed_and_merged_cases_are_not_duplicates(city, people, report):
    a = report(description="路灯不亮了", lng=120.1050, lat=30.2050)
    b = report(description="路灯不亮了", lng=120.1050, lat=30.2050)
    services.merge([b], a, people.dispatcher)
    found = find_duplicates(description="路灯不亮", lng=120.1050, lat=30.2050)
    assert [d.case for d in found] == [a]


# --- the resident follows instead ------------------------------------------------------------


def test_the_report_page_offers_similar_cases_masked(client, city, people, report):
    case = report(description="13812345678 张晓明 反映：小区门口车辆乱停，占用消防通道", unit=city.unit)
    response = client.get(
        reverse("cases:similar"),
        {
            "description": "门口车辆乱停占用消防通道",
            "community": city.community.pk,
            "building": city.building.pk,
        },
    )
    data = response.json()
    assert [c["id"] for c in data["cases"]] == [case.pk]
    shown = response.content.decode()
    assert "13812345678" not in shown and "张晓明" not in shown and "reporter" not in shown
    assert data["cases"][0]["follow"] == reverse("cases:follow_existing", args=[case.pk])


def test_a_private_case_is_not_offered(client, city, report):
    petition = Category.objects.get(code="0102")  # petitions are not public
    report(description="反映小区门口车辆乱停", category=petition, unit=city.unit)
    response = client.get(
        reverse("cases:similar"), {"description": "小区门口车辆乱停", "building": city.building.pk}
    )
    assert response.json()["cases"] == []


def test_following_makes_no_new_case_and_the_follower_hears_of_progress(client, city, people, report):
    case = report(description="小区门口车辆乱停，占用消防通道", unit=city.unit)
    other = create_user_with_inbox(city)
    client.force_login(other)
    before = Case.objects.count()
    response = client.post(reverse("cases:follow_existing", args=[case.pk]))
    assert response.status_code == 302
    assert Case.objects.count() == before
    follower = CaseFollower.objects.get(case=case)
    assert follower.user == other
    page = client.get(response["Location"])
    assert page.status_code == 200 and case.ref in page.content.decode()
    # following again is the same follower, the same link
    again = client.post(reverse("cases:follow_existing", args=[case.pk]))
    assert again["Location"] == response["Location"] and CaseFollower.objects.count() == 1
    outbox.drain()
    InboxMessage.objects.all().delete()
    services.dispatch(case, people.dispatcher, city.dept)
    case = services.accept(case, people.handler)
    outbox.drain()
    assert InboxMessage.objects.filter(user=other, case=case).exists()


def test_an_anonymous_follower_gets_a_private_link_and_email(client, city, people, report, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from django.core import mail

    case = report(description="小区门口车辆乱停，占用消防通道", unit=city.unit)
    response = client.post(reverse("cases:follow_existing", args=[case.pk]), {"email": "f@example.org"})
    assert response.status_code == 302 and "/following/" in response["Location"]
    page = client.get(response["Location"]).content.decode()
    summary = page.split('id="case-summary"')[1].split("</section>")[0]
    # the room number (101) stays private; the case's own number may happen to hold the same digits
    assert case.ref in page and "101" not in summary.replace(case.ref, "")
    outbox.drain()
    mail.outbox.clear()
    services.dispatch(case, people.dispatcher, city.dept)
    services.accept(case, people.handler)
    outbox.drain()
    assert any("f@example.org" in m.to for m in mail.outbox)


def test_a_closed_case_cannot_be_followed(client, city, people):
    case = services.settle_on_spot(
        by=people.grid_worker, description="路灯不亮", result="已修", unit=city.unit
    ).case
    response = client.post(reverse("cases:follow_existing", args=[case.pk]))
    assert response.status_code == 302 and not CaseFollower.objects.exists()


def test_a_bad_follower_link_is_a_404(client, db):
    assert client.get(reverse("cases:following", args=["nope"])).status_code == 404


def create_user_with_inbox(city):
    from django.contrib.auth.models import User

    from civicgrid.people.models import Role
    from civicgrid.people.services import assign_role

    u = User.objects.create_user("neighbour", password="pw-neighbour")
    assign_role(u, Role.RESIDENT, area=city.grid)
    return u


# --- the dispatcher merges from the panel ----------------------------------------------------


def test_the_dispatcher_merges_a_duplicate_from_the_panel(client, city, people, report):
    main = report(description="小区门口车辆乱停，占用消防通道", unit=city.unit)
    dup = report(description="门口车辆乱停，消防通道堵住了", unit=city.unit)
    client.force_login(people.dispatcher)
    page = client.get(reverse("cases:staff_case", args=[main.pk])).content.decode()
    assert 'id="possible-duplicates"' in page and f'data-merge="{dup.pk}"' in page
    response = client.post(
        reverse("cases:staff_act", args=[main.pk, "merge"]),
        {"merge-expected_version": main.version, "merge-duplicates": dup.pk},
    )
    assert response.status_code == 302
    dup.refresh_from_db()
    assert dup.state == State.MERGED and dup.merged_into_id == main.pk


def test_the_panel_offers_no_merge_to_a_read_only_leader(client, city, people, report):
    main = report(description="小区门口车辆乱停，占用消防通道", unit=city.unit)
    report(description="门口车辆乱停，消防通道堵住了", unit=city.unit)
    client.force_login(people.leader)
    page = client.get(reverse("cases:staff_case", args=[main.pk])).content.decode()
    assert 'id="possible-duplicates"' in page and "data-merge=" not in page
