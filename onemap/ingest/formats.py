"""数据格式白名单: which GDAL driver may read a dataset with a given suffix (``data/formats.csv``).

GDAL picks a driver by content, not by name: a GML file saved as ``.json`` is opened by the GML
driver (which resolves schemas and XLinks), a plain SQLite file named ``.gpkg`` by the SQLite driver.
So the driver GDAL would use is identified first (``GDALIdentifyDriverEx``: the drivers' header
checks, nothing opened) and must be one the suffix allows; the driver that then opened the dataset is
checked again. A format outside the list never reaches a GDAL ``Open``.
"""

from __future__ import annotations

import csv
import ctypes
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from onemap._gdal import _gdal_library
from onemap.errors import InputError

_GDAL_OF_VECTOR = 0x04


@dataclass(frozen=True)
class Format:
    """An accepted dataset suffix, the GDAL drivers allowed to read it, and its Chinese name."""

    suffix: str
    drivers: tuple[str, ...]
    format_zh: str
    json: bool


@lru_cache
def formats() -> dict[str, Format]:
    """Accepted suffix (lower case, with the dot) → :class:`Format`."""
    text = resources.files("onemap.ingest").joinpath("data", "formats.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(text.splitlines())
    return {r["suffix"]: Format(r["suffix"], tuple(r["drivers"].split("|")), r["format_zh"], r["json"] == "yes")
            for r in rows}


def dataset_suffixes() -> tuple[str, ...]:
    """The suffixes of datasets the importer looks for."""
    return tuple(formats())


def format_of(path: Path) -> Format:
    """The accepted format of ``path`` by its suffix (an :class:`InputError` for any other suffix)."""
    found = formats().get(Path(path).suffix.lower())
    if found is None:
        raise InputError(f"不支持的数据文件类型:{Path(path).name}", f"unsupported suffix {path}")
    return found


@lru_cache(maxsize=1)
def _identify_function() -> tuple[Any, Any] | None:
    """GDALIdentifyDriverEx and GDALGetDriverShortName of the GDAL pyogrio loaded, through ctypes."""
    library = _gdal_library()
    if library is None:
        return None
    identify, short_name = library.GDALIdentifyDriverEx, library.GDALGetDriverShortName
    identify.restype, identify.argtypes = ctypes.c_void_p, [ctypes.c_char_p, ctypes.c_uint, ctypes.c_void_p,
                                                            ctypes.c_void_p]
    short_name.restype, short_name.argtypes = ctypes.c_char_p, [ctypes.c_void_p]
    return identify, short_name


def identify_driver(path: Path) -> str | None:
    """The short name of the vector driver GDAL would open ``path`` with, or None (no driver knows it).

    Returns ``""`` when the GDAL library cannot be reached through ctypes; then only the check after
    opening (:func:`check_driver`) applies.
    """
    functions = _identify_function()
    if functions is None:
        return ""
    identify, short_name = functions
    handle = identify(str(path).encode("utf-8"), _GDAL_OF_VECTOR, None, None)
    return short_name(handle).decode("ascii", "replace") if handle else None


def check_driver(path: Path, driver: str | None, shown: str) -> Format:
    """Refuse ``path`` unless ``driver`` is allowed for its suffix; ``shown`` names it for the user."""
    wanted = format_of(path)
    if driver is None:
        raise InputError(f"无法识别数据文件“{shown}”的格式(文件为空、已损坏或不是{wanted.format_zh})",
                         f"no GDAL driver identifies {path}")
    if driver and driver not in wanted.drivers:
        raise InputError(
            f"数据文件“{shown}”的内容是 {driver} 格式,不是扩展名 {wanted.suffix} 对应的{wanted.format_zh},"
            f"已拒绝;请转换为{wanted.format_zh}后上传", f"{path}: driver {driver} not allowed for {wanted.suffix}")
    return wanted
