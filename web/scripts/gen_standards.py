"""Write src/generated/standards.json from the package's standard tables (field names, land classes, colours).

Standards are data: the front end never hard-codes the 三调 field table; it is regenerated at build time
from onemap/standards/data and onemap/services/tiles/data.
"""

import csv
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STANDARDS = ROOT / "onemap" / "standards" / "data"
TILES = ROOT / "onemap" / "services" / "tiles" / "data"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def main(out: Path) -> None:
    fields: dict[str, dict[str, str]] = {"DLTB": {}}
    for row in _rows(STANDARDS / "sandiao_dltb_fields.csv"):
        fields["DLTB"][row["field_code"]] = row["name_zh"]
    common: dict[str, str] = {}
    for row in _rows(STANDARDS / "plan_db_fields.csv"):
        # layer_code carries notes ("STBHHX(统一规划口径)"); the leading code names the layer
        match = re.match(r"[A-Z]+", row["layer_code"])
        layer = match.group(0) if match else "GHYDYH"
        fields.setdefault(layer, {}).setdefault(row["field_code"], row["name_zh"])
        common.setdefault(row["field_code"], row["name_zh"])
    fields["*"] = {**common, **fields["DLTB"]}
    landuse = _rows(STANDARDS / "sandiao_landuse_codes.csv")
    classes = [{"code": r["code"], "name": r["name_zh"]} for r in landuse if r["level"] == "1"]
    # 三调工作分类: 湿地 (00) gathers 0303, 0304, 1105 … so the 一级类 of a code is its parent, not its prefix
    parent = {r["code"]: r["parent_code"] for r in landuse if r["level"] in ("2", "ext") and r["parent_code"]}
    level1 = {c["code"] for c in classes}
    level1_of = {}
    for code in parent:
        up = code
        while up in parent and up not in level1:
            up = parent[up]
        level1_of[code] = up if up in level1 else code[:2]
    colors = {r["code"]: [int(v) for v in r["rgb"].split(",")] for r in _rows(TILES / "sandiao_colors.csv")}
    # 行政区划 fields in order of preference: a region picked in the tree filters a layer by its code prefix
    regions = sorted(_rows(STANDARDS / "region_fields.csv"), key=lambda r: int(r["priority"]))
    out.parent.mkdir(parents=True, exist_ok=True)
    body = {"fields": fields, "landuseLevel1": classes, "landuseLevel1Of": level1_of, "landuseColors": colors,
            "regionFields": [r["field"] for r in regions]}
    out.write_text(json.dumps(body, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
