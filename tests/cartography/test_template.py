"""Template validation: good templates parse, bad ones are refused with Chinese messages."""

from __future__ import annotations

import pytest

from onemap.cartography import parse_template
from onemap.errors import InputError

GOOD = {"title": "土地利用现状图",
        "layers": [{"name": "DLTB", "classification": {"method": "unique", "field": "DLBM"}}]}


def test_good_template_parses_with_defaults() -> None:
    template = parse_template(GOOD)
    assert template.page == "A4" and template.orientation == "landscape" and template.graticule
    assert template.page_mm() == (297, 210)
    assert parse_template(template.model_dump(mode="json")) == template


@pytest.mark.parametrize(("change", "expected"), [
    ({"title": ""}, "标题不能为空"),
    ({"layers": []}, "图层至少需要 1 项"),
    ({"dpi": 10}, "分辨率不能小于 72"),
    ({"page": "B5"}, "不支持的纸张“B5”"),
    ({"colour_scheme": 1}, "是未知的设置项"),
    ({"region": "34a"}, "制图区域格式不正确"),
    ({"layers": [{"name": "DLTB", "classification": {"method": "quantiles"}}]}, "需要指定分类字段"),
    ({"layers": [{"name": "DLTB", "classification": {"method": "jenks", "field": "TBMJ"}}]}, "分类方法取值不合法"),
    ({"layers": [{"name": "DLTB", "classification": {"method": "quantiles", "field": "TBMJ", "ramp": "x"}}]},
     "未知的色带“x”"),
    ({"layers": [{"name": "DLTB; drop table", "classification": {}}]}, "图层名称格式不正确"),
])
def test_bad_templates_refused_in_chinese(change: dict, expected: str) -> None:
    with pytest.raises(InputError) as info:
        parse_template({**GOOD, **change})
    assert info.value.message_zh.startswith("专题图模板不合法:")
    assert expected in info.value.message_zh


def test_non_object_refused() -> None:
    with pytest.raises(InputError, match="JSON 对象"):
        parse_template(["DLTB"])
