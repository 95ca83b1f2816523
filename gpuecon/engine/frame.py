"""Scenario tables: a DataFrame of scenarios in, a DataFrame of results out.

One column per parameter (engine field names or their aliases), plus optional ``system``,
``rent_usd_per_gpu_hour``, ``usd_per_pflop_hour``, ``basis``, ``tokens_per_sec_per_gpu`` and
``price_usd_per_mtok``. Blank cells take the default. A bad value fails only its own row: the row's
results are blank and ``error`` says which field, the value and what is allowed; every other row is
computed. Columns that appear only with their inputs: the debt results (any debt field), the token
results (a ``tokens_per_sec_per_gpu`` column; margins with ``price_usd_per_mtok``) and the break-even
utilization (a rent column).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .assumptions import (
    ALIASES,
    FIELDS,
    REQUIRED_FOR_CUSTOM,
    Assumptions,
    closest_fields,
    defaults,
    normalize_name,
)
from .catalog import get_system
from .errors import GpueconError
from .model import (
    BASES,
    FLOPS_BASES,
    REFERENCE_USD_PER_PFLOP_HOUR,
    capex_breakdown_usd_per_gpu,
    floor_rent,
    floor_rent_detail,
    headroom_frac,
    normalize_basis,
    project_irr_detail,
    project_npv,
    tco_breakdown,
)
from .numbers import explicit, parse_cells
from .rows import PLACEHOLDER_SYSTEM, engine_values, resolve_rows

EXTRA_COLUMNS = ("system", "rent_usd_per_gpu_hour", "usd_per_pflop_hour", "basis", "tokens_per_sec_per_gpu",
                 "price_usd_per_mtok")
RESULT_COLUMNS = (
    "capex_usd_per_gpu", "socamm_price_usd_per_gpu", "tco_usd_per_gpu_hour", "tco_capital_usd_per_gpu_hour",
    "tco_power_usd_per_gpu_hour", "tco_colocation_usd_per_gpu_hour", "tco_maintenance_usd_per_gpu_hour",
    "tco_other_usd_per_gpu_hour", "floor_rent_usd_per_gpu_hour", "ceiling_rent_usd_per_gpu_hour",
    "irr_at_rent_annual", "npv_at_hurdle_usd_per_gpu", "rent_usd_per_pflop_hour", "tco_usd_per_pflop_hour",
    "headroom_frac", "note", "error",
)
_COL_ALIASES = {**ALIASES, "rent": "rent_usd_per_gpu_hour", "price_per_pflop": "usd_per_pflop_hour",
                "tps": "tokens_per_sec_per_gpu", "price_per_mtok": "price_usd_per_mtok"}
#: written when a scenario table gives any debt field (debt_ltv_frac, debt_rate_annual, ...)
DEBT_RESULT_COLUMNS = ("equity_irr_annual", "min_dscr")
DEBT_FIELDS = ("debt_ltv_frac", "debt_rate_annual", "debt_tenor_years", "debt_min_dscr")
#: written when a scenario table has a tokens_per_sec_per_gpu column (the margins with price_usd_per_mtok too)
TOKEN_RESULT_COLUMNS = ("token_cost_at_tco_usd_per_mtok", "token_cost_at_rent_usd_per_mtok")
TOKEN_MARGIN_COLUMNS = ("token_margin_at_tco_frac", "token_margin_at_rent_frac")
#: written when a scenario table has a rent column
BREAKEVEN_COLUMNS = ("breakeven_utilization_frac",)
OUTPUT_COLUMNS = frozenset(RESULT_COLUMNS + DEBT_RESULT_COLUMNS + TOKEN_RESULT_COLUMNS + TOKEN_MARGIN_COLUMNS
                           + BREAKEVEN_COLUMNS)
LABEL_COLUMNS = frozenset({"scenario", "label", "id", "notes", "comment"})  # copied through, never read


@dataclass(frozen=True)
class Columns:
    """How a scenario table's columns are read: inputs by meaning, old outputs, extra columns."""

    inputs: dict[str, object]  # meaning (field or extra name) -> column label
    outputs: tuple[object, ...]  # columns named like a result: replaced by the new results
    extra: tuple[object, ...]  # passed through unchanged (allowed explicitly)


def scenario_columns(columns, *, pass_through=(), allow_extra: bool = False) -> Columns:
    """Recognise each column (field names and aliases, any case), or refuse with the closest names.

    Two columns meaning the same input are an error; a column named like an output (a results
    file fed back in) is recognised and its values replaced; label columns (``LABEL_COLUMNS``:
    scenario, label, id, notes, comment) are copied through; any other column is refused unless
    it is in ``pass_through`` or ``allow_extra`` is set, and then copied through unchanged.
    """
    keep = {normalize_name(c) for c in pass_through}
    inputs: dict[str, object] = {}
    outputs, extra = [], []
    for col in columns:
        key = normalize_name(col)
        key = _COL_ALIASES.get(key, key)
        if key in FIELDS or key in EXTRA_COLUMNS:
            if key in inputs:
                raise GpueconError("columns", col, "one column per input",
                                   f"columns {str(inputs[key])!r} and {str(col)!r} both mean {key}; keep one")
            inputs[key] = col
        elif key in OUTPUT_COLUMNS:
            outputs.append(col)
        elif allow_extra or key in keep or key in LABEL_COLUMNS:
            extra.append(col)
        else:
            near = closest_fields(col, extra=tuple(EXTRA_COLUMNS) + ("rent",))
            hint = f"did you mean {', '.join(near)}? " if near else ""
            raise GpueconError("columns", col, "a known input column",
                               f"unknown column {str(col)!r}: {hint}(to copy it through unchanged, pass it with "
                               "--pass-through or allow extra columns with --allow-extra-columns)")
    return Columns(inputs, tuple(outputs), tuple(extra))


def evaluate(scenarios: pd.DataFrame, *, default_system: str | None = None, pass_through=(),
             allow_extra: bool = False) -> pd.DataFrame:
    """Results for every scenario row (see module docstring); columns ``RESULT_COLUMNS`` appended.

    Columns are read by :func:`scenario_columns` (unknown ones refused unless passed through);
    columns named like a result are replaced by this run's results.
    """
    cols = scenario_columns(scenarios.columns, pass_through=pass_through, allow_extra=allow_extra)
    scenarios = scenarios.drop(columns=list(cols.outputs)) if cols.outputs else scenarios
    df = scenarios.reset_index(drop=True)
    n = len(df)
    by_key = cols.inputs
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
            table[name] = defaults(PLACEHOLDER_SYSTEM)  # a failed row's placeholder; never reported
            rent_default[name] = np.nan
    is_custom = (names == "").to_numpy()

    given: dict[str, np.ndarray] = {}
    typed: dict[str, np.ndarray] = {}
    for field in FIELDS:
        if field in by_key:
            raw = df[by_key[field]]
            num, typed[field], text_bad = parse_cells(raw)
            fail(text_bad, lambda i, raw=raw, f=field: f"{f} must be a number (e.g. 0.15 or 15%), got {_cell(raw.iloc[i])}")
            given[field] = num
            if field in REQUIRED_FOR_CUSTOM:
                fail(is_custom & np.isnan(num), f"{field} is required for a system not in the catalog")
        elif field in REQUIRED_FOR_CUSTOM:
            fail(is_custom, f"{field} is required for a system not in the catalog")
    rows = resolve_rows(codes, [table[u] for u in uniques], given, typed)
    for field, bad in rows.bad.items():
        fail(bad, lambda i, b=rows.values[field], sp=FIELDS[field]: sp.message(b[i]))
    values = engine_values(rows, errors == "")
    capex = capex_breakdown_usd_per_gpu(None, **values) if n else {"total": np.zeros(0), "socamm": np.zeros(0)}
    a = Assumptions(None, **values)

    price = _numeric_column(df, by_key.get("usd_per_pflop_hour"), REFERENCE_USD_PER_PFLOP_HOUR, "usd_per_pflop_hour", fail)
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
    perf = perf * values["effective_perf_frac"]  # delivered share (model.performance: marketed x this)
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
    floor_detail = floor_rent_detail(a)
    note = np.where(np.isnan(rent), "no rent given and no public market rent", irr.reason)
    for extra in (np.broadcast_to(floor_detail.reason, (n,)), np.broadcast_to(floor_detail.note, (n,))):
        note = np.where(extra == "", note, np.where(note == "", extra, note + "; " + extra))
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
    if any(f in by_key for f in DEBT_FIELDS):  # the debt columns are inputs: equity returns too
        from .financing import equity_irr_detail, min_dscr

        eq = equity_irr_detail(a, safe_rent)
        results["equity_irr_annual"] = np.where(np.isnan(rent), np.nan, eq.annual)
        results["min_dscr"] = np.where(np.isnan(rent), np.nan, min_dscr(a, safe_rent))
        eq_note = np.where(np.isnan(rent), "", np.broadcast_to(eq.reason, (n,)))
        note = np.where(eq_note == "", note, np.where(note == "", eq_note, note + "; " + eq_note))
    extra_results, extra_note = _token_and_decision_results(df, by_key, a, rent, fail)
    results.update(extra_results)
    note = _join_notes(note, extra_note)
    ok = errors == ""  # the token inputs may have failed rows too
    for key, arr in results.items():
        out[key] = np.where(ok, np.broadcast_to(arr, (n,)), np.nan)
    out["note"] = np.where(ok, note, "")
    out["error"] = errors
    return pd.concat([scenarios, out], axis=1)


def _join_notes(note: np.ndarray, extra: np.ndarray) -> np.ndarray:
    return np.where(extra == "", note, np.where(note == "", extra, note + "; " + extra))


def _token_and_decision_results(df, by_key, a: Assumptions, rent: np.ndarray, fail) -> tuple[dict, np.ndarray]:
    """Token cost and margin per MTok (TCO and rent views) and break-even utilization, where their inputs are given.

    ``token_cost_at_tco`` = :func:`gpuecon.engine.tokens.token_cost_usd_per_mtok` at the TCO (the owner),
    ``token_cost_at_rent`` at the row's rent (the renter; blank where there is no rent); margins
    ``1 - cost / price``; ``breakeven_utilization_frac`` =
    :func:`gpuecon.engine.decisions.breakeven_utilization_detail` at the rent (its reason in the note).
    A blank throughput or price leaves its columns blank with a note; a bad one fails the row.
    """
    from .decisions import breakeven_utilization_detail
    from .tokens import token_cost_usd_per_mtok

    n = len(df)
    results: dict[str, np.ndarray] = {}
    note = np.full(n, "", dtype=object)
    has_rent = ~np.isnan(rent)
    safe_rent = np.where(has_rent, rent, 0.0)
    if "tokens_per_sec_per_gpu" in by_key:
        tps = _positive_column(df, by_key["tokens_per_sec_per_gpu"], "tokens_per_sec_per_gpu", fail)
        has_tps = ~np.isnan(tps)
        safe_tps = np.where(has_tps, tps, 1.0)
        at_tco = np.where(has_tps, token_cost_usd_per_mtok(a, safe_tps), np.nan)
        at_rent = np.where(has_tps & has_rent, token_cost_usd_per_mtok(a, safe_tps, safe_rent), np.nan)
        results.update(token_cost_at_tco_usd_per_mtok=at_tco, token_cost_at_rent_usd_per_mtok=at_rent)
        note = np.where(has_tps, note, "no tokens_per_sec_per_gpu: no token cost")
        if "price_usd_per_mtok" in by_key:
            price = _positive_column(df, by_key["price_usd_per_mtok"], "price_usd_per_mtok", fail)
            results["token_margin_at_tco_frac"] = 1.0 - at_tco / price
            results["token_margin_at_rent_frac"] = 1.0 - at_rent / price
            note = _join_notes(note, np.where(np.isnan(price) & has_tps, "no price_usd_per_mtok: no token margin", ""))
    if "rent_usd_per_gpu_hour" in by_key:
        be = breakeven_utilization_detail(a, safe_rent)
        results["breakeven_utilization_frac"] = np.where(has_rent, be.frac, np.nan)
        why = np.where(has_rent & (np.broadcast_to(be.reason, (n,)) != ""),
                       "break-even utilization: " + np.broadcast_to(be.reason, (n,)).astype(str), "")
        note = _join_notes(note, why.astype(object))
    return results, note


def _positive_column(df, col, field, fail) -> np.ndarray:
    """A column of numbers > 0 (blank: NaN, no error); text, 0 or negative fails the row, naming the field."""
    raw = df[col]
    num, _, text_bad = parse_cells(raw)
    fail(text_bad, lambda i: f"{field} must be a number > 0, got {_cell(raw.iloc[i])}")
    bad = ~np.isnan(num) & ~((num > 0) & np.isfinite(num))
    fail(bad, lambda i: f"{field} must be a number > 0, got {num[i]:g}")
    return np.where(bad, np.nan, num)


def _cell(v: object) -> str:
    return repr(v) if isinstance(v, str) else str(v)


def _numeric_column(df, col, default, field, fail) -> np.ndarray:
    n = len(df)
    if col is None:
        return np.full(n, default, dtype=float)
    raw = df[col]
    num, _, text_bad = parse_cells(raw)
    fail(text_bad, lambda i: f"{field} must be a number (e.g. 0.15 or 15%), got {_cell(raw.iloc[i])}")
    neg = num < 0
    fail(neg, lambda i: f"{field} must be a number >= 0, got {num[i]:g}")
    return np.where(np.isnan(num) | neg, default, num)


__all__ = ["evaluate", "scenario_columns", "Columns", "RESULT_COLUMNS", "OUTPUT_COLUMNS", "TOKEN_RESULT_COLUMNS",
           "TOKEN_MARGIN_COLUMNS", "BREAKEVEN_COLUMNS", "headroom_frac"]
