"""A district leader opens the command centre, drills from a red community to its overdue cases, and
opens the latest index issue."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from civicgrid.areas.models import Level
from civicgrid.cases import rollups, sweeps
from civicgrid.cases import services as case_services
from civicgrid.indices import services
from civicgrid.indices.models import ColourRule
from civicgrid.people.models import Role
from civicgrid.people.services import assign_role, create_user
from tests.cases.conftest import cats  # noqa: F401

pytestmark = pytest.mark.browser

INDICATORS = [
    {
        "code": "overdue",
        "name": "逾期事件",
        "formula": "overdue_open",
        "direction": "lower_better",
        "weight": 1,
    }
]


def test_a_district_leader_drills_from_a_red_community_to_its_overdue_cases(
    city,
    people,
    cats,  # noqa: F811
    page,
    login,
    live_server,
    shot,  # noqa: F811
):
    # A case reported in 葛岭 three weeks ago, dispatched and taken on, then left past its time limit.
    with time_machine.travel(timezone.now() - timedelta(days=21), tick=False):
        case = case_services.intake(
            channel="resident_app",
            description="路灯坏了一个月",
            category=cats.parking,
            by=people.resident_user,
            unit=city.unit3,
        ).case
        case_services.accept(
            case_services.dispatch(case, people.dispatcher, city.dept2), people.other_handler
        )
    sweeps.sweep()
    rollups.process_pending()
    services.save_colour_rule(
        ColourRule(
            owner=city.district,
            level=Level.COMMUNITY,
            name="逾期事件",
            formula="overdue_open",
            direction="lower_better",
            red=1,
            orange=0.8,
            yellow=0.6,
            blue=0.4,
            months=2,
        )
    )
    kind = services.create_peer_group(code="old", name="老旧小区型", level=Level.COMMUNITY)
    services.set_peer_group(city.community, kind)
    services.set_peer_group(city.community2, kind)
    index = services.create_index(
        code="liuhe",
        name="六和指数",
        owner=city.district,
        level=Level.COMMUNITY,
        indicators=INDICATORS,
        months=2,
    )
    issue = services.publish_issue(index, by=people.supervisor, period_end=timezone.localdate())
    leader = create_user("districtleader", "pw-districtleader")
    assign_role(leader, Role.LEADER, area=city.district)

    login(page, "districtleader")
    page.get_by_role("link", name="指挥中心").first.click()
    expect(page.locator("h1")).to_contain_text("指挥中心 · 西湖区")
    expect(page.locator("[data-live=overdue]")).to_have_text("1")
    shot(page, "command-centre-district")

    page.get_by_role("link", name="五色图").first.click()
    page.locator("table.idx-table a", has_text="北山街道").click()
    expect(page.locator("tr[data-colour=red]")).to_contain_text("葛岭社区")
    shot(page, "five-colour-street")
    page.locator("tr[data-colour=red] a", has_text="超期事件").click()
    expect(page.locator("main")).to_contain_text(case.ref)

    page.goto(f"{live_server.url}/dashboard/command/{city.district.code}/")
    page.locator("a.latest-issue").click()
    expect(page.locator("h1")).to_contain_text(f"第{issue.number}期")
    expect(page.locator("main")).to_contain_text("葛岭社区")
    shot(page, "index-issue")
    with page.expect_download() as download:
        page.get_by_role("link", name="Excel").click()
    assert download.value.suggested_filename == f"liuhe-{issue.number}.xlsx"
