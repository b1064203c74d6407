"""Every row that belongs to an area carries its jurisdiction (the tenant key, the future Citus
distribution column): rows hanging off a case take the case's, rollup rows and dispatch rules their
area's own (a city's rollup row the city's code)."""

import importlib

import pytest
import time_machine
from django.apps import apps
from django.urls import reverse

from civicgrid.areas.models import Level
from civicgrid.areas.services import create_area
from civicgrid.cases import rollups, services, sweeps
from civicgrid.cases.models import (
    CaseEvent,
    CategoryRollup,
    DepartmentRollup,
    DispatchRule,
    ExtensionRequest,
    GridRollup,
    InboxMessage,
    SupervisionOrder,
)
from civicgrid.core import outbox

from .conftest import at


@pytest.fixture
def other_district(city):
    """A second district of the city, down to a grid."""
    district = create_area(level=Level.DISTRICT, code="330108", name="滨江区", parent=city.city)
    street = create_area(level=Level.STREET, code="330108001", name="西兴街道", parent=district)
    community = create_area(level=Level.COMMUNITY, code="330108001001", name="缤纷社区", parent=street)
    grid = create_area(
        level=Level.GRID, code="330108001001001", name="缤纷一网格", parent=community, kind="N"
    )
    return grid


def test_rows_hanging_off_a_case_carry_its_jurisdiction(city, people, report):
    case = services.accept(services.dispatch(report(), people.dispatcher, city.dept), people.handler)
    services.request_extension(case, people.handler, 8, "需要协调")
    services.supervise(case, people.supervisor, note="请加快")
    outbox.drain()
    for model in (CaseEvent, ExtensionRequest, SupervisionOrder, InboxMessage):
        assert set(model.objects.filter(case=case).values_list("jurisdiction", flat=True)) == {"330106"}, (
            model
        )


def test_inbox_messages_from_the_sweep_carry_their_cases_jurisdiction(city, people, report):
    with time_machine.travel(at(2026, 3, 2, 9), tick=False):
        case = services.dispatch(report(), people.dispatcher, city.dept)
    InboxMessage.objects.all().delete()
    with time_machine.travel(at(2026, 3, 20, 9), tick=False):
        sweeps.sweep()
        outbox.drain()
    swept = InboxMessage.objects.filter(case=case)
    assert swept.exists()
    assert set(swept.values_list("jurisdiction", flat=True)) == {"330106"}


def test_every_rollup_row_carries_its_areas_own_jurisdiction(city, people, report, other_district):
    services.dispatch(report(), people.dispatcher, city.dept)
    services.intake(channel="hotline", description="路灯不亮", area=other_district, by=people.admin)
    rollups.process_pending()

    def rows():
        return {
            (model.__name__, area.code): jurisdiction
            for model in (CategoryRollup, DepartmentRollup, GridRollup)
            for area, jurisdiction in (
                (row.area, row.jurisdiction) for row in model.objects.select_related("area")
            )
        }

    incremental = rows()
    assert incremental[("CategoryRollup", "330100")] == "330100"  # the city's row: both districts' cases
    assert incremental[("CategoryRollup", "330106001001")] == "330106"
    assert incremental[("GridRollup", "330106001001001")] == "330106"
    assert incremental[("GridRollup", "330108001001001")] == "330108"
    assert incremental[("DepartmentRollup", "330106001")] == "330106"
    assert rollups.figures(city.city).reported == 2
    for model in (CategoryRollup, DepartmentRollup, GridRollup):
        for row in model.objects.select_related("area"):
            assert row.jurisdiction == row.area.jurisdiction
    rollups.rebuild()
    assert rows() == incremental


def test_a_dispatch_rule_takes_its_areas_jurisdiction_and_follows_its_area(city, rule):
    assert rule.jurisdiction == "330106"
    rule.area = city.city
    rule.save()
    assert DispatchRule.objects.get(pk=rule.pk).jurisdiction == "330100"


def test_a_dispatch_rule_added_in_the_admin_gets_its_areas_jurisdiction(client, city, cats, people):
    client.force_login(people.admin)
    form = client.get(reverse("admin:cases_dispatchrule_add")).content.decode()
    assert 'name="jurisdiction"' not in form  # filled from the area, never typed
    response = client.post(
        reverse("admin:cases_dispatchrule_add"),
        {"category": cats.parking.pk, "area": city.grid.pk, "department": city.dept.pk, "priority": 0},
    )
    assert response.status_code == 302
    assert DispatchRule.objects.get(category=cats.parking).jurisdiction == "330106"


def test_the_migration_fills_existing_rows_from_their_area_or_case(city, people, rule, report):
    case = services.dispatch(report(), people.dispatcher, city.dept)
    outbox.drain()
    rollups.process_pending()
    InboxMessage.objects.create(user=people.handler, text="无关联事件的消息")
    tables = (CategoryRollup, DepartmentRollup, DispatchRule, InboxMessage)
    for model in tables:
        model.objects.update(jurisdiction="")
    migration = importlib.import_module(
        "civicgrid.cases.migrations.0006_jurisdiction_on_rollups_inbox_and_rules"
    )
    migration.fill(apps, None)
    assert set(DispatchRule.objects.values_list("jurisdiction", flat=True)) == {"330106"}
    assert set(InboxMessage.objects.filter(case=case).values_list("jurisdiction", flat=True)) == {"330106"}
    assert InboxMessage.objects.get(case__isnull=True).jurisdiction == ""
    for model in (CategoryRollup, DepartmentRollup):
        assert model.objects.exists()
        for row in model.objects.select_related("area"):
            assert row.jurisdiction == row.area.jurisdiction
