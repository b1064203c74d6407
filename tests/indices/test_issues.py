"""A published issue (第N期) is a frozen snapshot with the change since the last issue."""

import io

import pytest
from openpyxl import load_workbook

from civicgrid.cases import rollups
from civicgrid.cases import services as case_services
from civicgrid.indices import export, services

from .conftest import MARCH


def test_an_issue_freezes_scores_and_ranks_and_later_data_leaves_it_as_it_was(index, people, march):
    issue = services.publish_issue(index, by=people.supervisor, period_end=MARCH)
    entries = {e.area.code: e for e in issue.entries.all()}
    baoshi, geling = entries["330106001001"], entries["330106001002"]
    assert (baoshi.rank, geling.rank) == (1, 2)
    assert baoshi.values == {"on_time": 1.0, "overdue": 0.0}
    assert geling.values == {"on_time": 0.0, "overdue": 1.0}
    assert (baoshi.score, geling.score) == (100.0, 0.0)

    # The overdue case in 葛岭 is closed later; the published issue does not move.
    case_services.mark_handled(march.d, people.other_handler, "已修复")
    case_services.verify(march.d, people.other_grid_worker, passed=True)
    rollups.process_pending()
    again = {e.area.code: e for e in issue.entries.all()}
    assert again["330106001002"].values == {"on_time": 0.0, "overdue": 1.0}
    assert again["330106001002"].score == 0.0

    second = services.publish_issue(index, by=people.supervisor, period_end=MARCH)
    now = {e.area.code: e for e in second.entries.all()}
    assert second.number == 2
    assert now["330106001002"].values["overdue"] == 0.0
    assert now["330106001002"].score_change == now["330106001002"].score - 0.0
    assert now["330106001001"].rank_change is not None


def test_the_first_issue_has_no_change_and_issues_are_numbered(index, people, march):
    first = services.publish_issue(index, by=people.supervisor, period_end=MARCH)
    assert first.number == 1
    assert all(e.score_change is None and e.rank_change is None for e in first.entries.all())


def test_only_the_district_publishes(index, people):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.publish_issue(index, by=people.leader, period_end=MARCH)


def test_an_issue_exports_to_excel_and_to_a_pdf_with_chinese_text(index, people, march):
    issue = services.publish_issue(index, by=people.supervisor, period_end=MARCH)
    wb = load_workbook(io.BytesIO(export.workbook(issue)))
    rows = list(wb.active.iter_rows(values_only=True))
    assert "六和指数" in rows[0][0]
    names = {r[2] for r in rows[3:]}
    assert names == {"宝石社区", "葛岭社区"}
    pdf = export.pdf(issue)
    assert pdf.startswith(b"%PDF")
    from pypdf import PdfReader

    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "宝石社区" in text and "六和指数" in text
