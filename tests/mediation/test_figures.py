"""Figures per centre, level, type and period from the rollups, against a hand count; the rebuild
gives the same rows as the services' running upkeep; the Excel export carries the same numbers."""

import io
from datetime import date

import pytest
import time_machine
from django.urls import reverse

from civicgrid.mediation import figures, rollups, services
from civicgrid.mediation.models import CloseDaysCount, DisputeRollup

from .conftest import at

pytestmark = pytest.mark.django_db

OTHER = [{"side": "applicant", "name": "王五"}, {"side": "respondent", "name": "赵六"}]


@pytest.fixture
def history(med, take_in, agreed):
    """By hand, at the street centre unless said:
    March 2026: A neighbours agreed the same day; B neighbours failed after 10 days; C labour open;
                D neighbours at the community centre withdrawn after 0 days.
    April 2026: E neighbours agreed after 5 days and performed (came back: same parties as A);
                F labour failed after 1 day at the county centre.
    """
    with time_machine.travel(at(2026, 3, 2, 9, 0), tick=False) as t:
        a = agreed()
        t.move_to(at(2026, 3, 3, 9, 0))
        b = take_in(parties=[dict(p) for p in OTHER])
        c = take_in(
            dispute_type="labour",
            parties=[{"side": "applicant", "name": "孙七"}, {"side": "respondent", "name": "某公司"}],
        )
        d = take_in(
            centre=med.community_centre,
            by=med.staff["community"],
            parties=[{"side": "applicant", "name": "周八"}, {"side": "respondent", "name": "吴九"}],
        )
        services.withdraw(d, med.staff["community"], reason="和解")
        services.assign(b, med.deputy, med.window)
        t.move_to(at(2026, 3, 13, 16, 0))
        services.mark_failed(b, med.deputy_user, reason="分歧太大", route="litigation")
        t.move_to(at(2026, 4, 1, 10, 0))
        e = agreed()
        t.move_to(at(2026, 4, 6, 10, 0))
        f = services.intake(
            centre=med.county_centre,
            by=med.staff["county"],
            channel="court",
            channel_ref="(2026)浙0106民诉前调1号",
            dispute_type="labour",
            summary="欠薪",
            parties=[{"side": "applicant", "name": "郑十"}, {"side": "respondent", "name": "某厂"}],
        )
        services.assign(f, med.county_pro, med.staff["county"])
        t.move_to(at(2026, 4, 7, 10, 0))
        services.mark_failed(f, med.county_pro_user, reason="单位不到场", route="arbitration")
        t.move_to(at(2026, 4, 20, 10, 0))
        services.record_follow_up(
            e.follow_ups.get(), med.committee_user, method="visit", performance="performed"
        )
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f}


def test_the_figures_match_a_hand_count(med, history):
    march, april = date(2026, 3, 1), date(2026, 4, 1)
    every = figures.figures([""], start=march, end=april)
    assert (every.taken_in, every.closed, every.agreed, every.failed, every.withdrawn) == (6, 5, 2, 2, 1)
    assert every.performed == 1 and every.came_back == 1 and every.open == 1
    assert every.closure_rate == pytest.approx(5 / 6) and every.success_rate == pytest.approx(2 / 5)
    # days to close: A 0 (agreed the same day), B 10, D 0, E 0, F 1 → sorted 0 0 0 1 10 → median 0
    assert every.median_days == 0
    street_march = figures.figures([med.street_centre.path], start=march, end=march, centre=med.street_centre)
    assert (street_march.taken_in, street_march.closed, street_march.agreed, street_march.failed) == (
        3,
        2,
        1,
        1,
    )
    assert street_march.median_days == 5  # A 0, B 10
    levels = {r.key: r.figures for r in figures.breakdown([""], "level", start=march, end=april)}
    assert levels["community"].taken_in == 1 and levels["community"].withdrawn == 1
    assert levels["street"].taken_in == 4 and levels["county"].failed == 1
    types = {r.key: r.figures for r in figures.breakdown([""], "type", start=march, end=april)}
    assert types["labour"].taken_in == 2 and types["labour"].closed == 1
    months = [(r.label, r.figures.taken_in) for r in figures.breakdown([""], "month", start=march, end=april)]
    assert months == [("2026-03", 4), ("2026-04", 2)]
    # The street's figures cover its own centre and the community's below it, not the county's.
    street_area = figures.figures([med.street_centre.path], start=march, end=april)
    assert street_area.taken_in == 5


def test_the_rebuild_gives_the_same_rows_as_the_running_upkeep(history):
    def rows():
        r = sorted(
            DisputeRollup.objects.values_list(
                "month",
                "centre_id",
                "dispute_type",
                "taken_in",
                "closed",
                "agreed",
                "failed",
                "withdrawn",
                "performed",
                "came_back",
                "from_cases",
                "close_days",
            )
        )
        h = sorted(
            (m, c, t, dd, n)
            for m, c, t, dd, n in CloseDaysCount.objects.values_list(
                "month", "centre_id", "dispute_type", "days", "count"
            )
            if n
        )
        return r, h

    before = rows()
    rollups.rebuild()
    assert rows() == before


def test_the_figures_page_and_its_excel_export_carry_the_same_numbers(client, med, history):
    from openpyxl import load_workbook

    client.force_login(med.heads["county"])
    q = "?start=2026-03&end=2026-04"
    page = client.get(reverse("mediation:figures") + q)
    assert page.status_code == 200
    assert "83%" in page.content.decode()  # closure rate 5/6
    r = client.get(reverse("mediation:figures") + q + "&format=xlsx")
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(r.content))
    summary = {row[0]: row[1] for row in wb.worksheets[0].iter_rows(values_only=True)}
    assert 6 in summary.values() and 5 in summary.values()
    by_level = list(wb.worksheets[1].iter_rows(values_only=True))
    assert [row[1] for row in by_level[1:]] == [1, 4, 1]  # taken in: community, street, county


def test_a_community_head_reads_only_the_figures_of_their_centre(client, med, history):
    client.force_login(med.heads["community"])
    got = figures.figures([med.community_centre.path], start=date(2026, 3, 1), end=date(2026, 4, 1))
    assert got.taken_in == 1
    page = client.get(reverse("mediation:figures") + "?start=2026-03&end=2026-04").content.decode()
    assert med.street_centre.name not in page
