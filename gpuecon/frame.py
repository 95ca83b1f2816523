"""Scenario tables: a DataFrame of scenarios in, a DataFrame of results out.

One column per parameter (engine field names or their aliases), plus optional ``system``,
``rent_usd_per_gpu_hour``, ``usd_per_pflop_hour`` and ``basis``. Blank cells take the
default. A bad value fails only its own row: the row's results are blank and ``error``
says which field, the value and what is allowed; every other row is computed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .assumptions import ALIASES, FIELDS, REQUIRED_FOR_CUSTOM, Assumptions, defaults
from .catalog import get_system
from .errors import GpueconError
from .model import (
    BASES,
    FLOPS_BASES,
    capex_breakdown_usd_per_gpu,
    floor_rent,
    headroom_frac,
    normalize_basis,
    project_irr_detail,
    project_npv,
    tco_breakdown,
)
from .numbers import explicit

EXTRA_COLUMNS = ("system", "rent_usd_per_gpu_hour", "usd_per_pflop_hour", "basis")
RESULT_COLUMNS = (
    "capex_usd_per_gpu", "socamm_price_usd_per_gpu", "tco_usd_per_gpu_hour", "tco_capital_usd_per_gpu_hour",
    "tco_power_usd_per_gpu_hour", "tco_colocation_usd_per_gpu_hour", "tco_maintenance_usd_per_gpu_hour",
    "tco_other_usd_per_gpu_hour", "floor_rent_usd_per_gpu_hour", "ceiling_rent_usd_per_gpu_hour",
    "irr_at_rent_annual", "npv_at_hurdle_usd_per_gpu", "rent_usd_per_pflop_hour", "tco_usd_per_pflop_hour",
    "headroom_frac", "note", "error",
)
_COL_ALIASES = {**ALIASES, "rent": "rent_usd_per_gpu_hour", "price_per_pflop": "usd_per_pflop_hour"}


def _canonical_columns(df: pd.DataFrame) -> dict[str, str]:
    out = {}
    for col in df.columns:
        key = str(col).strip().lower().replace(" ", "_").replace("-", "_")
        key = _COL_ALIASES.get(key, key)
        if key in FIELDS or key in EXTRA_COLUMNS:
            out[col] = key
    return out


def evaluate(scenarios: pd.DataFrame, *, default_system: str | None = None) -> pd.DataFrame:
    """Results for every scenario row (see module docstring); columns ``RESULT_COLUMNS`` appended."""
    df = scenarios.reset_index(drop=True)
    n = len(df)
    cols = _canonical_columns(df)
    by_key = {v: k for k, v in cols.items()}
    errors = np.full(n, "", dtype=object)

    def fail(mask: np.ndarray, message) -> None:
        """Record ``message`` (a string, or a function of the row index) on rows without an error yet."""
        new = np.flatnonzero(mask & (errors == ""))
        for i in new if callable(message) else ():
            errors[i] = message(i)
        if not callable(message) and new.size:
            errors[new] = message

    # system -> per-row defaults (one lookup per distinct system, not per row)
    if "system" in by_key:
        raw_names = df[by_key["system"]]
        names = raw_names.fillna("").astype(str).str.strip()
    else:
        names = pd.Series([default_system or ""] * n, dtype=object)
    codes, uniques = pd.factorize(names, use_na_sentinel=False)
    table: dict[object, dict[str, float]] = {}
    rent_default: dict[object, float] = {}
    for name in uniques:
        try:
            sysobj = get_system(name) if name != "" else None
            table[name] = defaults(sysobj)
            rent_default[name] = sysobj.figures["market_rent_usd_per_gpu_hour"] if sysobj else np.nan
        except GpueconError as err:
            fail(codes == list(uniques).index(name), str(err))
            table[name] = defaults("VR NVL72")  # placeholder for a failed row; never reported
            rent_default[name] = np.nan
    is_custom = (names == "").to_numpy()

    values: dict[str, np.ndarray] = {}
    for field, spec in FIELDS.items():
        base = np.array([table[u][field] for u in uniques], dtype=float)[codes]
        if field in by_key:
            raw = df[by_key[field]]
            num = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
            text_bad = np.isnan(num) & raw.notna().to_numpy() & (raw.astype(str).str.strip() != "").to_numpy()
            fail(text_bad, lambda i, raw=raw, f=field: f"{f} must be a number, got {raw.iloc[i]!r}")
            given = ~np.isnan(num)
            if field in REQUIRED_FOR_CUSTOM:
                fail(is_custom & ~given, f"{field} is required for a system not in the catalog")
            base = np.where(given, num, base)
        elif field in REQUIRED_FOR_CUSTOM:
            fail(is_custom, f"{field} is required for a system not in the catalog")
        bad = spec.bad_mask(base)
        if bad.any():
            fail(bad, lambda i, b=base, sp=spec: f"{sp.name} must be {sp.allowed}, got {b[i]:g}")
        values[field] = base

    ok = errors == ""
    safe = defaults("VR NVL72")
    for field, arr in values.items():
        values[field] = np.where(ok, arr, safe[field])
    capex = capex_breakdown_usd_per_gpu(None, **values) if n else {"total": np.zeros(0), "socamm": np.zeros(0)}
    a = Assumptions(None, **values)

    price = _numeric_column(df, by_key.get("usd_per_pflop_hour"), 0.70, "usd_per_pflop_hour", fail)
    basis_raw = df[by_key["basis"]].fillna("FP8").astype(str) if "basis" in by_key else pd.Series(["FP8"] * n)
    bcodes, buniques = pd.factorize(basis_raw)
    basis = np.empty(n, dtype=object)
    for k, b in enumerate(buniques):
        rows = bcodes == k
        try:
            basis[rows] = normalize_basis(b)
        except GpueconError as err:
            basis[rows] = "FP8"
            fail(rows, str(err))
    perf = np.full(n, np.nan)
    for key, field in BASES.items():
        rows = basis == key
        perf[rows] = values[field][rows] / (1000.0 if key in FLOPS_BASES else 1.0)
    no_perf = ~(perf > 0)  # ceiling and $/PFLOP blank with a note; the rest still computes
    perf = np.where(no_perf, np.nan, perf)

    rents_default = np.array([rent_default[u] for u in uniques], dtype=float)[codes]
    rent = _numeric_column(df, by_key.get("rent_usd_per_gpu_hour"), np.nan, "rent_usd_per_gpu_hour", fail)
    rent = np.where(np.isnan(rent), rents_default, rent)

    ok = errors == ""
    out = pd.DataFrame(index=scenarios.index)
    tco = tco_breakdown(a)
    floor = floor_rent(a)
    ceiling = price * perf
    safe_rent = np.where(np.isnan(rent), 0.0, rent)
    irr = project_irr_detail(a, safe_rent)
    irr_annual = np.where(np.isnan(rent), np.nan, irr.annual)
    note = np.where(np.isnan(rent), "no rent given and no public market rent", irr.reason)
    perf_note = np.array([f"no marketed {b} figure ({BASES[b]})" for b in basis], dtype=object)
    note = np.where(no_perf, np.where(note == "", perf_note, note + "; " + perf_note), note)
    results = {
        "capex_usd_per_gpu": capex["total"],
        "socamm_price_usd_per_gpu": capex["socamm"],
        "tco_usd_per_gpu_hour": tco["total"],
        "tco_capital_usd_per_gpu_hour": tco["capital"],
        "tco_power_usd_per_gpu_hour": tco["power"],
        "tco_colocation_usd_per_gpu_hour": tco["colocation"],
        "tco_maintenance_usd_per_gpu_hour": tco["maintenance"],
        "tco_other_usd_per_gpu_hour": tco["other"],
        "floor_rent_usd_per_gpu_hour": floor,
        "ceiling_rent_usd_per_gpu_hour": ceiling,
        "irr_at_rent_annual": irr_annual,
        "npv_at_hurdle_usd_per_gpu": np.where(np.isnan(rent), np.nan, project_npv(a, safe_rent)),
        "rent_usd_per_pflop_hour": rent / perf,
        "tco_usd_per_pflop_hour": tco["total"] / perf,
        "headroom_frac": (ceiling - floor) / (floor_rent(a.replace(system_price_uplift_frac=explicit((1 + a.system_price_uplift_frac) * 2 - 1))) - floor),
    }
    for key, arr in results.items():
        out[key] = np.where(ok, np.broadcast_to(arr, (n,)), np.nan)
    out["note"] = np.where(ok, note, "")
    out["error"] = errors
    return pd.concat([scenarios, out], axis=1)


def _numeric_column(df, col, default, field, fail) -> np.ndarray:
    n = len(df)
    if col is None:
        return np.full(n, default, dtype=float)
    raw = df[col]
    num = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    text_bad = np.isnan(num) & raw.notna().to_numpy() & (raw.astype(str).str.strip() != "").to_numpy()
    fail(text_bad, lambda i: f"{field} must be a number, got {raw.iloc[i]!r}")
    neg = num < 0
    fail(neg, lambda i: f"{field} must be a number >= 0, got {num[i]:g}")
    return np.where(np.isnan(num) | neg, default, num)


__all__ = ["evaluate", "RESULT_COLUMNS", "headroom_frac"]
