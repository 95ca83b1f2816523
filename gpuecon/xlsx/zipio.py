"""Zip in and out for xlsx packages: member checks against zip bombs and encrypted or duplicate
members, a DOCTYPE/ENTITY scan of every XML part (UTF-16 included), and an atomic writer that
copies each member's name, order, timestamp and compression."""

from __future__ import annotations

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


def read_zip(src: Path, *, max_total_bytes: int, max_ratio: float, ratio_min_bytes: int,
             max_members: int) -> tuple[list[zipfile.ZipInfo], dict[str, bytes], bytes]:
    """Members, their bytes and the zip comment, checked (see :func:`check_members`) and scanned."""
    try:
        with zipfile.ZipFile(src) as zf:
            infos = zf.infolist()
            check_members(infos, max_total_bytes, max_ratio, ratio_min_bytes, max_members)
            parts = {info.filename: zf.read(info) for info in infos}
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


def write_zip_atomic(out: Path, infos: list[zipfile.ZipInfo], parts: dict[str, bytes], comment: bytes) -> None:
    """The members written to ``out`` atomically (:func:`atomic_path`), each with its original settings.

    xl/calcChain.xml is kept: formulas are never added or removed, so it stays valid.
    """
    with atomic_path(out) as tmp, open(tmp, "wb") as fh:
        with zipfile.ZipFile(fh, "w", allowZip64=True) as zf:
            for info in infos:
                zi, level = _copy_info(info)
                zf.writestr(zi, parts[info.filename], compresslevel=level)
            zf.comment = comment
        fh.flush()
        os.fsync(fh.fileno())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
