"""Figures quoted by the plan text and the README, computed from the layers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from onemap.geometry.crs import resolve_crs
from onemap.sample.codesets import ydyh_level1_of
from onemap.sample.indicators import Indicator, unit_factor
from onemap.sample.params import params, readme_template
from onemap.sample.plantext import fmt
from onemap.sample.schema import layer_specs
from onemap.standards.codes import ydyh_names

KM2 = "km²"


def _km2(area_m2: float) -> float:
    return round(area_m2 * unit_factor(KM2), 2)


def _value(indicators: list[Indicator], name: str) -> float:
    for item in indicators:
        if item.name == name and item.computable:
            return item.base
    raise KeyError(name)


def _shares(names: np.ndarray, areas: np.ndarray, order: list[str] | None = None) -> pd.DataFrame:
    total = areas.sum()
    frame = pd.DataFrame({"name": names, "area": areas}).groupby("name", sort=False)["area"].sum()
    frame = frame.reindex(order) if order else frame.sort_values(ascending=False)
    return pd.DataFrame({"name": frame.index, "km2": [_km2(a) for a in frame.to_numpy()],
                         "share": np.round(100 * frame.to_numpy() / total, 2)})


def plan_context(layers: dict[str, pd.DataFrame], indicators: list[Indicator],
                 epsg: int) -> tuple[dict[str, str], pd.DataFrame, pd.DataFrame]:
    """Placeholders of the plan text, the 规划分区 table and the planned land-use table."""
    county = params()["county"]
    total = layers["DLTB"]["TBMJ"].sum()
    stbhhx = layers["STBHHX"]["MJ"].sum()
    context = {
        "county": county["name"], "base_year": str(county["plan_base_year"]),
        "start_year": str(county["plan_start_year"]),
        "target_year": str(county["plan_target_year"]), "county_area_km2": fmt(_km2(total)),
        "township_count": str(len(layers["XZQ"])), "village_count": str(len(layers["CJDCQ"])),
        "crs_label": resolve_crs(epsg).label_zh, "river": params()["projects"]["river_name"],
        "stbhhx_km2": fmt(_value(indicators, "生态保护红线面积")), "stbhhx_share": fmt(100 * stbhhx / total),
        "stbhhx_count": str(len(layers["STBHHX"])),
        "yjjbnt_wanmu": fmt(_value(indicators, "永久基本农田保护面积")),
        "yjjbnt_count": str(len(layers["YJJBNTBHTB"])),
        "czkfbj_km2": fmt(_km2(layers["CZKFBJ"]["MJ"].sum())), "czkfbj_count": str(len(layers["CZKFBJ"])),
    }
    zones = _shares(layers["GHFQ"]["GHFQMC"].to_numpy(), layers["GHFQ"]["MJ"].to_numpy())
    ghydyh = layers["GHYDYH"]
    level1 = ydyh_level1_of(ghydyh["GHDLBM"].to_numpy())
    names = ydyh_names()
    landuse = _shares(np.array([names[c] for c in level1], dtype=object), ghydyh["TBMJ"].to_numpy(),
                      [names[c] for c in sorted(set(level1))])
    return context, zones, landuse


def readme_text(context: dict[str, str], layers: dict[str, pd.DataFrame], files: dict[str, list[Path]],
                out_dir: Path, seed: int) -> str:
    """The Chinese README.txt of the output folder."""
    output = params()["output"]
    described = {
        output["survey_gdb"]: ("县级国土调查数据库（FileGDB）：XZQ 行政区、CJDCQ 村级调查区、DLTB 地类图斑、"
                                "XZQJX 行政区界线、CJDCQJX 村级调查区界线"),
        output["plan_gdb"]: "国土空间规划数据库（FileGDB）：YJJBNTBHTB、STBHHX、CZKFBJ、GHYDYH、GHFQ",
        output["monitoring_gpkg"]: "监测数据（GeoPackage）：JSXM 建设项目、BGTB 变更图斑",
        output["all_gpkg"]: "全部图层合一的 GeoPackage",
        output["shp_folder"]: "每个图层一个 Shapefile，属性表 GBK 编码，不含 .cpg",
        output["indicator_xlsx"]: "规划指标表（由图层数据计算）",
        output["plan_docx"]: "规划文本（引用与指标表相同的数值）",
        output["readme"]: "本说明",
    }
    present = sorted({p.relative_to(out_dir).parts[0] for paths in files.values() for p in paths})
    file_lines = "\n".join(f"{name}：{described.get(name, '')}" for name in present)
    dataset = {"survey": output["survey_gdb"], "plan": output["plan_gdb"], "monitoring": output["monitoring_gpkg"]}
    layer_lines = "\n".join(f"{s.code}（{s.name_zh}）：{len(layers[s.code])} 个要素，位于 {dataset[s.dataset]}"
                            for s in layer_specs())
    return readme_template().format(county_code=params()["county"]["code"], parcel_count=len(layers["DLTB"]),
                                    seed=seed, file_lines=file_lines, layer_lines=layer_lines, **context)
