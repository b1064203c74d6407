"""Printable PDF documents with Chinese text (reportlab), shared by every app that prints.

The font: a real CJK TrueType font embedded (subset) when one is installed — Debian's
fonts-wqy-zenhei, or a TrueType Noto CJK — else reportlab's built-in CID font STSong-Light, which
needs no font file (the reader supplies the glyphs), so printing works on a bare machine too.

    from civicgrid.core import printing
    pdf = printing.render(title="人民调解协议书", blocks=[printing.Heading("…"), printing.Text("…"),
                          printing.Table([["甲方", "张*明"], …])])
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from functools import lru_cache

# TrueType (glyf) fonts only: reportlab cannot embed CFF-flavoured OpenType (Noto's .otf/.ttc).
FONT_CANDIDATES = (
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/noto/NotoSansSC-Regular.ttf", None),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
)
CID_FALLBACK = "STSong-Light"


@lru_cache(maxsize=1)
def font_name() -> str:
    """Register and return the font used for Chinese text (embedded TTF, else the CID font)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    extra = os.environ.get("CIVICGRID_CJK_FONT")
    candidates = ((extra, 0),) + FONT_CANDIDATES if extra else FONT_CANDIDATES
    for path, index in candidates:
        if not path or not os.path.exists(path):
            continue
        try:
            kwargs = {"subfontIndex": index} if index is not None else {}
            pdfmetrics.registerFont(TTFont("CivicgridCJK", path, **kwargs))
            return "CivicgridCJK"
        except Exception:  # not a TrueType font reportlab can embed: try the next one
            continue
    pdfmetrics.registerFont(UnicodeCIDFont(CID_FALLBACK))
    return CID_FALLBACK


@dataclass
class Heading:
    text: str


@dataclass
class Text:
    text: str


@dataclass
class Table:
    rows: list[list[str]]
    widths: tuple[float, ...] | None = None  # fractions of the text width


@dataclass
class Signatures:
    """A line per signer: name, then space to sign and date."""

    names: list[str]


def _escape(text: str) -> str:
    return (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", "<br/>")


def render(*, title: str, blocks: list, subtitle: str = "", footer: str = "") -> bytes:
    """An A4 PDF: the title centred, then the blocks in order."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer
    from reportlab.platypus import Table as RLTable

    font = font_name()
    body = ParagraphStyle("cg-body", fontName=font, fontSize=11, leading=17, wordWrap="CJK")
    head = ParagraphStyle("cg-head", parent=body, fontSize=12.5, leading=20, spaceBefore=6)
    big = ParagraphStyle("cg-title", parent=body, fontSize=18, leading=26, alignment=TA_CENTER)
    small = ParagraphStyle("cg-small", parent=body, fontSize=9, leading=13, alignment=TA_CENTER)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=22 * mm,
        rightMargin=22 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
        title=title,
        author="civicgrid",
    )
    flow = [Paragraph(_escape(title), big)]
    if subtitle:
        flow.append(Paragraph(_escape(subtitle), small))
    flow.append(Spacer(1, 6 * mm))
    width = doc.width
    for block in blocks:
        if isinstance(block, Heading):
            flow.append(Paragraph(f"<b>{_escape(block.text)}</b>", head))
        elif isinstance(block, Text):
            flow.append(Paragraph(_escape(block.text), body))
        elif isinstance(block, Table):
            data = [[Paragraph(_escape(str(c)), body) for c in row] for row in block.rows]
            widths = [w * width for w in block.widths] if block.widths else None
            table = RLTable(data, colWidths=widths, hAlign="LEFT")
            table.setStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
            flow.append(table)
        elif isinstance(block, Signatures):
            rows = [
                [Paragraph(_escape(n), body), Paragraph("", body), Paragraph("", body)] for n in block.names
            ]
            table = RLTable(rows, colWidths=[0.4 * width, 0.35 * width, 0.25 * width], rowHeights=14 * mm)
            table.setStyle(
                [("LINEBELOW", (1, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "BOTTOM")]
            )
            flow.append(table)
        flow.append(Spacer(1, 3 * mm))
    if footer:
        flow.append(Paragraph(_escape(footer), small))
    doc.build(flow)
    return buffer.getvalue()
