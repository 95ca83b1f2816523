"""Engine benchmark: vectorized IRR and floor rent against numpy-financial and pyxirr, one process.

    python bench/bench_engine.py [--n 1000000] [--peer-n 20000]

Same cash flows for every method: VR NVL72 projects (61 monthly flows) at random rents,
prepays and SOCAMM prices. The general IRR also runs on *uneven* rows (each month's flow
scaled by a random 0.7-1.3), the case issue 14 measures, against a pyxirr loop on the same rows.
Peers run per scenario in a Python loop (their API is scalar), on the first ``--peer-n``
scenarios; per-scenario times are compared. Prints a markdown table.
"""

from __future__ import annotations

import platform
import sys
import time

import numpy as np
import numpy_financial as npf
import pyxirr

import gpuecon as ge

sys.path.insert(0, str(__import__('pathlib').Path(__file__).resolve().parent))
from _report import parser  # noqa: E402  (sibling module; bench scripts run as files)


def best(fn, repeat=3):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def main() -> None:
    ap = parser(__doc__, n=1_000_000, peer_n=20_000)
    args = ap.parse_args()
    n = args.n
    rng = np.random.default_rng(42)
    rent = rng.uniform(3.0, 10.0, n)
    prepay = rng.uniform(0.0, 0.2, n)
    usd_gb = rng.uniform(8.0, 14.0, n)
    a = ge.Assumptions("VR NVL72", prepay_frac_contract=prepay, socamm_usd_per_gb=usd_gb)
    cf = ge.cash_flows(a, rent)  # (n, 61)
    assert cf.shape == (n, 61)

    rows = []
    t_proj, irr_proj = best(lambda: ge.project_irr(a, rent))
    rows.append(("gpuecon.project_irr (closed-form NPV, vectorized)", n, t_proj))
    t_gen, res = best(lambda: ge.irr(cf), repeat=1)
    irr_gen = (1 + res.rate) ** 12 - 1
    rows.append(("gpuecon.irr (general, 61-flow matrix, vectorized)", n, t_gen))
    k = min(args.peer_n, n)
    t_pyx, pyx = best(lambda: np.array([pyxirr.irr(row, silent=True) for row in cf[:k]], dtype=float), repeat=1)
    rows.append(("pyxirr.irr loop", k, t_pyx))
    uneven = cf * rng.uniform(0.7, 1.3, cf.shape)
    t_unv, res_unv = best(lambda: ge.irr(uneven), repeat=3)
    rows.append(("gpuecon.irr (general, uneven 61-flow rows)", n, t_unv))
    t_pyx_u, pyx_u = best(lambda: np.array([pyxirr.irr(row, silent=True) for row in uneven[:k]], dtype=float), repeat=1)
    rows.append(("pyxirr.irr loop (uneven rows)", k, t_pyx_u))
    kn = min(k, 2_000)
    t_npf, ref = best(lambda: np.array([npf.irr(row) for row in cf[:kn]]), repeat=1)
    rows.append(("numpy_financial.irr loop", kn, t_npf))
    t_floor, _ = best(lambda: ge.floor_rent(a))
    rows.append(("gpuecon.floor_rent (closed form, vectorized)", n, t_floor))
    t_floor_core, _ = best(lambda: ge.npv_coefficients(ge.project_terms(a), ge.monthly_rate(a.hurdle_irr_annual)))
    rows.append(("  of which closed form only (no validation/capex)", n, t_floor_core))

    # agreement
    d_pyx = np.nanmax(np.abs((1 + pyx) ** 12 - 1 - irr_proj[:k]))
    d_npf = np.nanmax(np.abs((1 + ref) ** 12 - 1 - irr_proj[:kn]))
    d_gen = np.nanmax(np.abs(irr_gen - irr_proj))
    d_unv = np.nanmax(np.abs(res_unv.rate[:k] - pyx_u) / np.maximum(1.0, np.abs(pyx_u)))

    per = {name: t / m * 1e6 for name, m, t in rows}
    print(f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}, numpy {np.__version__}")
    print(f"scenarios: {n:,} (VR NVL72, 61 monthly flows)\n")
    print("| method | scenarios | total s | µs / scenario |")
    print("|---|---:|---:|---:|")
    for name, m, t in rows:
        print(f"| {name} | {m:,} | {t:.3f} | {t / m * 1e6:.3f} |")
    fast = per["gpuecon.project_irr (closed-form NPV, vectorized)"]
    print()
    print(f"project_irr vs pyxirr loop: {per['pyxirr.irr loop'] / fast:.0f}x faster; "
          f"vs numpy_financial.irr: {per['numpy_financial.irr loop'] / fast:.0f}x faster")
    print(f"general irr vs pyxirr loop: {per['pyxirr.irr loop'] / per['gpuecon.irr (general, 61-flow matrix, vectorized)']:.1f}x")
    unv = per["gpuecon.irr (general, uneven 61-flow rows)"]
    print(f"general irr on uneven rows: {unv:.3f} µs / scenario (goal <= 0.5), "
          f"{per['pyxirr.irr loop (uneven rows)'] / unv:.1f}x a pyxirr loop (goal >= 15x); "
          f"max relative difference vs pyxirr {d_unv:.1e}")
    print(f"max |annual IRR difference|: vs pyxirr {d_pyx:.1e}, vs numpy-financial {d_npf:.1e}, general vs closed form {d_gen:.1e}")


if __name__ == "__main__":
    main()
