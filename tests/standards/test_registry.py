"""Standards as data: tables load with provenance; a province extends them with a folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from onemap import standards
from onemap.errors import StandardsError
from onemap.standards import codes


def test_tables_carry_version_and_source() -> None:
    table = standards.get_table("sandiao_landuse_codes")
    assert table.standard == "TD/T 1055-2019"
    assert table.sources[0].endswith("sandiao_landuse_codes.csv")
    assert table.row("0101")["name_zh"] == "水田"
    assert len(standards.get_table("sandiao_dltb_fields").frame) == 30
    assert len(standards.get_table("ydyh_codes").frame) == 175


def test_inferred_rows_are_listed_as_unconfirmed() -> None:
    unconfirmed = standards.get_table("plan_indicators").unconfirmed()
    assert len(unconfirmed) == len(standards.get_table("plan_indicators").frame)
    assert standards.get_table("sandiao_landuse_codes").unconfirmed().empty


def test_code_helpers() -> None:
    assert codes.sandiao_names()["1101"] == "河流水面"
    assert codes.sandiao_level1("0201K") == "02"
    assert codes.sandiao_parent("0101") == "01"
    assert codes.sandiao_to_ydyh()["0101"] == "0101"
    assert codes.security_rank("秘密") > codes.security_rank("公开")


def test_province_extension_overrides_and_adds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "standards.toml").write_text(
        '[tables.sandiao_landuse_codes]\nfile = "codes.csv"\n\n'
        '[tables.province_rules]\nfile = "rules.csv"\ntitle = "省级规则"\nkey = "id"\n', encoding="utf-8")
    (tmp_path / "codes.csv").write_text(
        "code,name_zh,level,parent_code\n0101,水田(省扩展),2,01\n0101X,省级细化水田,ext,0101\n", encoding="utf-8")
    (tmp_path / "rules.csv").write_text("id,text\nP1,示例\n", encoding="utf-8")
    monkeypatch.setenv("ONEMAP_STANDARDS_EXTRA", f'["{tmp_path}"]')
    standards.clear_cache()
    try:
        table = standards.get_table("sandiao_landuse_codes")
        assert table.row("0101")["name_zh"] == "水田(省扩展)"
        assert table.row("0101X")["name_zh"] == "省级细化水田"
        assert table.row("0103")["name_zh"] == "旱地"
        assert standards.get_table("province_rules").title == "省级规则"
        assert len(table.sources) == 2
    finally:
        monkeypatch.delenv("ONEMAP_STANDARDS_EXTRA")
        standards.clear_cache()


def test_broken_extension_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "standards.toml").write_text('[tables.x]\nfile = "missing.csv"\n', encoding="utf-8")
    monkeypatch.setenv("ONEMAP_STANDARDS_EXTRA", f'["{tmp_path}"]')
    standards.clear_cache()
    try:
        with pytest.raises(StandardsError, match="不存在"):
            standards.get_table("x")
    finally:
        monkeypatch.delenv("ONEMAP_STANDARDS_EXTRA")
        standards.clear_cache()
