"""Excel function (UDF) speed on the Python side, with peers in the same run.

    python bench/bench_udfs.py            # full run (~1 min), prints a markdown table
    python bench/bench_udfs.py --quick    # fewer repeats

Measured in-process, Python side only (no COM / Excel marshalling):

* scalar calls: the UDF with its memo cleared before every call ("cold": parse, validate,
  engine, format), the same UDF on a repeated formula ("warm": memo hit), the engine
  function called directly with the same arguments, and the adapter alone (the UDF cold with
  the engine calls replaced by constants: its Python-side overhead);
* fresh inputs: every Excel function of ``excel.FUNCTIONS`` with a value the memo has not seen on
  each call, beside one ``pyxirr.irr`` on 61 flows in the same run (goal: <= 2x), and the engine's
  scalar call (goal: <= 1x); the table functions apart;
* a 10,000-row column as one array call (``=FLOOR_RENT("VR NVL72", A1:A10000)``), against the
  engine's own vectorized call and a naive per-row loop of scalar UDF calls.
"""

from __future__ import annotations

import argparse
import importlib.util
import platform
import time
from pathlib import Path

import numpy as np

import gpuecon
from gpuecon.engine import model
from gpuecon.excel import functions as excel

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("gpuecon_udfs", ROOT / "addin" / "gpuecon_udfs.py")
U = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(U)
VR = "VR NVL72"


def per_call(fn, number: int, repeat: int, setup=None) -> float:
    """Best (minimum) over ``repeat`` runs of the mean time per call, seconds (timeit's advice:
    the minimum is the least disturbed by other processes)."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        if setup is None:
            for _ in range(number):
                fn()
        else:
            for _ in range(number):
                setup()
                fn()
        times.append((time.perf_counter() - t0) / number)
    return min(times)


class _StubAssumptions(dict):
    def __init__(self, system=None, /, **kw):
        super().__init__(kw)
        self.system = system

    def __getitem__(self, key):
        return 1.0


class stubbed_engine:
    """Replace the engine calls the adapters make by constants: what is left is the adapter's own
    work (reading and validating Excel values, choosing the path, formatting the result)."""

    names = ("floor_rent", "ceiling_rent", "tco_breakdown", "project_irr_detail", "socamm_cost")

    def __enter__(self):
        class _Irr:
            annual, reason = 0.1, ""

        self.saved = {n: getattr(excel._model, n) for n in self.names}
        self.saved_a = excel.Assumptions
        excel._model.floor_rent = lambda a: 1.0
        excel._model.ceiling_rent = lambda a, p, b: 1.0
        excel._model.tco_breakdown = lambda a: {"total": 1.0}
        excel._model.project_irr_detail = lambda a, r: _Irr()
        excel._model.socamm_cost = lambda g, u, m: 1.0
        excel.Assumptions = _StubAssumptions
        return self

    def __exit__(self, *exc):
        for n, f in self.saved.items():
            setattr(excel._model, n, f)
        excel.Assumptions = self.saved_a


def clear_cost(number: int, repeat: int) -> float:
    return per_call(lambda: None, number, repeat, setup=excel.cache_clear)


GB = "GB300 NVL72"  # has a public market rent (GPU_VALUE's default rent)


def fresh_cases():
    """(Excel call, the UDF at a fresh value h in [0.15, 0.25], the engine's scalar call at h or None).

    Every Excel function of the add-in (``excel.FUNCTIONS``) with one argument moved by ``h``, so the
    memo never answers; the engine column calls the public engine function with the same scalars
    (system name and all: what a Python user pays for one value)."""
    from gpuecon.engine import decisions, financing, tokens, trend, valuation

    return [
        ("GPU_TCO(\"VR NVL72\", , {pue})", lambda h: U.GPU_TCO(VR, None, [["pue_ratio", 1.0 + h]]),
         lambda h: model.tco_usd_per_gpu_hour(VR, pue_ratio=1.0 + h)),
        ("FLOOR_RENT(\"VR NVL72\", h)", lambda h: U.FLOOR_RENT(VR, h), lambda h: model.floor_rent(VR, hurdle_irr_annual=h)),
        ("CEILING_RENT(\"VR NVL72\", p)", lambda h: U.CEILING_RENT(VR, h), lambda h: model.ceiling_rent(VR, h)),
        ("SOCAMM_COST(768, usd_per_gb, 0.6)", lambda h: U.SOCAMM_COST(768.0, 50.0 * h, 0.6),
         lambda h: model.socamm_cost(768.0, 50.0 * h, 0.6)),
        ("PROJECT_IRR(\"VR NVL72\", r)", lambda h: U.PROJECT_IRR(VR, 40.0 * h), lambda h: model.project_irr(VR, 40.0 * h)),
        ("RENT_PER_PFLOP(\"VR NVL72\", r)", lambda h: U.RENT_PER_PFLOP(VR, 40.0 * h), lambda h: model.rent_per_pflop(VR, 40.0 * h)),
        ("EQUITY_IRR(\"VR NVL72\", r, 0.3)", lambda h: U.EQUITY_IRR(VR, 40.0 * h, 0.3),
         lambda h: financing.equity_irr(VR, 40.0 * h, debt_ltv_frac=0.3)),
        ("MIN_DSCR(\"VR NVL72\", r)", lambda h: U.MIN_DSCR(VR, 40.0 * h), lambda h: financing.min_dscr(VR, 40.0 * h)),
        ("MAX_LTV(\"VR NVL72\", r)", lambda h: U.MAX_LTV(VR, 40.0 * h), lambda h: financing.max_ltv(VR, 40.0 * h)),
        ("PAYBACK_MONTHS(\"VR NVL72\", r)", lambda h: U.PAYBACK_MONTHS(VR, 40.0 * h),
         lambda h: financing.payback_months(VR, 40.0 * h)),
        ("GPU_VALUE(\"GB300 NVL72\", age)", lambda h: U.GPU_VALUE(GB, 10.0 * h), lambda h: valuation.gpu_value(GB, 10.0 * h)),
        ("IMPLIED_DISCOUNT_RATE(\"GB300 NVL72\", price, 2)", lambda h: U.IMPLIED_DISCOUNT_RATE(GB, 1e5 * h, 2.0),
         lambda h: valuation.implied_discount_rate(GB, 1e5 * h, 2.0)),
        ("BOOK_VALUE(\"VR NVL72\", age)", lambda h: U.BOOK_VALUE(VR, 10.0 * h), lambda h: valuation.book_value(VR, 10.0 * h)),
        ("TOKEN_PRICE(3, output)", lambda h: U.TOKEN_PRICE(3.0, 50.0 * h), lambda h: tokens.token_price(3.0, 50.0 * h)),
        ("TOKEN_COST(\"VR NVL72\", tokens/s)", lambda h: U.TOKEN_COST(VR, 1e4 * h),
         lambda h: tokens.token_cost_usd_per_mtok(VR, 1e4 * h)),
        ("TOKEN_MARGIN(\"VR NVL72\", tokens/s, 1)", lambda h: U.TOKEN_MARGIN(VR, 1e4 * h, 1.0),
         lambda h: tokens.token_margin(VR, 1e4 * h, 1.0)),
        ("BREAKEVEN_UTILIZATION(\"VR NVL72\", r)", lambda h: U.BREAKEVEN_UTILIZATION(VR, 40.0 * h),
         lambda h: decisions.breakeven_utilization(VR, 40.0 * h)),
        ("COMPETITIVE_RENT(\"H100 SXM\", \"VR NVL72\", , r)", lambda h: U.COMPETITIVE_RENT("H100 SXM", VR, None, 40.0 * h),
         lambda h: decisions.competitive_rent("H100 SXM", VR, "FP8", 40.0 * h)),
        ("PFLOP_TREND(\"FP8\", year)", lambda h: U.PFLOP_TREND("FP8", 2000.0 + 100.0 * h),
         lambda h: trend.pflop_trend("FP8").at(2000.0 + 100.0 * h)),
    ]


#: Excel functions with no number to vary: timed with the memo cleared before each call.
NO_INPUT_CASES = [
    ("GPU_SPEC(\"H20\", \"hbm_gb\")", lambda: U.GPU_SPEC("H20", "hbm_gb")),
    ("GPU_SYSTEMS()", lambda: U.GPU_SYSTEMS()),
    ("GPUECON_VERSION()", lambda: U.GPUECON_VERSION()),
    ("THROUGHPUT(\"B300\", \"DeepSeek R1\")", lambda: U.THROUGHPUT("B300", "DeepSeek R1")),
    ("THROUGHPUT_RATIO(\"GB300 NVL72\", \"H100 SXM\", \"FP8\")", lambda: U.THROUGHPUT_RATIO("GB300 NVL72", "H100 SXM", "FP8")),
]


def table_cases():
    """The table functions (one call spills a table), at fresh inputs."""
    return [
        ("ONE_CHART(\"VR NVL72\", , {hurdle})", lambda h: U.ONE_CHART(VR, None, [["hurdle_irr", h]])),
        ("SENSITIVITY(\"VR NVL72\", \"floor\", swing)", lambda h: U.SENSITIVITY(VR, "floor", h)),
        ("DEBT_SCHEDULE(\"VR NVL72\", r)", lambda h: U.DEBT_SCHEDULE(VR, 40.0 * h)),
    ]


def fresh_inputs(n_scalar: int, rep: int) -> None:
    """Every Excel function with a value the memo has not seen on each call, beside one
    ``pyxirr.irr`` on 61 flows timed in the same run (goal: a scalar call <= 2x that; the
    engine's scalar call <= 1x)."""
    import pyxirr

    from gpuecon.excel.functions import FUNCTIONS

    flows = [-100_000.0] + [2_500.0 + 10.0 * k for k in range(60)]  # 61 flows
    peer = per_call(lambda: pyxirr.irr(flows), n_scalar * 10, rep)
    vals = iter(np.linspace(0.15, 0.25, 2_000_000).tolist())  # distinct values, far more than the memo holds
    cases = fresh_cases()
    covered = {label.split("(")[0] for label, *_ in cases + NO_INPUT_CASES + table_cases()}
    assert covered == set(FUNCTIONS), sorted(set(FUNCTIONS) ^ covered)  # every Excel function
    print(f"\nFresh inputs on every call, microseconds per call (best of {rep}); one `pyxirr.irr` on 61 flows: "
          f"{peer * 1e6:.1f} us in the same run. Goal: Excel function <= 2x pyxirr, engine scalar call <= 1x.\n")
    print("| call | Excel function | ratio to pyxirr | engine scalar call | ratio to pyxirr |")
    print("|---|---:|---:|---:|---:|")
    met = 0
    for label, udf, engine in cases:
        n = max(20, n_scalar // 5) if label.startswith(("EQUITY", "MIN_DSCR", "MAX_LTV", "PAYBACK")) else n_scalar
        for h in (0.15, 0.25):  # a number, not an error text, over the whole range timed
            assert not isinstance(udf(h), str), (label, h, udf(h))
        t_udf = per_call(lambda f=udf: f(next(vals)), n, rep)
        t_eng = per_call(lambda f=engine: f(next(vals)), n, rep)
        met += t_udf <= 2 * peer
        print(f"| `={label}` | {t_udf * 1e6:,.1f} | {t_udf / peer:,.1f}x | {t_eng * 1e6:,.1f} | {t_eng / peer:,.1f}x |")
    clr = clear_cost(n_scalar, rep)
    for label, udf in NO_INPUT_CASES:
        assert not (isinstance(udf(), str) and udf().startswith("#")), (label, udf())  # a value, not an error
        t_udf = per_call(udf, n_scalar, rep, setup=excel.cache_clear) - clr
        met += t_udf <= 2 * peer
        print(f"| `={label}` (memo cleared) | {t_udf * 1e6:,.1f} | {t_udf / peer:,.1f}x | | |")
    print(f"\n{met} of {len(cases) + len(NO_INPUT_CASES)} single-value Excel functions within 2x pyxirr.\n")
    print("Tables (one call spills a table), fresh inputs, microseconds per call:\n")
    print("| call | Excel function | ratio to pyxirr |")
    print("|---|---:|---:|")
    for label, udf in table_cases():
        assert isinstance(udf(0.2), list), label
        t_udf = per_call(lambda f=udf: f(next(vals)), max(10, n_scalar // 20), rep)
        print(f"| `={label}` | {t_udf * 1e6:,.1f} | {t_udf / peer:,.1f}x |")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ns = ap.parse_args(argv)
    n_scalar, rep = (200, 3) if ns.quick else (1000, 7)
    rows = []

    scalar_cases = [
        ("FLOOR_RENT(\"VR NVL72\")", lambda: U.FLOOR_RENT(VR), lambda: float(model.floor_rent(VR))),
        ("FLOOR_RENT(\"VR NVL72\", 0.2, 5, 0.15)", lambda: U.FLOOR_RENT(VR, 0.2, 5.0, 0.15),
         lambda: float(model.floor_rent(VR, hurdle_irr_annual=0.2, contract_term_years=5.0, prepay_frac_contract=0.15))),
        ("CEILING_RENT(\"VR NVL72\", 0.70)", lambda: U.CEILING_RENT(VR, 0.70), lambda: float(model.ceiling_rent(VR, 0.70, "FP8"))),
        ("GPU_TCO(\"VR NVL72\")", lambda: U.GPU_TCO(VR), lambda: float(model.tco_breakdown(VR)["total"])),
        ("PROJECT_IRR(\"VR NVL72\", 8)", lambda: U.PROJECT_IRR(VR, 8.0), lambda: float(model.project_irr(VR, 8.0))),
        ("SOCAMM_COST(768, 10, 0.6)", lambda: U.SOCAMM_COST(768.0, 10.0, 0.6), lambda: float(model.socamm_cost(768.0, 10.0, 0.6))),
        ("GPU_SPEC(\"H20\", \"hbm_gb\")", lambda: U.GPU_SPEC("H20", "hbm_gb"),
         lambda: float(gpuecon.get_system("H20").figures["hbm_gb"])),
    ]
    clr = clear_cost(n_scalar, rep)
    for label, udf, engine in scalar_cases:
        assert udf() == engine() or abs(udf() - engine()) < 1e-12
        cold = per_call(udf, n_scalar, rep, setup=excel.cache_clear) - clr
        warm = per_call(udf, n_scalar * 10, rep)
        direct = per_call(engine, n_scalar, rep)
        with stubbed_engine():
            adapter = per_call(udf, n_scalar, rep, setup=excel.cache_clear) - clr
        rows.append((label, cold * 1e6, warm * 1e6, direct * 1e6, adapter * 1e6))

    print(f"gpuecon {gpuecon.__version__}, numpy {np.__version__}, Python {platform.python_version()}, "
          f"{platform.machine()} ({platform.system()})\n")
    print("Scalar calls, microseconds per call (best of repeats):\n")
    print("| call | UDF cold (memo cleared) | UDF warm (repeated formula) | engine direct | adapter alone (engine stubbed) |")
    print("|---|---:|---:|---:|---:|")
    for label, cold, warm, direct, over in rows:
        print(f"| `={label}` | {cold:,.1f} | {warm:,.2f} | {direct:,.1f} | {over:,.1f} |")

    fresh_inputs(n_scalar, rep)

    # --- a 10,000-row column as one formula --------------------------------------------------------
    n = 10_000
    hurdles = np.linspace(0.05, 0.30, n)
    column = [[float(h)] for h in hurdles]  # what xlwings passes for A1:A10000 with ndim=2
    rents = [[float(r)] for r in np.linspace(3.0, 12.0, n)]
    rep_a = 3 if ns.quick else 7
    out = U.FLOOR_RENT(VR, column)
    assert np.allclose([r[0] for r in out], model.floor_rent(VR, hurdle_irr_annual=hurdles), rtol=1e-12)
    arr = [
        ("`=FLOOR_RENT(\"VR NVL72\", A1:A10000)` one array call", per_call(lambda: U.FLOOR_RENT(VR, column), 1, rep_a)),
        ("engine `floor_rent(VR, hurdle_irr_annual=array)`", per_call(lambda: model.floor_rent(VR, hurdle_irr_annual=hurdles), 1, rep_a)),
        ("`=PROJECT_IRR(\"VR NVL72\", A1:A10000)` one array call", per_call(lambda: U.PROJECT_IRR(VR, rents), 1, rep_a)),
        ("engine `project_irr(VR, array)`", per_call(lambda: model.project_irr(VR, np.array([r[0] for r in rents])), 1, rep_a)),
    ]
    naive_n = 1000 if ns.quick else n

    def naive():
        excel.cache_clear()
        return [[U.FLOOR_RENT(VR, h[0])] for h in column[:naive_n]]

    t = per_call(naive, 1, 1) * (n / naive_n)
    arr.append((f"naive loop: 10,000 scalar `FLOOR_RENT` calls{' (1,000 timed, x10)' if naive_n < n else ''}", t))
    print("\n10,000-row column, milliseconds per call (best of repeats):\n")
    print("| call | ms |")
    print("|---|---:|")
    for label, sec in arr:
        print(f"| {label} | {sec * 1e3:,.1f} |")


if __name__ == "__main__":
    main()
