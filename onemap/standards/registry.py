"""Load the standards tables (code tables, schemas, rules) from data files.

The package's own tables live in ``onemap/standards/data`` and are described by its
``standards.toml``. A province or city extends them with a folder of the same shape, named in
``ONEMAP_STANDARDS_EXTRA``: rows of an extension replace the package's rows with the same key, and
tables the package does not have are added.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd

from onemap.config import get_settings
from onemap.errors import StandardsError

PACKAGE_DATA = Path(__file__).parent / "data"
MANIFEST = "standards.toml"


@dataclass(frozen=True)
class StandardTable:
    """One standards table with its provenance."""

    name: str
    title: str
    standard: str
    version: str
    key: tuple[str, ...]
    frame: pd.DataFrame
    sources: tuple[str, ...] = field(default_factory=tuple)

    def row(self, *key: str) -> dict[str, str] | None:
        """The row whose key columns equal ``key``, or None."""
        mask = pd.Series(True, index=self.frame.index)
        for column, value in zip(self.key, key, strict=True):
            mask &= self.frame[column] == value
        hits = self.frame[mask]
        return None if hits.empty else hits.iloc[0].to_dict()

    def mapping(self, value_column: str, key_column: str | None = None) -> dict[str, str]:
        """A dict from the key column (or ``key_column``) to ``value_column``."""
        column = key_column or self.key[0]
        return dict(zip(self.frame[column], self.frame[value_column], strict=True))

    def unconfirmed(self) -> pd.DataFrame:
        """Rows whose confidence is 'inferred': defaults that no public source confirms."""
        if "confidence" not in self.frame:
            return self.frame.iloc[0:0]
        return self.frame[self.frame["confidence"].str.startswith("inferred")]


def _read_manifest(folder: Path) -> dict:
    path = folder / MANIFEST
    if not path.is_file():
        raise StandardsError(f"标准目录缺少 {MANIFEST}:{folder}", f"missing {path}")
    with path.open("rb") as handle:
        return tomllib.load(handle).get("tables", {})


def _read_csv(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise StandardsError(f"标准数据文件不存在:{path}", f"missing standards file {path}")
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (ValueError, pd.errors.ParserError) as exc:
        raise StandardsError(f"标准数据文件格式错误:{path}({exc})", f"bad standards file {path}: {exc}") from exc


def _as_key(key: str | list[str]) -> tuple[str, ...]:
    return (key,) if isinstance(key, str) else tuple(key)


def _merge(base: pd.DataFrame, extra: pd.DataFrame, key: tuple[str, ...]) -> pd.DataFrame:
    """Rows of ``extra`` replace rows of ``base`` with the same key; new rows are appended."""
    combined = pd.concat([base, extra], ignore_index=True).fillna("")
    return combined.drop_duplicates(subset=list(key), keep="last").reset_index(drop=True)


def _load_all(folders: tuple[Path, ...]) -> dict[str, StandardTable]:
    tables: dict[str, StandardTable] = {}
    for folder in folders:
        for name, spec in _read_manifest(folder).items():
            frame = _read_csv(folder / spec["file"])
            previous = tables.get(name)
            key = _as_key(spec.get("key", previous.key if previous else frame.columns[0]))
            missing = [k for k in key if k not in frame.columns]
            if missing:
                raise StandardsError(f"标准表 {name} 缺少键字段 {missing}", f"{name}: key {missing} missing")
            if previous is not None:
                frame = _merge(previous.frame, frame, key)
            tables[name] = StandardTable(
                name=name,
                title=spec.get("title", previous.title if previous else name),
                standard=spec.get("standard", previous.standard if previous else ""),
                version=str(spec.get("version", previous.version if previous else "")),
                key=key,
                frame=frame,
                sources=(previous.sources if previous else ()) + (str(folder / spec["file"]),),
            )
    return tables


@lru_cache
def _tables(folders: tuple[Path, ...]) -> dict[str, StandardTable]:
    return _load_all(folders)


def standards_folders() -> tuple[Path, ...]:
    """The package's folder followed by configured extensions (later ones win)."""
    return (PACKAGE_DATA, *get_settings().standards_extra)


def get_table(name: str) -> StandardTable:
    """The standards table ``name`` with all configured extensions applied."""
    tables = _tables(standards_folders())
    if name not in tables:
        raise StandardsError(f"未知的标准表:{name}", f"unknown standards table {name}")
    return tables[name]


def list_tables() -> list[StandardTable]:
    """Every standards table, package and extensions."""
    return list(_tables(standards_folders()).values())


def clear_cache() -> None:
    """Forget loaded tables (after the configuration changed)."""
    _tables.cache_clear()
    get_settings.cache_clear()
