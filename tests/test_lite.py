"""The xlwings Lite edition: same functions as the classic add-in, registered without a
namespace; the engine stays a pure-Python wheel with no xlwings and no file I/O beyond its
package data (Lite runs it in Pyodide)."""

import ast
import importlib
import importlib.util
import inspect
import json
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

import gpuecon
from gpuecon.excel import functions as excel

ROOT = Path(__file__).resolve().parent.parent
ADDIN = ROOT / "addin"
PKG = ROOT / "gpuecon"
#: the engine: what the UDFs (classic and Lite) import
ENGINE_MODULES = ("__init__", *sorted(str(p.relative_to(PKG).with_suffix("")) for p in
                                   [*PKG.glob("engine/*.py"), *PKG.glob("excel/*.py")]))
PYODIDE_PROVIDES = {"numpy", "pandas", "scipy", "numpy-financial", "openpyxl"}


def _load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_lite_main_uses_lite_imports_and_no_namespace():
    src = (ADDIN / "lite" / "main.py").read_text()
    tree = ast.parse(src)
    froms = [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module == "xlwings"]
    assert froms and {a.name for a in froms[0].names} <= {"func", "arg", "ret"}
    for node in ast.walk(tree):  # no func(namespace=...), no module-level __xlwings_func_namespace__
        if isinstance(node, ast.Call):
            assert "namespace" not in {k.arg for k in node.keywords}
        if isinstance(node, ast.Assign):
            assert "__xlwings_func_namespace__" not in {getattr(t, "id", None) for t in node.targets}
    assert "import xlwings as xw" not in src


LITE_META = textwrap.dedent("""
    import importlib.util, json, os, sys, types
    import xlwings
    # xlwings.pro's __init__ checks for a licence; Lite's decorators live in
    # xlwings.pro.udfs_officejs and need none, so load that module on its own.
    pro = types.ModuleType("xlwings.pro")
    pro.__path__ = [os.path.join(os.path.dirname(xlwings.__file__), "pro")]
    sys.modules["xlwings.pro"] = pro
    from xlwings.pro import udfs_officejs as o
    xlwings.func, xlwings.arg, xlwings.ret = o.xlfunc, o.xlarg, o.xlret
    spec = importlib.util.spec_from_file_location("main", sys.argv[1])
    main = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(main)
    print(json.dumps(o.custom_functions_meta(main)))
""")


def test_lite_registration_metadata():
    """Lite's own metadata builder (xlwings.pro.udfs_officejs.custom_functions_meta) on main.py."""
    out = subprocess.run([sys.executable, "-c", LITE_META, str(ADDIN / "lite" / "main.py")],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    meta = json.loads(out.stdout)
    funcs = {f["name"]: f for f in meta["functions"]}
    classic = _load(ADDIN / "gpuecon_udfs.py", "classic_for_lite")
    names = set(excel.FUNCTIONS)
    assert set(funcs) == names  # upper-case names, no "NS." prefix
    for name, f in funcs.items():
        assert f["id"] == name and "." not in f["name"]
        assert f["description"] == getattr(classic, name).__doc__
        params = [p["name"] + ("?" if p.get("optional") else "") for p in f["parameters"]]
        import inspect

        sig = inspect.signature(getattr(classic, name))
        assert params == [p + ("?" if sig.parameters[p].default is None else "") for p in sig.parameters]
        for p in f["parameters"]:
            assert p["description"] == excel.ARG_DOCS[p["name"]]
            assert p["dimensionality"] == "matrix"


def test_lite_functions_match_classic():
    """With the no-op decorators of plain xlwings, both modules are plain functions: same values."""
    lite = _load(ADDIN / "lite" / "main.py", "lite_main_under_test")
    classic = _load(ADDIN / "gpuecon_udfs.py", "classic_under_test")
    calls = [
        ("FLOOR_RENT", ("VR NVL72",)), ("FLOOR_RENT", ("vr nvl72", [[0.1], [-2.0]])),
        ("CEILING_RENT", ("VR NVL72", 0.7)), ("GPU_TCO", ("GB300 NVL72", "breakdown")),
        ("SOCAMM_COST", ("VR NVL72", None, 0.6)), ("PROJECT_IRR", ("VR NVL72", 8.0)),
        ("RENT_PER_PFLOP", ("VR NVL72", 4.9)), ("GPU_SPEC", ("H20", "hbm_gb")), ("GPU_SYSTEMS", ()),
        ("ONE_CHART", ("VR NVL72", [[4.0], [8.0]])), ("GPUECON_VERSION", ()),
    ]
    for name, args in calls:
        assert getattr(lite, name)(*args) == getattr(classic, name)(*args), name
    assert lite.CEILING_RENT("VR NVL72", 0.70) == pytest.approx(12.25)
    assert lite.FLOOR_RENT("VR NVL72") == pytest.approx(4.92, abs=0.01)


def test_lite_requirements_are_pyodide_friendly():
    reqs = [ln.strip() for ln in (ADDIN / "lite" / "requirements.txt").read_text().splitlines()
            if ln.strip() and not ln.startswith("#")]
    assert set(reqs) - {"gpuecon"} <= PYODIDE_PROVIDES
    assert "xlwings" not in reqs  # Lite provides it


# --- the engine stays pure Python -------------------------------------------------------------------

FORBIDDEN_IMPORTS = {"xlwings", "os", "pathlib", "shutil", "subprocess", "tempfile", "typer", "rich",
                     "matplotlib", "openpyxl", "socket", "urllib", "requests"}


@pytest.mark.parametrize("name", ENGINE_MODULES)
def test_engine_module_has_no_xlwings_and_no_file_io(name):
    tree = ast.parse((PKG / f"{name}.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            mods = {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            mods = {(node.module or "").split(".")[0]}
        else:
            mods = set()
        assert not (mods & FORBIDDEN_IMPORTS), (name, mods)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id not in {"open", "exec", "eval", "__import__"}, (name, node.func.id)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            assert node.func.attr not in {"to_csv", "to_excel", "write_text", "write_bytes", "mkdir"}, name


IMPORT_AUDIT = textwrap.dedent("""
    import sys, os
    opened = []
    def hook(event, args):
        # library start-up probes of the runtime (/proc, /sys: CPU quotas) are not engine I/O
        if (event == "open" and isinstance(args[0], str) and not args[0].endswith((".py", ".pyc", ".so"))
                and not args[0].startswith(("/proc/", "/sys/"))):
            opened.append(args[0])
    import gpuecon, gpuecon.excel.functions, gpuecon.engine.frame
    assert "xlwings" not in sys.modules, "engine imported xlwings"
    sys.addaudithook(hook)
    from gpuecon.excel import functions as excel
    excel.floor_rent("VR NVL72"); excel.gpu_spec("H20", "hbm_gb"); excel.floor_rent("VR NVL72", [[0.1], [0.2]])
    pkg = os.path.dirname(gpuecon.__file__)
    print("\\n".join(p for p in opened if not p.startswith(os.path.join(pkg, "engine", "data"))))
""")


def test_engine_imports_no_xlwings_and_opens_only_package_data():
    out = subprocess.run([sys.executable, "-c", IMPORT_AUDIT], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"engine opened files outside its package data: {out.stdout}"


# --- wheels --------------------------------------------------------------------------------------------

def _check_wheel(path: Path):
    assert path.name.endswith("-py3-none-any.whl"), path.name
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        assert "gpuecon/engine/data/catalog.csv" in names
        assert "gpuecon/excel/functions.py" in names and "gpuecon/engine/model.py" in names
        assert not any(n.endswith((".so", ".pyd", ".dll", ".dylib")) for n in names)
        wheel = next(n for n in names if n.endswith(".dist-info/WHEEL"))
        text = zf.read(wheel).decode()
        assert "Root-Is-Purelib: true" in text and "Tag: py3-none-any" in text
        meta = zf.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    return meta


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git for a clean copy")
def test_project_builds_a_pure_python_wheel(tmp_path):
    try:
        import wheel  # noqa: F401  (setuptools < 70.1 needs it for bdist_wheel)
    except ImportError:
        import setuptools

        if tuple(int(x) for x in setuptools.__version__.split(".")[:2]) < (70, 1):
            pytest.skip("building a wheel offline needs the 'wheel' package (pip install -e '.[dev]')")
    src = tmp_path / "src"
    # a clean copy of the tracked tree (the working tree is shared with other engineers)
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for f in files:
        if (ROOT / f).is_file():
            (src / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / f, src / f)
    out = subprocess.run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation",
                          "-w", str(tmp_path / "dist"), "-q"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    (whl,) = (tmp_path / "dist").glob("gpuecon-*.whl")
    meta = _check_wheel(whl)
    assert f"Version: {gpuecon.__version__}" in meta


def test_lite_kit_wheel_is_pure_python_with_pyodide_dependencies(tmp_path):
    from gpuecon.cli.addin import LITE_REQUIRES, build_lite_wheel

    whl = build_lite_wheel(tmp_path)
    meta = _check_wheel(whl)
    requires = {ln.split(":", 1)[1].strip() for ln in meta.splitlines() if ln.startswith("Requires-Dist:")}
    assert requires == set(LITE_REQUIRES) and requires <= PYODIDE_PROVIDES
    # the engine runs from the zipped wheel itself (as from Lite's site-packages), catalog included
    code = (f"import gpuecon, gpuecon.excel.functions as x; assert gpuecon.__file__.startswith({str(whl)!r}), gpuecon.__file__; "
            "print(x.floor_rent('VR NVL72'), x.ceiling_rent('VR NVL72', 0.7))")
    env = {**os.environ, "PYTHONPATH": str(whl)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120,
                         cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    floor, ceiling = map(float, out.stdout.split())
    assert round(floor, 2) == 4.93 and ceiling == 12.25


def test_cli_addin_commands(tmp_path):
    from typer.testing import CliRunner

    from gpuecon.cli.main import app

    runner = CliRunner()
    res = runner.invoke(app, ["addin", "path"])
    assert res.exit_code == 0 and "UDF Modules: gpuecon_udfs" in res.output and str(ADDIN) in res.output
    res = runner.invoke(app, ["addin", "bas", "--check"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["addin", "lite", "-o", str(tmp_path), "--wheel-url", "https://example.org/g.whl"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "main.py").read_text() == (ADDIN / "lite" / "main.py").read_text()
    reqs = (tmp_path / "requirements.txt").read_text().splitlines()
    assert reqs[-1] == "https://example.org/g.whl" and "numpy" in reqs
    assert list(tmp_path.glob("gpuecon-*-py3-none-any.whl"))


def test_every_generated_function_calls_its_registered_implementation():
    """Each UDF's body calls the very function FUNCTIONS registers, through a module its header imports
    (functions kept in excel/finance_functions.py and excel/token_functions.py included)."""
    import gpuecon.excel as package

    for path in (ADDIN / "gpuecon_udfs.py", ADDIN / "lite" / "main.py"):
        tree = ast.parse(path.read_text())
        aliases = {}
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and node.module == "gpuecon.excel":
                for a in node.names:
                    aliases[a.asname or a.name] = importlib.import_module(f"gpuecon.excel.{a.name}")
        defs = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
        assert set(defs) == set(excel.FUNCTIONS), path
        for name, node in defs.items():
            call = node.body[-1].value
            module, attr = call.func.value.id, call.func.attr
            assert module in aliases, (path.name, name, module)
            assert getattr(aliases[module], attr) is excel.FUNCTIONS[name], (path.name, name)
    classic = _load(ADDIN / "gpuecon_udfs.py", "classic_calls")
    assert package.FUNCTIONS is excel.FUNCTIONS
    for name, impl in excel.FUNCTIONS.items():  # and it runs: all blanks give the implementation's own cell
        n = len(inspect.signature(impl).parameters)
        assert getattr(classic, name)(*([None] * n)) == impl(*([None] * n)), name


def test_addin_modules_are_generated_from_the_one_list(tmp_path):
    """addin/gpuecon_udfs.py and addin/lite/main.py are what addin/make_udfs.py writes from excel.FUNCTIONS."""
    proc = subprocess.run([sys.executable, str(ADDIN / "make_udfs.py"), "--check"], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    spec = importlib.util.spec_from_file_location("make_udfs_for_test", ADDIN / "make_udfs.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    classic, lite = mod.render("classic"), mod.render("lite")
    for name in excel.FUNCTIONS:  # every function, in both editions, with its one description
        assert f"def {name}(" in classic and f"def {name}(" in lite
        assert excel.FUNCTION_DOCS[name] in classic and excel.FUNCTION_DOCS[name] in lite
