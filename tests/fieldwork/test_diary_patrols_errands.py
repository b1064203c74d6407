"""The diary (masked, unmasked only by logged community staff), patrol rounds (no trace), errands
(consent, steps, a close that closes the case) and the figures they feed."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from civicgrid.cases.models import Case
from civicgrid.cases.workflow import State
from civicgrid.core import outbox
from civicgrid.core.models import AccessLog
from civicgrid.fieldwork import rollups, services
from civicgrid.fieldwork.models import DiaryEntry, FieldReport, GridMonth, Patrol

from .conftest import at

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------- diary


def test_community_staff_see_the_diary_count_but_not_its_text(client, people, homes, city, wednesday):
    services.write_diary(
        people.grid_worker, day=date(2026, 3, 11), text="王阿姨说腿疼加重", households=[homes.alone]
    )
    client.force_login(people.community_staff)
    body = client.get(reverse("fieldwork:diary_community", args=[city.community.pk])).content.decode()
    assert "腿疼" not in body and "宝石一网格" in body
    assert not AccessLog.objects.exists()


def test_unmasking_a_diary_entry_is_logged_before_it_is_shown(client, people, homes, city, wednesday):
    entry = services.write_diary(people.grid_worker, day=date(2026, 3, 11), text="王阿姨说腿疼加重").row
    client.force_login(people.community_staff)
    url = reverse("fieldwork:diary_community", args=[city.community.pk])
    body = client.post(url, {"entry": entry.pk, "reason": "核实走访情况"}).content.decode()
    assert "腿疼" in body
    log = AccessLog.objects.get()
    assert log.user == people.community_staff and log.subject_type == "fieldwork.diaryentry"
    assert log.subject_id == str(entry.pk) and log.reason == "核实走访情况"


def test_unmasking_needs_a_reason(people, wednesday):
    entry = services.write_diary(people.grid_worker, day=date(2026, 3, 11), text="记录").row
    with pytest.raises(ValidationError):
        services.unmask_diary(people.community_staff, entry, reason=" ")
    assert not AccessLog.objects.exists()


def test_the_branch_secretary_and_other_workers_cannot_read_a_diary(client, people, city, wednesday):
    entry = services.write_diary(people.grid_worker, day=date(2026, 3, 11), text="记录").row
    for user in (people.secretary, people.other_grid_worker, people.dispatcher):
        with pytest.raises(PermissionDenied):
            services.unmask_diary(user, entry, reason="想看看")
    client.force_login(people.other_grid_worker)
    assert client.get(reverse("fieldwork:diary_community", args=[city.community.pk])).status_code == 403


def test_the_worker_reads_only_their_own_diary(client, people, wednesday):
    services.write_diary(people.grid_worker, day=date(2026, 3, 11), text="宝石一网格的记录")
    client.force_login(people.other_grid_worker)
    assert "宝石一网格的记录" not in client.get(reverse("fieldwork:diary")).content.decode()


def test_a_diary_entry_may_link_only_households_of_the_grid(people, homes, wednesday):
    with pytest.raises(PermissionDenied):
        services.write_diary(
            people.grid_worker, day=date(2026, 3, 11), text="记录", households=[homes.outside]
        )
    assert not DiaryEntry.objects.exists()


def test_the_diary_is_never_on_a_public_page(client, people, wednesday):
    services.write_diary(people.grid_worker, day=date(2026, 3, 11), text="绝不公开的内容")
    wall = client.get("/cases/wall/", follow=True)
    assert wall.status_code == 200 and "绝不公开的内容" not in wall.content.decode()
    assert client.get("/fieldwork/diary/").status_code == 302  # to the login page


# ---------------------------------------------------------------- patrols


def test_reports_made_during_a_round_are_grouped_under_it(people, city, wednesday):
    patrol = services.start_patrol(people.grid_worker, client_key="patrol-start-0001").row
    services.report(
        people.grid_worker,
        description="井盖缺失",
        unit=city.unit,
        patrol=patrol,
        client_key="patrol-rep-0001",
    )
    services.report(
        people.grid_worker,
        description="楼道堆物",
        settled=True,
        result="已劝导清理",
        building=city.building,
        patrol=patrol,
        client_key="patrol-rep-0002",
    )
    services.end_patrol(people.grid_worker, patrol)
    reports = FieldReport.objects.filter(patrol=patrol).select_related("case")
    assert reports.count() == 2
    assert {r.case.state for r in reports} == {State.REGISTERED, State.CLOSED}


def test_a_patrol_stores_no_positions(people):
    fields = {f.name for f in Patrol._meta.get_fields()}
    assert not fields & {"lng", "lat", "track", "trace", "points", "route", "positions"}


def test_only_one_round_runs_at_a_time_and_a_resent_start_is_the_same_round(people, wednesday):
    first = services.start_patrol(people.grid_worker, client_key="patrol-start-0002")
    again = services.start_patrol(people.grid_worker, client_key="patrol-start-0002")
    assert first.created and not again.created and again.row.pk == first.row.pk
    with pytest.raises(ValidationError, match="already running"):
        services.start_patrol(people.grid_worker, client_key="patrol-start-0003")


def test_a_round_started_offline_keeps_its_own_start_time(people, wednesday):
    started = at(2026, 3, 11, 8, 15)
    patrol = services.start_patrol(people.grid_worker, started_at=started).row
    assert patrol.started_at == started
    with pytest.raises(ValidationError, match="future"):
        services.end_patrol(people.grid_worker, patrol, ended_at=at(2026, 3, 11, 12, 0))


def test_a_report_outside_the_grid_is_refused_and_makes_no_case(people, city, wednesday):
    with pytest.raises(PermissionDenied):
        services.report(
            people.grid_worker, description="井盖缺失", unit=city.unit3, client_key="outside-rep-0001"
        )
    assert not Case.objects.exists() and not FieldReport.objects.exists()


# ---------------------------------------------------------------- errands


def test_an_errand_runs_from_consent_through_steps_to_a_closed_case(people, homes, wednesday):
    errand = services.create_errand(
        people.grid_worker, household=homes.alone, request="代办高龄津贴", consent_way="in_person"
    ).row
    assert errand.case.state == State.REGISTERED and errand.case.is_errand
    errand = services.start_errand(errand, people.grid_worker)
    services.add_errand_step(errand, people.grid_worker, "已收集材料")
    errand = services.close_errand(errand, people.grid_worker, result="津贴已办理，通知老人")
    assert errand.state == "done" and errand.done_at
    case = Case.objects.get(pk=errand.case_id)
    assert case.state == State.CLOSED and case.result == "津贴已办理，通知老人"
    assert [s.text for s in errand.steps.all()] == ["已收集材料"]


def test_a_closed_errand_cannot_be_closed_again(people, homes, wednesday):
    errand = services.create_errand(
        people.grid_worker, household=homes.alone, request="代缴医保", consent_way="phone"
    ).row
    errand = services.close_errand(errand, people.grid_worker, result="已代缴")
    with pytest.raises(ValidationError):
        services.close_errand(errand, people.grid_worker, result="再来一次")


def test_a_cancelled_errand_leaves_its_case_not_accepted_with_the_reason(people, homes, wednesday):
    errand = services.create_errand(
        people.grid_worker, household=homes.alone, request="代办证件", consent_way="phone"
    ).row
    services.cancel_errand(errand, people.grid_worker, reason="居民已自行办理")
    case = Case.objects.get(pk=errand.case_id)
    assert case.state == State.NOT_ACCEPTED


def test_another_grids_worker_cannot_work_the_errand(people, homes, wednesday):
    errand = services.create_errand(
        people.grid_worker, household=homes.alone, request="代办证件", consent_way="phone"
    ).row
    with pytest.raises(PermissionDenied):
        services.start_errand(errand, people.other_grid_worker)


def test_an_errand_acted_on_meanwhile_is_a_conflict(people, homes, wednesday):
    errand = services.create_errand(
        people.grid_worker, household=homes.alone, request="代办证件", consent_way="phone"
    ).row
    seen = errand.version
    services.add_errand_step(errand, people.community_staff, "社区已联系居民")
    with pytest.raises(ValidationError, match="Someone else"):
        services.start_errand(errand, people.grid_worker, expected_version=seen)


# ---------------------------------------------------------------- figures


def test_the_monthly_figures_follow_the_visits_and_errands_through_the_outbox(people, homes, city, wednesday):
    gw = people.grid_worker
    services.record_visit(gw, homes.alone, visited_on=date(2026, 3, 2), met="head")
    services.record_visit(gw, homes.alone, visited_on=date(2026, 3, 10), met="head")
    services.record_visit(gw, homes.general, visited_on=date(2026, 3, 10), met="head")
    errand = services.create_errand(gw, household=homes.alone, request="代缴医保", consent_way="phone").row
    services.close_errand(errand, gw, result="已代缴")
    outbox.drain()
    row = GridMonth.objects.get(grid=city.grid, month=date(2026, 3, 1))
    assert (row.visits, row.households_visited, row.errands_opened, row.errands_done) == (3, 2, 1, 1)
    # March's periods: 5 weeks for the elderly resident alone (visited in 2), the month for the
    # couple (not visited), the quarter for the other two (1 of 2 visited).
    assert (row.quota_due, row.quota_met) == (5 + 1 + 2, 2 + 0 + 1)
    figures = rollups.figures(city.street, 2026)
    assert figures["total"]["errands_done"] == 1 and figures["total"]["completion"] == round(100 * 3 / 8)


def test_the_figures_page_reads_the_rollup(client, people, homes, city, wednesday):
    services.record_visit(people.grid_worker, homes.alone, visited_on=date(2026, 3, 2), met="head")
    outbox.drain()
    client.force_login(people.community_staff)
    body = client.get(reverse("fieldwork:figures") + f"?area={city.community.pk}&year=2026").content.decode()
    assert "宝石一网格" in body and "2026-03" in body
