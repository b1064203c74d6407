"""A published issue as an Excel workbook and as a printable PDF with Chinese fonts."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.styles import Font

from civicgrid.core.printing import font_name

from .models import IndexIssue
from .scoring import Indicator


def _title(issue: IndexIssue) -> str:
    return _("%(index)s, issue %(n)s (%(start)s – %(end)s)") % {
        "index": issue.index.name,
        "n": issue.number,
        "start": f"{issue.period_start:%Y-%m}",
        "end": f"{issue.period_end:%Y-%m}",
    }


def _columns(issue: IndexIssue, lang) -> list[Indicator]:
    return [Indicator.from_data(d) for d in issue.version.indicators]


def _fmt(value) -> str:
    if value is None:
        return "—"
    return f"{value:.2f}"


def _change(value, kind: str) -> str:
    if value is None:
        return _("new")
    if kind == "rank":
        return f"↑{value}" if value > 0 else (f"↓{-value}" if value < 0 else "=")
    return f"{value:+.2f}"


def workbook(issue: IndexIssue, lang=None) -> bytes:
    indicators = _columns(issue, lang)
    wb = Workbook()
    ws = wb.active
    ws.title = _("Issue %(n)s") % {"n": issue.number}
    ws.append([_title(issue)])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([])
    header = [_("Type"), _("Rank in type"), _("Area"), _("Score"), _("Change"), _("Rank change")]
    header += [ind.label(lang) for ind in indicators]
    ws.append(header)
    for cell in ws[3]:
        cell.font = Font(bold=True)
    for e in issue.entries.order_by("group_code", "rank", "area_name"):
        ws.append(
            [
                e.group_name,
                f"{e.rank}/{e.group_size}",
                e.area_name,
                e.score,
                e.score_change,
                e.rank_change,
                *[e.values.get(ind.code) for ind in indicators],
            ]
        )
    info = wb.create_sheet(_("Indicators"))
    info.append([_("Indicator"), _("Formula"), _("Direction"), pgettext("indices", "Unit"), _("Weight")])
    for ind in indicators:
        info.append([ind.label(lang), ind.formula, ind.direction, ind.unit, ind.weight])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def pdf(issue: IndexIssue, lang=None) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = font_name()
    indicators = _columns(issue, lang)
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=landscape(A4),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=_title(issue),
    )
    title_style = ParagraphStyle("t", fontName=font, fontSize=15, leading=20)
    cell = ParagraphStyle("c", fontName=font, fontSize=8, leading=10)
    small = ParagraphStyle("s", fontName=font, fontSize=8, leading=11, textColor=colors.grey)
    story = [
        Paragraph(_title(issue), title_style),
        Paragraph(
            _(
                "Published %(at)s. Scores are 0–100 within each type of area; ranks compare areas of the same type only."
            )
            % {"at": f"{issue.published_at:%Y-%m-%d}"},
            small,
        ),
        Spacer(1, 4 * mm),
    ]
    header = [_("Type"), _("Rank"), _("Area"), _("Score"), _("Change")] + [
        ind.label(lang) for ind in indicators
    ]
    rows = [[Paragraph(h, cell) for h in header]]
    for e in issue.entries.order_by("group_code", "rank", "area_name"):
        rows.append(
            [
                Paragraph(e.group_name, cell),
                f"{e.rank}/{e.group_size}",
                Paragraph(e.area_name, cell),
                _fmt(e.score),
                Paragraph(
                    f"{_change(e.score_change, 'score')} {_change(e.rank_change, 'rank') if e.rank_change is not None else ''}",
                    cell,
                ),
                *[_fmt(e.values.get(ind.code)) for ind in indicators],
            ]
        )
    table = Table(rows, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), font),
                ("FONTSIZE", (0, 0), (-1, -1), 8),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef6")),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#99a")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    story.append(table)
    story.append(Spacer(1, 4 * mm))
    for ind in indicators:
        story.append(Paragraph(f"{ind.label(lang)}: {ind.formula} · {_('weight')} {ind.weight:g}", small))
    doc.build(story)
    return buf.getvalue()
