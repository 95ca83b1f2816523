"""The UDF module registers as classic xlwings would register it.

There is no Excel here and ``xlwings.udfs`` imports pywin32. Minimal stand-ins for
``pythoncom``, ``pywintypes`` and ``win32com.client`` (this file only) let the real
``xlwings.udfs`` import on Linux; then its real ``xlfunc/xlarg`` decorators,
``generate_vba_wrapper`` and ``import_udfs`` run, the last against a stand-in workbook that
records the VBA module import and the ``Application.MacroOptions`` calls.

Not exercised here: ``xlwings.udfs.call_udf`` (it needs a live COM caller: the calling
``Range``, Excel's argument conversion of ranges and error values, dynamic-array resizing), the
COM server and the VBA runtime itself (``XLPy.CallUDF``). ``call_udf`` converts arguments with
``xlwings.conversion.read`` with our options, which needs the Windows Excel engine; the
shapes it produces (``[[value]]`` for a cell with ``ndim=2``) are fed to the UDFs below.
"""

import importlib.util
import inspect
import re
import sys
import types
from pathlib import Path

import pytest

from gpuecon.excel.functions import ARG_DOCS

ADDIN = Path(__file__).resolve().parent.parent / "addin"

EXPECTED = {  # the public contract: names, argument order, optional markers
    "GPU_TCO": ["system", "item?", "assumptions?"],
    "FLOOR_RENT": ["system", "hurdle_irr?", "term_years?", "prepay?", "assumptions?"],
    "CEILING_RENT": ["system", "usd_per_pflop_hour?", "basis?", "assumptions?"],
    "SOCAMM_COST": ["capacity_gb_or_system", "usd_per_gb?", "gross_margin?"],
    "PROJECT_IRR": ["system", "rent_usd_per_gpu_hour", "term_years?", "prepay?", "assumptions?"],
    "RENT_PER_PFLOP": ["system", "rent_usd_per_gpu_hour", "basis?", "assumptions?"],
    "GPU_SPEC": ["system", "field"],
    "GPU_SYSTEMS": [],
    "ONE_CHART": ["system", "rents?", "assumptions?"],
    "GPUECON_VERSION": [],
    # GPU-backed debt and GPU value (issue 12's names and argument order)
    "EQUITY_IRR": ["system", "rent_usd_per_gpu_hour", "ltv?", "debt_rate?", "tenor_years?", "assumptions?"],
    "MIN_DSCR": ["system", "rent_usd_per_gpu_hour", "ltv?", "debt_rate?", "tenor_years?", "assumptions?"],
    "MAX_LTV": ["system", "rent_usd_per_gpu_hour", "min_dscr?", "debt_rate?", "tenor_years?", "assumptions?"],
    "DEBT_SCHEDULE": ["system", "rent_usd_per_gpu_hour", "ltv?", "debt_rate?", "tenor_years?", "assumptions?"],
    "GPU_VALUE": ["system", "age_years", "rent_usd_per_gpu_hour?", "discount_rate?", "assumptions?"],
    "IMPLIED_DISCOUNT_RATE": ["system", "price_usd_per_gpu", "age_years", "rent_usd_per_gpu_hour?", "assumptions?"],
    "BOOK_VALUE": ["system", "age_years", "method?", "assumptions?"],
    "PAYBACK_MONTHS": ["system", "rent_usd_per_gpu_hour", "discount_rate?", "assumptions?"],
    # tokens, decisions and the $/PFLOP trend (issue 13's names and argument order)
    "TOKEN_PRICE": ["input_usd_per_mtok", "output_usd_per_mtok", "cached_input_usd_per_mtok?", "input_output_ratio?",
                    "cache_hit_frac?"],
    "TOKEN_COST": ["system", "tokens_per_sec_per_gpu", "rent_usd_per_gpu_hour?", "assumptions?"],
    "TOKEN_MARGIN": ["system", "tokens_per_sec_per_gpu", "price_usd_per_mtok", "rent_usd_per_gpu_hour?", "assumptions?"],
    "BREAKEVEN_UTILIZATION": ["system", "rent_usd_per_gpu_hour", "hurdle_irr?", "assumptions?"],
    "SENSITIVITY": ["system", "output?", "swing_frac?", "rent_usd_per_gpu_hour?", "assumptions?"],
    "COMPETITIVE_RENT": ["old_system", "new_system", "basis?", "new_rent_usd_per_gpu_hour?", "assumptions?"],
    "PFLOP_TREND": ["basis?", "year?"],
    "THROUGHPUT": ["system", "model", "workload?", "precision?", "configuration?"],
    "THROUGHPUT_RATIO": ["system", "reference_system", "precision?"],
}


def _stand_ins():
    pythoncom = types.ModuleType("pythoncom")
    pythoncom.CoInitialize = lambda: None
    pythoncom.IID_IDispatch = object()
    pythoncom.CoMarshalInterThreadInterfaceInStream = lambda *a: None
    pythoncom.CoGetInterfaceAndReleaseStream = lambda *a: None
    pywintypes = types.ModuleType("pywintypes")
    pywintypes.com_error = type("com_error", (Exception,), {})
    win32com = types.ModuleType("win32com")
    client = types.ModuleType("win32com.client")

    def dispatch(*a, **k):
        raise AssertionError("no COM in this test")

    client.Dispatch = dispatch
    win32com.client = client
    return {"pythoncom": pythoncom, "pywintypes": pywintypes, "win32com": win32com, "win32com.client": client}


@pytest.fixture(scope="module")
def classic():
    """(xlwings.udfs, the UDF module decorated by the classic decorators)."""
    mp = pytest.MonkeyPatch()
    import xlwings

    for name, mod in _stand_ins().items():
        if name not in sys.modules:
            mp.setitem(sys.modules, name, mod)
    had = "xlwings.udfs" in sys.modules
    import xlwings.udfs as udfs

    # what xlwings/__init__.py does on Windows with pywin32
    mp.setattr(xlwings, "func", udfs.xlfunc)
    mp.setattr(xlwings, "arg", udfs.xlarg)
    mp.setattr(xlwings, "ret", udfs.xlret)
    spec = importlib.util.spec_from_file_location("gpuecon_udfs", ADDIN / "gpuecon_udfs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield udfs, module
    mp.undo()
    if not had:
        sys.modules.pop("xlwings.udfs", None)
        if hasattr(xlwings, "udfs"):
            delattr(xlwings, "udfs")


def _funcs(module):
    return {v.__xlfunc__["name"]: v for v in vars(module).values() if hasattr(v, "__xlfunc__")}


def test_decorator_metadata(classic):
    _, module = classic
    funcs = _funcs(module)
    assert set(funcs) == set(EXPECTED)
    for name, f in funcs.items():
        xf = f.__xlfunc__
        shown = [a["name"] + ("?" if "optional" in a else "") for a in xf["args"]]
        assert shown == EXPECTED[name], name
        assert xf["category"] == "gpuecon" and not xf["sub"] and not xf["volatile"] and xf["async_mode"] is None
        # the function wizard's texts: our one-liners, within MacroOptions' 255 characters
        doc = xf["ret"]["doc"]
        assert 20 < len(doc) <= 255 and "\n" not in doc, name
        for a in xf["args"]:
            assert a["doc"] == ARG_DOCS[a["name"]] and len(a["doc"]) <= 255
            assert not a["doc"].startswith("Positional argument")
            assert a["options"] == {"ndim": 2, "err_to_str": True}, (name, a["name"])
            assert a["vba"] is None and not a["vararg"]
            if "optional" in a:
                assert a["optional"] is None  # blank = default (so the assumptions range is not overridden)
        assert xf["ret"]["options"] == {}  # no expand="table": Excel 365 spills lists natively


def test_units_in_descriptions(classic):
    _, module = classic
    funcs = _funcs(module)
    for name in ("GPU_TCO", "FLOOR_RENT", "CEILING_RENT"):
        assert "USD per GPU-hour" in funcs[name].__xlfunc__["ret"]["doc"]
    assert "PFLOP-hour, USD" in funcs["RENT_PER_PFLOP"].__xlfunc__["ret"]["doc"]
    assert "annual" in funcs["PROJECT_IRR"].__xlfunc__["ret"]["doc"]
    assert "USD" in funcs["SOCAMM_COST"].__xlfunc__["ret"]["doc"]
    for arg in ("hurdle_irr", "term_years", "prepay", "usd_per_pflop_hour", "usd_per_gb", "gross_margin"):
        assert "default" in ARG_DOCS[arg]


def test_no_keyword_only_parameters(classic):
    udfs, module = classic
    for f in _funcs(module).values():
        kinds = {p.kind for p in inspect.signature(f).parameters.values()}
        assert kinds <= {inspect.Parameter.POSITIONAL_OR_KEYWORD}
    with pytest.raises(Exception, match="keyword arguments"):
        udfs.xlfunc(lambda a, *, b=1: a)  # what xlwings would do with one


class _Recorder:
    """A stand-in Excel workbook: records the imported VBA module and MacroOptions calls."""

    def __init__(self, name="gpuecon.xlsm"):
        self.Name = name
        self.imported: list[str] = []
        self.macro_options: list[tuple[str, dict]] = []
        rec = self

        class Components:
            def __call__(self, name):
                raise sys.modules["pywintypes"].com_error("no such component")

            def Remove(self, component):  # pragma: no cover - never reached: no component exists
                pass

            def Import(self, path):
                rec.imported.append(Path(path).read_text())

        class Project:
            VBComponents = Components()

        class Application:
            Version = "16.0"

            def MacroOptions(self, macro, **kwargs):
                rec.macro_options.append((macro, kwargs))

            def Run(self, *a):  # pragma: no cover
                raise AssertionError("fallback import path not expected")

        self.VBProject = Project()
        self.Application = Application()


def _signatures(vba: str) -> dict[str, str]:
    return {m.group(1): m.group(2) for m in re.finditer(r"^Function (\w+)\((.*)\)\s*$", vba, re.M)}


def test_generate_vba_wrapper(classic):
    import io

    udfs, module = classic
    buf = io.StringIO()
    udfs.generate_vba_wrapper("gpuecon_udfs", module, buf, _Recorder())
    vba = buf.getvalue()
    sigs = _signatures(vba)
    assert set(sigs) == set(EXPECTED)
    for name, args in EXPECTED.items():
        want = ", ".join(("Optional " + a[:-1]) if a.endswith("?") else a for a in args)
        assert sigs[name] == want, name
        call_args = ", ".join(a.rstrip("?") for a in args)
        assert f'{name} = XLPy.CallUDF("gpuecon_udfs", "{name}", Array({call_args}), ThisWorkbook, Application.Caller)' in vba
        assert f"    {name} = Err.Description" in vba
    # an add-in (.xlam) uses ActiveWorkbook instead
    buf = io.StringIO()
    udfs.generate_vba_wrapper("gpuecon_udfs", module, buf, _Recorder("gpuecon.xlam"))
    assert "ActiveWorkbook, Application.Caller" in buf.getvalue() and "ThisWorkbook" not in buf.getvalue()


def test_import_udfs_against_stand_in_workbook(classic):
    udfs, module = classic
    wb = _Recorder()
    # import_udfs looks the module up through get_udf_module, whose cache xlwings fills on the
    # first call from Excel; filling it here skips the embedded-code scan that needs COM.
    udfs.udf_modules["gpuecon_udfs"] = {"filename": str(ADDIN / "gpuecon_udfs.py"), "filetime": None, "module": module}
    try:
        udfs.import_udfs("gpuecon_udfs", wb)
    finally:
        udfs.udf_modules.pop("gpuecon_udfs", None)
    assert len(wb.imported) == 1
    vba = wb.imported[0]
    assert vba.startswith('Attribute VB_Name = "xlwings_udfs"')
    assert set(_signatures(vba)) == set(EXPECTED)
    # the committed .bas carries the same wrappers
    committed = (ADDIN / "gpuecon_udfs.bas").read_text().replace("\r\n", "\n")
    body = vba.split("#Const App", 1)[1].split("\n", 1)[1]
    assert body.strip() in committed
    calls = dict(wb.macro_options)
    assert set(calls) == {f"'gpuecon.xlsm'!{n}" for n in EXPECTED}
    funcs = _funcs(module)
    for name, f in funcs.items():
        kw = calls[f"'gpuecon.xlsm'!{name}"]
        assert kw["Description"] == f.__doc__ and len(kw["Description"]) <= 255
        assert kw["Category"] == "gpuecon"
        want = [ARG_DOCS[a.rstrip("?")] for a in EXPECTED[name]]
        assert kw["ArgumentDescriptions"] == (want or None)


def test_udfs_accept_what_call_udf_passes(classic):
    """call_udf passes a missing optional as its ``optional`` marker (None here) and, with
    ndim=2, a single cell as [[value]]; both give the same result as the plain scalar. (The real
    ``xlwings.conversion.read`` needs the Windows Excel engine, so it is not run here.)"""
    _, module = classic
    f = _funcs(module)["FLOOR_RENT"]
    optional = [a["optional"] for a in f.__xlfunc__["args"] if "optional" in a]
    assert f("VR NVL72", *optional) == f("VR NVL72")
    assert f([["VR NVL72"]], [[0.2]], [[None]], [[None]], [[None]]) == f("VR NVL72", 0.2)


def test_committed_bas_is_current():
    spec = importlib.util.spec_from_file_location("make_bas_under_test", ADDIN / "make_bas.py")
    mb = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mb)
    assert mb.is_current(), "addin/gpuecon_udfs.bas is stale: run python addin/make_bas.py"
    text = (ADDIN / "gpuecon_udfs.bas").read_bytes()
    assert b"\r\n" in text  # CRLF, as the VBA editor's File > Import expects
    assert b"Public Sub GpueconRegisterHelp()" in text
