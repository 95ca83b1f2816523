"""Zip in and out for xlsx packages: member checks against zip bombs and encrypted or duplicate
members, a DOCTYPE/ENTITY scan of every XML part (UTF-16 included), and an atomic writer that
copies each member's name, order, timestamp and compression."""

from __future__ import annotations

import copy
import os
import re
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import XlsxError

DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.I)


def decoded(data: bytes) -> bytes:
    """UTF-16 parts are converted so the raw DOCTYPE check cannot be dodged by encoding."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16", "replace").encode("utf-8", "replace")
    return data


CHUNK = 1 << 16  # bytes decompressed at a time


def read_zip(src: Path, *, max_total_bytes: int, max_ratio: float, ratio_min_bytes: int,
             max_members: int) -> tuple[list[zipfile.ZipInfo], dict[str, bytes], bytes]:
    """Members, their bytes and the zip comment, checked (see :func:`check_members`) and scanned.

    Members are decompressed in chunks of :data:`CHUNK` with a hard cap on the bytes actually
    produced (:func:`read_member`), whatever sizes the zip headers declare."""
    try:
        with zipfile.ZipFile(src) as zf:
            infos = zf.infolist()
            check_members(infos, max_total_bytes, max_ratio, ratio_min_bytes, max_members)
            parts: dict[str, bytes] = {}
            budget = max_total_bytes
            for info in infos:
                cap = min(budget, max(ratio_min_bytes, int(info.compress_size * max_ratio)))
                parts[info.filename] = data = read_member(zf, info, cap, budget)
                budget -= len(data)
            comment = zf.comment
    except zipfile.BadZipFile as exc:
        raise XlsxError(f"{src.name}: not a valid zip/xlsx package ({exc})") from None
    except (zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
        raise XlsxError(f"{src.name}: corrupt zip member ({type(exc).__name__}: {exc})") from None
    if "[Content_Types].xml" not in parts:
        raise XlsxError(f"{src.name}: not an OOXML package (no [Content_Types].xml)")
    for name, data in parts.items():
        if name.endswith((".xml", ".rels", ".vml")) and DOCTYPE.search(decoded(data)):
            raise XlsxError(f"{name}: DOCTYPE/ENTITY declarations are not allowed (XXE / entity expansion)")
    return infos, parts, comment


def read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int, budget: int) -> bytes:
    """One member's bytes, decompressed a chunk at a time and refused as soon as more than ``cap``
    bytes come out (the ratio limit against its real compressed size, or what is left of the total).
    ``zipfile``'s own ``read()`` inflates a member in one call, so a header that understates the size
    cost gigabytes before the CRC check could fail."""
    out = bytearray()
    with zf.open(info) as fh:
        while chunk := fh.read(CHUNK):
            out += chunk
            if len(out) > cap:
                what = "what is left of the zip bomb limit max_total_bytes" if cap == budget else \
                    "the zip bomb limits (max_ratio times its compressed size)"
                raise XlsxError(f"{info.filename}: expands to more than {cap} bytes, beyond {what}")
    return bytes(out)


def check_members(infos: list[zipfile.ZipInfo], max_total: int, max_ratio: float, ratio_min: int,
                   max_members: int) -> None:
    if len(infos) > max_members:
        raise XlsxError(f"zip has {len(infos)} members, more than the limit of {max_members}")
    names = [i.filename for i in infos]
    if len(set(names)) != len(names):
        raise XlsxError("zip has duplicate member names; refusing an ambiguous package")
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise XlsxError(f"{info.filename}: encrypted zip members are not supported")
        total += info.file_size
        if total > max_total:
            raise XlsxError(f"zip expands to more than {max_total} bytes (zip bomb limit max_total_bytes)")
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > ratio_min and ratio > max_ratio:
            raise XlsxError(f"{info.filename}: compression ratio {ratio:.0f}:1 exceeds {max_ratio:g}:1 "
                            f"(zip bomb limit max_ratio)")


def _copy_info(info: zipfile.ZipInfo) -> tuple[zipfile.ZipInfo, int | None]:
    zi = zipfile.ZipInfo(info.filename, info.date_time)
    for attr in ("compress_type", "comment", "create_system", "create_version", "extract_version",
                 "external_attr", "internal_attr"):
        setattr(zi, attr, getattr(info, attr))
    zi.extra = _strip_zip64(info.extra)  # zipfile adds its own zip64 field when needed
    level = {1: 9, 2: 2, 3: 1}.get((info.flag_bits >> 1) & 3) if info.compress_type == zipfile.ZIP_DEFLATED else None
    return zi, level


def _strip_zip64(extra: bytes) -> bytes:
    out, i = b"", 0
    while i + 4 <= len(extra):
        hid, size = int.from_bytes(extra[i:i + 2], "little"), int.from_bytes(extra[i + 2:i + 4], "little")
        if hid != 0x0001:
            out += extra[i:i + 4 + size]
        i += 4 + size
    return out


@contextmanager
def atomic_path(out: Path, suffix: str = ".tmp") -> Iterator[Path]:
    """A temp path in ``out``'s folder, renamed over ``out`` only if the block succeeds.

    The one atomic writer (xlsx packages, batch results): a crash or an error never leaves a
    partial file and never touches an existing ``out``; ``out`` keeps its permissions if it exists.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=suffix, dir=out.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        mode = out.stat().st_mode & 0o7777 if out.exists() else 0o666 & ~_umask()
        os.chmod(tmp, mode)
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_zip_atomic(out: Path, infos: list[zipfile.ZipInfo], parts: dict[str, bytes], comment: bytes,
                     source: SourceZip | None = None, changed: frozenset[str] = frozenset()) -> None:
    """The members written to ``out`` atomically (:func:`atomic_path`), each with its original settings.

    With ``source`` (the file ``infos`` came from, unchanged since it was read), every member not in
    ``changed`` is copied byte for byte: its local header, compressed data and data descriptor as
    they are in the source. The others are compressed again with their method and level; their
    ``external_attr`` is kept. xl/calcChain.xml is kept: formulas are never added or removed.
    """
    with atomic_path(out) as tmp, open(tmp, "wb") as fh:
        src = source.open() if source is not None else None
        try:
            with zipfile.ZipFile(fh, "w", allowZip64=True) as zf:
                for info in infos:
                    if src is not None and info.filename not in changed:
                        _copy_raw(zf, src, info)
                        continue
                    zi, level = _copy_info(info)
                    zf.writestr(zi, parts[info.filename], compresslevel=level)
                    zi.external_attr = info.external_attr  # zipfile sets 0o600 when it is 0
                zf.comment = comment
        finally:
            if src is not None:
                src.close()
        fh.flush()
        os.fsync(fh.fileno())


class SourceZip:
    """The zip file a package was read from, with its size and modification time then: raw copies are
    taken from it only while it is unchanged (else every member is written from memory)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        st = path.stat()
        self.stamp = (st.st_size, st.st_mtime_ns, st.st_ino)

    def open(self):
        """The file opened for reading, or None if it changed since it was read."""
        try:
            fh = open(self.path, "rb")
        except OSError:
            return None
        st = os.fstat(fh.fileno())
        if (st.st_size, st.st_mtime_ns, st.st_ino) != self.stamp:
            fh.close()
            return None
        return fh


_LOCAL = b"PK\x03\x04"
_DESCRIPTOR = b"PK\x07\x08"


def _raw_member(src, info: zipfile.ZipInfo) -> bytes:
    """A member's bytes as stored: local header, compressed data, data descriptor if any."""
    src.seek(info.header_offset)
    head = src.read(30)
    if len(head) != 30 or head[:4] != _LOCAL:
        raise zipfile.BadZipFile(f"{info.filename}: no local header at offset {info.header_offset}")
    n, m = int.from_bytes(head[26:28], "little"), int.from_bytes(head[28:30], "little")
    size = 30 + n + m + info.compress_size
    if info.flag_bits & 0x8:  # sizes in a data descriptor after the data
        src.seek(info.header_offset + size)
        sig = src.read(4)
        zip64 = info.compress_size >= 0xFFFFFFFF or info.file_size >= 0xFFFFFFFF
        size += (4 if sig == _DESCRIPTOR else 0) + (20 if zip64 else 12)
    src.seek(info.header_offset)
    raw = src.read(size)
    if len(raw) != size:
        raise zipfile.BadZipFile(f"{info.filename}: truncated member")
    return raw


def _copy_raw(zf: zipfile.ZipFile, src, info: zipfile.ZipInfo) -> None:
    """Append a member to ``zf`` exactly as stored in ``src`` (``zipfile`` writes its central directory
    entry from the copied ZipInfo at the new offset)."""
    raw = _raw_member(src, info)
    zi = copy.copy(info)
    zi.extra = _strip_zip64(info.extra)
    zf.fp.seek(zf.start_dir)  # type: ignore[union-attr]
    zi.header_offset = zf.fp.tell()  # type: ignore[union-attr]
    zf.fp.write(raw)  # type: ignore[union-attr]
    zf.start_dir = zf.fp.tell()  # type: ignore[union-attr]
    zf.filelist.append(zi)
    zf.NameToInfo[zi.filename] = zi
    zf._didModify = True  # zipfile writes the central directory only when set


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
