"""``gpuecon addin``: what a user pastes or points Excel at to get the Excel functions.

* ``gpuecon addin path``: the folder and module name for the xlwings add-in's settings;
* ``gpuecon addin bas [-o FILE]``: regenerate the VBA module for a manual import;
* ``gpuecon addin lite -o DIR [--wheel-url URL]``: main.py, requirements.txt and an engine
  wheel for xlwings Lite.

The add-in files live in the project checkout (``addin/``), next to the package.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import shutil
import zipfile
from pathlib import Path
from typing import Annotated

import typer

from .. import __version__
from .common import fail, prepare_dir, run

#: Pyodide provides numpy, pandas and scipy; numpy-financial is a pure-Python wheel.
LITE_REQUIRES = ("numpy", "pandas", "scipy", "numpy-financial")
UDF_MODULE = "gpuecon_udfs"


def addin_dir() -> Path:
    """``addin/`` of the project checkout this package was installed from."""
    here = Path(__file__).resolve().parents[2] / "addin"
    if not (here / f"{UDF_MODULE}.py").is_file():
        raise FileNotFoundError(
            f"no {UDF_MODULE}.py next to the package ({here}); install gpuecon from the project "
            "checkout (pip install -e .) so the add-in files are available")
    return here


def build_lite_wheel(out_dir: Path) -> Path:
    """A pure-Python wheel of the engine (py3-none-any, with the catalog) whose dependencies are
    only the ones Pyodide provides, for xlwings Lite's requirements.txt."""
    pkg = Path(__file__).resolve().parents[1]
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    dist = f"gpuecon-{__version__}"
    path = out_dir / f"{dist}-py3-none-any.whl"
    files = sorted(p for p in pkg.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                   and p.suffix in (".py", ".csv"))
    meta = "\n".join(["Metadata-Version: 2.1", "Name: gpuecon", f"Version: {__version__}",
                      "Summary: GPU economics engine (xlwings Lite build: engine dependencies only)",
                      "Requires-Python: >=3.11", *(f"Requires-Dist: {r}" for r in LITE_REQUIRES)]) + "\n"
    wheel = "Wheel-Version: 1.0\nGenerator: gpuecon addin lite\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    record: list[str] = []

    def add(zf: zipfile.ZipFile, arcname: str, data: bytes) -> None:
        zf.writestr(zipfile.ZipInfo(arcname, date_time=(2020, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{arcname},sha256={digest},{len(data)}")

    with zipfile.ZipFile(path, "w") as zf:
        for f in files:
            add(zf, "gpuecon/" + f.relative_to(pkg).as_posix(), f.read_bytes())
        add(zf, f"{dist}.dist-info/METADATA", meta.encode())
        add(zf, f"{dist}.dist-info/WHEEL", wheel.encode())
        record.append(f"{dist}.dist-info/RECORD,,")
        zf.writestr(zipfile.ZipInfo(f"{dist}.dist-info/RECORD", date_time=(2020, 1, 1, 0, 0, 0)),
                    "\n".join(record) + "\n", zipfile.ZIP_DEFLATED)
    return path


def _load_make_bas():
    spec = importlib.util.spec_from_file_location("gpuecon_make_bas", addin_dir() / "make_bas.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="The Excel add-in: paths, the VBA module, the xlwings Lite kit.", no_args_is_help=True)
    app.add_typer(group, name="addin")

    @group.command("path")
    @run
    def path_cmd() -> None:
        """Print what goes into the xlwings add-in's settings (ribbon tab xlwings)."""
        try:
            folder = addin_dir()
        except FileNotFoundError as err:
            fail(err)
        typer.echo(f"UDF Modules: {UDF_MODULE}")
        typer.echo(f"PYTHONPATH:  {folder}")
        typer.echo(f"VBA module for a manual import: {folder / (UDF_MODULE + '.bas')}")

    @group.command("bas")
    @run
    def bas_cmd(output: Annotated[Path | None, typer.Option("-o", "--output", metavar="FILE", help="File to write (default: addin/gpuecon_udfs.bas)")] = None,
                check: Annotated[bool, typer.Option("--check", metavar="", help="Exit 1 if the file is stale")] = False) -> None:
        """Regenerate the VBA module (xlwings' generate_vba_wrapper) for a manual import."""
        try:
            mb = _load_make_bas()
        except FileNotFoundError as err:
            fail(err)
        target = output or mb.BAS_PATH
        if check:
            ok = mb.is_current(target)
            typer.echo(f"{target}: {'current' if ok else 'STALE'}")
            raise typer.Exit(0 if ok else 1)
        typer.echo(f"wrote {mb.write(target)}")

    @group.command("lite")
    @run
    def lite_cmd(output_dir: Annotated[Path, typer.Option("-o", "--output-dir", metavar="DIR", help="Folder to write main.py, requirements.txt and the wheel")] = Path("gpuecon-lite"),
                 wheel_url: Annotated[str | None, typer.Option("--wheel-url", metavar="URL", help="Where you will host the wheel (https URL); written into requirements.txt")] = None) -> None:
        """Write the xlwings Lite kit: main.py, requirements.txt and a pure-Python engine wheel."""
        try:
            lite = addin_dir() / "lite"
        except FileNotFoundError as err:
            fail(err)
        prepare_dir(output_dir, "--output-dir", "the Lite kit")
        shutil.copyfile(lite / "main.py", output_dir / "main.py")
        whl = build_lite_wheel(output_dir)
        reqs = (lite / "requirements.txt").read_text(encoding="utf-8").splitlines()
        url = wheel_url or f"https://YOUR-HOST/{whl.name}"
        reqs = [url if line.strip() == "gpuecon" else line for line in reqs]
        (output_dir / "requirements.txt").write_text("\n".join(reqs) + "\n", encoding="utf-8")
        typer.echo(f"wrote {output_dir / 'main.py'}, {output_dir / 'requirements.txt'} and {whl}")
        if not wheel_url:
            typer.echo(f"host {whl.name} where Lite can fetch it and put its URL in requirements.txt "
                       "(or rerun with --wheel-url URL)")
