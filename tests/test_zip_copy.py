"""Issue 11, the container: members are decompressed in a stream with a hard cap whatever the zip
headers claim (a lying-header bomb is refused within a fixed memory bound), and a recalculated copy
keeps every member it did not change byte for byte (local header, compressed data, data descriptor)."""

from __future__ import annotations

import struct
import tracemalloc
import zipfile
from pathlib import Path

import openpyxl
import pytest

from gpuecon.recalc.workbook import RecalcError, recalc
from gpuecon.xlsx.package import XlsxError, open_package

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "workbooks" / "gpuecon_model.xlsx"


def _stored(path: Path) -> dict[str, bytes]:
    """Each member's bytes as stored in the file (local header + compressed data), read by hand."""
    out = {}
    data = path.read_bytes()
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            off = info.header_offset
            assert data[off:off + 4] == b"PK\x03\x04"
            n, m = struct.unpack("<HH", data[off + 26:off + 30])
            out[info.filename] = data[off:off + 30 + n + m + info.compress_size]
    return out


def test_unchanged_members_are_copied_byte_for_byte(tmp_path: Path) -> None:
    out = tmp_path / "o.xlsx"
    recalc(TEMPLATE, out, sets={"hurdle_irr_annual": 0.2})
    before, after = _stored(TEMPLATE), _stored(out)
    with zipfile.ZipFile(TEMPLATE) as a, zipfile.ZipFile(out) as b:
        assert [i.filename for i in a.infolist()] == [i.filename for i in b.infolist()]
        assert b.testzip() is None  # every CRC checks
        changed = [i.filename for i in a.infolist() if a.read(i) != b.read(i.filename)]
        for i in a.infolist():
            j = b.getinfo(i.filename)
            assert (j.date_time, j.compress_type, j.external_attr) == (i.date_time, i.compress_type, i.external_attr)
    assert changed and all(n.startswith("xl/worksheets/sheet") for n in changed)  # values written: sheets only
    same = [n for n in before if n not in changed]
    assert same and all(before[n] == after[n] for n in same)
    assert openpyxl.load_workbook(out) is not None


def test_a_source_changed_after_reading_is_not_copied_from(tmp_path: Path) -> None:
    # the raw copy is taken from the file only while it is the one that was read
    src = tmp_path / "in.xlsx"
    src.write_bytes(TEMPLATE.read_bytes())
    pkg = open_package(src)
    src.write_bytes(b"not a zip any more")
    out = pkg.write(tmp_path / "o.xlsx", {})
    with zipfile.ZipFile(out) as zf, zipfile.ZipFile(TEMPLATE) as orig:
        assert zf.testzip() is None
        assert all(zf.read(i.filename) == orig.read(i) for i in orig.infolist())


def _lying_bomb(path: Path, megabytes: int) -> None:
    """A member of ``megabytes`` MB of zeros whose headers claim 1,000 bytes."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open("xl/big.xml", "w") as fh:
            block = b"\0" * (1 << 20)
            for _ in range(megabytes):
                fh.write(block)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("xl/big.xml")
    data[info.header_offset + 22:info.header_offset + 26] = struct.pack("<I", 1000)
    cd = data.find(b"xl/big.xml", data.find(b"PK\x01\x02")) - 46
    assert data[cd:cd + 4] == b"PK\x01\x02"
    data[cd + 24:cd + 28] = struct.pack("<I", 1000)
    path.write_bytes(bytes(data))


def test_lying_header_bomb_refused_within_a_fixed_memory_bound(tmp_path: Path) -> None:
    book = tmp_path / "bomb.xlsx"
    _lying_bomb(book, 256)  # 256 MB of zeros in ~250 kB, declared as 1,000 bytes
    tracemalloc.start()
    try:
        with pytest.raises(XlsxError):
            open_package(book)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20  # zipfile's own read() inflated all 256 MB in one call
    with pytest.raises(RecalcError, match="refused"):
        recalc(book, tmp_path / "o.xlsx")
    assert not (tmp_path / "o.xlsx").exists()


def test_the_cap_counts_the_bytes_that_come_out(tmp_path: Path) -> None:
    from gpuecon.xlsx.zipio import read_member

    book = tmp_path / "small.xlsx"
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.xml", b"x" * 100_000)
    with zipfile.ZipFile(book) as zf:
        assert len(read_member(zf, zf.getinfo("a.xml"), 100_000, 10**9)) == 100_000
        with pytest.raises(XlsxError, match="expands to more than 99999 bytes"):
            read_member(zf, zf.getinfo("a.xml"), 99_999, 10**9)
