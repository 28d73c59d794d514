"""压缩包安全解压: real zip and tar files in tmp_path, each hostile in one way."""

from __future__ import annotations

import io
import random
import stat
import struct
import tarfile
import zipfile
from pathlib import Path

import pytest

from onemap.errors import InputError, UnsafeInputError
from onemap.ingest import archive as archive_module
from onemap.ingest.archive import unpack_safely

MB = 1024 * 1024
LIMITS = {"max_bytes": 64 * MB, "max_ratio": 200.0, "max_entries": 100}


def unpack(path: Path, dest: Path, **limits: float) -> Path:
    return unpack_safely(path, dest, **{**LIMITS, **limits})  # type: ignore[arg-type]


def write_zip(path: Path, entries: dict[str, bytes], *, mode: int | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name)
            if mode is not None:
                info.external_attr = mode << 16
            zf.writestr(info, data)
    return path


def write_tar(path: Path, members: list[tuple[tarfile.TarInfo, bytes]]) -> Path:
    with tarfile.open(path, "w:gz" if path.name.endswith(("gz", "tgz")) else "w") as tar:
        for info, data in members:
            info.size = len(data) if info.isreg() else 0
            tar.addfile(info, io.BytesIO(data) if info.isreg() else None)
    return path


def tar_member(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, link
    return info


class GbkZipInfo(zipfile.ZipInfo):
    """Writes its name as GBK bytes without the UTF-8 flag, as Windows 压缩工具 do."""

    def _encodeFilenameFlags(self) -> tuple[bytes, int]:  # noqa: N802 - zipfile's hook
        return self.filename.encode("gbk"), self.flag_bits


def test_ordinary_zip_and_tgz_unpack(tmp_path: Path) -> None:
    entries = {"DLTB/DLTB.shp": b"shp" * 100, "DLTB/DLTB.dbf": b"dbf", "说明.txt": "三调".encode()}
    for path in (write_zip(tmp_path / "a.zip", entries), tmp_path / "a.tgz"):
        if path.suffix == ".tgz":
            write_tar(path, [(tar_member(n), d) for n, d in entries.items()])
        dest = unpack(path, tmp_path / f"out-{path.suffix[1:]}")
        assert {p.relative_to(dest).as_posix(): p.read_bytes() for p in dest.rglob("*") if p.is_file()} == entries


@pytest.mark.parametrize(
    "name", ["../x.txt", "a/../../x.txt", "/tmp/onemap-abs.txt", "C:/x.txt", "c:x.txt", "..\\x.txt", "a\\..\\..\\x"]
)
def test_zip_entry_escaping_dest_is_refused(tmp_path: Path, name: str) -> None:
    path = write_zip(tmp_path / "slip.zip", {"ok.txt": b"fine", name: b"evil"})
    dest = tmp_path / "deep" / "out"
    with pytest.raises(UnsafeInputError, match="解压目录之外") as caught:
        unpack(path, dest)
    assert name in caught.value.message_zh
    assert not dest.exists()
    assert not (tmp_path / "deep" / "x.txt").exists() and not (tmp_path / "x.txt").exists()
    assert not Path("/tmp/onemap-abs.txt").exists()


def test_backslash_separators_of_old_windows_zips_become_folders(tmp_path: Path) -> None:
    dest = unpack(write_zip(tmp_path / "w.zip", {"DLTB\\DLTB.dbf": b"dbf"}), tmp_path / "out")
    assert (dest / "DLTB" / "DLTB.dbf").read_bytes() == b"dbf"


@pytest.mark.parametrize(
    ("mode", "why"),
    [(stat.S_IFLNK | 0o777, "链接"), (stat.S_IFCHR | 0o666, "特殊文件"), (stat.S_IFIFO | 0o644, "特殊文件")],
)
def test_zip_link_and_device_entries_are_refused(tmp_path: Path, mode: int, why: str) -> None:
    path = write_zip(tmp_path / "link.zip", {"passwd": b"/etc/passwd"}, mode=mode)
    with pytest.raises(UnsafeInputError, match=f"“passwd”是.*{why}"):
        unpack(path, tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "member",
    [
        tar_member("passwd", tarfile.SYMTYPE, "/etc/passwd"),
        tar_member("inside", tarfile.SYMTYPE, "ok.txt"),  # even a link that stays inside
        tar_member("hard", tarfile.LNKTYPE, "/etc/passwd"),
        tar_member("dev", tarfile.CHRTYPE),
        tar_member("fifo", tarfile.FIFOTYPE),
        tar_member("../x.txt"),
        tar_member("a/../../x.txt"),
        tar_member("/tmp/onemap-abs.txt"),
    ],
    ids=lambda m: m.name,
)
@pytest.mark.parametrize("suffix", [".tar", ".tar.gz"])
def test_hostile_tar_members_are_refused(tmp_path: Path, member: tarfile.TarInfo, suffix: str) -> None:
    path = write_tar(tmp_path / f"t{suffix}", [(tar_member("ok.txt"), b"fine"), (member, b"evil")])
    dest = tmp_path / "out"
    with pytest.raises(UnsafeInputError, match=f"“{member.name}”"):
        unpack(path, dest)
    assert not dest.exists() and not (tmp_path / "x.txt").exists()
    assert not Path("/tmp/onemap-abs.txt").exists()


def test_too_many_entries_are_refused(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "many.zip", {f"f{i}.txt": b"x" for i in range(11)})
    with pytest.raises(UnsafeInputError, match="文件数超过上限 10"):
        unpack(path, tmp_path / "out", max_entries=10)
    tar = write_tar(tmp_path / "many.tar", [(tar_member(f"f{i}.txt"), b"x") for i in range(11)])
    with pytest.raises(UnsafeInputError, match="文件数超过上限 10"):
        unpack(tar, tmp_path / "out", max_entries=10)
    unpack(path, tmp_path / "ok", max_entries=11)


def test_declared_total_over_the_cap_is_refused_before_writing(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "big.zip", {"a.bin": bytes(range(256)) * 4096, "b.bin": bytes(range(256)) * 4096})
    with pytest.raises(UnsafeInputError, match="总大小超过上限"):
        unpack(path, tmp_path / "out", max_bytes=MB + MB // 2)
    assert not (tmp_path / "out").exists()


def test_zip_bomb_is_refused_by_ratio_before_anything_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "bomb.zip"
    zeros = bytes(MB)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf, zf.open("zeros.bin", "w", force_zip64=True) as out:
        for _ in range(200):
            out.write(zeros)
    assert path.stat().st_size < 1 * MB
    opened: list[str] = []
    real_open = zipfile.ZipFile.open
    monkeypatch.setattr(
        zipfile.ZipFile, "open", lambda self, name, *a, **k: opened.append(str(name)) or real_open(self, name, *a, **k)
    )
    with pytest.raises(UnsafeInputError, match="压缩比超过 200:1") as caught:
        unpack(path, tmp_path / "out", max_bytes=10 * 1024 * MB)
    assert "zeros.bin" in caught.value.message_zh
    assert opened == [] and not (tmp_path / "out").exists()


def many_small_entries_zip(path: Path, entries: int) -> Path:
    """``entries`` entries of exactly 1 MiB of zeros: none over the per-entry ratio floor."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for index in range(entries):
            zf.writestr(f"part{index:04d}.dbf", bytes(MB))
    return path


def test_zip_of_many_small_entries_is_refused_by_the_archive_ratio(tmp_path: Path) -> None:
    # The shape of a 1.25 MB zip of 1,100 one-MiB entries (1.07 GiB unpacked), at 1/20 of the size.
    path = many_small_entries_zip(tmp_path / "many.zip", 55)
    assert path.stat().st_size < 100 * 1024
    with pytest.raises(UnsafeInputError, match="总大小超过压缩包本身的 200 倍") as caught:
        unpack(path, tmp_path / "out", max_bytes=10 * 1024 * MB)
    assert "part0000.dbf" not in caught.value.message_zh  # refused from the declared sizes, later in the list
    assert not (tmp_path / "out").exists()


def test_zip_of_many_small_entries_is_held_to_the_total_cap(tmp_path: Path) -> None:
    path = many_small_entries_zip(tmp_path / "many.zip", 5)
    with pytest.raises(UnsafeInputError, match="总大小超过上限"):
        unpack(path, tmp_path / "out", max_bytes=4 * MB, max_ratio=1e9)
    assert not (tmp_path / "out").exists()


def test_tar_of_many_small_entries_is_refused_by_the_archive_ratio(tmp_path: Path) -> None:
    members = [(tar_member(f"part{i:04d}.dbf"), bytes(MB)) for i in range(55)]
    path = write_tar(tmp_path / "many.tar.gz", members)
    with pytest.raises(UnsafeInputError, match="总大小超过压缩包本身的 200 倍"):
        unpack(path, tmp_path / "out", max_bytes=10 * 1024 * MB)
    assert not (tmp_path / "out").exists()


def test_archive_ratio_checks_the_bytes_that_come_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = many_small_entries_zip(tmp_path / "many.zip", 55)
    calls: list[int] = []
    real = archive_module._Limits.check_archive_ratio
    # As if the central directory understated every size: the check on the copied bytes still refuses.
    monkeypatch.setattr(archive_module._Limits, "check_archive_ratio",
                        lambda self, total, packed, name: calls.append(total) or (
                            real(self, total, packed, name) if len(calls) > 55 else None))
    with pytest.raises(UnsafeInputError, match="总大小超过压缩包本身的 200 倍"):
        unpack(path, tmp_path / "out", max_bytes=10 * 1024 * MB)
    assert not (tmp_path / "out").exists()


def test_streaming_cap_holds_when_declared_sizes_lie(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_zip(tmp_path / "lie.zip", {"a.bin": bytes(range(256)) * 4096 * 3})  # 3 MB
    # As if the archive declared tiny sizes: only the cap on the bytes actually written remains.
    monkeypatch.setattr(archive_module._Limits, "check_total", lambda self, total, name: None)
    with pytest.raises(UnsafeInputError, match="实际数据量超过上限"):
        unpack(path, tmp_path / "out", max_bytes=2 * MB)
    assert not (tmp_path / "out").exists()


def test_copy_never_writes_past_the_cap() -> None:
    out = io.BytesIO()
    with pytest.raises(UnsafeInputError):
        archive_module._copy_capped(io.BytesIO(b"x" * 3000), out, 2048, "a.bin")
    assert len(out.getvalue()) <= 2048
    assert archive_module._copy_capped(io.BytesIO(b"x" * 2048), io.BytesIO(), 2048, "a.bin") == 0


def test_zip_whose_central_directory_understates_a_size_is_refused(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "lie.zip", {"a.bin": b"0123456789" * 100_000})
    data = bytearray(path.read_bytes())
    central = data.rindex(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 10)  # uncompressed size: 10 bytes instead of 1 MB
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match="已损坏"):
        unpack(path, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_gbk_names_without_utf8_flag_are_decoded(tmp_path: Path) -> None:
    path = tmp_path / "gbk.zip"
    names = ["三调成果/地类图斑.shp", "三调成果/地类图斑.dbf", "说明.txt"]
    with zipfile.ZipFile(path, "w") as zf:
        for name in names:
            zf.writestr(GbkZipInfo(name), name.encode())
    with zipfile.ZipFile(path) as zf:
        assert not any(info.flag_bits & 0x800 for info in zf.infolist())
        assert "三调成果/地类图斑.shp" not in zf.namelist()  # zipfile alone shows CP437 mojibake
    dest = unpack(path, tmp_path / "out")
    assert sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file()) == sorted(names)


def test_utf8_names_decode_with_or_without_the_flag(tmp_path: Path) -> None:
    path = tmp_path / "utf8.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("村庄规划/用地.geojson", b"{}")  # zipfile sets the UTF-8 flag

        class NoFlag(zipfile.ZipInfo):
            def _encodeFilenameFlags(self) -> tuple[bytes, int]:  # noqa: N802
                return self.filename.encode("utf-8"), self.flag_bits

        zf.writestr(NoFlag("苹果电脑/压缩.txt"), b"mac")
    dest = unpack(path, tmp_path / "out")
    assert (dest / "村庄规划" / "用地.geojson").exists() and (dest / "苹果电脑" / "压缩.txt").exists()


def test_gbk_names_in_tar_are_decoded(tmp_path: Path) -> None:
    path = tmp_path / "gbk.tar"
    with tarfile.open(path, "w", format=tarfile.GNU_FORMAT, encoding="gbk") as tar:
        info = tarfile.TarInfo("规划/用途分区.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"ok"))
    dest = unpack(path, tmp_path / "out")
    assert (dest / "规划" / "用途分区.txt").read_bytes() == b"ok"


@pytest.mark.parametrize("content", [b"not a zip at all" * 10, b""])
def test_corrupt_zip_is_an_input_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.zip"
    path.write_bytes(content)
    with pytest.raises(InputError, match="压缩包已损坏或格式不支持:bad.zip"):
        unpack(path, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_truncated_archives_are_input_errors_and_leave_nothing(tmp_path: Path) -> None:
    payload = random.Random(0).randbytes(2 * MB)
    good_zip = write_zip(tmp_path / "good.zip", {"a.bin": payload})
    good_tgz = write_tar(tmp_path / "good.tgz", [(tar_member("a.bin"), payload)])
    for good in (good_zip, good_tgz):
        cut = tmp_path / f"cut{''.join(good.suffixes)}"
        cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
        with pytest.raises(InputError, match="已损坏"):
            unpack(cut, tmp_path / "out")
        assert not (tmp_path / "out").exists()


def test_duplicate_entries_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "dup.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("a.txt", b"first")
        with pytest.warns(UserWarning, match="Duplicate name"):
            zf.writestr("a.txt", b"second")
    with pytest.raises(InputError, match="重名或冲突"):
        unpack(path, tmp_path / "out")


def test_nested_archives_are_kept_as_files(tmp_path: Path) -> None:
    inner = write_zip(tmp_path / "inner.zip", {"x.txt": b"x"})
    dest = unpack(write_zip(tmp_path / "outer.zip", {"inner.zip": inner.read_bytes()}), tmp_path / "out")
    assert [p.name for p in dest.iterdir()] == ["inner.zip"]


def test_entry_names_too_long_for_the_file_system_are_input_errors(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "long.zip", {"规" * 100 + ".shp": b"x"})  # 300 bytes > NAME_MAX
    with pytest.raises(InputError, match="名称过长"):
        unpack(path, tmp_path / "out")


@pytest.mark.parametrize("suffix", [".tar.gz", ".tar.bz2", ".tar.xz"])
def test_compressed_tars_unpack_and_corrupt_streams_are_input_errors(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"a{suffix}"
    with tarfile.open(path, f"w:{suffix.rsplit('.', 1)[1]}") as tar:
        info = tar_member("村/a.bin")
        info.size = MB
        tar.addfile(info, io.BytesIO(random.Random(1).randbytes(MB)))
    assert (unpack(path, tmp_path / "ok") / "村" / "a.bin").stat().st_size == MB
    data = bytearray(path.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 64] = bytes(64)  # damage the compressed stream
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match="已损坏"):
        unpack(path, tmp_path / "out")
    assert not (tmp_path / "out").exists()
