"""上传文件检查: VRTs in disguise, links, truncated Shapefiles and deep JSON, on real files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from unittest import mock

import geopandas as gpd
import pyogrio
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

import onemap  # noqa: F401  (hardens GDAL before pyogrio opens anything)
from onemap.errors import InputError, UnsafeInputError
from onemap.ingest import files
from onemap.ingest.files import JSON_STRUCTURE_MARGIN, check_json_depth, check_shapefile, check_tree

VRT = """<OGRVRTDataSource>
  <OGRVRTLayer name="passwd">
    <SrcDataSource>CSV:/etc/passwd</SrcDataSource>
  </OGRVRTLayer>
</OGRVRTDataSource>
"""


def write_shapefile(folder: Path, name: str = "DLTB", n: int = 50) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    frame = gpd.GeoDataFrame(
        {"DLMC": ["水田", "旱地"] * (n // 2), "BSM": range(n)},
        geometry=[shapely.box(i, 0, i + 1, 1).buffer(0.1, quad_segs=8) for i in range(n)],
        crs=4490,
    )
    frame.to_file(folder / f"{name}.shp", engine="pyogrio")
    return folder / f"{name}.shp"


def feature_collection(geometry: dict) -> str:
    feature = {"type": "Feature", "properties": {"DLMC": "水田"}, "geometry": geometry}
    return json.dumps({"type": "FeatureCollection", "features": [feature]}, ensure_ascii=False)


def deep_collection(depth: int) -> str:
    """A GeometryCollection nested ``depth`` deep around a Point, as text (no recursion)."""
    head = '{"type":"GeometryCollection","geometries":[' * (depth - 1)
    return head + '{"type":"Point","coordinates":[1,2]}' + "]}" * (depth - 1)


# ---- check_tree -------------------------------------------------------------------------------


def test_ordinary_upload_tree_passes(tmp_path: Path) -> None:
    write_shapefile(tmp_path / "三调")
    (tmp_path / "规划.geojson").write_text(feature_collection({"type": "Point", "coordinates": [1, 2]}))
    check_tree(tmp_path)
    check_tree(tmp_path / "规划.geojson")


@pytest.mark.parametrize(
    "text",
    [
        VRT,
        "\ufeff  \n" + VRT,
        '<?xml version="1.0" encoding="UTF-8"?>\n<!-- 数据说明 -->\n' + VRT,
        '<VRTDataset rasterXSize="1" rasterYSize="1"></VRTDataset>',
        "<ogrvrtdatasource></ogrvrtdatasource>",
    ],
    ids=["plain", "bom", "xml-declaration", "raster", "lowercase"],
)
def test_vrt_renamed_geojson_is_refused(tmp_path: Path, text: str) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "地类图斑.geojson").write_text(text, encoding="utf-8")
    with pytest.raises(UnsafeInputError, match="“sub/地类图斑.geojson”是 GDAL VRT"):
        check_tree(tmp_path)
    with pytest.raises(UnsafeInputError, match="VRT"):
        check_tree(tmp_path / "sub" / "地类图斑.geojson")


def test_gdal_itself_cannot_open_the_renamed_vrt(tmp_path: Path) -> None:
    path = tmp_path / "passwd.geojson"
    path.write_text(VRT)
    assert "OGR_VRT" not in pyogrio.list_drivers()
    with pytest.raises(pyogrio.errors.DataSourceError):
        pyogrio.read_dataframe(path)


@pytest.mark.skipif(not Path("/etc/passwd").exists(), reason="needs /etc/passwd")
def test_without_the_hardening_gdal_would_read_etc_passwd(tmp_path: Path) -> None:
    """The control experiment: an unhardened GDAL happily reads the server's files."""
    path = tmp_path / "passwd.geojson"
    path.write_text(VRT)
    env = {k: v for k, v in os.environ.items() if k != "GDAL_SKIP"}
    code = f"import pyogrio; print(pyogrio.read_dataframe({str(path)!r}).to_csv())"
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert "root:" in done.stdout


def test_symlinks_anywhere_are_refused(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "passwd.csv").symlink_to("/etc/passwd")
    with pytest.raises(UnsafeInputError, match="“data/passwd.csv”是符号链接"):
        check_tree(tmp_path)
    (tmp_path / "data" / "passwd.csv").unlink()
    (tmp_path / "etc").symlink_to("/etc", target_is_directory=True)
    with pytest.raises(UnsafeInputError, match="“etc”是符号链接"):
        check_tree(tmp_path)
    with pytest.raises(UnsafeInputError, match="符号链接"):
        check_tree(tmp_path / "etc")


def test_special_files_are_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.shp")
    with pytest.raises(UnsafeInputError, match="特殊文件"):
        check_tree(tmp_path)


@pytest.mark.parametrize("path", ["/vsicurl/http://example.com/a.geojson", "/vsizip//tmp/a.zip/a.shp", "/VSIMEM/x"])
def test_gdal_virtual_paths_are_refused(path: str) -> None:
    with pytest.raises(UnsafeInputError, match="虚拟文件系统"):
        check_tree(Path(path))


# ---- check_shapefile --------------------------------------------------------------------------


def test_complete_shapefile_passes_also_with_upper_case_extensions(tmp_path: Path) -> None:
    shp = write_shapefile(tmp_path / "a")
    check_shapefile(shp)
    for part in shp.parent.iterdir():
        part.rename(part.with_suffix(part.suffix.upper()))
    check_shapefile(shp.with_suffix(".SHP"))


@pytest.mark.parametrize("part", [".shp", ".shx", ".dbf"])
def test_truncated_shapefile_is_refused(tmp_path: Path, part: str) -> None:
    shp = write_shapefile(tmp_path / "a")
    victim = shp.with_suffix(part)
    os.truncate(victim, victim.stat().st_size - 300)
    with pytest.raises(InputError, match="不完整.被截断"):
        check_shapefile(shp)


def test_gdal_reads_a_truncated_shapefile_silently(tmp_path: Path) -> None:
    """Why the guard exists: GDAL returns the lost features as null geometries, without an error."""
    shp = write_shapefile(tmp_path / "a")
    os.truncate(shp, shp.stat().st_size - 300)
    frame = pyogrio.read_dataframe(shp)
    assert len(frame) == 50 and frame.geometry.isna().sum() > 0


def test_dbf_with_other_record_count_is_refused(tmp_path: Path) -> None:
    shp = write_shapefile(tmp_path / "a", n=50)
    write_shapefile(tmp_path / "b", n=40)
    shutil.copy(tmp_path / "b" / "DLTB.dbf", shp.with_suffix(".dbf"))
    with pytest.raises(InputError, match="索引文件有 50 条记录,属性表 DLTB.dbf 有 40 条"):
        check_shapefile(shp)


@pytest.mark.parametrize("part", [".shx", ".dbf"])
def test_missing_shx_or_dbf_is_refused(tmp_path: Path, part: str) -> None:
    shp = write_shapefile(tmp_path / "a")
    shp.with_suffix(part).unlink()
    with pytest.raises(InputError, match=f"Shapefile 缺少 {part} 文件:DLTB.shp"):
        check_shapefile(shp)


def test_not_a_shapefile_is_refused(tmp_path: Path) -> None:
    shp = write_shapefile(tmp_path / "a")
    shp.write_bytes(b"\x00" * 100)
    with pytest.raises(InputError, match="不是有效的 Shapefile"):
        check_shapefile(shp)


# ---- check_json_depth -------------------------------------------------------------------------


def test_ordinary_geojson_passes(tmp_path: Path) -> None:
    path = tmp_path / "a.geojson"
    polygon = shapely.box(0, 0, 1, 1)
    multi = shapely.MultiPolygon([polygon, polygon.buffer(2)])
    path.write_text(feature_collection(shapely.geometry.mapping(multi)))
    check_json_depth(path, max_depth=2)  # a MultiPolygon is depth 2 (as check_wkb counts)


def test_100000_deep_collection_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "deep.geojson"
    path.write_text(feature_collection({}).replace("{}", deep_collection(100_000)))
    with pytest.raises(UnsafeInputError, match="嵌套层数超过 73 层"):
        check_json_depth(path, max_depth=32)


def test_every_collection_check_wkb_accepts_passes_and_little_more(tmp_path: Path) -> None:
    """A collection of depth d around a Polygon is 2·d + 5 JSON levels deep (limit 2·32 + 9 = 73)."""
    polygon = json.dumps(shapely.geometry.mapping(shapely.box(0, 0, 1, 1)))
    path = tmp_path / "gc.geojson"
    for depth in [*range(1, 33), 35]:
        text = deep_collection(depth).replace('{"type":"Point","coordinates":[1,2]}', polygon)
        path.write_text(feature_collection({}).replace("{}", text))
        if depth <= 32:
            check_json_depth(path, max_depth=32)
    with pytest.raises(UnsafeInputError, match="超过 73 层"):
        check_json_depth(path, max_depth=32)


def test_brackets_inside_strings_do_not_count(tmp_path: Path) -> None:
    path = tmp_path / "strings.geojson"
    tricky = '[[[[{{{{ \\" still a string [[[[ \\\\'
    path.write_text(
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"BZ":"'
        + tricky * 1000
        + '"},"geometry":null}]}'
    )
    json.loads(path.read_text())  # the file is valid JSON
    check_json_depth(path, max_depth=1)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ab水,:'),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(alphabet='[]{"\\k'), children, max_size=3)
    ),
    max_leaves=30,
)


def nesting(value: object) -> int:
    """The JSON nesting depth of a Python value, by recursion (fine for hypothesis' small values)."""
    if isinstance(value, list):
        return 1 + max(map(nesting, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(nesting, value.values()), default=0)
    return 0


@settings(max_examples=200, deadline=None)
@given(value=JSON_VALUES, chunk=st.integers(1, 9), max_depth=st.integers(-4, 3))
def test_scan_agrees_with_the_parser_across_chunk_boundaries(
    tmp_path_factory: pytest.TempPathFactory, value: object, chunk: int, max_depth: int
) -> None:
    path = tmp_path_factory.mktemp("json") / "v.json"
    path.write_text(json.dumps(value, ensure_ascii=chunk % 2 == 0))
    too_deep = nesting(value) > 2 * max_depth + JSON_STRUCTURE_MARGIN
    with mock.patch.object(files, "_JSON_CHUNK", chunk):
        if too_deep:
            with pytest.raises(UnsafeInputError):
                check_json_depth(path, max_depth)
        else:
            check_json_depth(path, max_depth)


def test_vrt_drivers_are_removed_even_when_gdal_was_loaded_first(tmp_path) -> None:
    """A script that imports geopandas before onemap still cannot read server files through a VRT."""
    import subprocess
    import sys

    vrt = tmp_path / "innocent.geojson"
    vrt.write_text('<OGRVRTDataSource><OGRVRTLayer name="x"><SrcDataSource>/etc/passwd</SrcDataSource>'
                   "</OGRVRTLayer></OGRVRTDataSource>")
    script = (
        "import os; os.environ.pop('GDAL_SKIP', None)\n"
        "import pyogrio\n"
        "assert 'OGR_VRT' in pyogrio.list_drivers()\n"
        "from onemap.ingest.reader import _assert_gdal_hardened\n"
        "_assert_gdal_hardened()\n"
        "assert 'OGR_VRT' not in pyogrio.list_drivers()\n"
        f"try:\n    pyogrio.read_info({str(vrt)!r})\nexcept Exception:\n    print('refused')\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "GDAL_SKIP"}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "refused" in result.stdout
