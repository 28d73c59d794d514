"""Raster tile styles (制图样式): which colours a WMTS tile of a layer is drawn with.

The styles and the 三调 colour table are data (``data/styles.toml``, ``data/sandiao_colors.csv``):
三调 DLTB coloured by DLBM, 生态保护红线 STBHHX red outline on light green, 永久基本农田
YJJBNTBHTB yellow fill with a brown outline, 城镇开发边界 CZKFBJ a dashed magenta outline, and a
generic style for every other layer.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd

from onemap.errors import NotFoundError, StandardsError

DATA = Path(__file__).parent / "data"
DEFAULT = "default"
GENERIC = "generic"
RGBA = tuple[int, int, int, int]


def parse_colour(text: str) -> RGBA:
    """``#RRGGBB`` or ``#RRGGBBAA`` (or ``r,g,b``) as an RGBA tuple."""
    value = text.strip()
    if "," in value:
        parts = [int(v) for v in value.split(",")]
        return (*parts, 255) if len(parts) == 3 else tuple(parts)
    digits = value.lstrip("#")
    if len(digits) not in (6, 8):
        raise StandardsError(f"颜色格式错误:{text}", f"bad colour {text!r}")
    channels = [int(digits[i:i + 2], 16) for i in range(0, len(digits), 2)]
    return (*channels, 255) if len(channels) == 3 else tuple(channels)


@dataclass(frozen=True)
class Style:
    """How one layer is drawn: a fill (fixed or by a code column), an outline, an optional dash."""

    id: str
    title: str
    layers: tuple[str, ...] = ()
    fill: RGBA | None = None
    fill_by: str | None = None
    palette: dict[str, RGBA] = field(default_factory=dict)
    outline: RGBA | None = None
    outline_width: int = 1
    outline_max_pixel_m: float | None = None  # outlines only on tiles whose pixel is at most this
    dash: tuple[int, int] | None = None

    def applies_to(self, layer: str) -> bool:
        """Whether this style is the default of ``layer`` (its name, or its name followed by ``_``)."""
        name = layer.upper()
        return any(name == p or name.startswith(p + "_") for p in self.layers)

    def draws_outline(self, pixel_m: float) -> bool:
        """Whether outlines are drawn on a tile with pixels of ``pixel_m`` metres."""
        return self.outline is not None and (self.outline_max_pixel_m is None or pixel_m <= self.outline_max_pixel_m)

    def fills(self, frame: pd.DataFrame) -> list[RGBA | None]:
        """The fill of each feature: by code (exact, then 4-character class, then 一级类), else ``fill``."""
        if not self.fill_by or self.fill_by not in frame.columns:
            return [self.fill] * len(frame)
        codes = frame[self.fill_by].astype("string").fillna("").str.strip().tolist()
        chosen = {code: self._lookup(code) for code in set(codes)}
        return [chosen[code] for code in codes]

    def _lookup(self, code: str) -> RGBA | None:
        # DLBM with a K/A suffix (0201K) falls back to 0201, an unknown 二级类 to its 一级类 (02).
        for candidate in (code, code[:4], code[:2]):
            if candidate in self.palette:
                return self.palette[candidate]
        return self.fill

    @property
    def fingerprint(self) -> str:
        """A digest of the whole definition (a changed style must not be served from an old cache)."""
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True, default=str).encode()).hexdigest()[:12]


def _palette(file: str) -> dict[str, RGBA]:
    frame = pd.read_csv(DATA / file, dtype=str, keep_default_na=False)
    return {row.code: parse_colour(row.rgb) for row in frame.itertuples()}


@lru_cache
def list_styles() -> dict[str, Style]:
    """Every style by id, read from ``data/styles.toml``."""
    with (DATA / "styles.toml").open("rb") as handle:
        spec = tomllib.load(handle)["styles"]
    styles = {}
    for style_id, item in spec.items():
        styles[style_id] = Style(
            id=style_id, title=item["title"], layers=tuple(n.upper() for n in item.get("layers", ())),
            fill=parse_colour(item["fill"]) if "fill" in item else None, fill_by=item.get("fill_by"),
            palette=_palette(item["palette"]) if "palette" in item else {},
            outline=parse_colour(item["outline"]) if "outline" in item else None,
            outline_width=int(item.get("outline_width", 1)), outline_max_pixel_m=item.get("outline_max_pixel_m"),
            dash=tuple(item["dash"]) if "dash" in item else None,
        )
    return styles


def get_style(layer: str, style: str | None = None) -> Style:
    """The style ``style`` (an id), or the layer's default for None/``default``."""
    styles = list_styles()
    if style in (None, DEFAULT):
        return next((s for s in styles.values() if s.applies_to(layer)), styles[GENERIC])
    if style not in styles:
        raise NotFoundError(f"样式不存在:{style}(可用:{'、'.join(styles)})", f"unknown style {style}")
    return styles[style]
