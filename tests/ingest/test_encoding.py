"""属性表编码: GBK and UTF-8 DBFs written by GDAL, with and without .cpg and language driver byte."""

from __future__ import annotations

import struct
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely

import onemap  # noqa: F401
from onemap.errors import InputError
from onemap.ingest.encoding import choose_dbf_encoding, detect_dbf_encoding, normalise_encoding

NAMES = ["水田", "旱地", "城镇住宅用地", "农村宅基地", "坑塘水面"]


def write_dbf(folder: Path, encoding: str | None, *, keep_cpg: bool = False, names: list[str] = NAMES) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    frame = gpd.GeoDataFrame(
        {"DLMC": names, "QSDWMC": [n * 3 for n in names]},
        geometry=[shapely.box(i, 0, i + 1, 1) for i in range(len(names))],
        crs=4490,
    )
    shp = folder / "DLTB.shp"
    frame.to_file(shp, engine="pyogrio", **({"encoding": encoding} if encoding else {}))
    if not keep_cpg:
        shp.with_suffix(".cpg").unlink()
    return shp


def set_ldid(shp: Path, ldid: int) -> None:
    dbf = shp.with_suffix(".dbf")
    data = bytearray(dbf.read_bytes())
    data[29] = ldid
    dbf.write_bytes(bytes(data))


def test_gbk_dbf_without_cpg_is_detected_and_reads_back(tmp_path: Path) -> None:
    shp = write_dbf(tmp_path, "GBK")
    assert shp.with_suffix(".dbf").read_bytes()[29] == 0  # GDAL writes no language driver byte
    encoding, how = detect_dbf_encoding(shp)
    assert (encoding, how) == ("GBK", "detected")
    assert list(pyogrio.read_dataframe(shp, encoding=encoding)["DLMC"]) == NAMES
    assert detect_dbf_encoding(shp.with_suffix(".dbf")) == ("GBK", "detected")


def test_utf8_dbf_without_cpg_is_detected(tmp_path: Path) -> None:
    shp = write_dbf(tmp_path, None)
    assert detect_dbf_encoding(shp) == ("UTF-8", "detected")


def test_utf8_that_is_also_valid_gbk_is_utf8(tmp_path: Path) -> None:
    # "水田" in UTF-8 (E6 B0 B4 E7 94 B0) is also three valid GBK characters: UTF-8 must be tried first.
    shp = write_dbf(tmp_path, None, names=["水田"] * 4)
    data = shp.with_suffix(".dbf").read_bytes()
    data[struct.unpack_from("<H", data, 8)[0] :].decode("gbk")  # the records are valid GBK too
    assert detect_dbf_encoding(shp) == ("UTF-8", "detected")


def test_ascii_dbf_is_utf8(tmp_path: Path) -> None:
    shp = write_dbf(tmp_path, "GBK", names=["011", "013", "0702"])
    assert detect_dbf_encoding(shp) == ("UTF-8", "detected")


def test_gb18030_only_characters_are_detected(tmp_path: Path) -> None:
    # 𠮷 (U+20BB7) is outside GBK: bureaus meet such 生僻字 in 权属单位名称.
    shp = write_dbf(tmp_path, "GB18030", names=["𠮷家村", "水田"])
    assert detect_dbf_encoding(shp) == ("GB18030", "detected")


@pytest.mark.parametrize(("ldid", "expected"), [(0x4D, "GBK"), (0x7A, "GBK")])
def test_language_driver_byte_names_gbk(tmp_path: Path, ldid: int, expected: str) -> None:
    shp = write_dbf(tmp_path, "GBK")
    set_ldid(shp, ldid)
    assert detect_dbf_encoding(shp) == (expected, "ldid")


def test_ansi_language_driver_byte_is_not_trusted(tmp_path: Path) -> None:
    shp = write_dbf(tmp_path, "GBK")
    set_ldid(shp, 0x57)  # "current ANSI code page", as ArcGIS on Chinese Windows writes it
    assert detect_dbf_encoding(shp) == ("GBK", "detected")


@pytest.mark.parametrize(
    ("cpg", "expected"),
    [
        (b"GBK", "GBK"),
        (b"936", "GBK"),
        (b"CP936", "GBK"),
        (b"gb2312", "GBK"),
        (b"GB18030", "GB18030"),
        (b"UTF-8", "UTF-8"),
        (b"utf8\r\n", "UTF-8"),
        (b"65001", "UTF-8"),
        (b"\xef\xbb\xbfUTF-8", "UTF-8"),
        (b"1252", "cp1252"),
        (b"8859_5", "iso8859-5"),
    ],
)
def test_cpg_variants(tmp_path: Path, cpg: bytes, expected: str) -> None:
    # Records in the declared encoding (single-byte code pages decode any bytes: the .cpg decides).
    shp = write_dbf(tmp_path, None if expected == "UTF-8" else "GBK")
    shp.with_suffix(".cpg").write_bytes(cpg)
    assert detect_dbf_encoding(shp) == (expected, "cpg")


@pytest.mark.parametrize("cpg", [b"UTF-8", b"65001"])
def test_gbk_records_under_a_utf8_cpg_are_detected_with_a_warning(tmp_path: Path, cpg: bytes) -> None:
    shp = write_dbf(tmp_path, "GBK")
    shp.with_suffix(".cpg").write_bytes(cpg)
    choice = choose_dbf_encoding(shp)
    assert (choice.encoding, choice.how) == ("GBK", "detected")
    assert "DLTB.cpg 文件声明的字符编码 UTF-8 与属性表“DLTB.dbf”的内容不符" in choice.warning
    assert list(pyogrio.read_dataframe(shp, encoding=choice.encoding)["DLMC"]) == NAMES


def test_utf8_records_under_a_gbk_language_driver_byte_are_detected(tmp_path: Path) -> None:
    shp = write_dbf(tmp_path, None, names=["城镇住宅用地", "𠮷家村"])  # U+20BB7 is outside GBK
    set_ldid(shp, 0x4D)
    choice = choose_dbf_encoding(shp)
    assert (choice.encoding, choice.how) == ("UTF-8", "detected") and "语言驱动标志" in choice.warning


def test_override_that_does_not_decode_is_an_input_error(tmp_path: Path) -> None:
    shp = write_dbf(tmp_path, "GBK")
    with pytest.raises(InputError, match="指定的字符编码 UTF-8 无法解码属性表“DLTB.dbf”"):
        detect_dbf_encoding(shp, override="utf-8")


def test_upper_case_cpg_is_found(tmp_path: Path) -> None:
    shp = write_dbf(tmp_path, None)
    (tmp_path / "DLTB.CPG").write_text("UTF-8")
    assert detect_dbf_encoding(shp) == ("UTF-8", "cpg")


def test_empty_cpg_is_ignored(tmp_path: Path) -> None:
    shp = write_dbf(tmp_path, "GBK")
    shp.with_suffix(".cpg").write_bytes(b"  \n")
    assert detect_dbf_encoding(shp) == ("GBK", "detected")


def test_unknown_cpg_is_an_input_error(tmp_path: Path) -> None:
    shp = write_dbf(tmp_path, "GBK")
    shp.with_suffix(".cpg").write_text("KLINGON")
    with pytest.raises(InputError, match="无法识别的字符编码“KLINGON”"):
        detect_dbf_encoding(shp)


def test_override_wins(tmp_path: Path) -> None:
    shp = write_dbf(tmp_path, "GBK", keep_cpg=True)
    shp.with_suffix(".cpg").write_text("1252")
    assert detect_dbf_encoding(shp, override="gbk") == ("GBK", "指定")
    assert detect_dbf_encoding(shp, override="cp936") == ("GBK", "指定")


def test_undecodable_dbf_names_the_file(tmp_path: Path) -> None:
    shp = write_dbf(tmp_path, "GBK")
    dbf = shp.with_suffix(".dbf")
    data = bytearray(dbf.read_bytes())
    header_length = struct.unpack_from("<H", data, 8)[0]
    data[header_length + 1 : header_length + 3] = b"\xff\xff"  # valid in neither UTF-8 nor GBK/GB18030
    dbf.write_bytes(bytes(data))
    with pytest.raises(InputError, match="无法识别属性表“DLTB.dbf”的字符编码"):
        detect_dbf_encoding(shp)


def test_missing_dbf_is_an_input_error(tmp_path: Path) -> None:
    shp = write_dbf(tmp_path, "GBK")
    shp.with_suffix(".dbf").unlink()
    with pytest.raises(InputError, match="缺少 .dbf"):
        detect_dbf_encoding(shp)


def test_normalise_encoding() -> None:
    assert [normalise_encoding(n) for n in ("GBK", " cp936 ", "ANSI 936", "utf_8", "latin-1")] == [
        "GBK",
        "GBK",
        "GBK",
        "UTF-8",
        "iso8859-1",
    ]
