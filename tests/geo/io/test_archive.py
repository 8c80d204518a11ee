from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from geo.errors import ParkmapError
from geo.io.archive import ReadLimits, check_file_size, safe_extract_zip, safe_member_path


def _zip(path: Path, entries: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return path


def test_extracts_nested_folders(tmp_path):
    z = _zip(tmp_path / "a.zip", {"规划/范围/a.txt": b"x", "b.txt": b"yy"})
    out = tmp_path / "out"
    out.mkdir()
    files = safe_extract_zip(z, out)
    assert sorted(p.relative_to(out.resolve()).as_posix() for p in files) == ["b.txt", "规划/范围/a.txt"]
    assert (out / "规划" / "范围" / "a.txt").read_bytes() == b"x"


@pytest.mark.parametrize("name", ["../evil.txt", "a/../../evil.txt", "/etc/evil.txt", "C:\\evil.txt", "..\\evil.txt", "\\\\server\\share\\x"])
def test_zip_slip_rejected(tmp_path, name):
    z = _zip(tmp_path / "slip.zip", {"ok.txt": b"ok", name: b"pwned"})
    out = tmp_path / "sub" / "out"
    out.mkdir(parents=True)
    with pytest.raises(ParkmapError) as ei:
        safe_extract_zip(z, out)
    assert ei.value.code == "zip-slip"
    assert "安全" in ei.value.zh and "safety" in ei.value.en
    # nothing at all was written (validation happens before extraction)
    assert list(out.iterdir()) == []
    assert not (tmp_path / "sub" / "evil.txt").exists() and not (tmp_path / "evil.txt").exists()


def test_symlink_entry_rejected(tmp_path):
    z = tmp_path / "link.zip"
    with zipfile.ZipFile(z, "w") as zf:
        info = zipfile.ZipInfo("link")
        info.external_attr = (0o120777 << 16)
        zf.writestr(info, "/etc/passwd")
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(ParkmapError) as ei:
        safe_extract_zip(z, out)
    assert ei.value.code == "zip-slip" and "symbolic" in ei.value.en


def test_safe_member_path_normalises():
    assert safe_member_path("a/./b\\c.shp").as_posix() == "a/b/c.shp"


def test_too_many_entries(tmp_path):
    z = _zip(tmp_path / "many.zip", {f"f{i}.txt": b"x" for i in range(6)})
    with pytest.raises(ParkmapError) as ei:
        safe_extract_zip(z, tmp_path, ReadLimits(max_entries=5))
    assert ei.value.code == "zip-bomb" and "6" in ei.value.en


def test_total_uncompressed_size_cap(tmp_path):
    z = _zip(tmp_path / "big.zip", {"a.bin": b"a" * 3000, "b.bin": b"b" * 3000})
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(ParkmapError) as ei:
        safe_extract_zip(z, out, ReadLimits(max_uncompressed_bytes=5000))
    assert ei.value.code == "zip-bomb"
    assert list(out.iterdir()) == []


def test_compression_ratio_cap(tmp_path):
    z = _zip(tmp_path / "bomb.zip", {"zeros.bin": b"\0" * 200_000})
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(ParkmapError) as ei:
        safe_extract_zip(z, out, ReadLimits(max_compression_ratio=50, ratio_min_bytes=1000))
    assert ei.value.code == "zip-bomb" and "ratio" in ei.value.en
    # below ratio_min_bytes small repetitive files are fine
    files = safe_extract_zip(z, out, ReadLimits(max_compression_ratio=50, ratio_min_bytes=10**6))
    assert files[0].stat().st_size == 200_000


def test_input_file_size_cap(tmp_path):
    f = tmp_path / "x.bin"
    f.write_bytes(b"0" * 2048)
    assert check_file_size(f, ReadLimits(max_file_bytes=4096)) == 2048
    with pytest.raises(ParkmapError) as ei:
        check_file_size(f, ReadLimits(max_file_bytes=1024))
    assert ei.value.code == "too-large"


def test_not_a_zip(tmp_path):
    f = tmp_path / "fake.zip"
    f.write_bytes(b"this is not a zip")
    with pytest.raises(ParkmapError) as ei:
        safe_extract_zip(f, tmp_path)
    assert ei.value.code == "bad-zip"


class _GbkInfo(zipfile.ZipInfo):
    """ZipInfo writing its name as GBK bytes without the UTF-8 flag (like Chinese Windows)."""

    def _encodeFilenameFlags(self):  # noqa: N802 - zipfile's private hook
        return self.filename.encode("gbk"), self.flag_bits & ~0x800


def test_gbk_entry_names_without_utf8_flag_are_decoded(tmp_path):
    z = tmp_path / "gbk.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr(_GbkInfo("开发区范围/边界.txt"), b"x")
    with zipfile.ZipFile(z) as zf:
        assert zf.infolist()[0].filename != "开发区范围/边界.txt"  # mojibake without the fix
    out = tmp_path / "out"
    out.mkdir()
    files = safe_extract_zip(z, out)
    assert files[0].relative_to(out.resolve()).as_posix() == "开发区范围/边界.txt"
