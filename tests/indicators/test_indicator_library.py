"""The indicator library: both systems from the standards tables, formulas, validation, a province's file."""

from __future__ import annotations

from pathlib import Path

import pytest

from onemap.errors import InputError, NotFoundError
from onemap.indicators import FormulaError, Library, load_library
from onemap.indicators.formulas import evaluate, parse_formula, references


def test_both_systems_load_with_stable_codes(library: Library) -> None:
    tijian = [i for i in library.indicators.values() if i.system == "体检评估"]
    plan = [i for i in library.indicators.values() if i.system == "市级总规"]
    assert len(tijian) == 122 and len(plan) == 35
    assert library.get("TJ011").name == "耕地保有量" and library.get("TJ011").dimension == "安全"
    assert library.get("TJ011").category == "粮食安全"
    assert library.get("GH004").name == "耕地保有量" and library.get("GH004").attribute == "约束性"
    assert library.get("GH004").unit == "万亩" and library.get("TJ013").unit == "公顷"
    assert "inferred" in library.get("TJ013").confidence  # the evidence columns travel with the rows
    assert library.get("TJ011").formula.version == 1 and library.get("TJ011").formula.kind == "area"
    assert library.get("TJ044").formula.kind == "reported"


def test_tree_is_system_dimension_category_indicator(library: Library) -> None:
    tree = {s["name"]: s for s in library.tree()}
    assert set(tree) >= {"体检评估", "市级总规", "辅助指标"}
    dims = {d["name"]: d for d in tree["体检评估"]["dimensions"]}
    assert list(dims) == ["安全", "创新", "协调", "绿色", "开放", "共享"]
    food = next(c for c in dims["安全"]["categories"] if c["name"] == "粮食安全")
    assert [i["code"] for i in food["indicators"]] == ["TJ010", "TJ011", "TJ012"]
    assert food["indicators"][1]["computable"] and not food["indicators"][2]["computable"]
    assert sum(len(c["indicators"]) for d in dims.values() for c in d["categories"]) == 122


def test_unknown_library_code_is_a_chinese_not_found(library: Library) -> None:
    with pytest.raises(Exception, match="指标不存在:XX999"):
        library.get("XX999")


@pytest.mark.parametrize(("body", "message"), [
    ({"kind": "volume"}, "公式类型“volume”未知"),
    ({"kind": "area", "unit": "公顷"}, "缺少图层"),
    ({"kind": "area", "layer": "DLTB", "unit": "英亩"}, "面积单位“英亩”未知"),
    ({"kind": "length", "layer": "XZDW", "unit": "光年"}, "长度单位“光年”未知"),
    ({"kind": "ratio"}, "缺少表达式"),
    ({"kind": "ratio", "expr": "__import__('os').system('x')"}, "只能包含指标代码"),
    ({"kind": "ratio", "expr": "TJ011 ** 2"}, "只能包含指标代码"),
    ({"kind": "ratio", "expr": "TJ011 / (TJ044"}, "语法错误"),
    ({"kind": "ratio", "expr": "tj011 / 2"}, "不是指标代码"),
    ({"kind": "area", "layer": "DLTB", "unit": "公顷", "colour": "red"}, "未知项:colour"),
    ({"kind": "area", "layer": "DLTB", "unit": "公顷", "codes": "01"}, "没有代码字段"),
    ({"kind": "area", "layer": "DLTB", "unit": "公顷", "version": 0}, "版本应为正整数"),
])
def test_bad_formulas_are_refused_in_chinese(body: dict, message: str) -> None:
    with pytest.raises(FormulaError, match=message) as raised:
        parse_formula("TJ999", body)
    assert "TJ999" in raised.value.message_zh


def test_unknown_references_and_cycles_are_refused(library: Library) -> None:
    with pytest.raises(FormulaError, match="引用了不存在的指标:TJ999"):
        library.with_formula("TJ001", parse_formula("TJ001", {"kind": "ratio", "expr": "TJ999 / 2"}))
    with pytest.raises(FormulaError, match="循环引用:(TJ054 → FZ003 → TJ054|FZ003 → TJ054 → FZ003)"):
        library.with_formula("FZ003", parse_formula("FZ003", {"kind": "ratio", "expr": "TJ054 * 2"}))


def test_expressions_are_evaluated_without_eval() -> None:
    assert references("X", "FZ001 * 10000 / (FZ003 * 10000) - -TJ001") == ["FZ001", "FZ003", "TJ001"]
    assert evaluate("X", "(A1 + B2) / 4 * -1", {"A1": 6, "B2": 2}) == -2
    with pytest.raises(FormulaError, match="除数为零"):
        evaluate("X", "A1 / (B2 - 2)", {"A1": 1, "B2": 2})
    with pytest.raises(FormulaError, match="缺少指标 B2 的值"):
        evaluate("X", "A1 / B2", {"A1": 1})


PROVINCE = """
source: 某省国土空间规划指标体系补充(测试)
system: 某省补充指标
indicators:
  SX001: {name: 设施农用地面积, unit: 公顷, dimension: 安全, category: 粮食安全, attribute: 预期性}
  TJ011: {definition: 某省口径:耕地含可调整地类}
formulas:
  SX001: {version: 1, kind: area, layer: DLTB, code_field: DLBM, codes: "1202", unit: 公顷}
  TJ011: {version: 3, kind: area, layer: DLTB, code_field: DLBM, codes: "sd:01 0201K", unit: 公顷}
"""


def test_a_province_file_adds_and_overrides_without_code(tmp_path: Path) -> None:
    folder = tmp_path / "province"
    folder.mkdir()
    (folder / "indicators_sheng.yaml").write_text(PROVINCE, encoding="utf-8")
    library = load_library(standards_extra=[folder])
    added = library.get("SX001")
    assert added.system == "某省补充指标" and added.formula.codes == "1202" and added.source == "indicators_sheng.yaml"
    changed = library.get("TJ011")
    assert changed.formula.version == 3 and changed.formula.codes == "sd:01 0201K"
    assert changed.definition.startswith("某省口径") and changed.name == "耕地保有量"  # untouched fields kept
    explicit = tmp_path / "other.yaml"
    explicit.write_text("formulas:\n  TJ044: {version: 2, kind: reported, unit: 人}\n", encoding="utf-8")
    again = load_library([explicit], standards_extra=[folder])
    assert again.get("TJ044").unit == "人" and again.get("SX001").name == "设施农用地面积"


@pytest.mark.parametrize(("text", "message"), [
    ("formulas:\n  TJ011: {kind: area, layer: DLTB, unit: 公顷\n", "无法读取"),
    ("rules: []\n", "应只有 source、system、indicators、formulas"),
    ("formulas:\n  ZZ001: {kind: reported}\n", "公式所属的指标 ZZ001 不存在"),
    ("indicators:\n  ZZ001: {unit: 个}\n", "新指标 ZZ001 缺少名称"),
    ("indicators:\n  TJ011: {colour: red}\n", "指标 TJ011 的定义只能有"),
    ("formulas:\n  TJ001: {kind: ratio, expr: TJ001 * 2}\n", "循环引用"),
])
def test_a_bad_province_file_is_refused_in_chinese(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "indicators_bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FormulaError, match=message):
        load_library([path], standards_extra=[])


def test_codes_or_names_resolve(library: Library) -> None:
    assert library.resolve("TJ044").name == "常住人口数量"
    assert library.resolve("常住人口数量").code == "TJ044"
    assert library.resolve("耕地保有量", unit="万亩").code == "GH004"
    with pytest.raises(InputError, match="对应多个指标:TJ011、GH004"):
        library.resolve("耕地保有量")
    with pytest.raises(NotFoundError, match="指标不存在:人均GDP"):
        library.resolve("人均GDP")
