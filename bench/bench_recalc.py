"""Benchmark ``gpuecon recalc`` against the ``formulas`` package and LibreOffice headless.

    python bench/bench_recalc.py                 # template + 10,000-row scenario book, prints markdown
    python bench/bench_recalc.py --rows 2000     # smaller scenario book
    python bench/bench_recalc.py --record        # also append the section to docs/benchmarks.md

Every measurement runs in a fresh Python process (imports included, as a user running the
command would pay them), on the same file, in the same run:

* **gpuecon recalc**: ``gpuecon.recalc.workbook.recalc(book, out)`` (load, calculate, write the cached values
  into a copy of the original package); the time includes the lazy import of ``formulas``.
* **formulas**: ``formulas.ExcelModel().loads(book).finish()``, ``.calculate()``, ``.write()``, with
  the gpuecon UDFs registered in ``formulas.get_functions()`` first (the package's own route).
* **LibreOffice**: ``soffice --headless --convert-to xlsx`` with a profile that forces a full
  recalculation on load (``OOXMLRecalcMode=0``); it cannot run the Python UDFs (``#NAME?``).

The scenario book has one UDF and three native formulas per row (``FLOOR_RENT``, a margin, an
``IF`` verdict and a ``ROUND`` ratio), so 10,000 rows = 40,000 formulas.

gpuecon and LibreOffice each run ``--repeat`` times, interleaved on the same files, and the goal
(issue 14: ``gpuecon recalc`` faster than LibreOffice headless) is read from the ratio of their
medians in the same run, which a shared, loaded machine slows alike. Start-up is measured too:
whole processes of ``python -c "import gpuecon"`` and ``gpuecon --help`` (goal: well under 1 s).
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _report import ROOT, emit, parser  # noqa: E402  (sibling module; bench scripts run as files)

SYSTEMS = ["H100 SXM", "H200", "B200", "GB300 NVL72", "VR NVL72"]


def scenario_book(path: str | os.PathLike[str], rows: int) -> Path:
    """A scenario sheet: system, rent, hurdle; FLOOR_RENT (UDF), margin, verdict, margin % (native)."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Scenarios"
    ws.append(["system", "rent_usd_per_gpu_hour", "hurdle_irr", "floor", "margin", "verdict", "margin_pct"])
    for i in range(rows):
        r = i + 2
        ws.append([SYSTEMS[i % len(SYSTEMS)], 2 + (i % 70) / 10, 0.10 + (i % 11) / 100, f"=FLOOR_RENT(A{r},C{r})",
                   f"=B{r}-D{r}", f'=IF(E{r}>=0,"above floor","below floor")', f"=ROUND(E{r}/B{r},4)"])
    wb.save(path)
    return Path(path)


_OURS = """
import sys, time, json
t = time.perf_counter()
from gpuecon.recalc.workbook import recalc
r = recalc(sys.argv[1], sys.argv[2])
print(json.dumps({"seconds": time.perf_counter() - t, "parts": r.seconds, "formulas": r.formulas,
                  "issues": len(r.issues)}))
"""

_FORMULAS = """
import sys, time, json, os
t = time.perf_counter()
import formulas
from gpuecon.recalc.bridge import fx as register_udfs
register_udfs()  # registers the gpuecon UDFs in formulas.get_functions()
t_load = time.perf_counter()
xl = formulas.ExcelModel().loads(sys.argv[1]).finish()
t_calc = time.perf_counter()
sol = xl.calculate()
t_write = time.perf_counter()
os.makedirs(sys.argv[2], exist_ok=True)
xl.write(dirpath=sys.argv[2])
t_end = time.perf_counter()
print(json.dumps({"seconds": t_end - t, "parts": {"import": t_load - t, "load": t_calc - t_load,
                  "calculate": t_write - t_calc, "write": t_end - t_write}}))
"""

_LIBRE = """
import sys, time, json
t = time.perf_counter()
from gpuecon.xlsx.libreoffice import recalculate
recalculate(sys.argv[1], sys.argv[2])
print(json.dumps({"seconds": time.perf_counter() - t}))
"""


def _run(code: str, *args: str, timeout: float = 1800) -> dict:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=timeout,
                          env=env, cwd=ROOT)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark step failed:\n{proc.stderr[-2000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["process_wall"] = wall
    return out


def _best(code: str, args: list[str], repeat: int) -> dict:
    runs = [_run(code, *args) for _ in range(repeat)]
    return _summary(runs)


def _summary(runs: list[dict]) -> dict:
    best = dict(min(runs, key=lambda r: r["seconds"]))
    best["median"] = statistics.median(r["seconds"] for r in runs)
    return best


def _pair(ours: tuple[str, list[str]], lo: tuple[str, list[str]] | None, repeat: int) -> tuple[dict, dict | None]:
    """gpuecon and LibreOffice on one book, alternated ``repeat`` times (load changes hit both)."""
    a, b = [], []
    for _ in range(repeat):
        a.append(_run(ours[0], *ours[1]))
        if lo is not None:
            b.append(_run(lo[0], *lo[1]))
    return _summary(a), (_summary(b) if b else None)


def _startup(argv: list[str], repeat: int) -> dict:
    """A whole process (interpreter start-up, imports, exit), best and median of ``repeat``."""
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=True, cwd=ROOT)
        runs.append({"seconds": time.perf_counter() - t})
    return _summary(runs)


def _vs(ours: dict, lo: dict | None) -> str:
    if lo is None:
        return ""
    ratio = lo["median"] / ours["median"]
    verdict = "faster" if ratio > 1 else "slower"
    return f"; **{ratio:.2f}x** LibreOffice's median in this run ({verdict}; goal > 1)"


def main() -> None:
    ap = parser(__doc__, rows=10_000, repeat=3)
    ap.add_argument("--skip-formulas", action="store_true", help="skip the (slow) formulas package baseline")
    opts = ap.parse_args()
    lines: list[str] = []
    with tempfile.TemporaryDirectory(prefix="gpuecon-bench-") as tmp:
        t = Path(tmp)
        from gpuecon.template.exporter import export_model
        from gpuecon.xlsx.libreoffice import find_soffice

        template = export_model(t / "gpuecon_model.xlsx")
        soffice = find_soffice()
        tpl, lo_tpl = _pair((_OURS, [str(template), str(t / "tpl_out.xlsx")]),
                            (_LIBRE, [str(template), str(t / "lo_tpl")]) if soffice else None, opts.repeat)
        warm = _run("""
import sys, time, json
from gpuecon.recalc.workbook import recalc
recalc(sys.argv[1], sys.argv[2])
best = min((lambda t: (recalc(sys.argv[1], sys.argv[2]), time.perf_counter() - t)[1])(time.perf_counter()) for _ in range(3))
print(json.dumps({"seconds": best}))
""", str(template), str(t / "tpl_out2.xlsx"))
        cli_t = time.perf_counter()
        subprocess.run(["gpuecon", "recalc", str(template), "-o", str(t / "tpl_cli.xlsx")], capture_output=True,
                       check=False, cwd=ROOT)
        cli = time.perf_counter() - cli_t

        book = scenario_book(t / f"scenarios_{opts.rows}.xlsx", opts.rows)
        ours, lo = _pair((_OURS, [str(book), str(t / "ours.xlsx")]),
                         (_LIBRE, [str(book), str(t / "lo")]) if soffice else None, opts.repeat)
        imp = _startup([sys.executable, "-c", "import gpuecon"], opts.repeat)
        helps = _startup([str(Path(sys.executable).with_name("gpuecon")), "--help"], opts.repeat)
        fx = None if opts.skip_formulas else _run(_FORMULAS, str(book), str(t / "formulas_out"))

    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    lines.append(f"## Headless recalculation (`gpuecon recalc`), {time.strftime('%Y-%m-%d')}")
    lines.append("")
    lines.append(f"Machine: {machine}. Command: `python bench/bench_recalc.py --rows {opts.rows}"
                 f" --repeat {opts.repeat}{' --skip-formulas' if opts.skip_formulas else ''}`. Each step in a "
                 f"fresh process; best of {opts.repeat} (median in brackets), gpuecon and LibreOffice alternated; "
                 f"the ratio is LibreOffice's median over gpuecon's, same run.")
    lines.append("")
    lines.append("| workbook | engine | seconds | notes |")
    lines.append("|---|---|---:|---|")
    p = tpl["parts"]
    lines.append(f"| full template ({tpl['formulas']:,} formulas) | gpuecon recalc | **{tpl['seconds']:.2f}** "
                 f"({tpl['median']:.2f}) | load {p['load']:.2f} + calculate {p['calculate']:.2f} + write "
                 f"{p['write']:.2f}, incl. imports{_vs(tpl, lo_tpl)} |")
    lines.append(f"| full template | gpuecon recalc, warm process | {warm['seconds']:.2f} | second and later calls "
                 f"(library already imported) |")
    lines.append(f"| full template | `gpuecon recalc` CLI, whole process | {cli:.2f} | Python start-up and all imports |")
    if lo_tpl:
        lines.append(f"| full template | LibreOffice headless | {lo_tpl['seconds']:.2f} ({lo_tpl['median']:.2f}) | "
                     f"UDF cells become #NAME? |")
    p = ours["parts"]
    lines.append(f"| {opts.rows:,} scenario rows ({ours['formulas']:,} formulas) | gpuecon recalc | "
                 f"**{ours['seconds']:.2f}** ({ours['median']:.2f}) | load {p['load']:.2f} + calculate "
                 f"{p['calculate']:.2f} + write {p['write']:.2f}{_vs(ours, lo)} |")
    if fx:
        q = fx["parts"]
        ratio = fx["seconds"] / ours["seconds"]
        lines.append(f"| {opts.rows:,} scenario rows | formulas {_version('formulas')} load-calculate-write | "
                     f"{fx['seconds']:.2f} | import {q['import']:.2f} + load {q['load']:.2f} + calculate "
                     f"{q['calculate']:.2f} + write {q['write']:.2f}; gpuecon is **{ratio:.1f}x** faster (target >= 5x); "
                     f"its write drops the formulas |")
    if lo:
        lines.append(f"| {opts.rows:,} scenario rows | LibreOffice headless | {lo['seconds']:.2f} ({lo['median']:.2f}) | "
                     f"UDF column and its dependants become #NAME? |")
    lines.append(f"| start-up | `python -c \"import gpuecon\"`, whole process | {imp['seconds']:.2f} "
                 f"({imp['median']:.2f}) | goal: well under 1 s |")
    lines.append(f"| start-up | `gpuecon --help`, whole process | {helps['seconds']:.2f} ({helps['median']:.2f}) | "
                 f"goal: well under 1 s |")
    lines.append("")
    emit(lines, opts.record)


def _version(pkg: str) -> str:
    from importlib.metadata import version

    try:
        return version(pkg)
    except Exception:  # noqa: BLE001
        return "?"


if __name__ == "__main__":
    main()
