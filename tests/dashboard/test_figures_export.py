"""The Excel export holds the page's tables as numbers: opened with openpyxl, they match the
hand-made cases."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

MARCH = {"from": "2026-03", "to": "2026-03"}


def workbook(client, user, code, **params):
    client.force_login(user)
    response = client.get(reverse("dashboard:export", args=[code]), params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert f"figures-{code}-2026-03-2026-03.xlsx" in response["Content-Disposition"]
    return load_workbook(io.BytesIO(response.content))


def rows(sheet):
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def test_the_export_has_the_summary_and_every_table_as_numbers(client, city, people, march):
    wb = workbook(client, people.dispatcher, city.street.code, **MARCH)
    assert len(wb.sheetnames) == 5
    summary = {r[0]: r[1] for r in rows(wb.worksheets[0]) if r and r[0]}
    values = list(summary.values())
    assert city.street.name in values and city.street.code in values
    numbers = [v for v in values if isinstance(v, int | float)]
    # completion, on time, response, resolution, satisfaction, rework, hours; then the counts
    assert numbers[:7] == pytest.approx([2 / 3, 2 / 3, 1.0, 1.0, 1.0, 0.5, 3.0])
    assert numbers[7:11] == [5, 3, 2, 2]  # reported, accepted, closed, closed on time
    assert wb.worksheets[0]["B6"].number_format == "0.0%"

    areas = rows(wb.worksheets[1])
    by_name = {r[0]: r for r in areas[1:]}
    reported, closed = 1, 3  # columns: area, reported, accepted, closed, overdue, rates …
    assert len(areas[0]) == 13
    assert by_name["宝石社区"][reported] == 4 and by_name["宝石社区"][closed] == 2
    assert by_name["葛岭社区"][reported] == 1
    departments = {r[0]: r for r in rows(wb.worksheets[2])[1:]}
    assert departments["城管执法中队"][closed] == 2
    assert [r[0] for r in rows(wb.worksheets[4])[1:]] == ["2026-03"]


def test_the_export_follows_the_filters_and_the_scope(client, city, people, march):
    wb = workbook(client, people.handler, city.street.code, department=city.dept.pk, **MARCH)
    numbers = [r[1] for r in rows(wb.worksheets[0]) if r and isinstance(r[1], int | float)]
    assert numbers[7:10] == [2, 2, 2]
    client.force_login(people.grid_worker)
    assert client.get(reverse("dashboard:export", args=[city.street.code]), MARCH).status_code == 403
