"""属性表编码: which encoding a Shapefile's DBF uses (bureau DBFs are often GBK without a .cpg).

The order follows what is most trustworthy: the user's choice, the ``.cpg`` file, the DBF language
driver byte, and only then a guess from the bytes. The importer shows ``how`` to the user.
"""

from __future__ import annotations

import codecs
import re
import struct
from dataclasses import dataclass
from pathlib import Path

from onemap.errors import InputError
from onemap.ingest.files import find_sibling

_GBK_NAMES = {"GBK", "936", "CP936", "MS936", "WINDOWS-936", "GB2312", "GB-2312", "EUC-CN"}
_GB18030_NAMES = {"GB18030", "GB-18030", "54936"}
_UTF8_NAMES = {"UTF-8", "UTF8", "65001"}
# DBF language driver IDs (byte 29 of the dBase header) that name an encoding unambiguously.
# 0x57 ("current ANSI code page") is what ArcGIS writes on Chinese Windows for GBK data, and the
# Western IDs are often wrong in bureau data, so they are not trusted: the bytes are examined instead.
_LDID = {0x4D: "GBK", 0x7A: "GBK", 0x4F: "cp950", 0x78: "cp950"}
_SAMPLE_BYTES = 32 * 1024 * 1024


def normalise_encoding(name: str) -> str:
    """The canonical name of an encoding as written in a .cpg or by a user.

    GBK, 936, CP936 and GB2312 give ``"GBK"``; GB18030 stays ``"GB18030"``; UTF-8, UTF8 and 65001
    give ``"UTF-8"``; other code pages give Python's codec name (``"1252"`` → ``"cp1252"``,
    ``"8859_5"`` → ``"iso8859-5"``). An unknown name raises :class:`InputError`.
    """
    text = name.strip().strip("\x00").upper().replace("_", "-").removeprefix("ANSI ").strip()
    if text in _GBK_NAMES:
        return "GBK"
    if text in _GB18030_NAMES:
        return "GB18030"
    if text in _UTF8_NAMES:
        return "UTF-8"
    if text.isdigit():
        text = f"cp{text}"
    if match := re.fullmatch(r"(?:ISO-?)?8859-?(\d+)", text):
        text = f"iso8859-{match[1]}"
    try:
        return codecs.lookup(text).name
    except LookupError:
        raise InputError(f"无法识别的字符编码“{name.strip()}”", f"unknown encoding {name!r}") from None


@dataclass(frozen=True)
class EncodingChoice:
    """The encoding a DBF is read with, how it was found, and a warning for the import report."""

    encoding: str
    how: str
    warning: str | None = None


def detect_dbf_encoding(shp_or_dbf: Path, override: str | None = None) -> tuple[str, str]:
    """The encoding of a Shapefile's DBF and how it was found: ``(encoding, how)``.

    ``how`` is ``"指定"`` (``override`` given), ``"cpg"`` (the .cpg beside the file), ``"ldid"``
    (the DBF language driver byte names a Chinese code page) or ``"detected"`` (strict decoding of
    the first 32 MB of records: valid UTF-8 with non-ASCII bytes or pure ASCII → UTF-8, else GBK,
    else GB18030). A declared encoding (.cpg, language driver) that does not decode the records is
    not trusted: detection decides (see :func:`choose_dbf_encoding` for the warning). A DBF that none
    of these decode, or that the ``override`` does not decode, raises :class:`InputError`.
    """
    choice = choose_dbf_encoding(shp_or_dbf, override)
    return choice.encoding, choice.how


def choose_dbf_encoding(shp_or_dbf: Path, override: str | None = None) -> EncodingChoice:
    """Like :func:`detect_dbf_encoding`, with the warning to show when a declaration was wrong."""
    path = Path(shp_or_dbf)
    dbf = path if path.suffix.lower() == ".dbf" else find_sibling(path, ".dbf")
    if dbf is None:
        raise InputError(f"Shapefile 缺少 .dbf 文件:{path.name}", f"no .dbf beside {path}")
    ldid, sample, at_end = _read_dbf(dbf)
    if override is not None:
        encoding = normalise_encoding(override)
        if not _decodes(sample, encoding, at_end):
            raise InputError(f"指定的字符编码 {encoding} 无法解码属性表“{dbf.name}”,请检查编码或不指定(自动识别)",
                             f"override {encoding} does not decode {dbf}")
        return EncodingChoice(encoding, "指定")
    declared = _declared(path, ldid)
    if declared is not None:
        encoding, how, source = declared
        if _decodes(sample, encoding, at_end):
            return EncodingChoice(encoding, how)
        detected = _detect(sample, at_end, dbf)
        return EncodingChoice(detected, "detected", f"{source}声明的字符编码 {encoding} 与属性表“{dbf.name}”的内容"
                                                    f"不符,已按自动识别的 {detected} 读取,请核对中文属性")
    return EncodingChoice(_detect(sample, at_end, dbf), "detected")


def _read_dbf(dbf: Path) -> tuple[int, bytes, bool]:
    """The language driver byte, the first 32 MB of records and whether they are all of them."""
    with open(dbf, "rb") as f:
        # dBase III header: language driver ID at byte 29, header length uint16 LE at byte 8.
        header = f.read(32)
        if len(header) < 32:
            raise InputError(f"属性表文件“{dbf.name}”不完整(被截断)", f"DBF header truncated: {dbf}")
        f.seek(struct.unpack_from("<H", header, 8)[0])
        sample = f.read(_SAMPLE_BYTES)
        at_end = not f.read(1)
    return header[29], sample, at_end


def _declared(path: Path, ldid: int) -> tuple[str, str, str] | None:
    """What the delivery itself says: the .cpg beside it, else a Chinese language driver byte."""
    cpg = find_sibling(path, ".cpg")
    if cpg is not None:
        text = cpg.read_bytes()[:64].removeprefix(b"\xef\xbb\xbf").decode("ascii", "replace").strip()
        if text:
            return normalise_encoding(text), "cpg", f"{cpg.name} 文件"
    if ldid in _LDID:
        return _LDID[ldid], "ldid", "属性表的语言驱动标志"
    return None


def _decodes(sample: bytes, codec: str, at_end: bool) -> bool:
    # A sample cut short may end inside a character: only a real end must be complete.
    try:
        codecs.getincrementaldecoder(codec)("strict").decode(sample, final=at_end)
        return True
    except UnicodeDecodeError:
        return False


def _detect(sample: bytes, at_end: bool, dbf: Path) -> str:
    if sample.isascii():
        return "UTF-8"
    for codec in ("UTF-8", "GBK", "GB18030"):
        if _decodes(sample, codec, at_end):
            return codec
    raise InputError(
        f"无法识别属性表“{dbf.name}”的字符编码(既不是 UTF-8 也不是 GBK),请指定编码",
        f"DBF {dbf} decodes as neither UTF-8 nor GBK/GB18030",
    )
