"""What the generated reports share (预警报告, 体检评估报告): charts as PNG, HTML to PDF, DOCX with CJK fonts.

PDF: an HTML template rendered by weasyprint (Chinese text stays searchable text); DOCX: python-docx with the
East-Asian font set on the Normal style, so Word shows the Noto CJK face rather than a fallback. Charts are
matplotlib figures drawn through the object API under one lock: rcParams are process-global and the job
runner's workers draw in parallel.
"""

from __future__ import annotations

import base64
import io
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

FONT = "Noto Sans CJK SC"
_DRAWING = threading.Lock()


def figure_png(draw: Callable[[Any], None], size: tuple[float, float] = (7, 3.2), dpi: int = 150,
               axes: tuple[int, int] = (1, 1)) -> bytes:
    """A PNG of ``draw(axes)`` on a new figure (one axes, or an array of them for ``axes`` = rows, columns)."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rc = {"font.family": [FONT, "sans-serif"], "axes.unicode_minus": False}
    with _DRAWING, matplotlib.rc_context(rc):
        figure = Figure(figsize=size, dpi=dpi)
        FigureCanvasAgg(figure)
        grid = figure.subplots(*axes, squeeze=axes == (1, 1))
        draw(grid)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
    return buffer.getvalue()


def data_uri(png: bytes) -> str:
    """A PNG as a ``data:`` URI for an HTML template."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def html_to_pdf(html: str, path: Path) -> Path:
    """Write ``html`` as a PDF (weasyprint; its font-subsetting chatter is silenced)."""
    import weasyprint

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    weasyprint.HTML(string=html).write_pdf(path)
    return path


def new_docx(size_pt: float = 10):
    """An empty python-docx Document whose Normal style uses the CJK font."""
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Pt

    document = Document()
    style = document.styles["Normal"]
    style.font.name, style.font.size = FONT, Pt(size_pt)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    return document


MEDIA_TYPES = {"pdf": "application/pdf",
               "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
               "json": "application/json", "zip": "application/zip"}


def docx_table(document, header: list[str], rows: list[list[str]]) -> None:
    """A bordered table of text cells."""
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = text
    for row in rows:
        for cell, text in zip(table.add_row().cells, row, strict=True):
            cell.text = text


def docx_picture(document, png: bytes, width_mm: float = 160) -> None:
    """A PNG picture ``width_mm`` wide."""
    from docx.shared import Mm

    document.add_picture(io.BytesIO(png), width=Mm(width_mm))
