"""The thematic map template (专题图模板): layers, classifications, furniture, page and region.

A template is plain JSON, stored in the records database and snapshotted into every run of the task
log; :func:`parse_template` validates one and reports problems in Chinese.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from onemap.cartography.config import cartography_data, label, palettes, ramps
from onemap.errors import InputError

Method = Literal["single", "unique", "natural_breaks", "quantiles", "equal_interval"]
METHOD_NAMES = {"single": "单一符号", "unique": "唯一值(按编码标准色)", "natural_breaks": "自然断点",
                "quantiles": "分位数", "equal_interval": "等间距"}
NUMERIC_METHODS = ("natural_breaks", "quantiles", "equal_interval")
_COLOUR = r"^#[0-9a-fA-F]{6}([0-9a-fA-F]{2})?$"
_NAME = r"^[A-Za-z_][A-Za-z0-9_]{0,127}$"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Classification(_Model):
    """How a layer's features are coloured."""

    method: Method = "single"
    field: str | None = Field(None, pattern=_NAME)
    classes: int = Field(5, ge=2, le=12)
    palette: str | None = None  # unique values: a palette name; default: the field's standard palette
    ramp: str = "YlOrRd"
    colour: str = Field("#5a8cc8", pattern=_COLOUR)  # single symbol, and codes missing from the palette

    @model_validator(mode="after")
    def _consistent(self) -> Classification:
        if self.method != "single" and not self.field:
            raise ValueError(f"分类方法“{METHOD_NAMES[self.method]}”需要指定分类字段")
        if self.palette is not None and self.palette not in palettes():
            raise ValueError(f"未知的色板“{self.palette}”,可选:{'、'.join(palettes())}")
        if self.ramp not in ramps():
            raise ValueError(f"未知的色带“{self.ramp}”,可选:{'、'.join(ramps())}")
        return self


class MapLayer(_Model):
    """One layer of the map, drawn in list order (the first at the bottom)."""

    name: str = Field(pattern=_NAME)
    label: str | None = Field(None, max_length=40)
    classification: Classification = Field(default_factory=Classification)
    outline: str | None = Field("#808080", pattern=_COLOUR)
    outline_width: float = Field(0.2, ge=0, le=5)
    opacity: float = Field(1.0, ge=0, le=1)
    version: int | None = Field(None, ge=1)


class MapTemplate(_Model):
    """A reusable thematic map: run it for any region, version or date."""

    title: str = Field(min_length=1, max_length=60)
    subtitle: str = Field("", max_length=80)
    author: str = Field("", max_length=60)
    layers: list[MapLayer] = Field(min_length=1, max_length=8)
    legend: bool = True
    scale_bar: bool = True
    north_arrow: bool = True
    graticule: bool = True
    page: str = "A4"
    orientation: Literal["landscape", "portrait"] = "landscape"
    dpi: int = Field(150, ge=72, le=300)
    region: str | None = Field(None, pattern=r"^[0-9]{2,19}$")
    clip: bool = True
    as_of: date | None = None

    @field_validator("page")
    @classmethod
    def _known_page(cls, value: str) -> str:
        pages = cartography_data()["pages"]
        if value not in pages:
            raise ValueError(f"不支持的纸张“{value}”,可选:{'、'.join(pages)}")
        return value

    def page_mm(self) -> tuple[float, float]:
        """Paper width and height in millimetres, as oriented."""
        short, long = sorted(cartography_data()["pages"][self.page])
        return (long, short) if self.orientation == "landscape" else (short, long)


_MESSAGES = {
    "missing": "缺少必填项", "string_too_short": "不能为空", "string_too_long": "过长(最多 {max_length} 个字)",
    "string_pattern_mismatch": "格式不正确", "literal_error": "取值不合法,可选:{expected}",
    "greater_than_equal": "不能小于 {ge}", "less_than_equal": "不能大于 {le}", "too_short": "至少需要 {min_length} 项",
    "too_long": "最多 {max_length} 项", "extra_forbidden": "是未知的设置项", "int_parsing": "应为整数",
    "float_parsing": "应为数字", "bool_parsing": "应为是/否", "date_from_datetime_parsing": "应为日期(YYYY-MM-DD)",
    "date_parsing": "应为日期(YYYY-MM-DD)", "model_type": "应为对象", "list_type": "应为列表",
    "string_type": "应为文字",
}


def _where(loc: tuple[Any, ...]) -> str:
    parts = []
    for item in loc:
        parts.append(f"第 {item + 1} 个" if isinstance(item, int) else label(str(item)))
    return "".join(parts) or "模板"


def _message(error: dict[str, Any]) -> str:
    if error["type"] == "value_error":
        return f"{_where(error['loc'])}:{str(error['msg']).removeprefix('Value error, ')}"
    text = _MESSAGES.get(error["type"], "不合法")
    try:
        text = text.format(**(error.get("ctx") or {}))
    except (KeyError, IndexError):
        pass
    return f"{_where(error['loc'])}{text}"


def parse_template(data: Any) -> MapTemplate:
    """A validated template from JSON data; InputError with Chinese messages otherwise."""
    if isinstance(data, MapTemplate):
        return data
    if not isinstance(data, dict):
        raise InputError("专题图模板应为 JSON 对象", f"template is {type(data).__name__}")
    try:
        return MapTemplate.model_validate(data)
    except ValidationError as exc:
        messages = [_message(e) for e in exc.errors()[:6]]
        raise InputError("专题图模板不合法:" + ";".join(messages), f"bad template: {exc.errors()[:3]}") from exc
