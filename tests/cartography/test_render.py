"""Rendering thematic maps from both stores: PDF text, PNG colours, regions, scopes and versions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pdfplumber
import pytest
from PIL import Image

from onemap.analysis.layers import read_layer, select_region, with_areas
from onemap.cartography import MapRequest, parse_template, render_map
from onemap.cartography.classify import classify
from onemap.errors import InputError, NotFoundError
from onemap.security import PermissionDeniedError
from onemap.store import Store
from tests.cartography.county import COUNTY, OTHER_TOWNSHIP, TOWNSHIP

UNIQUE = {"title": "{region}土地利用现状图", "subtitle": "第三次全国国土调查", "dpi": 100,
          "layers": [{"name": "DLTB", "label": "地类图斑", "outline": None,
                      "classification": {"method": "unique", "field": "DLBM"}}]}


def test_township_map_pdf_has_chinese_title_and_legend(map_store: Store, tmp_path: Path) -> None:
    result = render_map(map_store, MapRequest(parse_template(UNIQUE), region=TOWNSHIP), tmp_path)
    with pdfplumber.open(result.pdf) as pdf:
        text = pdf.pages[0].extract_text()
    assert "城关镇土地利用现状图" in text and "第三次全国国土调查" in text and "图 例" in text
    labels = [e["label"] for e in result.legend[0]["entries"]]
    assert "0103 旱地" in labels and all(label in text for label in labels)
    assert "°" in text and "E" in text  # 度分 graticule labels
    assert result.region.name == "城关镇" and result.scale > 1000
    assert Image.open(result.png).size == (int(297 / 25.4 * 100), int(210 / 25.4 * 100))  # A4 landscape, 100 dpi


def _map_pixels(png: Path) -> np.ndarray:
    return np.asarray(Image.open(png).convert("RGB")).reshape(-1, 3)


def test_png_colours_in_the_proportions_of_class_areas(map_store: Store, tmp_path: Path) -> None:
    template = parse_template({**UNIQUE, "legend": False, "graticule": False, "scale_bar": False,
                               "north_arrow": False, "dpi": 150})
    result = render_map(map_store, MapRequest(template, region=TOWNSHIP), tmp_path)
    layer = read_layer(map_store, "DLTB", ["DLBM"], region=TOWNSHIP)
    select_region(layer, TOWNSHIP)
    with_areas(layer)
    areas = layer.frame.assign(area=layer.areas).groupby("DLBM")["area"].sum()
    classified = classify(layer.frame, template.layers[0].classification)
    pixels = _map_pixels(result.png)
    counts = {}
    for entry in classified.entries:
        rgb = np.round(np.array(entry.colour[:3]) * 255).astype(int)
        counts[entry.label.split()[0]] = int((np.abs(pixels - rgb).sum(axis=1) <= 3).sum())
    total_px, total_area = sum(counts.values()), areas.sum()
    big = areas[areas / total_area > 0.1].index
    assert len(big) >= 1
    for code in big:  # the main classes cover the map in the share of their area (edges antialiased)
        assert counts[code] / total_px == pytest.approx(areas[code] / total_area, abs=0.04)


def test_numeric_map_of_another_township_and_version(map_store: Store, tmp_path: Path) -> None:
    template = parse_template({"title": "图斑面积分级图", "layers": [
        {"name": "DLTB", "classification": {"method": "natural_breaks", "field": "TBMJ", "classes": 4,
                                            "ramp": "Greens"}}]})
    result = render_map(map_store, MapRequest(template, region=OTHER_TOWNSHIP, versions={"DLTB": 1}), tmp_path)
    entries = result.legend[0]["entries"]
    assert len(entries) == 4 and result.region.name == "白沙镇"
    assert sum(e["count"] for e in entries) == result.layers[0]["features"] > 0
    assert result.layers[0]["version"] == 1
    with pdfplumber.open(result.pdf) as pdf:
        assert "图斑面积分级图" in pdf.pages[0].extract_text()


def test_scope_and_unknown_regions_refused(map_store: Store, tmp_path: Path) -> None:
    template = parse_template(UNIQUE)
    with pytest.raises(PermissionDeniedError, match="超出本账号"):
        render_map(map_store, MapRequest(template, region=OTHER_TOWNSHIP, scope=TOWNSHIP), tmp_path)
    with pytest.raises(NotFoundError, match="不存在"):
        render_map(map_store, MapRequest(template, region="341799999"), tmp_path)
    with pytest.raises(NotFoundError):
        render_map(map_store, MapRequest(template, region=TOWNSHIP, versions={"DLTB": 9}), tmp_path)
    bad_field = parse_template({**UNIQUE, "layers": [{"name": "DLTB", "classification": {"method": "unique",
                                                                                          "field": "NOPE"}}]})
    with pytest.raises(InputError, match="没有分类字段"):
        render_map(map_store, MapRequest(bad_field, region=TOWNSHIP), tmp_path)
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_scoped_reader_without_region_maps_their_own_village(map_store: Store, tmp_path: Path) -> None:
    village = "341799101201"
    result = render_map(map_store, MapRequest(parse_template(UNIQUE), scope=village), tmp_path)
    assert result.region.code == village and result.region.source == "CJDCQ"
    assert 0 < result.layers[0]["features"] < 200


def test_region_without_a_fine_enough_boundary_layer_uses_feature_codes(tmp_path: Path, county_gpkg: Path) -> None:
    from onemap.store import open_store
    from tests.cartography.county import import_county

    url = f"gpkg://{tmp_path / 'store.gpkg'}"
    import_county(county_gpkg, url, ("DLTB", "XZQ"))  # no CJDCQ: villages have no outline
    with open_store(url) as store:
        result = render_map(store, MapRequest(parse_template(UNIQUE), region="341799101201"), tmp_path / "out")
    assert result.region.outline is None and result.region.name == "行政区 341799101201"
    assert 0 < result.layers[0]["features"] < 200


def test_boundary_overlay_is_drawn_by_its_outline_and_listed_in_the_legend(map_store: Store, tmp_path: Path) -> None:
    template = parse_template({**UNIQUE, "layers": [*UNIQUE["layers"], {
        "name": "XZQ", "label": "乡镇界", "opacity": 0, "outline": "#e60000", "outline_width": 1.5,
        "classification": {"method": "single", "colour": "#e60000"}}]})
    result = render_map(map_store, MapRequest(template, region=COUNTY), tmp_path)
    overlay = result.legend[1]
    assert overlay["title"] == "乡镇界" and overlay["entries"] == [
        {"label": "乡镇界", "colour": "#e60000", "count": 14, "edge": "#e60000"}]
    with pdfplumber.open(result.pdf) as pdf:
        assert "乡镇界" in pdf.pages[0].extract_text()
    pixels = _map_pixels(result.png).astype(int)
    assert (np.abs(pixels - np.array([230, 0, 0])).sum(axis=1) <= 30).sum() > 500  # the red township boundaries
