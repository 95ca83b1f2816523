"""Financing benchmark: vectorized equity IRR of many scenarios against a pyxirr loop, one process.

    python bench/bench_financing.py [--n 1000000] [--peer-n 20000]

VR NVL72 projects (5-year term, 61 monthly flows) at random rents, prepays, LTVs, debt rates and
tenors (3-5 years), level loans, 21% tax (interest shield on). ``gpuecon.engine.financing.equity_irr``
runs once over all ``--n`` scenarios (project flows, loan schedules, equity flows and the
vectorized IRR: the whole call). pyxirr's API is scalar, so it runs in a Python loop over the
first ``--peer-n`` scenarios' equity flows (built beforehand, not timed). Per-scenario times are
compared and the two answers checked against each other. Prints a markdown table.
"""

from __future__ import annotations

import platform
import sys
import time

import numpy as np
import pyxirr

from gpuecon.engine.financing import equity_cash_flows, equity_irr

sys.path.insert(0, str(__import__('pathlib').Path(__file__).resolve().parent))
from _report import parser  # noqa: E402  (sibling module; bench scripts run as files)


def main() -> None:
    ap = parser(__doc__, n=1_000_000, peer_n=20_000)
    args = ap.parse_args()
    n = args.n
    rng = np.random.default_rng(7)
    inputs = dict(
        rent_usd_per_gpu_hour=rng.uniform(4.5, 10.0, n),
        debt_ltv_frac=rng.uniform(0.0, 0.7, n),
        debt_rate_annual=rng.uniform(0.06, 0.14, n),
        debt_tenor_years=rng.integers(3, 6, n).astype(float),
        prepay_frac_contract=rng.uniform(0.0, 0.15, n),
        tax_rate_frac=0.21,
    )

    t0 = time.perf_counter()
    vec = equity_irr("VR NVL72", **inputs)
    t_vec = time.perf_counter() - t0

    k = min(args.peer_n, n)
    sample = {key: (v[:k] if isinstance(v, np.ndarray) else v) for key, v in inputs.items()}
    flows = equity_cash_flows("VR NVL72", **sample)
    t0 = time.perf_counter()
    peer = np.array([pyxirr.irr(row, silent=True) for row in flows], dtype=float)
    t_pyx = time.perf_counter() - t0
    peer_annual = (1.0 + peer) ** 12 - 1.0

    both = np.isfinite(vec[:k]) & np.isfinite(peer_annual)
    diff = float(np.max(np.abs(vec[:k][both] - peer_annual[both]))) if both.any() else float("nan")
    per_vec = t_vec / n * 1e6
    per_pyx = t_pyx / k * 1e6
    print(f"platform: {platform.python_version()} {platform.machine()}, numpy {np.__version__}, pyxirr {pyxirr.__version__}")
    print()
    print("| method | scenarios | total s | us per scenario |")
    print("|---|---:|---:|---:|")
    print(f"| gpuecon.engine.financing.equity_irr (vectorized, whole call) | {n:,} | {t_vec:.2f} | {per_vec:.2f} |")
    print(f"| pyxirr.irr loop (equity flows prebuilt) | {k:,} | {t_pyx:.2f} | {per_pyx:.2f} |")
    print()
    print(f"pyxirr / gpuecon time per scenario: {per_pyx / per_vec:.1f}x")
    print(f"finite IRRs: gpuecon {np.isfinite(vec).mean():.2%} of {n:,}; on the sample, rows where both are finite: "
          f"{both.sum():,} of {k:,}, max |difference| {diff:.2e} (annual)")


if __name__ == "__main__":
    main()
