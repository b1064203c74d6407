"""The figures page: rates and counts for an area and a period, tables by child area, department,
category and month, drill-down links, scope checks, and a bounded number of queries."""

from urllib.parse import urlencode

import pytest
from django.urls import reverse

from civicgrid.dashboard.figures import Period, parse_period

MARCH = {"from": "2026-03", "to": "2026-03"}


def figures(client, user, code, **params):
    client.force_login(user)
    return client.get(reverse("dashboard:area", args=[code]) + "?" + urlencode(params))


def test_the_street_figures_match_the_hand_made_cases(client, city, people, march):
    response = figures(client, people.dispatcher, city.street.code, **MARCH)
    assert response.status_code == 200
    s = response.context["summary"]
    assert (s.reported, s.accepted, s.closed, s.overdue_open, s.not_accepted, s.merged) == (5, 3, 2, 1, 1, 1)
    assert s.completion_rate == pytest.approx(2 / 3)
    assert s.on_time_rate == pytest.approx(2 / 3)  # 2 on time ÷ (2 closed + 1 overdue)
    assert s.response_rate == pytest.approx(1.0)
    assert s.resolution_rate == pytest.approx(1.0)
    assert s.satisfaction_rate == pytest.approx(1.0)
    assert s.rework_rate == pytest.approx(0.5)
    assert s.avg_close_hours == pytest.approx(3.0)
    html = response.content.decode()
    assert "66.7%" in html and "50.0%" in html and "3.0" in html


def test_tables_by_community_department_category_and_month_with_drill_down(client, city, people, march, cats):
    report = figures(client, people.dispatcher, city.street.code, **MARCH).context["report"]
    children = {row.label: row.figures for row in report.children}
    assert children["宝石社区"].reported == 4 and children["宝石社区"].closed == 2
    assert children["葛岭社区"].reported == 1 and children["葛岭社区"].overdue_open == 1
    departments = {row.label: row.figures for row in report.departments}
    assert departments["城管执法中队"].closed == 2 and departments["水务所"].overdue_open == 1
    categories = {row.key: row.figures for row in report.categories}
    assert categories[cats.city_top.pk].reported == 3
    assert [row.label for row in report.months] == ["2026-03"]
    community = next(row for row in report.children if row.code == city.community.code)
    assert community.link.startswith(reverse("dashboard:area", args=[city.community.code]))
    assert "from=2026-03" in community.link
    drilled = figures(client, people.dispatcher, city.community.code, **MARCH).context["report"]
    assert {row.label: row.figures.reported for row in drilled.children} == {
        "宝石一网格": 4,
        "宝石商圈网格": 0,
    }


def test_a_department_and_a_category_filter_narrow_every_figure(client, city, people, march, cats):
    by_dept = figures(client, people.dispatcher, city.street.code, department=city.dept.pk, **MARCH).context
    assert by_dept["summary"].reported == 2 and by_dept["summary"].closed == 2
    assert {r.label: r.figures.reported for r in by_dept["report"].children} == {"宝石社区": 2, "葛岭社区": 0}
    by_cat = figures(client, people.dispatcher, city.street.code, category=cats.city_top.pk, **MARCH).context
    assert by_cat["summary"].reported == 3 and by_cat["summary"].overdue_open == 1


def test_another_period_has_none_of_these_cases(client, city, people, march):
    s = figures(client, people.dispatcher, city.street.code, year="2025").context["summary"]
    assert s.reported == 0 and s.completion_rate is None
    assert "–" in figures(client, people.dispatcher, city.street.code, year="2025").content.decode()


def test_each_person_reads_only_the_figures_of_their_scope(client, city, people, march):
    assert figures(client, people.grid_worker, city.grid.code, **MARCH).status_code == 200
    assert figures(client, people.grid_worker, city.street.code, **MARCH).status_code == 403
    assert figures(client, people.other_grid_worker, city.grid.code, **MARCH).status_code == 403
    assert figures(client, people.leader, city.street.code, **MARCH).status_code == 200
    assert figures(client, people.supervisor, city.district.code, **MARCH).status_code == 200
    assert figures(client, people.outsider, city.street.code, **MARCH).status_code == 403
    assert figures(client, people.resident_user, city.grid.code, **MARCH).status_code == 403
    assert figures(client, people.dispatcher, city.building.code).status_code == 404


def test_a_department_reads_its_own_figures_only(client, city, people, march):
    own = figures(client, people.handler, city.street.code, department=city.dept.pk, **MARCH)
    assert own.status_code == 200 and own.context["summary"].closed == 2
    assert figures(client, people.handler, city.street.code, **MARCH).status_code == 403
    assert figures(client, people.handler, city.street.code, department=city.dept2.pk).status_code == 403


def test_the_figures_start_from_each_persons_own_area_and_a_leader_lands_on_them(client, city, people):
    client.force_login(people.leader)
    assert client.get(reverse("dashboard:index")).url == reverse("dashboard:area", args=[city.street.code])
    home = client.get(reverse("home")).content.decode()
    assert reverse("dashboard:area", args=[city.street.code]) in home
    client.force_login(people.handler)
    url = client.get(reverse("dashboard:index")).url
    assert (
        url.startswith(reverse("dashboard:area", args=[city.street.code]))
        and f"department={city.dept.pk}" in url
    )


def test_the_figures_page_reads_a_bounded_number_of_queries(
    client, city, people, march, django_assert_max_num_queries
):
    client.force_login(people.supervisor)
    # a fixed number, whatever the rows: the page's own, the top bar's (one look-up per app)
    with django_assert_max_num_queries(21):
        assert client.get(reverse("dashboard:area", args=[city.district.code]), MARCH).status_code == 200
    # a fixed number, whatever the rows: the page's own, the top bar's (one look-up per app)
    with django_assert_max_num_queries(21):
        assert (
            client.get(reverse("dashboard:area", args=[city.street.code]), {"year": "2026"}).status_code
            == 200
        )


def test_periods_are_read_from_a_year_or_a_month_range():
    assert parse_period({"year": "2026"}) == Period(
        *[__import__("datetime").date(2026, m, 1) for m in (1, 12)], 2026
    )
    p = parse_period({"from": "2026-05", "to": "2026-02"})
    assert (p.start_param, p.end_param) == ("2026-02", "2026-05")
    p = parse_period({"from": "garbage"})
    assert p.start.month == 1 and p.year is None


def test_a_page_lists_the_busiest_departments_and_the_export_lists_them_all(
    client, city, people, march, monkeypatch
):
    """A city's figures would list every street's departments (1,755 at province scale): the page
    keeps the busiest `DEPARTMENT_ROWS`, says how many there are, and the export keeps them all."""
    from civicgrid.dashboard import figures as figures_module

    monkeypatch.setattr(figures_module, "DEPARTMENT_ROWS", 1)
    response = figures(client, people.dispatcher, city.street.code, **MARCH)
    report = response.context["report"]
    assert [row.label for row in report.departments] == ["城管执法中队"]  # 3 cases reported, 水务所 1
    assert report.departments_total == 2
    assert "此处列出本期事件最多的 1 个部门（共 2 个）" in response.content.decode()

    export = client.get(reverse("dashboard:export", args=[city.street.code]), MARCH)
    from io import BytesIO

    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(export.content)).worksheets[2]
    assert {r[0] for r in sheet.iter_rows(min_row=2, values_only=True)} == {"城管执法中队", "水务所"}

    monkeypatch.setattr(figures_module, "DEPARTMENT_ROWS", 50)
    response = figures(client, people.dispatcher, city.street.code, **MARCH)
    assert len(response.context["report"].departments) == 2
    assert "此处列出本期事件最多的" not in response.content.decode()


def test_the_command_centre_league_ranks_the_busiest_departments(client, city, people, march, monkeypatch):
    from civicgrid.dashboard import figures as figures_module

    monkeypatch.setattr(figures_module, "DEPARTMENT_ROWS", 1)
    client.force_login(people.leader)
    page = client.get(f"/dashboard/command/{city.street.code}/")
    assert page.status_code == 200
    assert [row["name"] for row in page.context["league"]] == ["城管执法中队"]
    assert page.context["league_total"] == 2
    assert "此处对本期事件最多的 1 个部门排名（共 2 个）" in page.content.decode()
