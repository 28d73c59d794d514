"""压缩包安全解压: unpack a bureau's zip/tar upload without zip slip, links or bombs.

Every entry is checked before it is written: its name (no ``..``, absolute path or drive letter),
its type (regular files and folders only), the declared total size, the compression ratio of the
entry and of the whole archive (unpacked total over the archive's size, zip and tar alike). The byte
cap is enforced again while the data is copied out, because declared sizes are only what the
archive claims. Nested archives are written as files; the importer decides what to do with them.
"""

from __future__ import annotations

import bz2
import errno
import gzip
import lzma
import re
import shutil
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO

from onemap.errors import InputError, UnsafeInputError

_CHUNK = 1024 * 1024
# Sizes up to this are not ratio-checked: a small DBF full of blank padding may compress 500:1. The
# floor applies to each entry and to the whole archive: many small entries add up (1,100 entries of
# 1 MiB of zeros are a 1.25 MB zip), so the archive's unpacked total is held to the ratio too.
_RATIO_FLOOR = 1024 * 1024
# A tar stream carries a 512-byte header and up to 511 bytes of padding per entry, plus long-name
# or PAX blocks; this much tar structure is allowed on top of max_bytes per entry.
_TAR_OVERHEAD_PER_ENTRY = 4096
_ZIP_UTF8_FLAG = 0x800  # general purpose bit 11 (APPNOTE 4.4.4): names are UTF-8
_ZIP_ENCRYPTED_FLAG = 0x1
_TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")
_DRIVE = re.compile(r"^[A-Za-z]:")
_COMPRESSED_TAR = ((b"\x1f\x8b", gzip.open), (b"BZh", bz2.open), (b"\xfd7zXZ\x00", lzma.open))


@dataclass(frozen=True)
class _Limits:
    max_bytes: int
    max_ratio: float
    max_entries: int

    def check_entries(self, count: int) -> None:
        if count > self.max_entries:
            raise UnsafeInputError(
                f"压缩包内的文件数超过上限 {self.max_entries},已拒绝", f"archive has over {self.max_entries} entries"
            )

    def check_total(self, total: int, name: str) -> None:
        if total > self.max_bytes:
            raise UnsafeInputError(
                f"压缩包解压后的总大小超过上限 {self.max_bytes} 字节(至条目“{name}”),已拒绝",
                f"archive unpacks to over {self.max_bytes} bytes (at entry {name!r})",
            )

    def check_ratio(self, size: int, packed: int, name: str) -> None:
        if size > _RATIO_FLOOR and size > self.max_ratio * max(packed, 1):
            raise UnsafeInputError(
                f"压缩包条目“{name}”的压缩比超过 {self.max_ratio:g}:1,疑似压缩炸弹,已拒绝",
                f"archive entry {name!r}: {size} bytes from {packed} (ratio over {self.max_ratio:g})",
            )

    def check_archive_ratio(self, total: int, packed: int, name: str) -> None:
        """The unpacked total so far against the archive's own size: many small entries add up."""
        if total > _RATIO_FLOOR and total > self.max_ratio * max(packed, 1):
            raise UnsafeInputError(
                f"压缩包解压后的总大小超过压缩包本身的 {self.max_ratio:g} 倍(至条目“{name}”),疑似压缩炸弹,已拒绝",
                f"archive unpacks to {total} bytes from {packed} (ratio over {self.max_ratio:g}, at {name!r})",
            )


def unpack_safely(archive: Path, dest: Path, *, max_bytes: int, max_ratio: float, max_entries: int) -> Path:
    """Unpack a .zip, .tar or .tar.gz/.tgz archive into ``dest`` and return ``dest``.

    ``dest`` is created and must be empty. Refused with :class:`UnsafeInputError`: entries that
    would land outside ``dest`` (``..``, absolute paths, drive letters, backslash paths), links and
    special files, more than ``max_entries`` entries, more than ``max_bytes`` unpacked (declared or
    actually streamed), an entry compressed more than ``max_ratio``:1. A corrupt archive raises
    :class:`InputError`. On any refusal ``dest`` is removed with whatever was written into it.

    Zip names without the UTF-8 flag are decoded as UTF-8 if valid, else as GBK (Windows
    压缩工具 on Chinese systems), else kept as zipfile read them (CP437).
    """
    archive, dest = Path(archive), Path(dest)
    limits = _Limits(max_bytes, max_ratio, max_entries)
    lowered = archive.name.lower()
    if lowered.endswith(_TAR_SUFFIXES):
        unpack: Callable[[Path, Path, _Limits], None] = _unpack_tar
    elif lowered.endswith(".zip") or zipfile.is_zipfile(archive):
        unpack = _unpack_zip
    else:
        unpack = _unpack_tar
    dest.mkdir(parents=True, exist_ok=True)
    if any(dest.iterdir()):
        raise ValueError(f"unpack destination {dest} is not empty")
    try:
        unpack(archive, dest, limits)
    except BaseException:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    return dest


def _corrupt(archive: Path, exc: BaseException) -> InputError:
    return InputError(f"压缩包已损坏或格式不支持:{archive.name}", f"corrupt or unsupported archive {archive}: {exc!r}")


def _unpack_zip(archive: Path, dest: Path, limits: _Limits) -> None:
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise _corrupt(archive, exc) from exc
    with zf:
        infos = zf.infolist()
        limits.check_entries(len(infos))
        plan: list[tuple[zipfile.ZipInfo, Path, str]] = []
        total, packed = 0, archive.stat().st_size
        for info in infos:
            name = _zip_name(info)
            target = _target(dest, name)
            _check_zip_mode(info, name)
            if info.flag_bits & _ZIP_ENCRYPTED_FLAG:
                raise InputError(f"压缩包条目“{name}”已加密,请解密后再上传", f"encrypted zip entry {name!r}")
            total += info.file_size
            limits.check_total(total, name)
            limits.check_ratio(info.file_size, info.compress_size, name)
            limits.check_archive_ratio(total, packed, name)
            plan.append((info, target, name))
        left = limits.max_bytes
        try:
            for info, target, name in plan:
                if info.is_dir():
                    _mkdir(target, name)
                    continue
                with zf.open(info) as src, _create(target, name) as dst:
                    left = _copy_capped(src, dst, left, name)
                limits.check_archive_ratio(limits.max_bytes - left, packed, name)  # what really came out
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
            raise _corrupt(archive, exc) from exc


def _zip_name(info: zipfile.ZipInfo) -> str:
    if info.flag_bits & _ZIP_UTF8_FLAG:
        return info.filename
    # Without the flag zipfile decoded the name as CP437, which round-trips to the original bytes.
    # UTF-8 first (macOS and Java zips omit the flag); strict UTF-8 almost never accepts GBK text.
    raw = info.filename.encode("cp437")
    for codec in ("utf-8", "gbk"):
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            pass
    return info.filename


def _unpack_tar(archive: Path, dest: Path, limits: _Limits) -> None:
    packed = max(archive.stat().st_size, 1)
    # The decompressed stream itself is capped: tarfile reads long-name and PAX blocks into memory.
    stream_cap = limits.max_bytes + _TAR_OVERHEAD_PER_ENTRY * (limits.max_entries + 1) + _CHUNK
    left, total, count = limits.max_bytes, 0, 0
    try:
        with _open_decompressed(archive) as raw:
            check = lambda n: limits.check_archive_ratio(n, packed, archive.name)  # noqa: E731
            capped = _CappedReader(archive, raw, stream_cap, check)
            # Stream mode ("r|"): one header at a time, never seeking back, never loading all members.
            with tarfile.open(fileobj=capped, mode="r|") as tar:  # type: ignore[call-overload]
                for member in tar:
                    count += 1
                    limits.check_entries(count)
                    name = _tar_name(member)
                    target = _target(dest, name)
                    _check_tar_member(member, dest, name)
                    total += member.size
                    limits.check_total(total, name)
                    limits.check_archive_ratio(total, packed, name)
                    if member.isdir():
                        _mkdir(target, name)
                        continue
                    src = tar.extractfile(member)
                    assert src is not None  # a regular file, checked above
                    with src, _create(target, name) as dst:
                        left = _copy_capped(src, dst, left, name)
            # tarfile stops at the end-of-archive blocks; reading on to EOF makes gzip check its CRC.
            while capped.read(_CHUNK):
                pass
    except (tarfile.TarError, EOFError) as exc:
        raise _corrupt(archive, exc) from exc


def _open_decompressed(archive: Path) -> IO[bytes]:
    with open(archive, "rb") as probe:
        magic = probe.read(6)
    for prefix, opener in _COMPRESSED_TAR:
        if magic.startswith(prefix):
            return opener(archive, "rb")  # type: ignore[operator]
    return open(archive, "rb")


class _CappedReader:
    """A read-only file that delivers at most ``cap`` bytes of the decompressed ``raw``."""

    def __init__(self, archive: Path, raw: IO[bytes], cap: int, check: Callable[[int], None]) -> None:
        self.archive, self.raw, self.cap, self.check, self.delivered = archive, raw, cap, check, 0

    def read(self, size: int = -1) -> bytes:
        try:
            data = self.raw.read(size if size >= 0 else self.cap + 1 - self.delivered)
        except (OSError, EOFError, zlib.error, lzma.LZMAError) as exc:  # bad gzip/bz2/xz data
            raise _corrupt(self.archive, exc) from exc
        self.delivered += len(data)
        self.check(self.delivered)
        if self.delivered > self.cap:
            raise UnsafeInputError("压缩包解压后的数据量超过上限,已拒绝", f"decompressed tar stream over {self.cap}")
        return data


def _tar_name(member: tarfile.TarInfo) -> str:
    # tarfile decodes non-PAX names as UTF-8 with surrogateescape; GBK names come back with surrogates.
    try:
        member.name.encode("utf-8")
        return member.name
    except UnicodeEncodeError:
        raw = member.name.encode("utf-8", "surrogateescape")
        try:
            return raw.decode("gbk")
        except UnicodeDecodeError:
            return member.name


def _check_tar_member(member: tarfile.TarInfo, dest: Path, name: str) -> None:
    if member.issym() or member.islnk():
        raise _link_entry(name)
    if not (member.isreg() or member.isdir()) or member.issparse():
        raise _special_entry(name, f"tar type {member.type!r}")
    try:  # tarfile's own 'data' extraction filter, as a second opinion on every member
        tarfile.data_filter(member, str(dest))
    except tarfile.FilterError as exc:
        raise UnsafeInputError(f"压缩包条目“{name}”不安全,已拒绝", f"tar data_filter refused {name!r}: {exc}") from exc


def _check_zip_mode(info: zipfile.ZipInfo, name: str) -> None:
    """Refuse links and special files by the unix mode zip tools store in the high 16 bits."""
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise _link_entry(name)
    if stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):  # 0: no file type recorded (DOS zips)
        raise _special_entry(name, f"unix mode {mode:o}")


def _link_entry(name: str) -> UnsafeInputError:
    return UnsafeInputError(f"压缩包条目“{name}”是链接文件,已拒绝", f"link entry {name!r} in archive")


def _special_entry(name: str, detail: str) -> UnsafeInputError:
    return UnsafeInputError(
        f"压缩包条目“{name}”是设备或管道等特殊文件,已拒绝", f"special file entry {name!r} in archive ({detail})"
    )


def _target(dest: Path, name: str) -> Path:
    """The path inside ``dest`` an entry name maps to; refuses anything that could leave ``dest``."""
    text = name.replace("\\", "/")  # old Windows tools write backslash separators; treat them as such
    parts = text.split("/")
    if text.startswith("/") or _DRIVE.match(text) or ".." in parts:
        raise UnsafeInputError(
            f"压缩包条目“{name}”试图写到解压目录之外,已拒绝", f"archive entry {name!r} escapes the destination"
        )
    kept = [part for part in parts if part not in ("", ".")]
    if not kept or "\x00" in text:
        raise UnsafeInputError(f"压缩包条目“{name}”的名称无效,已拒绝", f"invalid archive entry name {name!r}")
    target = dest.joinpath(*kept)
    if not target.resolve().is_relative_to(dest.resolve()):
        raise UnsafeInputError(
            f"压缩包条目“{name}”试图写到解压目录之外,已拒绝", f"archive entry {name!r} resolves outside"
        )
    return target


def _blame_archive(name: str, exc: OSError) -> None:
    """Turn an entry whose path clashes with another entry's, or is too long, into an InputError.

    Other OS errors (a full disk) are the server's and propagate as they are.
    """
    if exc.errno in (errno.EEXIST, errno.ENOTDIR, errno.EISDIR):
        raise InputError(f"压缩包条目“{name}”与其他条目重名或冲突", f"archive entry {name!r}: {exc}") from exc
    if exc.errno == errno.ENAMETOOLONG:
        raise InputError(f"压缩包条目“{name}”的名称过长", f"archive entry name too long: {name!r}") from exc


def _mkdir(target: Path, name: str) -> None:
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _blame_archive(name, exc)
        raise


def _create(target: Path, name: str) -> BinaryIO:
    _mkdir(target.parent, name)
    try:
        return open(target, "xb")  # never overwrite or write through an existing path
    except OSError as exc:
        _blame_archive(name, exc)
        raise


def _copy_capped(src: IO[bytes], dst: IO[bytes], left: int, name: str) -> int:
    """Copy ``src`` to ``dst`` in chunks; refuse once more than ``left`` bytes come out. Returns what is left."""
    while chunk := src.read(min(_CHUNK, left + 1)):
        if len(chunk) > left:
            raise UnsafeInputError(
                f"压缩包解压后的实际数据量超过上限(至条目“{name}”),已拒绝",
                f"streamed bytes exceed the cap at entry {name!r} (declared sizes lied)",
            )
        dst.write(chunk)
        left -= len(chunk)
    return left
