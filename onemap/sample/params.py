"""Parameters and rule tables of the sample generator, read from ``onemap/sample/data``.

These files hold the generator's own choices (the fictitious county, land-use mixes, coefficients,
templates). Codes, names and field schemas of the standards are never copied here: the generator
reads them through :func:`onemap.standards.get_table`.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

import pandas as pd

from onemap.errors import StandardsError

DATA = Path(__file__).parent / "data"


def _read_toml(name: str) -> dict:
    path = DATA / name
    if not path.is_file():
        raise StandardsError(f"样例数据参数文件不存在:{path}", f"missing sample data file {path}")
    with path.open("rb") as handle:
        return tomllib.load(handle)


@lru_cache
def params() -> dict:
    """The generator's parameters (``params.toml``)."""
    return _read_toml("params.toml")


@lru_cache
def plan_text() -> dict:
    """Templates of the plan text (``plan_text.toml``)."""
    return _read_toml("plan_text.toml")


@lru_cache
def rules(name: str) -> pd.DataFrame:
    """The rule table ``name`` (``data/<name>.csv``), all columns as strings."""
    path = DATA / f"{name}.csv"
    if not path.is_file():
        raise StandardsError(f"样例数据规则表不存在:{path}", f"missing sample rule table {path}")
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def weights(frame: pd.DataFrame, column: str = "weight") -> pd.Series:
    """A weight column as floats normalised to sum 1."""
    values = frame[column].astype(float)
    return values / values.sum()


def readme_template() -> str:
    """The Chinese README template of the output folder."""
    return (DATA / "readme_template.txt").read_text(encoding="utf-8")
