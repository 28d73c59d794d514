"""The compliance report's overview map (issue 12 item 6): a coloured map of 三调 DLTB by 地类 with the project
and the control lines, drawn by the cartography module and embedded in both report.pdf and report.docx."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pdfplumber
import pytest
from PIL import Image

from onemap.review.compliance import review_project
from onemap.review.compliance.report import build_maps, write_report
from onemap.services.tiles.styles import get_style
from onemap.store import Store
from tests.review.test_service import crossing_box, project

MIN_COLOURS = 8  # distinct colours (quantised) a map of several 地类 and boundaries shows at least


def _variety(image: Image.Image) -> tuple[float, int]:
    """The share of near-white pixels and the number of distinct colours (to 1/32 per channel)."""
    pixels = np.asarray(image.convert("RGB"), dtype=np.int32).reshape(-1, 3)
    white = float(np.mean(np.all(pixels >= 245, axis=1)))
    return white, len(np.unique(pixels // 8, axis=0))


def _not_blank(image: Image.Image) -> None:
    white, colours = _variety(image)
    assert white < 0.5, f"{white:.0%} of the map is white"
    assert colours >= MIN_COLOURS, f"only {colours} colours"


@pytest.fixture
def conflicting(county: Store) -> object:
    boxes = [crossing_box(county, name, half=120) for name in ("STBHHX", "YJJBNTBHTB")]
    return review_project(county, project(*boxes), project_id="M-1")


def test_the_overview_is_dltb_by_landuse_with_the_boundaries(conflicting: object) -> None:
    overview = build_maps(conflicting).overview
    drawn = [o.style or o.title for o in overview.overlays]
    assert drawn[0] == "DLTB" and {"STBHHX", "YJJBNTBHTB"} <= set(drawn) and drawn[-1] == "项目用地范围"
    image = Image.open(io.BytesIO(overview.png))
    _not_blank(image)
    # the 三调 colours of the parcels drawn are in the picture (the tile style's palette, not a single fill)
    dltb = overview.overlays[0]
    fills = {tuple(c[:3]) for c in get_style("DLTB").fills(pd.DataFrame({"DLBM": dltb.codes}))
             if c is not None}
    pixels = {tuple(p) for p in np.asarray(image.convert("RGB")).reshape(-1, 3)[::7].tolist()}
    assert len(fills & pixels) >= 2, "fewer than two 地类 colours are visible"


def test_the_map_is_in_the_pdf_and_the_docx(conflicting: object, tmp_path: Path) -> None:
    paths = write_report(conflicting, tmp_path)
    with zipfile.ZipFile(paths["report.docx"]) as docx:
        media = [n for n in docx.namelist() if n.startswith("word/media/")]
        assert media, "no picture in report.docx"
        images = [Image.open(io.BytesIO(docx.read(n))) for n in media]
    biggest = max(images, key=lambda i: i.width * i.height)
    _not_blank(biggest)
    with pdfplumber.open(paths["report.pdf"]) as pdf:
        placed = [(page, image) for page in pdf.pages for image in page.images]
        assert len(placed) >= 1 + len(build_maps(conflicting).conflicts)
        page, image = max(placed, key=lambda p: (p[1]["x1"] - p[1]["x0"]) * (p[1]["bottom"] - p[1]["top"]))
        assert image["x1"] - image["x0"] > 300  # the overview spans most of the text width (≈ 160 mm)
        shown = page.crop((image["x0"], image["top"], image["x1"], image["bottom"])).to_image(resolution=72).original
    _not_blank(shown)
