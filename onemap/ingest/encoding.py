"""属性表编码: which encoding a Shapefile's DBF uses (bureau DBFs are often GBK without a .cpg).

The order follows what is most trustworthy: the user's choice, the ``.cpg`` file, the DBF language
driver byte, and only then a guess from the bytes. The importer shows ``how`` to the user.
"""

from __future__ import annotations

import codecs
import re
import struct
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


def detect_dbf_encoding(shp_or_dbf: Path, override: str | None = None) -> tuple[str, str]:
    """The encoding of a Shapefile's DBF and how it was found: ``(encoding, how)``.

    ``how`` is ``"指定"`` (``override`` given), ``"cpg"`` (the .cpg beside the file), ``"ldid"``
    (the DBF language driver byte names a Chinese code page) or ``"detected"`` (strict decoding of
    the first 32 MB of records: valid UTF-8 with non-ASCII bytes or pure ASCII → UTF-8, else GBK,
    else GB18030). A DBF that none of these decode raises :class:`InputError`.
    """
    if override is not None:
        return normalise_encoding(override), "指定"
    path = Path(shp_or_dbf)
    cpg = find_sibling(path, ".cpg")
    if cpg is not None:
        text = cpg.read_bytes()[:64].removeprefix(b"\xef\xbb\xbf").decode("ascii", "replace").strip()
        if text:
            return normalise_encoding(text), "cpg"
    dbf = path if path.suffix.lower() == ".dbf" else find_sibling(path, ".dbf")
    if dbf is None:
        raise InputError(f"Shapefile 缺少 .dbf 文件:{path.name}", f"no .dbf beside {path}")
    with open(dbf, "rb") as f:
        # dBase III header: language driver ID at byte 29, header length uint16 LE at byte 8.
        header = f.read(32)
        if len(header) < 32:
            raise InputError(f"属性表文件“{dbf.name}”不完整(被截断)", f"DBF header truncated: {dbf}")
        if header[29] in _LDID:
            return _LDID[header[29]], "ldid"
        f.seek(struct.unpack_from("<H", header, 8)[0])
        sample = f.read(_SAMPLE_BYTES)
        at_end = not f.read(1)
    if sample.isascii():
        return "UTF-8", "detected"
    for codec in ("UTF-8", "GBK", "GB18030"):
        try:
            # A sample cut short may end inside a character: only a real end must be complete.
            codecs.getincrementaldecoder(codec)("strict").decode(sample, final=at_end)
            return codec, "detected"
        except UnicodeDecodeError:
            continue
    raise InputError(
        f"无法识别属性表“{dbf.name}”的字符编码(既不是 UTF-8 也不是 GBK),请指定编码",
        f"DBF {dbf} decodes as neither UTF-8 nor GBK/GB18030",
    )
