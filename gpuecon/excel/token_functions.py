"""The Excel functions of tokens, decisions and the $/PFLOP trend (issue 13): TOKEN_PRICE, TOKEN_COST,
TOKEN_MARGIN, BREAKEVEN_UTILIZATION, SENSITIVITY, COMPETITIVE_RENT, PFLOP_TREND (docs/model.md,
"Tokens and decisions").

Same shape rules as the other functions: every argument but ``assumptions`` (and SENSITIVITY's, which
spills one table) may be a range, broadcast like Excel; all rows go through one vectorized engine call
(per distinct basis at most); a bad value fails only its own cell with ``#VALUE! <reason>``, a figure
that is not public is ``#N/A <reason>``, no result is ``#NUM! <reason>``.

Choices:

* ``TOKEN_COST`` and ``TOKEN_MARGIN``: a blank rent is the TCO per GPU-hour (the owner's view), per cell,
  so a rent column with blanks mixes the two views row by row.
* ``SENSITIVITY`` spills the header ``input, low, high, output_at_low, output_at_high, swing`` and one
  row per input. ``low`` and ``high`` are the values actually used (a move past a field's range is
  clipped, a whole-month field rounded: the engine's ``note``), and an output with no value (an IRR
  with no IRR) is ``#NUM! <note>``.
* ``COMPETITIVE_RENT``: the ``assumptions`` range applies to the new system (its floor, the default
  new rent); the old system gives only its catalog performance, so it must be a catalog name.
* ``THROUGHPUT`` and ``THROUGHPUT_RATIO`` look published figures up (``data/throughput.csv``,
  ``data/throughput_ratios.csv``); where none is public the cell is ``#N/A <reason>`` (the reason says
  what is published instead). Of several software configurations THROUGHPUT gives the best published
  figure unless ``configuration`` names one.
* ``PFLOP_TREND`` returns a value, not a table: the fitted USD per PFLOP-hour at ``year`` (default the
  newest catalog launch year), so a column of years gives the trend line and
  ``=1-PFLOP_TREND(b, y+1)/PFLOP_TREND(b, y)`` the annual decline (about 15.7% at FP8).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import numpy as np

from ..engine import decisions, model, throughput, tokens, trend
from ..engine.assumptions import FIELDS, Assumptions, defaults
from ..engine.errors import GpueconError
from .arrays import (
    Batch,
    cell_number,
    fail_missing_figure,
    isolate,
    number_cells,
    row_fields,
    rows_call,
    sub,
    sys_name,
    text_cells,
)
from .errors import ERR_NA, ERR_NUM, CellError, cell_error, guarded
from .reading import (
    is_custom_name,
    is_scalar,
    read_assumptions,
    read_basis,
    read_system,
    scalar_number,
    show,
    single_value,
)

OUT_OF_RANGE = "the result is out of floating-point range"


def _finite(x) -> tuple[np.ndarray, np.ndarray]:
    """(result with +/-inf as NaN, the reason per row): extreme inputs never show as an infinite number."""
    if type(x) in (float, np.float64):  # one cell: a number and its reason
        return (math.nan, OUT_OF_RANGE) if x in (math.inf, -math.inf) else (x, "")
    x = np.asarray(x, dtype=float)
    bad = np.isinf(x)
    return np.where(bad, np.nan, x), np.where(bad, OUT_OF_RANGE, "").astype(object)


def _num_text(reasons: np.ndarray) -> np.ndarray:
    return np.array([cell_error(r, ERR_NUM) if r else "" for r in reasons], dtype=object)


def _rent_or_tco(a: Assumptions, rent: np.ndarray) -> np.ndarray | None:
    """The per-row cost per GPU-hour: the rent where given, the TCO where blank (None: TCO in every row)."""
    if type(rent) in (float, np.float64):  # one cell
        return None if rent != rent else rent
    blank = np.isnan(rent)
    if blank.all():
        return None
    if blank.any():
        return np.where(blank, model.tco_usd_per_gpu_hour(a), rent)
    return rent


#: TOKEN_PRICE's arguments: name -> (must be >= 0, value when blank; NaN = none)
_PRICE_ARGS = {"input_usd_per_mtok": (True, np.nan), "output_usd_per_mtok": (True, np.nan),
               "cached_input_usd_per_mtok": (True, np.nan), "input_output_ratio": (True, 1.0), "cache_hit_frac": (False, 0.0)}


@guarded
def token_price(input_usd_per_mtok, output_usd_per_mtok, cached_input_usd_per_mtok=None, input_output_ratio=None,
                cache_hit_frac=None):
    """Blended USD per million tokens over input and output: (ratio x (hit x cached + (1-hit) x input) + output) / (ratio + 1)."""
    raw = dict(zip(_PRICE_ARGS, (input_usd_per_mtok, output_usd_per_mtok, cached_input_usd_per_mtok, input_output_ratio,
                                 cache_hit_frac), strict=True))
    if all(is_scalar(x) for x in raw.values()):  # one cell: the same reading and texts, the engine on scalars
        one = {}
        for k, (nonneg, default) in _PRICE_ARGS.items():
            x = cell_number(k, single_value(raw[k]), None, nonneg)
            one[k] = np.float64(default if x != x else x)
        for name in ("input_usd_per_mtok", "output_usd_per_mtok"):
            if one[name] != one[name]:
                raise GpueconError(name, None, "given", f"{name} is required (USD per million tokens)")
        cached = one["cached_input_usd_per_mtok"]
        value = float(tokens.token_price(one["input_usd_per_mtok"], one["output_usd_per_mtok"],
                                         one["input_usd_per_mtok"] if cached != cached else cached,
                                         one["input_output_ratio"], one["cache_hit_frac"]))
        if not np.isfinite(value):
            raise CellError(ERR_NUM, OUT_OF_RANGE if np.isinf(value) else "no result")
        return value
    cells = {k: number_cells(k, raw[k], nonneg=nonneg, default=default) for k, (nonneg, default) in _PRICE_ARGS.items()}
    batch = Batch(cells)
    v = batch.values
    for name in ("input_usd_per_mtok", "output_usd_per_mtok"):
        batch.fail(np.isnan(v[name]), cell_error(f"{name} is required (USD per million tokens)"))
    inp = v["input_usd_per_mtok"]
    cached = np.where(np.isnan(v["cached_input_usd_per_mtok"]), inp, v["cached_input_usd_per_mtok"])
    result = isolate(batch, np.flatnonzero(batch.ok), lambda idx: tokens.token_price(
        inp[idx], v["output_usd_per_mtok"][idx], cached[idx], v["input_output_ratio"][idx], v["cache_hit_frac"][idx]))
    result, why = _finite(result)
    return batch.output(result, _num_text(why))


@guarded
def token_cost(system, tokens_per_sec_per_gpu, rent_usd_per_gpu_hour=None, assumptions=None):
    """USD per million tokens produced: cost per GPU-hour / (tokens/s x 3600 x utilization) x 10^6."""
    def compute(a, v):
        return _finite(tokens.token_cost_usd_per_mtok(a, v["tokens_per_sec_per_gpu"],
                                                      _rent_or_tco(a, v["rent_usd_per_gpu_hour"])))
    return rows_call(system, assumptions, {"tokens_per_sec_per_gpu": (tokens_per_sec_per_gpu, None, False),
                                       "rent_usd_per_gpu_hour": (rent_usd_per_gpu_hour, None, True)}, compute, ("tokens_per_sec_per_gpu",))


@guarded
def token_margin(system, tokens_per_sec_per_gpu, price_usd_per_mtok, rent_usd_per_gpu_hour=None, assumptions=None):
    """Gross margin on tokens sold at a price, 1 - cost / price (below 0 where they cost more)."""
    def compute(a, v):
        return _finite(tokens.token_margin(a, v["tokens_per_sec_per_gpu"], v["price_usd_per_mtok"],
                                           _rent_or_tco(a, v["rent_usd_per_gpu_hour"])))
    return rows_call(system, assumptions, {"tokens_per_sec_per_gpu": (tokens_per_sec_per_gpu, None, False),
                                       "price_usd_per_mtok": (price_usd_per_mtok, None, False),
                                       "rent_usd_per_gpu_hour": (rent_usd_per_gpu_hour, None, True)}, compute,
                 ("tokens_per_sec_per_gpu", "price_usd_per_mtok"))


@guarded
def breakeven_utilization(system, rent_usd_per_gpu_hour, hurdle_irr=None, assumptions=None):
    """Utilization at which a rent earns exactly the hurdle (the floor rent there equals the rent)."""
    def compute(a, v):
        d = decisions.breakeven_utilization_detail(a, v["rent_usd_per_gpu_hour"])
        return d.frac, d.reason
    return rows_call(system, assumptions, {"rent_usd_per_gpu_hour": (rent_usd_per_gpu_hour, None, True),
                                       "hurdle_irr": (hurdle_irr, "hurdle_irr_annual", False)}, compute,
                 ("rent_usd_per_gpu_hour",))


SENSITIVITY_HEADER = ["input", "low", "high", "output_at_low", "output_at_high", "swing"]


@guarded
def sensitivity(system, output=None, swing_frac=None, rent_usd_per_gpu_hour=None, assumptions=None):
    """Tornado table with a header: each numeric input moved -/+ swing_frac, the output at each, largest swing first."""
    overrides = read_assumptions(assumptions)
    if not all(is_scalar(x) for x in (system, output, swing_frac, rent_usd_per_gpu_hour)):
        raise GpueconError("system", "a range", "single values", "SENSITIVITY takes single values (one table)")
    out = single_value(output)
    if out is None or (isinstance(out, str) and not out.strip()):
        out = "floor"
    elif not isinstance(out, str):
        raise GpueconError("output", out, "text", f"output must be one of floor, tco, irr, equity_irr, got {show(out)}")
    swing = scalar_number("swing_frac", single_value(swing_frac))
    rent = scalar_number("rent_usd_per_gpu_hour", single_value(rent_usd_per_gpu_hour), nonneg=True)
    a = Assumptions(read_system(single_value(system), overrides), **overrides)
    t = decisions.sensitivity(a, out, 0.2 if swing is None else swing, rent)
    key = t.attrs["output"]
    table: list[list[object]] = [list(SENSITIVITY_HEADER)]
    for r in t.itertuples(index=False):
        row: list[object] = [str(r.input), float(r.low), float(r.high)]
        for x in (r.output_at_low, r.output_at_high, r.swing):
            why = r.note or f"no {key} to show at the low or high value"
            row.append(float(x) if np.isfinite(x) else cell_error(why, ERR_NUM))
        table.append(row)
    return table


def _named(name: str, read, v: object):
    """``read(v)``, with the argument's name in front of its reason (two systems in one call)."""
    try:
        return read(v)
    except GpueconError as err:
        raise GpueconError(name, v, err.allowed, f"{name}: {err}") from None


def _old_system(v: object):
    if is_custom_name(v):
        raise GpueconError("old_system", v, "a catalog name",
                           "old_system is required: a catalog name (its marketed performance is the catalog's)")
    return _named("old_system", lambda x: read_system(x, {}), v)


@guarded
def competitive_rent(old_system, new_system, basis=None, new_rent_usd_per_gpu_hour=None, assumptions=None):
    """Rent (USD per GPU-hour) the old system must fall to so its $/PFLOP matches the new one's at new_rent."""
    overrides = read_assumptions(assumptions)
    if all(is_scalar(x) for x in (old_system, new_system, basis, new_rent_usd_per_gpu_hour)):
        return _competitive_cell(old_system, new_system, basis, new_rent_usd_per_gpu_hour, overrides)
    new_cells = text_cells("new_system", new_system, lambda v: _named("new_system", lambda x: read_system(x, overrides), v))
    batch = Batch({"system": new_cells, "old_system": text_cells("old_system", old_system, _old_system),
                   "basis": text_cells("basis", basis, read_basis),
                   "new_rent_usd_per_gpu_hour": number_cells("new_rent_usd_per_gpu_hour", new_rent_usd_per_gpu_hour,
                                                             nonneg=True)})
    new_fields = row_fields(batch, overrides, {})
    old = batch.values["old_system"]
    names = sorted({s.name for s, ok in zip(old, batch.ok, strict=True) if ok})
    if not names:  # every row failed already
        return batch.output(np.full(batch.n, np.nan))
    codes = np.array([names.index(s.name) if ok else 0 for s, ok in zip(old, batch.ok, strict=True)], dtype=np.int64)
    tables = [_catalog_defaults(n) for n in names]
    old_fields = {f: np.array([t[f] for t in tables], dtype=float)[codes] for f in FIELDS}
    basis_v = batch.values["basis"]
    fail_missing_figure(batch, new_fields, basis_v)
    for b, field in model.BASES.items():
        batch.fail((basis_v == b) & ~(old_fields[field] > 0), lambda i, b=b, f=field: cell_error(
            f"old_system {sys_name(old[i])} has no marketed {b} figure ({f})", ERR_NA))
    rent = batch.values["new_rent_usd_per_gpu_hour"]
    result = np.full(batch.n, np.nan)
    for b in model.BASES:  # one engine call per distinct basis, not per row
        rows = np.flatnonzero(batch.ok & (basis_v == b))
        if rows.size:
            def run(idx, b=b):
                new = Assumptions(None, **sub(new_fields, idx))
                return np.broadcast_to(decisions.competitive_rent(
                    Assumptions(None, **sub(old_fields, idx)), new, b, _rent_or_floor(new, rent[idx])), idx.shape)
            result[rows] = isolate(batch, rows, run)[rows]
    result, why = _finite(result)
    nan_text = _num_text(why)
    neg = batch.ok & (result < 0)
    for i in np.flatnonzero(neg):
        nan_text[i] = cell_error(f"the new system's {model.negative_floor_reason(float(result[i]))}", ERR_NUM)
    return batch.output(np.where(neg, np.nan, result), nan_text)


def _competitive_cell(old_system, new_system, basis, new_rent, overrides: dict[str, float]) -> float:
    """:func:`competitive_rent` for one cell: the same reading, checks and texts, on scalars."""
    new_s = _named("new_system", lambda x: read_system(x, overrides), single_value(new_system))
    old_s = _old_system(single_value(old_system))
    b = read_basis(single_value(basis))
    rent = np.float64(cell_number("new_rent_usd_per_gpu_hour", single_value(new_rent), nonneg=True))
    new, old, field = Assumptions(new_s, **overrides), Assumptions(old_s), model.BASES[b]
    for a, who in ((new, sys_name(new_s)), (old, f"old_system {sys_name(old_s)}")):
        if not a[field] > 0:
            raise CellError(ERR_NA, f"{who} has no marketed {b} figure ({field})")
    value = float(decisions.competitive_rent(old, new, b, _rent_or_floor(new, rent)))
    if not np.isfinite(value):
        raise CellError(ERR_NUM, OUT_OF_RANGE if np.isinf(value) else "no result")
    if value < 0:
        raise CellError(ERR_NUM, f"the new system's {model.negative_floor_reason(value)}")
    return value


def _rent_or_floor(new: Assumptions, rent: np.ndarray) -> np.ndarray | None:
    if type(rent) in (float, np.float64):  # one cell
        return None if rent != rent else rent
    blank = np.isnan(rent)
    if blank.all():
        return None
    if blank.any():
        return np.where(blank, model.floor_rent(new), rent)
    return rent


@functools.cache
def _catalog_defaults(name: str) -> dict[str, float]:
    return defaults(name)


@functools.cache
def _trend(basis: str) -> trend.PflopTrend:
    return trend.pflop_trend(basis)


@guarded
def pflop_trend(basis=None, year=None):
    """The $/PFLOP-hour trend (log-linear in launch year over public rents) at a year; default the newest launch year."""
    if is_scalar(basis) and is_scalar(year):  # one cell: the same reading, checks and texts on scalars
        b, y = read_basis(single_value(basis)), cell_number("year", single_value(year))
        try:
            t = _trend(b)
        except GpueconError as err:
            raise CellError(ERR_NA, f"no {b} trend: {err}") from None
        value = float(t.at(t.year if y != y else y))
        if not (np.isfinite(value) and value > 0):  # exp() out of range at an extreme year
            raise CellError(ERR_NUM, f"the trend is out of floating-point range at year {y:g}")
        return value
    batch = Batch({"basis": text_cells("basis", basis, read_basis), "year": number_cells("year", year)})
    basis_v, years = batch.values["basis"], batch.values["year"]
    result = np.full(batch.n, np.nan)
    for b in model.BASES:  # one fit per distinct basis
        rows = np.flatnonzero(batch.ok & (basis_v == b))
        if not rows.size:
            continue
        try:
            t = _trend(b)
        except GpueconError as err:
            batch.fail(basis_v == b, cell_error(f"no {b} trend: {err}", ERR_NA))
            continue
        result[rows] = t.at(np.where(np.isnan(years[rows]), t.year, years[rows]))
    bad = batch.ok & ~(np.isfinite(result) & (result > 0))  # exp() out of range at an extreme year
    nan_text = np.full(batch.n, "", dtype=object)
    for i in np.flatnonzero(bad):
        nan_text[i] = cell_error(f"the trend is out of floating-point range at year {years[i]:g}", ERR_NUM)
    return batch.output(np.where(bad, np.nan, result), nan_text)


def _text(name: str, required: bool = False):
    """A reader of one text cell: blank -> "" (or an error naming the argument if required)."""
    def read(v: object) -> str:
        if v is None or (isinstance(v, str) and not v.strip()):
            if required:
                raise GpueconError(name, v, "given", f"{name} is required (text, e.g. DeepSeek R1)")
            return ""
        if not isinstance(v, str):
            raise GpueconError(name, v, "text", f"{name} must be text, got {show(v)}")
        return v.strip()
    return read


def _catalog_name(name: str):
    def read(v: object) -> str:
        if is_custom_name(v):
            raise GpueconError(name, v, "a catalog name", f"{name} is required: a catalog name")
        return _named(name, lambda x: read_system(x, {}), v).name
    return read


def _lookup(args: dict[str, tuple[object, Callable[[object], object]]], detail) -> object:
    """One engine look-up over the rows without an error; NaN rows show ``#N/A <reason>``.

    ``args``: argument name -> (raw value, reader of one cell), in the engine's order. One cell per
    argument is read and looked up as it is (the first argument's error wins, as in a range).
    """
    if all(is_scalar(raw) for raw, _ in args.values()):
        value, reason = detail(*(read(single_value(raw)) for raw, read in args.values()))
        value = float(np.asarray(value, dtype=float).reshape(-1)[0])
        if value != value:
            reason = str(np.asarray(reason, dtype=object).reshape(-1)[0])
            raise CellError(ERR_NA, reason) if reason else CellError(ERR_NUM, "no result")
        return value
    batch = Batch({k: text_cells(k, raw, read) for k, (raw, read) in args.items()})
    ok = np.flatnonzero(batch.ok)
    result = np.full(batch.n, np.nan)
    nan_text = np.full(batch.n, "", dtype=object)
    if ok.size:
        value, reason = detail(*(batch.values[k][ok] for k in args))
        result[ok] = value
        nan_text[ok] = [cell_error(r, ERR_NA) if r else "" for r in reason]
    return batch.output(result, nan_text)


@guarded
def throughput_fn(system, model, workload=None, precision=None, configuration=None):
    """Published tokens per second per GPU for a system and model; #N/A with what is published where none."""
    def detail(*args):
        d = throughput.throughput_detail(*args)
        return d.tokens_per_sec_per_gpu, d.reason
    return _lookup({"system": (system, _catalog_name("system")),
                    "model": (model, _text("model", required=True)),
                    "workload": (workload, _text("workload")),
                    "precision": (precision, _text("precision")),
                    "configuration": (configuration, _text("configuration"))}, detail)


@guarded
def throughput_ratio_fn(system, reference_system, precision=None):
    """Published throughput of system over reference_system (1 / published the other way round); #N/A where none."""
    return _lookup({"system": (system, _catalog_name("system")),
                    "reference_system": (reference_system, _catalog_name("reference_system")),
                    "precision": (precision, _text("precision"))}, throughput.throughput_ratio_detail)


#: Excel name -> implementation, merged into :data:`gpuecon.excel.functions.FUNCTIONS`.
FUNCTIONS = {
    "TOKEN_PRICE": token_price,
    "TOKEN_COST": token_cost,
    "TOKEN_MARGIN": token_margin,
    "BREAKEVEN_UTILIZATION": breakeven_utilization,
    "SENSITIVITY": sensitivity,
    "COMPETITIVE_RENT": competitive_rent,
    "PFLOP_TREND": pflop_trend,
    "THROUGHPUT": throughput_fn,
    "THROUGHPUT_RATIO": throughput_ratio_fn,
}

#: One-line descriptions, merged into :data:`gpuecon.excel.functions.FUNCTION_DOCS`.
FUNCTION_DOCS = {
    "TOKEN_PRICE": "Blended USD per million tokens over input and output: (ratio x (hit x cached + (1 - hit) x input) "
                   "+ output) / (ratio + 1).",
    "TOKEN_COST": "USD per million tokens produced: USD per GPU-hour (the rent, or the TCO when blank) / (tokens/s x "
                  "3600 x utilization) x 10^6.",
    "TOKEN_MARGIN": "Gross margin on tokens sold at a price, 1 - TOKEN_COST / price (a fraction; below 0 at a loss).",
    "BREAKEVEN_UTILIZATION": "Utilization (fraction of hours billed) at which a rent in USD per GPU-hour earns exactly "
                             "the hurdle IRR; #NUM! above 100%.",
    "SENSITIVITY": "Tornado table, spilled with a header: each numeric input moved -/+ swing_frac (default 0.2), the "
                   "output (floor, tco, irr, equity_irr) at each, largest swing first.",
    "COMPETITIVE_RENT": "USD per GPU-hour the old system must fall to so its $/PFLOP matches the new one's at new_rent "
                        "(default the new floor): new_rent / new PFLOPS x old PFLOPS.",
    "THROUGHPUT": "Published tokens per second per GPU for a system and model (seed 001: B300 on DeepSeek R1 8k/1k); "
                  "#N/A with what is published where no figure is public.",
    "THROUGHPUT_RATIO": "Published throughput of a system over a reference system (seed 001: GB300 NVL72 17x H100 at "
                        "FP8, 32x at FP4); #N/A where none is public.",
    "PFLOP_TREND": "The $/PFLOP-hour trend at a year (default the newest launch year): a log-linear fit of public rent / "
                   "marketed PFLOPS against launch year.",
}

#: Argument descriptions, merged into :data:`gpuecon.excel.functions.ARG_DOCS`.
ARG_DOCS = {
    "input_usd_per_mtok": "Price of uncached input tokens, USD per million tokens (>= 0). Ranges allowed.",
    "output_usd_per_mtok": "Price of output tokens, USD per million tokens (>= 0). Ranges allowed.",
    "cached_input_usd_per_mtok": "Optional price of cached input tokens, USD per million tokens (default: the input "
                                 "price). Ranges allowed.",
    "input_output_ratio": "Optional input tokens per output token, >= 0 (default 1; agentic work about 300). "
                          "Ranges allowed.",
    "cache_hit_frac": "Optional fraction of input tokens served from the cache, in [0, 1] (default 0). Ranges allowed.",
    "tokens_per_sec_per_gpu": "Throughput, tokens per second per GPU (> 0). Ranges allowed.",
    "price_usd_per_mtok": "Price the tokens sell for, USD per million tokens (> 0; e.g. TOKEN_PRICE). Ranges allowed.",
    "output": 'Optional output of the tornado: "floor" (default, USD/GPU-hr), "tco" (USD/GPU-hr), "irr" or '
              '"equity_irr" (annual, at rent_usd_per_gpu_hour).',
    "swing_frac": "Optional move of each input, a fraction of its value in (0, 1] (default 0.2 = -/+20%).",
    "old_system": "The installed system: a catalog name (its marketed PFLOPS). Ranges allowed.",
    "new_system": "The new generation: a catalog name, or blank/custom with the assumptions range. Ranges allowed.",
    "new_rent_usd_per_gpu_hour": "Optional rent of the new system, USD per GPU-hour (default: its floor rent). "
                                 "Ranges allowed.",
    "model": 'The model served, e.g. "DeepSeek R1" (case, spaces and punctuation ignored). Ranges allowed.',
    "workload": 'Optional input/output lengths, e.g. "8k/1k" (blank: any). Ranges allowed.',
    "precision": 'Optional precision, e.g. "FP8" or "FP4" (blank: any for THROUGHPUT; like for like for '
                 'THROUGHPUT_RATIO). Ranges allowed.',
    "configuration": 'Optional software configuration, its name or a unique beginning (e.g. "baseline"); blank: '
                     'the best published figure. Ranges allowed.',
    "reference_system": "The system the ratio is over: a catalog name. Ranges allowed.",
    "year": "Optional year for the trend (default: the newest catalog launch year, 2026). Ranges allowed.",
}
