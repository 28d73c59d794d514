"""上传文件检查: refuse VRT files, links and GDAL virtual paths, truncated Shapefiles, deep JSON.

These are guards, not parsers: each reads a few header bytes (or scans bytes without parsing) so
that GDAL never opens a file that could make it read the server's files or exhaust its stack.
"""

from __future__ import annotations

import os
import stat
import struct
from pathlib import Path

import numpy as np

from onemap.errors import InputError, UnsafeInputError

# GDAL's VRT drivers identify a file by strstr() of these tags in its first 1024 bytes, so an XML
# declaration, a BOM or a comment may come first; a WFS description makes GDAL fetch URLs likewise.
_XML_DRIVER_TAGS = (b"<ogrvrtdatasource", b"<vrtdataset", b"<ogrwfsdatasource")
_SNIFF_BYTES = 4096

# JSON levels a GeoJSON geometry of nesting depth d (as check_wkb counts it: Polygon 1, MultiPolygon
# 2, each GeometryCollection level +1) needs: 3 around it (FeatureCollection { → "features" [ →
# Feature {), 2 per collection level (the object and its "geometries"/"coordinates" array), and
# 2 more for the innermost part (a Polygon: its object, then rings [ → ring [ → position [ = 4 =
# 2·1 + 2). That is 2·d + 5; 4 levels are spare for nested properties and foreign members.
JSON_STRUCTURE_MARGIN = 3 + 2 + 4
_JSON_CHUNK = 1024 * 1024
_QUOTE, _BACKSLASH = ord('"'), ord("\\")
_JSON_STEP = np.zeros(256, dtype=np.int8)
_JSON_STEP[[ord("["), ord("{")]] = 1
_JSON_STEP[[ord("]"), ord("}")]] = -1
_JSON_INTERESTING = bytes(1 if byte in b'"[]{}' else 0 for byte in range(256))


def check_tree(root: Path) -> None:
    """Refuse a file or folder (an unpacked upload) that GDAL must not be pointed at.

    Refused with :class:`UnsafeInputError`: a path that starts with ``/vsi`` (a GDAL virtual file
    system such as ``/vsicurl/``), symlinks and special files anywhere in the tree, and any file
    whose first 4 KiB hold a GDAL VRT tag (``<OGRVRTDataSource``, ``<VRTDataset``) whatever its
    extension. (Names inside the tree cannot contain ``/``, so only the given path can be virtual.)
    """
    root = Path(root)
    if str(root).replace("\\", "/").lower().startswith("/vsi"):
        raise UnsafeInputError(f"路径“{root}”是 GDAL 虚拟文件系统路径,已拒绝", f"GDAL virtual path {root}")
    _check_entry(root, root)
    if not root.is_dir():
        return
    for folder, dirnames, filenames in os.walk(root, onerror=_raise, followlinks=False):
        for name in [*dirnames, *filenames]:
            _check_entry(Path(folder, name), root)


def _raise(error: OSError) -> None:
    raise error  # an unreadable folder must not be skipped unchecked


def _check_entry(path: Path, root: Path) -> None:
    shown = path.relative_to(root).as_posix() if path != root else path.name
    mode = path.lstat().st_mode
    if stat.S_ISLNK(mode):
        raise UnsafeInputError(f"上传的数据中“{shown}”是符号链接,已拒绝", f"symlink in upload: {path}")
    if stat.S_ISDIR(mode):
        return
    if not stat.S_ISREG(mode):
        raise UnsafeInputError(f"上传的数据中“{shown}”是设备或管道等特殊文件,已拒绝", f"special file: {path}")
    with open(path, "rb") as f:
        head = f.read(_SNIFF_BYTES)
    head = head.replace(b"\x00", b"").lower()  # a UTF-16 VRT still spells the tag, one byte in two
    if any(tag in head for tag in _XML_DRIVER_TAGS):
        raise UnsafeInputError(
            f"上传的数据中“{shown}”是 GDAL VRT 虚拟数据集(可读取服务器上的任意文件),已拒绝",
            f"GDAL VRT/service description in upload: {path}",
        )


def find_sibling(path: Path, suffix: str) -> Path | None:
    """The file beside ``path`` with the same stem and ``suffix`` (``.dbf`` finds ``.DBF`` too), or None."""
    wanted = (path.stem + suffix).lower()
    exact = path.with_suffix(suffix)
    if exact.exists():
        return exact
    return next((p for p in path.parent.iterdir() if p.name.lower() == wanted), None)


def _truncated(path: Path, detail: str) -> InputError:
    return InputError(
        f"Shapefile 文件“{path.name}”不完整(被截断或已损坏):{detail}",
        f"truncated shapefile part {path}: {detail}",
    )


def _shape_header(path: Path) -> int:
    """Check the ESRI main/index file header; return the file size in bytes.

    ESRI Shapefile Technical Description (1998), table 1: file code 9994 (big-endian int32 at
    byte 0), file length in 16-bit words including the 100-byte header (big-endian int32 at 24).
    """
    size = path.stat().st_size
    with open(path, "rb") as f:
        header = f.read(100)
    if len(header) < 100:
        raise _truncated(path, f"文件只有 {size} 字节,不足 100 字节的文件头")
    code, length_words = struct.unpack_from(">i", header, 0)[0], struct.unpack_from(">i", header, 24)[0]
    if code != 9994:
        raise InputError(f"“{path.name}”不是有效的 Shapefile 文件", f"bad shapefile file code {code} in {path}")
    if length_words * 2 != size:
        raise _truncated(path, f"文件头记录的长度为 {length_words * 2} 字节,实际为 {size} 字节")
    return size


def check_shapefile(shp: Path) -> None:
    """Refuse a Shapefile whose .shx/.dbf are missing or whose parts are truncated.

    The .shp and .shx file lengths must match their headers, the .shx record count
    ((size − 100) / 8, 8 bytes per index record) must equal the .dbf record count, and the .dbf must
    hold all its records. Extensions match case-insensitively (bureaus deliver ``.SHP``/``.DBF``).
    """
    shp = Path(shp)
    shx, dbf = find_sibling(shp, ".shx"), find_sibling(shp, ".dbf")
    missing = [ext for ext, part in ((".shx", shx), (".dbf", dbf)) if part is None]
    if missing:
        raise InputError(
            f"Shapefile 缺少 {'/'.join(missing)} 文件:{shp.name}", f"shapefile {shp} lacks {', '.join(missing)}"
        )
    assert shx is not None and dbf is not None
    _shape_header(shp)
    shx_records, rest = divmod(_shape_header(shx) - 100, 8)
    if rest:
        raise _truncated(shx, "索引文件长度不是整数条记录")
    # dBase III header: record count uint32 LE at byte 4, header length uint16 LE at 8,
    # record length uint16 LE at 10; the records follow the header (then an optional 0x1A).
    dbf_size = dbf.stat().st_size
    with open(dbf, "rb") as f:
        header = f.read(12)
    if len(header) < 12:
        raise _truncated(dbf, f"属性表只有 {dbf_size} 字节")
    dbf_records, header_len, record_len = struct.unpack_from("<IHH", header, 4)
    if dbf_records != shx_records:
        raise _truncated(shp, f"索引文件有 {shx_records} 条记录,属性表 {dbf.name} 有 {dbf_records} 条")
    if dbf_size < header_len + record_len * dbf_records:
        raise _truncated(dbf, f"属性表应至少 {header_len + record_len * dbf_records} 字节,实际 {dbf_size} 字节")


def check_json_depth(path: Path, max_depth: int) -> None:
    """Refuse a (Geo)JSON file nested deeper than ``2 * max_depth + JSON_STRUCTURE_MARGIN``.

    A streaming byte scan (1 MB chunks, vectorised with numpy) counts ``[``/``{`` nesting outside
    JSON strings, so GDAL's JSON parser never sees a 100,000-deep GeometryCollection. It does not
    validate the JSON. ``max_depth`` is the geometry nesting depth allowed by :func:`check_wkb
    <onemap.geometry.guards.check_wkb>`; see ``JSON_STRUCTURE_MARGIN`` for the conversion.
    """
    path = Path(path)
    limit = 2 * max_depth + JSON_STRUCTURE_MARGIN
    depth, in_string, escape_pending = 0, False, False
    with open(path, "rb") as f:
        while chunk := f.read(_JSON_CHUNK):
            data = np.frombuffer(chunk, dtype=np.uint8)
            interesting = np.frombuffer(bytearray(chunk.translate(_JSON_INTERESTING)), dtype=bool)
            escaped, escape_pending = _escaped(data, escape_pending)
            interesting[escaped] = False
            positions = np.flatnonzero(interesting)
            values = data[positions]
            quotes = values == _QUOTE
            # The parity of the quotes seen so far tells whether a bracket lies inside a string.
            inside = (np.cumsum(quotes) % 2 == 1) ^ in_string
            levels = np.cumsum(np.where(inside | quotes, 0, _JSON_STEP[values]), dtype=np.int64) + depth
            if levels.size and levels.max() > limit:
                where = f.tell() - len(chunk) + int(positions[np.argmax(levels > limit)])
                raise UnsafeInputError(
                    f"JSON 文件“{path.name}”的嵌套层数超过 {limit} 层(位于第 {where} 字节),已拒绝",
                    f"JSON nesting deeper than {limit} at byte {where} of {path}",
                )
            if levels.size:
                depth = int(levels[-1])
            in_string ^= bool(quotes.sum() % 2)


def _escaped(data: np.ndarray, first_escaped: bool) -> tuple[np.ndarray, bool]:
    """Positions of the bytes escaped by a backslash, and whether the next chunk's first byte is.

    A byte is escaped when an odd run of backslashes precedes it; ``first_escaped`` carries a run
    that ended the previous chunk.
    """
    backslashes = np.flatnonzero(data == _BACKSLASH)
    if first_escaped:
        backslashes = backslashes[backslashes != 0]  # the first byte is consumed by the pending escape
    escaped = np.zeros(0, dtype=np.intp)
    if backslashes.size:
        breaks = np.flatnonzero(np.diff(backslashes) != 1)
        run_ends = np.append(backslashes[breaks], backslashes[-1])
        run_starts = np.insert(backslashes[breaks + 1], 0, backslashes[0])
        escaped = run_ends[(run_ends - run_starts) % 2 == 0] + 1  # odd run length
    pending = bool(escaped.size) and int(escaped[-1]) == data.size
    if pending:
        escaped = escaped[:-1]
    if first_escaped:
        escaped = np.insert(escaped, 0, 0)
    return escaped, pending
