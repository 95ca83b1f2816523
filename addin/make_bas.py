"""Regenerate ``addin/gpuecon_udfs.bas``: the VBA module xlwings' *Import Functions* would write.

Usage::

    python addin/make_bas.py           # rewrite addin/gpuecon_udfs.bas
    python addin/make_bas.py --check   # exit 1 if the committed file is stale
    gpuecon addin bas -o FILE          # the same, from the installed CLI

The wrappers come from xlwings' own ``xlwings.udfs.generate_vba_wrapper`` run on
``addin/gpuecon_udfs.py``, after the same header ``xlwings.udfs.import_udfs`` writes (module
name ``xlwings_udfs``), for a macro-enabled workbook (``ThisWorkbook``). A manual import
cannot call ``Application.MacroOptions`` the way Import Functions does, so the file ends with
a ``GpueconRegisterHelp`` macro that sets the same function-wizard descriptions (run it once).

``xlwings.udfs`` needs pywin32. Where pywin32 is missing (Linux, macOS, CI), inert stand-ins
for ``pythoncom``, ``pywintypes`` and ``win32com.client`` are placed in ``sys.modules`` for the
duration of the import only; ``generate_vba_wrapper`` itself makes no COM call.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import sys
import types
from contextlib import contextmanager
from pathlib import Path

ADDIN_DIR = Path(__file__).resolve().parent
BAS_PATH = ADDIN_DIR / "gpuecon_udfs.bas"
UDF_PATH = ADDIN_DIR / "gpuecon_udfs.py"
MODULE_NAME = "gpuecon_udfs"  # what the user types in the add-in's "UDF Modules" box
_STUBBED = ("pythoncom", "pywintypes", "win32com", "win32com.client")


def _stand_ins() -> dict[str, types.ModuleType]:
    pythoncom = types.ModuleType("pythoncom")
    pythoncom.CoInitialize = lambda: None
    pythoncom.IID_IDispatch = object()
    pythoncom.CoMarshalInterThreadInterfaceInStream = lambda *a: None
    pythoncom.CoGetInterfaceAndReleaseStream = lambda *a: None
    pywintypes = types.ModuleType("pywintypes")
    pywintypes.com_error = type("com_error", (Exception,), {})
    win32com = types.ModuleType("win32com")
    client = types.ModuleType("win32com.client")

    def dispatch(*args, **kwargs):
        raise RuntimeError("COM is not available (stand-in win32com.client.Dispatch)")

    client.Dispatch = dispatch
    win32com.client = client
    return {"pythoncom": pythoncom, "pywintypes": pywintypes, "win32com": win32com, "win32com.client": client}


@contextmanager
def classic_xlwings():
    """Yield ``xlwings.udfs`` with ``xlwings.func/arg/ret`` bound to its classic decorators
    (as ``xlwings/__init__.py`` does on Windows); restore everything afterwards."""
    import xlwings

    added: list[str] = []
    try:
        import pythoncom  # noqa: F401
    except ImportError:
        for name, mod in _stand_ins().items():
            if name not in sys.modules:
                sys.modules[name] = mod
                added.append(name)
    had_udfs = "xlwings.udfs" in sys.modules
    import xlwings.udfs as udfs

    saved = (xlwings.func, xlwings.arg, xlwings.ret)
    xlwings.func, xlwings.arg, xlwings.ret = udfs.xlfunc, udfs.xlarg, udfs.xlret
    try:
        yield udfs
    finally:
        xlwings.func, xlwings.arg, xlwings.ret = saved
        if added:
            for name in added:
                sys.modules.pop(name, None)
            if not had_udfs:
                sys.modules.pop("xlwings.udfs", None)
                if hasattr(xlwings, "udfs"):
                    delattr(xlwings, "udfs")


def load_udf_module(path: Path = UDF_PATH, name: str = MODULE_NAME) -> types.ModuleType:
    """Import the UDF module from its file (fresh, so the current decorators apply)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Workbook:
    """What generate_vba_wrapper reads from the workbook: its name (.xlsm -> ThisWorkbook)."""

    Name = "gpuecon.xlsm"


def _vba_string(text: str) -> str:
    return '"' + " ".join(str(text).split()).replace('"', '""') + '"'


def _help_macro(module: types.ModuleType, vba) -> None:
    funcs = sorted((getattr(module, n) for n in dir(module) if hasattr(getattr(module, n), "__xlfunc__")),
                   key=lambda f: f.__xlfunc__["name"])
    vba.writeln("")
    vba.writeln("'Function wizard help, as xlwings' Import Functions sets it (Application.MacroOptions).")
    vba.writeln("'After importing this file by hand, run GpueconRegisterHelp once (Alt+F8).")
    with vba.block("Public Sub GpueconRegisterHelp()"):
        vba.writeln("Dim d As String")
        vba.writeln("Dim a() As Variant")
        for f in funcs:
            xf = f.__xlfunc__
            docs = [arg["doc"][:255] for arg in xf["args"] if not arg["vba"]]
            vba.writeln("d = " + _vba_string(xf["ret"]["doc"][:255]))
            if docs:
                vba.writeln(f"ReDim a(0 To {len(docs) - 1})")
                for i, doc in enumerate(docs):
                    vba.writeln(f"a({i}) = {_vba_string(doc)}")
                vba.writeln(f'Application.MacroOptions Macro:="{xf["name"]}", Description:=d, '
                            f'Category:="{xf["category"]}", ArgumentDescriptions:=a')
            else:
                vba.writeln(f'Application.MacroOptions Macro:="{xf["name"]}", Description:=d, '
                            f'Category:="{xf["category"]}"')
    vba.writeln("End Sub")


def render() -> str:
    """The .bas text (LF line ends; :func:`write` stores CRLF, as the VBA editor expects)."""
    with classic_xlwings() as udfs:
        from xlwings.utils import VBAWriter

        module = load_udf_module()
        buf = io.StringIO()
        vba = VBAWriter(buf)
        # the header xlwings.udfs.import_udfs writes before the wrappers
        vba.writeln('Attribute VB_Name = "xlwings_udfs"')
        vba.writeln("'Autogenerated code by xlwings - changes will be lost with next import!")
        vba.writeln("""#Const App = "Microsoft Excel" 'Adjust when using outside of Excel""")
        vba.writeln("'gpuecon Excel functions for a manual import (File > Import File in the VBA editor).")
        vba.writeln("'Regenerate with: python addin/make_bas.py   (or: gpuecon addin bas)")
        udfs.generate_vba_wrapper(MODULE_NAME, module, buf, _Workbook())
        _help_macro(module, vba)
        return buf.getvalue()


def write(path: Path = BAS_PATH) -> Path:
    path = Path(path)
    with open(path, "w", encoding="utf-8", newline="\r\n") as fh:
        fh.write(render())
    return path


def is_current(path: Path = BAS_PATH) -> bool:
    """True if the file at ``path`` is what :func:`render` gives now (line ends ignored)."""
    path = Path(path)
    if not path.exists():
        return False
    return path.read_text(encoding="utf-8").replace("\r\n", "\n") == render()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed .bas is stale")
    parser.add_argument("-o", "--output", type=Path, default=BAS_PATH)
    ns = parser.parse_args(argv)
    if ns.check:
        ok = is_current(ns.output)
        print(f"{ns.output}: {'current' if ok else 'STALE - run python addin/make_bas.py'}")
        return 0 if ok else 1
    print(f"wrote {write(ns.output)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
