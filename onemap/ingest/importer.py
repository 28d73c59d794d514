"""导入: bring a bureau delivery into the store as new layer versions, in one transaction."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from onemap.config import Settings, get_settings
from onemap.errors import InputError
from onemap.geometry.crs import OnemapCRS, check_extent, resolve_crs
from onemap.ingest.prepare import build_batch, choose_key_field
from onemap.ingest.reader import ReadLayer, SourceLayer, discover, read_layer
from onemap.security.clearance import assert_storable
from onemap.security.settings import SecuritySettings
from onemap.security.users import User
from onemap.security.write_access import authorize_import, writable_layers
from onemap.standards.codes import catalog_categories, security_rank
from onemap.standards.registry import get_table
from onemap.store import LayerBatch, LayerMeta, Store, VersionInfo
from onemap.store.names import check_layer_name

Progress = Callable[[str, float], None]
_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,62}$")


@dataclass
class ImportOptions:
    """What the user says about a delivery (all optional)."""

    layer: str | None = None  # import only this source layer
    name: str | None = None  # store layer name (default: the source layer's name or standard code)
    title: str | None = None
    category: str | None = None
    department: str = ""
    year: int | None = None
    security_level: str | None = None  # default: the layer's current level, else 内部
    encoding: str | None = None
    crs: str | None = None  # assign when the data has none
    allow_wgs84: bool = False
    key_field: str | None = None
    valid_date: date | None = None  # 数据时点 (e.g. 2023-12-31 for the 2023 变更调查)
    note: str = ""


@dataclass
class LayerReport:
    """What happened to one layer."""

    name: str
    source: str
    crs: str
    features: int
    invalid_geometries: int
    encoding: str | None
    encoding_how: str | None
    warnings: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    """The result of one import: new versions and per-layer findings."""

    versions: list[VersionInfo]
    layers: list[LayerReport]


def _standard_layers() -> dict[str, tuple[str, str]]:
    """Layer code → (Chinese title, catalog category) from the 三调 and planning standards."""
    known: dict[str, tuple[str, str]] = {}
    for row in get_table("sandiao_layers").frame.itertuples():
        if _IDENTIFIER.match(row.layer_code):
            known[row.layer_code.upper()] = (row.name_zh, "现状")
    for row in get_table("plan_db_layers").frame.itertuples():  # control lines are planning results
        if row.table_code and _IDENTIFIER.match(row.table_code):
            known[row.table_code.upper()] = (row.layer_name_zh, "规划")
    for row in get_table("catalog_layer_defaults").frame.itertuples():
        known[row.layer_code.upper()] = (row.name_zh, row.category)
    return known


def _layer_name(source: SourceLayer, options: ImportOptions, single: bool) -> tuple[str, str | None]:
    """The store name of a source layer and, if known, its standard title."""
    standard = _standard_layers()
    if options.name and single:
        return check_layer_name(options.name), standard.get(options.name.upper(), (None,))[0]
    raw = Path(source.layer).stem if source.driver in ("ESRI Shapefile", "GeoJSON") else source.layer
    if raw.upper() in standard:
        return check_layer_name(raw.upper()), standard[raw.upper()][0]
    by_title = {title: code for code, (title, _) in standard.items()}
    if raw in by_title:
        return check_layer_name(by_title[raw]), raw
    if _IDENTIFIER.match(raw):
        return check_layer_name(raw), None
    raise InputError(f"图层“{raw}”的名称不是英文标识符,也不是标准图层名,请用 --name 指定图层代码(如 DLTB)",
                     f"cannot derive a layer name from {raw!r}")


DEFAULT_SECURITY_LEVEL = "内部"


def _meta(read: ReadLayer, name: str, title: str | None, crs: OnemapCRS, options: ImportOptions,
          existing: LayerMeta | None, security: SecuritySettings | None) -> LayerMeta:
    """Catalog metadata: what the user said, else what the catalog already holds, else defaults."""
    category = options.category or (existing and existing.category) or \
        _standard_layers().get(name.upper(), ("", "其他"))[1]
    if category not in catalog_categories():
        raise InputError(f"未知的数据分类“{category}”,可选:{'、'.join(catalog_categories())}",
                         f"unknown category {category}")
    level = options.security_level or (existing and existing.security_level) or DEFAULT_SECURITY_LEVEL
    security_rank(level)  # raises on an unknown level
    assert_storable(level, security)  # an edition never stores data above its ceiling (互联网版: 公开 only)
    base = read.geometry_type.replace("Multi", "").replace(" Z", "").replace(" M", "")
    return LayerMeta(
        name=name, title=options.title or (existing and existing.title) or title or name, category=category,
        department=options.department or (existing and existing.department) or "",
        year=options.year or (existing and existing.year) or None, epsg=crs.epsg,
        geometry_type=f"Multi{base}" if base != "Unknown" else base, security_level=level,
        key_field=choose_key_field(read.frame, options.key_field or (existing and existing.key_field) or None),
        description=options.note or (existing and existing.description) or "",
    )


def _resolve(read: ReadLayer, options: ImportOptions) -> OnemapCRS:
    crs = resolve_crs(read.crs_wkt or options.crs, allow_wgs84=options.allow_wgs84)
    if len(read.frame) and read.frame.geometry.notna().any():
        check_extent(tuple(read.frame.total_bounds), crs)
    return crs


def _prepare(read: ReadLayer, options: ImportOptions, single: bool, catalog: dict[str, LayerMeta],
             security: SecuritySettings | None, keeps_heights: bool = True) -> tuple[LayerBatch, LayerReport]:
    name, title = _layer_name(read.source, options, single)
    title = title or read.alias
    crs = _resolve(read, options)
    if options.key_field and options.key_field not in read.frame.columns:
        raise InputError(f"图层 {name} 没有字段 {options.key_field}", f"{name}: no field {options.key_field}")
    frame = read.frame.set_crs(crs.epsg, allow_override=True)
    meta = _meta(read, name, title, crs, options, catalog.get(name), security)
    batch = build_batch(frame, meta, source=read.source.label, valid_date=options.valid_date,
                        encoding=read.encoding, note=options.note)
    warnings = list(read.warnings)
    if read.crs_wkt is None and options.crs:
        warnings.append(f"数据缺少坐标系,已按指定的 {crs.label_zh} 导入")
    if crs.vertical_epsg:
        kept = "高程值按原样保留" if keeps_heights else "本存储只保存平面坐标,高程值未入库"
        warnings.append(f"数据带高程基准 {crs.vertical_zh}(EPSG:{crs.vertical_epsg}),按平面坐标系 EPSG:{crs.epsg} "
                        f"入库,{kept}")
    warnings.extend(_duplicate_key_warning(frame, meta.key_field))
    invalid = int((~batch.frame["_valid"]).sum())
    if invalid:
        warnings.append(f"{invalid} 个要素几何无效,已按原样导入并标记,请运行质检")
    report = LayerReport(name, read.source.label, crs.label_zh, len(frame), invalid, read.encoding,
                         read.encoding_how, warnings)
    return batch, report


_DUPLICATES_SHOWN = 5


def _duplicate_key_warning(frame: pd.DataFrame, key_field: str | None) -> list[str]:
    """A warning naming repeated key values (BSM 标识码 must be unique, GB/T 21010 / 三调 数据库标准):
    the features still import, told apart by ``#2``… suffixes (see :func:`feature_keys`)."""
    if key_field is None or key_field not in frame.columns:
        return []
    values = frame[key_field].astype("string").str.strip()
    counts = values[values.notna() & (values != "")].value_counts()
    repeated = counts[counts > 1]
    if repeated.empty:
        return []
    shown = "、".join(f"{value}({count} 次)" for value, count in repeated.head(_DUPLICATES_SHOWN).items())
    more = f" 等 {len(repeated)} 个值" if len(repeated) > _DUPLICATES_SHOWN else ""
    extra = int((repeated - 1).sum())
    return [f"字段 {key_field} 有重复值:{shown}{more};{extra} 个要素以“#2”等后缀区分后导入,请核对并运行质检"]


def import_path(path: Path, store: Store, options: ImportOptions | None = None, *,
                progress: Progress | None = None, settings: Settings | None = None,
                security: SecuritySettings | None = None, writer: User | None = None) -> ImportReport:
    """Import every layer of ``path`` (or ``options.layer``) as new versions, in one transaction.

    ``writer`` is the signed-in account (None: the local console); its clearance and region decide
    which layers it may write (:mod:`onemap.security.write_access`), and no import lowers a level.
    """
    options = options or ImportOptions()
    settings = settings or get_settings()
    notify = progress or (lambda _step, _fraction: None)
    if options.name:  # before any byte of the upload is read
        check_layer_name(options.name)
    with tempfile.TemporaryDirectory(prefix="onemap-import-") as workdir:
        notify("检查数据包", 0.0)
        sources = discover(Path(path), Path(workdir), settings)
        if options.layer:
            sources = [s for s in sources if options.layer in (s.layer, Path(s.layer).stem, s.label)]
            if not sources:
                raise InputError(f"数据中没有图层 {options.layer}", f"no layer {options.layer} in {path}")
        batches, reports = [], []
        catalog = writable_layers(store, writer, security)  # a hidden layer's metadata is never consulted
        for index, source in enumerate(sources):
            notify(f"读取 {source.label}", 0.1 + 0.6 * index / len(sources))
            read = read_layer(source, settings, options.encoding)
            batch, report = _prepare(read, options, single=len(sources) == 1, catalog=catalog,
                                     security=security, keeps_heights=store.keeps_heights)
            batches.append(batch)
            reports.append(report)
        expected = authorize_import(store, batches, writer=writer, settings=security)
        notify("写入存储(单一事务)", 0.75)
        versions = store.commit(batches, expected=expected)
        notify("完成", 1.0)
    return ImportReport(versions, reports)
