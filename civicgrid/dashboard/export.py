"""Excel export (.xlsx, openpyxl) of a figures page: the same tables, as numbers (shares as fractions
formatted as percentages), one sheet each."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from . import figures

PERCENT = "0.0%"
HOURS = "0.0"


def _style(kind: str) -> str | None:
    return PERCENT if kind == "rate" else HOURS if kind == "hours" else None


def _table(ws, first_header: str, rows) -> None:
    columns = [(key, label, kind) for key, label, kind in figures.TABLE_COLUMNS]
    extra = [
        ("accepted", pgettext("figures", "Accepted"), "count"),
        ("rated", pgettext("figures", "Rated"), "count"),
    ]
    columns = columns[:1] + extra[:1] + columns[1:] + extra[1:]
    ws.append([first_header, *[str(label) for _key, label, _kind in columns]])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        values = [row.label, *[row.value(key) for key, _label, _kind in columns]]
        ws.append(values)
        for i, (_key, _label, kind) in enumerate(columns, start=2):
            fmt = _style(kind)
            if fmt:
                ws.cell(row=ws.max_row, column=i).number_format = fmt
    ws.freeze_panes = "B2"
    ws.column_dimensions["A"].width = 28
    for i in range(2, len(columns) + 2):
        ws.column_dimensions[get_column_letter(i)].width = 12


def workbook(report: figures.Report, *, category_label: str = "") -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = _("Summary")[:31]
    scope = report.area.name
    if report.department:
        scope += f" · {report.department.name}"
    if category_label:
        scope += f" · {category_label}"
    ws.append([_("Area"), scope])
    ws.append([_("Area code"), report.area.code])
    ws.append([pgettext("dashboard", "Period"), f"{report.period.start_param} – {report.period.end_param}"])
    ws.append([])
    ws.append([_("Figure"), _("Value")])
    ws.cell(row=ws.max_row, column=1).font = Font(bold=True)
    ws.cell(row=ws.max_row, column=2).font = Font(bold=True)
    for key, label, kind in figures.RATES:
        ws.append([str(label), getattr(report.summary, key)])
        fmt = _style(kind)
        if fmt:
            ws.cell(row=ws.max_row, column=2).number_format = fmt
    for key, label in figures.COUNTS:
        ws.append([str(label), getattr(report.summary, key)])
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = 18
    sheets = [
        (pgettext("dashboard", "Areas"), _("Area"), report.children),
        (_("Departments"), _("Department"), report.departments),
        (_("Categories"), _("Category"), report.categories),
        (_("Months"), _("Month"), report.months),
    ]
    for title, header, rows in sheets:
        if rows:
            _table(wb.create_sheet(str(title)[:31]), str(header), rows)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
