"""Headless LibreOffice as an independent spreadsheet engine (tests and benchmarks).

Each call uses a throwaway user profile whose settings force a full recalculation on load, so
cached values already in a file (right or wrong) are recomputed rather than trusted. Read the
results with ``openpyxl.load_workbook(out, data_only=True)``.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

__all__ = ["LibreOfficeError", "convert_to_pdf", "find_soffice", "recalculate"]

_FILTERS = {"xlsx": "xlsx:Calc MS Excel 2007 XML", "ods": "ods", "pdf": "pdf:calc_pdf_Export"}

# RecalcMode: 0 = always recalculate on load, 1 = never, 2 = ask (prompt; never headless).
_XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>{mode}</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>{mode}</value></prop></item>
</oor:items>
"""


class LibreOfficeError(RuntimeError):
    """soffice is missing, failed, timed out or produced no output."""


def find_soffice() -> str | None:
    """Path of ``soffice`` (or ``libreoffice``) on PATH, else None."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def recalculate(src: str | os.PathLike[str], dst_dir: str | os.PathLike[str], fmt: str = "xlsx",
                *, timeout: float = 180.0, force_recalc: bool = True) -> Path:
    """Open ``src`` in LibreOffice, recalculate every formula and save it as ``dst_dir/<stem>.<fmt>``.

    ``force_recalc=False`` keeps LibreOffice's trust in cached values (useful only to show they matter).
    """
    return _convert(Path(src), Path(dst_dir), fmt, timeout, recalc_mode=0 if force_recalc else 1)


def convert_to_pdf(src: str | os.PathLike[str], dst_dir: str | os.PathLike[str], *, timeout: float = 180.0) -> Path:
    """Recalculate and export ``src`` as ``dst_dir/<stem>.pdf``."""
    return _convert(Path(src), Path(dst_dir), "pdf", timeout, recalc_mode=0)


def _convert(src: Path, dst_dir: Path, fmt: str, timeout: float, recalc_mode: int) -> Path:
    soffice = find_soffice()
    if soffice is None:
        raise LibreOfficeError("LibreOffice not found on PATH (install libreoffice-calc-nogui)")
    if not src.is_file():
        raise LibreOfficeError(f"no such file: {src}")
    target = dst_dir / f"{src.stem}.{fmt}"
    if target.resolve() == src.resolve():
        raise LibreOfficeError(f"output {target} would overwrite the source; choose another dst_dir")
    dst_dir.mkdir(parents=True, exist_ok=True)
    # The profile and the raw output live in private temp dirs: parallel calls never share a
    # profile (LibreOffice locks it) and a failed run cannot leave a stale output behind.
    with tempfile.TemporaryDirectory(prefix="gpuecon-lo-") as tmp:
        profile = Path(tmp, "profile")
        (profile / "user").mkdir(parents=True)
        (profile / "user" / "registrymodifications.xcu").write_text(_XCU.format(mode=recalc_mode), "utf-8")
        outdir = Path(tmp, "out")
        cmd = [soffice, "--headless", "--norestore", "--nologo", "--nodefault", "--nolockcheck",
               f"-env:UserInstallation={profile.as_uri()}",
               "--convert-to", _FILTERS.get(fmt, fmt), "--outdir", str(outdir), str(src.resolve())]
        stdout, stderr, code = _run(cmd, timeout)
        produced = outdir / f"{src.stem}.{fmt}"
        if code != 0 or not produced.is_file() or produced.stat().st_size == 0:
            raise LibreOfficeError(f"soffice failed to convert {src.name} to {fmt} (exit {code})\n"
                                   f"stdout: {stdout.strip()}\nstderr: {stderr.strip()}")
        shutil.move(str(produced), target)  # temp dir may be on another filesystem
    return target


def _run(cmd: list[str], timeout: float) -> tuple[str, str, int]:
    """Run in its own process group so a timeout also kills soffice.bin started by the wrapper."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, env={**os.environ, "SAL_USE_VCLPLUGIN": "svp"})
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        stdout, stderr = proc.communicate()
        raise LibreOfficeError(f"soffice timed out after {timeout:g}s: {' '.join(cmd)}\n"
                               f"stderr: {stderr.strip()}") from None
    return stdout, stderr, proc.returncode
