"""onemap map render: a template file to PNG and PDF for a township."""

from __future__ import annotations

import json
from pathlib import Path

import pdfplumber
from typer.testing import CliRunner

from onemap.cli.main import app
from tests.cartography.county import TOWNSHIP

TEMPLATE = {"title": "{region}土地利用现状图", "dpi": 80,
            "layers": [{"name": "DLTB", "classification": {"method": "unique", "field": "DLBM"}}]}


def test_render_command_writes_png_pdf_and_summary(map_store_url: str, tmp_path: Path) -> None:
    template = tmp_path / "template.json"
    template.write_text(json.dumps(TEMPLATE, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["map", "render", str(template), "--store", map_store_url, "--region", TOWNSHIP,
                                      "--out", str(out), "--version", "DLTB=1"])
    assert result.exit_code == 0, result.output
    assert (out / "map.png").stat().st_size > 10_000
    with pdfplumber.open(out / "map.pdf") as pdf:
        assert "城关镇土地利用现状图" in pdf.pages[0].extract_text()
    assert json.loads((out / "map.json").read_text(encoding="utf-8"))["region"]["name"] == "城关镇"


def test_render_command_bad_template_exits_2_in_chinese(map_store_url: str, tmp_path: Path) -> None:
    template = tmp_path / "template.json"
    template.write_text(json.dumps({"title": "", "layers": []}), encoding="utf-8")
    result = CliRunner().invoke(app, ["map", "render", str(template), "--store", map_store_url])
    assert result.exit_code == 2 and "标题不能为空" in result.output
