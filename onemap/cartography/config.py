"""The cartography data (``data/cartography.toml``) and typed settings of thematic maps."""

from __future__ import annotations

import csv
import tomllib
from functools import lru_cache
from importlib import resources
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from onemap.errors import StandardsError
from onemap.services.tiles.styles import parse_colour

DATA_FILE = "cartography.toml"
RGBA = tuple[int, int, int, int]


class MapSettings(BaseSettings):
    """Limits of thematic maps (``ONEMAP_MAP_*``)."""

    model_config = SettingsConfigDict(env_prefix="ONEMAP_MAP_", extra="ignore")

    sync_feature_limit: int = Field(50_000, description="Maps reading more features run as a job (异步任务)")
    max_features: int = Field(2_000_000, description="A map reading more features is refused")


def map_settings() -> MapSettings:
    """The thematic-map settings from the environment."""
    return MapSettings()


@lru_cache
def cartography_data() -> dict[str, Any]:
    """The parsed ``data/cartography.toml``."""
    text = resources.files("onemap.cartography").joinpath("data", DATA_FILE).read_text(encoding="utf-8")
    return tomllib.loads(text)


def _resource_text(spec: str) -> str:
    """The text of a data file named ``package:relative/path``."""
    package, _, path = spec.partition(":")
    try:
        return resources.files(package).joinpath(*path.split("/")).read_text(encoding="utf-8")
    except (OSError, ModuleNotFoundError) as exc:
        raise StandardsError(f"制图数据文件读取失败:{spec}", f"cannot read {spec}: {exc}") from exc


@lru_cache
def palette_colours(palette: str) -> dict[str, RGBA]:
    """Code → RGBA of a unique-value palette (``[palettes.NAME]`` of the cartography data)."""
    spec = palettes()[palette]["colours"]
    rows = csv.DictReader(_resource_text(spec).splitlines())
    return {row["code"]: parse_colour(row["rgb"]) for row in rows}


def palettes() -> dict[str, dict[str, Any]]:
    """Every unique-value palette by name."""
    return cartography_data()["palettes"]


def palette_for_field(field: str) -> str | None:
    """The palette whose standard colours belong to a code field (DLBM → sandiao), or None."""
    return next((name for name, p in palettes().items() if field.upper() in p["fields"]), None)


def ramps() -> dict[str, list[str]]:
    """Colour ramps of numeric classifications by name."""
    return cartography_data()["ramps"]


def label(field: str) -> str:
    """The Chinese name of a template field (for messages)."""
    return cartography_data()["labels"].get(field, field)
