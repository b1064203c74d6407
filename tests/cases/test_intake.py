import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from civicgrid.cases import services
from civicgrid.cases.models import Case, CaseEvent
from civicgrid.cases.workflow import STAFF_CHANNELS, CaseLevel, Channel, Kind, State
from civicgrid.core.models import OutboxEvent


def test_resident_report_on_the_map_lands_in_its_grid_triaged_and_waits_for_registration(city, people, cats):
    result = services.intake(
        channel="resident_app",
        description="楼下消防通道被堵塞了",
        lng=120.105,
        lat=30.205,
        by=people.resident_user,
    )
    case = result.case
    assert result.created and result.token
    assert case.grid_id == city.grid.pk and case.path == city.grid.path
    assert case.jurisdiction == "330106"
    assert case.category == cats.fire_lane and case.top_category_id == cats.fire_lane.parent_id
    assert case.state == State.SUBMITTED and case.level == CaseLevel.GRID
    assert case.reporter_user == people.resident_user and case.reporter == people.resident
    assert case.respond_due and case.resolve_due and case.level_due
    assert case.ref.endswith(f"-330106-{case.pk:06d}")
    assert Case.objects.by_ref(case.ref).get() == case
    assert services.case_for_token(result.token) == case
    assert CaseEvent.objects.filter(case=case, action="report").count() == 1
    assert OutboxEvent.objects.filter(topic="case.reported", payload__case=case.pk).exists()


def test_report_by_unit_fills_building_and_grid(city, report):
    case = report(unit=city.unit)
    assert (case.unit_id, case.building_id, case.grid_id) == (city.unit.pk, city.building.pk, city.grid.pk)
    assert case.path == city.unit.path


def test_gcj02_coordinates_are_stored_as_wgs84(city, people):
    from civicgrid.core import geo

    lng, lat = geo.wgs84_to_gcj02(120.105, 30.205)
    case = services.intake(channel="resident_app", description="路灯不亮", lng=lng, lat=lat, crs="gcj02").case
    assert case.grid_id == city.grid.pk
    assert abs(case.lng - 120.105) < 1e-5 and abs(case.lat - 30.205) < 1e-5


def test_a_retried_submission_with_the_same_client_key_returns_the_first_case(city, report, people):
    first = services.intake(
        channel="resident_app", description="垃圾满溢", unit=city.unit, client_key="abc-1"
    )
    again = services.intake(
        channel="resident_app", description="垃圾满溢", unit=city.unit, client_key="abc-1"
    )
    assert first.created and not again.created
    assert again.case.pk == first.case.pk
    assert again.token == first.token
    assert Case.objects.count() == 1


def test_the_same_client_key_on_another_channel_is_another_case(city):
    a = services.intake(channel="resident_app", description="垃圾满溢", unit=city.unit, client_key="k")
    b = services.intake(channel="open311", description="垃圾满溢", unit=city.unit, client_key="k")
    assert a.case.pk != b.case.pk


def test_hotline_cases_start_registered_at_the_street(city, people, cats):
    case = services.intake(
        channel="hotline",
        description="反映道路破损",
        area=city.street,
        by=people.dispatcher,
        contact_phone="13900001111",
    ).case
    assert case.state == State.REGISTERED and case.registered_at
    assert case.level == CaseLevel.STREET and case.level_due is None
    assert case.grid_id is None and case.path == city.street.path
    assert case.reporter_user is None


def test_staff_channels_need_staff(city, people):
    with pytest.raises(PermissionDenied):
        services.intake(channel="grid_patrol", description="x", unit=city.unit, by=people.resident_user)
    with pytest.raises(PermissionDenied):
        services.intake(channel="grid_patrol", description="x", unit=city.unit3, by=people.grid_worker)


def test_a_report_needs_a_description_and_a_place(city):
    with pytest.raises(ValidationError):
        services.intake(channel="resident_app", description="  ", unit=city.unit)
    with pytest.raises(ValidationError):
        services.intake(channel="resident_app", description="有问题")


def test_a_point_outside_every_grid_without_another_place_is_refused(city):
    with pytest.raises(ValidationError):
        services.intake(channel="resident_app", description="有问题", lng=100.0, lat=20.0)


def test_untriaged_text_goes_to_other(city, cats):
    case = services.intake(channel="resident_app", description="想咨询一件事", unit=city.unit).case
    assert case.category == cats.other


def test_errands_are_tracked_cases(city, people):
    case = services.intake(
        channel="errand", description="帮独居老人代办居住证", unit=city.unit, by=people.grid_worker
    ).case
    assert case.is_errand and case.category.parent.code == "21"
    assert case.state == State.REGISTERED


def test_emergency_goes_to_the_district_at_once(city, people):
    case = services.intake(
        channel="grid_patrol", description="燃气泄漏", unit=city.unit, by=people.grid_worker, kind="emergency"
    ).case
    assert case.level == CaseLevel.DISTRICT and case.state == State.REGISTERED
    assert OutboxEvent.objects.get(topic="case.reported").payload["emergency"] is True


def test_suggested_department_comes_from_the_deepest_rule(city, cats, rule, report):
    from civicgrid.cases.models import DispatchRule

    case = report(description="乱停车")
    assert case.suggested_department == city.dept
    deeper = DispatchRule.objects.create(category=cats.parking, area=city.grid, department=city.dept2)
    case2 = report(description="乱停车")
    assert case2.suggested_department == city.dept2
    suggestion = services.suggest_dispatch(case2)
    assert suggestion.department == city.dept2 and suggestion.rule == deeper and suggestion.source == "rule"
    other_grid_case = report(unit=city.unit3, description="乱停车")
    assert services.suggest_dispatch(other_grid_case).source == "parent rule"
    assert services.suggest_dispatch(other_grid_case).assisting == [city.dept2]


def test_auto_dispatch_categories_go_straight_to_the_department(city, cats, rule, report):
    cats.parking.auto_dispatch = True
    cats.parking.save()
    case = report(description="乱停车")
    assert case.state == State.DISPATCHED and case.department == city.dept
    assert list(case.assisting.all()) == [city.dept2]


def test_settled_on_the_spot_is_one_closed_case(city, people, cats):
    result = services.settle_on_spot(
        by=people.steward, description="楼道堆放杂物", result="已劝导住户清理", unit=city.unit
    )
    case = result.case
    assert case.state == State.CLOSED and case.kind == "general"
    assert case.closed_at == case.reported_at and case.result == "已劝导住户清理"
    assert case.level == CaseLevel.UNIT


def test_only_chain_staff_of_the_place_settle_on_the_spot(city, people):
    with pytest.raises(PermissionDenied):
        services.settle_on_spot(by=people.resident_user, description="x", result="y", unit=city.unit)
    with pytest.raises(PermissionDenied):
        services.settle_on_spot(by=people.other_grid_worker, description="x", result="y", unit=city.unit)


def test_possible_duplicates_are_found_nearby_or_at_the_same_address(city, report, cats):
    first = report(description="垃圾桶满溢", lng=120.1051, lat=30.2051)
    report(description="垃圾桶满溢", unit=city.unit3)  # another grid, no point
    found = services.find_possible_duplicates(description="垃圾满溢没人清运", lng=120.1052, lat=30.2052)
    assert list(found) == [first]
    by_grid = services.find_possible_duplicates(category=cats.rubbish, grid=city.grid)
    assert list(by_grid) == [first]


def test_intake_writes_the_case_its_history_and_its_outbox_row_in_three_inserts(
    city, cats, django_assert_num_queries
):
    services.intake(channel="resident_app", description="预热", lng=120.105, lat=30.205)  # warm the caches
    # SAVEPOINT, INSERT case, INSERT history, INSERT outbox, RELEASE: no look-ups on the way.
    # PostgreSQL gets the three INSERTs as one statement (chained by their RETURNING ids).
    with django_assert_num_queries(3 if connection.vendor == "postgresql" else 5):
        services.intake(
            channel="open311", description="楼道灯坏了", lng=120.105, lat=30.205, client_key="abc"
        )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the one-statement report is PostgreSQL's")
@pytest.mark.parametrize("kind", Kind.values)
@pytest.mark.parametrize("channel", Channel.values)
def test_the_one_statement_report_writes_the_same_rows_as_the_orm(
    city, people, cats, monkeypatch, monday_morning, channel, kind
):
    if channel in STAFF_CHANNELS:
        by = people.grid_worker  # staff enter these (no reporter record is looked up)
    else:
        by = None if channel == "open311" else people.resident_user

    def report(key):
        result = services.intake(
            channel=channel,
            by=by,
            description="楼道灯坏了",
            lng=120.105,
            lat=30.205,
            client_key=key,
            kind=kind,
            extra={"client": 1, "attributes": {"floor": "3"}},
        )
        case = Case.objects.filter(pk=result.case.pk).values().get()
        assert result.case.reporter_id == case["reporter_id"]
        event = CaseEvent.objects.filter(case=result.case).values().get()
        row = OutboxEvent.objects.filter(payload__case=result.case.pk).values().get()
        assert row["payload"]["event"] == event["id"]
        assert result.case.ref == Case.objects.get(pk=result.case.pk).ref
        for values, keys in (
            (case, ("id", "follow_token_hash", "client_key")),
            (event, ("id", "case_id")),
            (row, ("id",)),
        ):
            for name in keys:
                values.pop(name)
        for name in ("case", "event"):
            row["payload"].pop(name)
        return case, event, row

    one_statement = report("one")
    assert (one_statement[0]["reporter_id"] is not None) == (by is people.resident_user)
    monkeypatch.setattr(services.new_cases, "_one_statement", lambda using: False)
    assert report("orm") == one_statement
