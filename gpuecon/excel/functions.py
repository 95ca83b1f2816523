"""Excel-shaped calls into the engine: the logic behind the Excel functions (UDFs).

This module is pure Python on the engine (no xlwings import, no file I/O), so the classic
xlwings add-in (``addin/gpuecon_udfs.py``) and the xlwings Lite edition (``addin/lite/main.py``)
are both thin decorator layers over the same functions here.

What Excel sends, and how it is read
------------------------------------
* a blank cell or an omitted optional argument arrives as ``None``: it takes the default
  (the value in the ``assumptions`` range if that names the field, else the engine default);
* whole numbers arrive as floats (``5.0``), percentages as fractions (15% -> ``0.15``);
  numeric text such as ``" 15.6% "`` or ``"5"`` is read as a number too;
* a range arrives as a nested list (rows of cells); a 1-D list is read as a column;
* names of systems, bases, items and fields are case-, space- and punctuation-insensitive.

Arrays (broadcasting)
---------------------
Every argument may be a range. The arguments are broadcast together like Excel (and numpy)
broadcast arrays: a 1x1 value goes everywhere, a column and a row make a grid, equal shapes
pair cell by cell. The result has the broadcast shape; a 1x1 result is returned as a plain
value. All rows go through *one* vectorized engine call (per distinct basis or item at
most), never a Python loop over rows. A bad value fails only its own cell.

Error policy
------------
A cell never shows a Python traceback and no function ever raises. A failure is returned as
the cell's value: text that starts with an Excel error code and then a short reason:

* ``#VALUE! <reason>``: a bad argument (which argument or field, the value, what is
  allowed), e.g. ``#VALUE! hurdle_irr must be in (-1, 10], got -2``;
* ``#N/A <reason>``: a figure that is not marketed or not public (e.g. the FP4 ceiling of an
  H100, or ``GPU_SPEC`` of a blank catalog cell);
* ``#NUM! <reason>``: no result exists (e.g. no IRR: the cash flows do not change sign),
  like Excel's own ``IRR`` returning ``#NUM!``.

Scalar and array calls give the same text for the same bad value. An error that concerns the
whole call (a bad ``assumptions`` range, ranges of incompatible shapes) is a single cell of
text; a bad value in any other argument (a single system name
included) marks every result cell it reaches. Any unexpected exception is caught and
shortened to one line, ``#VALUE! internal error (TypeName: message)``. Text is used because
xlwings' generated VBA can only pass a value or ``Err.Description`` back to the cell, not a
true Excel error value; downstream arithmetic on the text still gives ``#VALUE!`` in Excel, so
no number is silently wrong. Test a cell with ``=ISNUMBER(A1)``.
"""


from __future__ import annotations

import functools
import math
from collections.abc import Callable

import numpy as np

from .. import __version__
from ..engine import model as _model
from ..engine.assumptions import ALIASES, Assumptions
from ..engine.catalog import System, catalog_frame, get_system, system_names
from ..engine.costs import tco_items_of
from ..engine.errors import GpueconError
from . import finance_functions, token_functions
from .arrays import (
    Batch,
    array_call,
    fail_missing_figure,
    isolate,
    number_cells,
    scalars,
    sub,
    sys_name,
    text_cells,
)
from .errors import ERR_NA, ERR_NUM, ERR_VALUE, CellError, cache_clear, cell_error, guarded, is_error
from .reading import (
    BLANK,
    DEFAULT_USD_PER_PFLOP_HOUR,
    TCO_ITEMS,
    check_field,
    grid,
    is_custom_name,
    is_scalar,
    name_key,
    read_assumptions,
    read_basis,
    read_item,
    read_number,
    read_system,
    scalar_number,
    show,
    single_value,
)

# --- the functions ------------------------------------------------------------------------------
# Each public function takes Excel-shaped arguments in the UDF's order and never raises.

@guarded
def gpu_tco(system, item=None, assumptions=None):
    """TCO per GPU-hour (USD), one item or the total; ``item="breakdown"`` gives an item/value table."""
    overrides = read_assumptions(assumptions)
    if scalars(system, item):
        it = read_item(single_value(item))
        a = Assumptions(read_system(single_value(system), overrides), **overrides)
        tco = tco_items_of(a.scalar or a)  # the TCO formula on one scenario's floats
        if it == "breakdown":
            return [["item", "usd_per_gpu_hour"]] + [[k, float(tco[k])] for k in _model.TCO_ITEMS] + [["total", float(tco["total"])]]
        return float(tco[it])
    batch, fields = array_call(system, overrides, {"item": text_cells("item", item, read_item)}, {})
    items = batch.values["item"]
    batch.fail(items == "breakdown", cell_error('item "breakdown" needs a single system and item (it spills a table)'))
    ok = np.flatnonzero(batch.ok)
    result = np.full(batch.n, np.nan)
    for k in TCO_ITEMS:  # one engine call per distinct item, not per row
        rows = ok[items[ok] == k]
        if rows.size:
            vals = isolate(batch, rows, lambda idx, k=k: np.broadcast_to(
                _model.tco_breakdown(Assumptions(None, **sub(fields, idx)))[k], idx.shape))
            result[rows] = vals[rows]
    return batch.output(result)


@guarded
def floor_rent(system, hurdle_irr=None, term_years=None, prepay=None, assumptions=None):
    """Floor rent (USD per GPU-hour): the rent at which the project IRR equals the hurdle."""
    overrides = read_assumptions(assumptions)
    if scalars(system, hurdle_irr, term_years, prepay):
        args = dict(overrides)
        for name, raw, field in (("hurdle_irr", hurdle_irr, "hurdle_irr_annual"),
                                 ("term_years", term_years, "contract_term_years"),
                                 ("prepay", prepay, "prepay_frac_contract")):
            x = scalar_number(name, single_value(raw), field=field)
            if x is not None:
                args[field] = x
        value = float(_model.floor_rent(Assumptions(read_system(single_value(system), overrides), **args)))
        if value < 0:
            raise CellError(ERR_NUM, _model.negative_floor_reason(value))
        return value
    cells = {"hurdle_irr": number_cells("hurdle_irr", hurdle_irr, field="hurdle_irr_annual"),
             "term_years": number_cells("term_years", term_years, field="contract_term_years"),
             "prepay": number_cells("prepay", prepay, field="prepay_frac_contract")}
    batch, fields = array_call(system, overrides, cells, {"hurdle_irr": "hurdle_irr_annual",
                                                           "term_years": "contract_term_years",
                                                           "prepay": "prepay_frac_contract"})
    result = isolate(batch, np.flatnonzero(batch.ok),
                      lambda idx: np.broadcast_to(_model.floor_rent(Assumptions(None, **sub(fields, idx))), idx.shape))
    neg = np.flatnonzero(result < 0)
    if neg.size == 0:
        return batch.output(result)
    nan_text = np.full(batch.n, "", dtype=object)
    nan_text[neg] = [cell_error(_model.negative_floor_reason(float(result[i])), ERR_NUM) for i in neg]
    result[neg] = np.nan
    return batch.output(result, nan_text)


@guarded
def ceiling_rent(system, usd_per_pflop_hour=None, basis=None, assumptions=None):
    """Ceiling rent (USD per GPU-hour) = reference USD per PFLOP-hour x marketed dense PFLOPS."""
    overrides = read_assumptions(assumptions)
    if scalars(system, usd_per_pflop_hour, basis):
        b = read_basis(single_value(basis))
        price = scalar_number("usd_per_pflop_hour", single_value(usd_per_pflop_hour), nonneg=True)
        s = read_system(single_value(system), overrides)
        a = Assumptions(s, **overrides)
        field = _model.BASES[b]
        if not float(a[field]) > 0:
            raise CellError(ERR_NA, f"{sys_name(s)} has no marketed {b} figure ({field})")
        return float(_model.ceiling_rent(a, DEFAULT_USD_PER_PFLOP_HOUR if price is None else price, b))
    cells = {"usd_per_pflop_hour": number_cells("usd_per_pflop_hour", usd_per_pflop_hour, nonneg=True,
                                                default=DEFAULT_USD_PER_PFLOP_HOUR),
             "basis": text_cells("basis", basis, read_basis)}
    batch, fields = array_call(system, overrides, cells, {})
    return _per_basis(batch, fields, lambda a, idx, b: _model.ceiling_rent(a, batch.values["usd_per_pflop_hour"][idx], b))


def _per_basis(batch: Batch, fields: dict[str, np.ndarray], fn) -> object:
    basis = batch.values["basis"]
    fail_missing_figure(batch, fields, basis)
    result = np.full(batch.n, np.nan)
    ok = batch.ok
    for b in _model.BASES:  # one engine call per distinct basis, not per row
        rows = np.flatnonzero(ok & (basis == b))
        if rows.size:
            vals = isolate(batch, rows, lambda idx, b=b: np.broadcast_to(
                fn(Assumptions(None, **sub(fields, idx)), idx, b), idx.shape))
            result[rows] = vals[rows]
    return batch.output(result)


@guarded
def socamm_cost(capacity_gb_or_system, usd_per_gb=None, gross_margin=None):
    """SOCAMM memory cost (margin 0) or price, cost / (1 - margin), in USD."""
    if scalars(capacity_gb_or_system, usd_per_gb, gross_margin):
        gb = _socamm_gb(single_value(capacity_gb_or_system))
        usd = scalar_number("usd_per_gb", single_value(usd_per_gb), field="socamm_usd_per_gb")
        m = scalar_number("gross_margin", single_value(gross_margin), field="socamm_gross_margin_frac")
        return float(_model.socamm_cost(gb, 10.0 if usd is None else usd, 0.0 if m is None else m))
    cap = text_cells("capacity_gb_or_system", capacity_gb_or_system, _socamm_gb)
    cap.values = cap.values.astype(object)
    cells = {"capacity_gb_or_system": cap,
             "usd_per_gb": number_cells("usd_per_gb", usd_per_gb, field="socamm_usd_per_gb", default=10.0),
             "gross_margin": number_cells("gross_margin", gross_margin, field="socamm_gross_margin_frac", default=0.0)}
    batch = Batch(cells)
    gb = np.array([np.nan if v is None else v for v in batch.values["capacity_gb_or_system"]], dtype=float)
    ok = np.flatnonzero(batch.ok)
    result = isolate(batch, ok, lambda idx: _model.socamm_cost(
        gb[idx], batch.values["usd_per_gb"][idx], batch.values["gross_margin"][idx]))
    return batch.output(result)


def _socamm_gb(v: object) -> float:
    name = "capacity_gb_or_system"
    if isinstance(v, str):
        try:
            x = read_number(name, v)
        except GpueconError:
            s = get_system(v)
            if not s.cpu_mem_socamm:
                raise GpueconError(name, v, "a system with SOCAMM",
                                   f"{s.name} has no socketed SOCAMM memory (its CPU memory is soldered); "
                                   "give a capacity in GB") from None
            return float(s.figures["cpu_mem_gb_per_gpu"])
    else:
        x = read_number(name, v)
    if x is BLANK:
        raise GpueconError(name, None, "given", f"{name} is required: a capacity in GB or a system name")
    check_field(name, "socamm_gb_per_gpu", x)
    return float(x)


@guarded
def project_irr(system, rent_usd_per_gpu_hour, term_years=None, prepay=None, assumptions=None):
    """Project IRR (annual effective) at a rent in USD per GPU-hour."""
    overrides = read_assumptions(assumptions)
    if scalars(system, rent_usd_per_gpu_hour, term_years, prepay):
        rent = _required_rent(scalar_number("rent_usd_per_gpu_hour", single_value(rent_usd_per_gpu_hour), nonneg=True))
        args = dict(overrides)
        for name, raw, field in (("term_years", term_years, "contract_term_years"),
                                 ("prepay", prepay, "prepay_frac_contract")):
            x = scalar_number(name, single_value(raw), field=field)
            if x is not None:
                args[field] = x
        d = _model.project_irr_detail(Assumptions(read_system(single_value(system), overrides), **args), rent)
        value = float(d.annual)
        if math.isnan(value):
            raise CellError(ERR_NUM, str(d.reason) or "no IRR")
        return value
    cells = {"rent_usd_per_gpu_hour": number_cells("rent_usd_per_gpu_hour", rent_usd_per_gpu_hour, nonneg=True),
             "term_years": number_cells("term_years", term_years, field="contract_term_years"),
             "prepay": number_cells("prepay", prepay, field="prepay_frac_contract")}
    batch, fields = array_call(system, overrides, cells, {"term_years": "contract_term_years",
                                                           "prepay": "prepay_frac_contract"})
    rent = batch.values["rent_usd_per_gpu_hour"]
    batch.fail(np.isnan(rent), cell_error("rent_usd_per_gpu_hour is required (USD per GPU-hour)"))
    reasons = np.full(batch.n, "", dtype=object)

    def compute(idx):
        d = _model.project_irr_detail(Assumptions(None, **sub(fields, idx)), rent[idx])
        reasons[idx] = np.broadcast_to(d.reason, idx.shape)
        return np.broadcast_to(d.annual, idx.shape)

    result = isolate(batch, np.flatnonzero(batch.ok), compute)
    nan_text = np.array([cell_error(r, ERR_NUM) if r else "" for r in reasons], dtype=object) if np.isnan(result).any() else ""
    return batch.output(result, nan_text)


def _required_rent(x: float | None) -> float:
    if x is None:
        raise GpueconError("rent_usd_per_gpu_hour", None, "given", "rent_usd_per_gpu_hour is required (USD per GPU-hour)")
    return x


@guarded
def rent_per_pflop(system, rent_usd_per_gpu_hour, basis=None, assumptions=None):
    """Rent per PFLOP-hour (USD) at a basis: rent / (marketed dense PFLOPS x effective_perf_frac) (per TB/s for MEM_BW)."""
    overrides = read_assumptions(assumptions)
    if scalars(system, rent_usd_per_gpu_hour, basis):
        rent = _required_rent(scalar_number("rent_usd_per_gpu_hour", single_value(rent_usd_per_gpu_hour), nonneg=True))
        b = read_basis(single_value(basis))
        s = read_system(single_value(system), overrides)
        a = Assumptions(s, **overrides)
        field = _model.BASES[b]
        if not float(a[field]) > 0:
            raise CellError(ERR_NA, f"{sys_name(s)} has no marketed {b} figure ({field})")
        return float(_model.rent_per_pflop(a, rent, b))
    cells = {"rent_usd_per_gpu_hour": number_cells("rent_usd_per_gpu_hour", rent_usd_per_gpu_hour, nonneg=True),
             "basis": text_cells("basis", basis, read_basis)}
    batch, fields = array_call(system, overrides, cells, {})
    rent = batch.values["rent_usd_per_gpu_hour"]
    batch.fail(np.isnan(rent), cell_error("rent_usd_per_gpu_hour is required (USD per GPU-hour)"))
    return _per_basis(batch, fields, lambda a, idx, b: _model.rent_per_pflop(a, rent[idx], b))


_SPEC_COLUMNS: tuple[str, ...] | None = None


def _spec_columns() -> tuple[str, ...]:
    global _SPEC_COLUMNS
    if _SPEC_COLUMNS is None:
        _SPEC_COLUMNS = tuple(catalog_frame().columns)
    return _SPEC_COLUMNS


def read_spec_field(v: object) -> str:
    cols = _spec_columns()
    if isinstance(v, str) and v.strip():
        key = name_key(v)
        key = ALIASES.get(key, key)
        if key in cols:
            return key
    raise GpueconError("field", v, "a catalog column",
                       f"field must be a catalog column, got {show(v)}; valid: {', '.join(cols)}")


def _catalog_system(v: object) -> System:
    if is_custom_name(v):
        raise GpueconError("system", v, "a catalog name", "system is required: a catalog name (see GPU_SYSTEMS())")
    if not isinstance(v, str):
        raise GpueconError("system", v, "a name", f"system must be a name, got {show(v)}")
    return get_system(v)


@functools.cache
def _spec_value(system_name: str, field: str) -> object:
    row = catalog_frame().set_index("name").loc[system_name]
    if field == "name":
        return system_name
    v = row[field]
    if isinstance(v, bool | np.bool_):
        return bool(v)
    if isinstance(v, float | np.floating):
        if math.isnan(v):
            return cell_error(f"{system_name} has no public {field} figure", ERR_NA)
        return float(v)
    if v is None or (isinstance(v, str) and not v.strip()):
        return cell_error(f"{system_name} has no {field} entry", ERR_NA)
    return str(v)


@guarded
def gpu_spec(system, field):
    """A catalog value for a system (per GPU): a figure, a flag, or a source note."""
    if scalars(system, field):
        try:
            s = _catalog_system(single_value(system))
        except GpueconError as err:
            first = cell_error(err)
        else:
            first = ""
        if first:
            return first
        return _spec_value(s.name, read_spec_field(single_value(field)))
    sys_cells = text_cells("system", system, _catalog_system)
    field_cells = text_cells("field", field, read_spec_field)
    batch = Batch({"system": sys_cells, "field": field_cells})
    out = np.empty(batch.n, dtype=object)
    for i in range(batch.n):  # catalog look-ups, cached per (system, field)
        if batch.errors[i]:
            out[i] = batch.errors[i]
        else:
            out[i] = _spec_value(batch.values["system"][i].name, batch.values["field"][i])
    if batch.shape == (1, 1):
        return out[0]
    return out.reshape(batch.shape).tolist()


@guarded
def gpu_systems():
    """The catalog's system names, as a column."""
    return [[name] for name in system_names()]


ONE_CHART_HEADER = ["rent_usd_per_gpu_hour", "irr_annual", "floor_usd_per_gpu_hour", "ceiling_usd_per_gpu_hour"]


@guarded
def one_chart(system, rents=None, assumptions=None):
    """The One Chart's data: header row, then rent, IRR, floor and ceiling per row."""
    overrides = read_assumptions(assumptions)
    if not is_scalar(system):
        raise GpueconError("system", "a range", "one system name", "system must be a single name for ONE_CHART")
    a = Assumptions(read_system(single_value(system), overrides), **overrides)
    if rents is None or (is_scalar(rents) and read_number("rents", single_value(rents)) is BLANK):
        chart = _model.one_chart(a)
        grid_rents = chart.rents_usd_per_gpu_hour
        errors = np.full(grid_rents.size, "", dtype=object)
    else:
        rows = grid(rents, "rents")
        flat = [v for r in rows for v in r]
        cells = number_cells("rents", [[v] for v in flat], nonneg=True)
        keep = ~(np.isnan(cells.values[:, 0]) & (cells.errors[:, 0] == ""))  # drop blank cells
        grid_rents = cells.values[keep, 0]
        errors = cells.errors[keep, 0]
        if grid_rents.size == 0:
            raise GpueconError("rents", None, "at least one rent", "rents must hold at least one rent (USD per GPU-hour)")
        chart = _model.one_chart(a, rents=np.where(errors == "", grid_rents, 0.0))
    irr = chart.irr_annual
    out: list[list[object]] = [list(ONE_CHART_HEADER)]
    for i in range(grid_rents.size):
        if errors[i]:
            out.append([errors[i], errors[i], chart.floor_usd_per_gpu_hour, chart.ceiling_usd_per_gpu_hour])
            continue
        v = float(irr[i])
        why = str(chart.irr_reason[i]) or "no IRR at this rent"
        out.append([float(grid_rents[i]), v if not math.isnan(v) else cell_error(why, ERR_NUM),
                    chart.floor_usd_per_gpu_hour, chart.ceiling_usd_per_gpu_hour])
    return out


@guarded
def version():
    """The gpuecon engine version."""
    return __version__


#: Excel function name -> implementation (the contract the add-ins expose).
FUNCTIONS: dict[str, Callable] = {
    "GPU_TCO": gpu_tco,
    "FLOOR_RENT": floor_rent,
    "CEILING_RENT": ceiling_rent,
    "SOCAMM_COST": socamm_cost,
    "PROJECT_IRR": project_irr,
    "RENT_PER_PFLOP": rent_per_pflop,
    "GPU_SPEC": gpu_spec,
    "GPU_SYSTEMS": gpu_systems,
    "ONE_CHART": one_chart,
    "GPUECON_VERSION": version,
    "EQUITY_IRR": finance_functions.equity_irr,
    "MIN_DSCR": finance_functions.min_dscr,
    "MAX_LTV": finance_functions.max_ltv,
    "DEBT_SCHEDULE": finance_functions.debt_schedule,
    "PAYBACK_MONTHS": finance_functions.payback_months,
    "GPU_VALUE": finance_functions.gpu_value,
    "IMPLIED_DISCOUNT_RATE": finance_functions.implied_discount_rate,
    "BOOK_VALUE": finance_functions.book_value,
    **token_functions.FUNCTIONS,  # TOKEN_PRICE, TOKEN_COST, TOKEN_MARGIN, BREAKEVEN_UTILIZATION, SENSITIVITY, ...
}

#: The functions of :data:`FUNCTIONS` that work element-wise over ranges (one result per row), and
#: how many leading arguments may be columns (the ``assumptions`` name/value range never is one).
#: Headless recalculation (``gpuecon.recalc``) evaluates a column of such cells as one call; the
#: other functions (tables such as ``ONE_CHART``, no-argument ``GPU_SYSTEMS``) are called per cell.
ELEMENTWISE_ARGS: dict[str, int] = {"GPU_TCO": 2, "FLOOR_RENT": 4, "CEILING_RENT": 3, "SOCAMM_COST": 3,
                                    "PROJECT_IRR": 4, "RENT_PER_PFLOP": 3, "GPU_SPEC": 2}


#: One-line description of each function (Excel's function wizard; the add-ins' docstrings).
FUNCTION_DOCS: dict[str, str] = {
    "GPU_TCO": "Total cost of ownership, USD per GPU-hour: the total (default), one item (capital, power, "
               "colocation, maintenance, other) or a breakdown table.",
    "FLOOR_RENT": "Floor rent, USD per GPU-hour: the rent at which the project IRR equals the hurdle "
                  "(defaults 15.6% hurdle, 5-year term, 15% prepay).",
    "CEILING_RENT": "Ceiling rent, USD per GPU-hour: reference USD per PFLOP-hour x the system's marketed dense "
                    "PFLOPS at a basis (defaults $0.70, FP8).",
    "SOCAMM_COST": "SOCAMM memory, USD: GB x USD per GB (cost; default $10/GB), or with a gross margin the price "
                   "cost / (1 - margin). A system name: per GPU.",
    "PROJECT_IRR": "Project IRR, annual effective (0.156 = 15.6%), at a rent in USD per GPU-hour; as "
                   "=(1+IRR(monthly cash flows))^12-1.",
    "RENT_PER_PFLOP": "Rent per PFLOP-hour, USD: rent per GPU-hour / the system's marketed dense PFLOPS at a basis "
                      "(default FP8; per TB/s-hour for MEM_BW).",
    "GPU_SPEC": "A catalog value for a system, per GPU: a figure (TFLOPS, GB, TB/s, W, USD), a flag or a source note.",
    "GPU_SYSTEMS": "The names of the systems in the gpuecon catalog, spilled as a column.",
    "ONE_CHART": "The One Chart's data, spilled with a header: rent (USD/GPU-hr), project IRR (annual), floor and "
                 "ceiling rent (USD/GPU-hr; $0.70/PFLOP-hr FP8).",
    "GPUECON_VERSION": "The version of the gpuecon engine behind these functions.",
    "EQUITY_IRR": "Equity IRR, annual effective, after debt service on a GPU-backed loan (ltv x capex at month 0), "
                  "at a rent in USD per GPU-hour.",
    "MIN_DSCR": "Minimum DSCR (cash flow available for debt service / debt service) over the loan's months.",
    "MAX_LTV": "Largest loan as a fraction of all-in capex whose DSCR stays >= min_dscr (default 1.20) every month.",
    "DEBT_SCHEDULE": "The monthly debt schedule, spilled with a header: balance, interest, principal, CFADS, DSCR, "
                     "market value, LTV.",
    "PAYBACK_MONTHS": "Months until the cumulative project cash flow turns positive (discounted when a rate is given).",
    "GPU_VALUE": "Market value of one GPU (USD) at an age: the rent it can still earn over its life, discounted, "
                 "plus the residual.",
    "IMPLIED_DISCOUNT_RATE": "The annual discount rate at which GPU_VALUE equals a traded price.",
    "BOOK_VALUE": "Book value of one GPU (USD) at an age: SL (default), DDB or MACRS5 depreciation.",
    **token_functions.FUNCTION_DOCS,
}


#: One-line argument descriptions with units, shown by Excel's function wizard (classic
#: xlwings passes them to ``Application.MacroOptions``, which cuts at 255 characters).
ARG_DOCS: dict[str, str] = {
    "system": 'System name from the catalog, any case (e.g. "VR NVL72"), or a range of names; '
              'blank or "custom" for a system described entirely in assumptions.',
    "item": 'Optional TCO item: "total" (default), "capital", "power", "colocation", "maintenance", '
            '"other", or "breakdown" (spills an item/value table). USD per GPU-hour.',
    "assumptions": "Optional two-column range of name and value overriding default assumptions "
                   "(engine field names or aliases, e.g. pue_ratio, power_usd_per_kwh, hurdle_irr).",
    "hurdle_irr": "Optional hurdle project IRR, annual fraction (default 0.156 = 15.6%). A range gives one result per cell.",
    "term_years": "Optional contract term in years, whole months (default 5). A range gives one result per cell.",
    "prepay": "Optional prepay at signing, fraction of total contract value (default 0.15 = 15%). Ranges allowed.",
    "usd_per_pflop_hour": "Optional reference price, USD per PFLOP-hour (default 0.70); with basis MEM_BW, "
                          "USD per TB/s-hour. Ranges allowed.",
    "basis": "Optional performance basis: BF16, FP8 (default), FP4, FP4_SPARSE (marketed dense PFLOPS) "
             "or MEM_BW (memory bandwidth, TB/s).",
    "capacity_gb_or_system": "SOCAMM capacity in GB, or a system name (uses its SOCAMM GB per GPU from the catalog). "
                             "Ranges allowed.",
    "usd_per_gb": "Optional SOCAMM cost in USD per GB (default 10). Ranges allowed.",
    "gross_margin": "Optional vendor gross margin, fraction (default 0 = cost; 0.6 = price at a 60% margin). "
                    "Ranges allowed.",
    "rent_usd_per_gpu_hour": "Rent in USD per GPU-hour. A range gives one result per cell.",
    "field": "Catalog column, e.g. tflops_fp8_dense, hbm_gb, mem_bw_tb_per_s, chip_tdp_w, it_w_per_gpu, "
             "cpu_mem_gb_per_gpu, market_rent_usd_per_gpu_hour, source_specs.",
    "rents": "Optional range of rents, USD per GPU-hour (default: 41 rents from 0.6 x floor to 1.1 x ceiling).",
    "ltv": "Optional loan as a fraction of all-in capex (default: debt_ltv_frac, 0.6). Ranges allowed.",
    "debt_rate": "Optional loan interest rate, nominal annual (default: debt_rate_annual, 0.10). Ranges allowed.",
    "tenor_years": "Optional loan tenor in years, whole months (default: debt_tenor_years, 4). Ranges allowed.",
    "min_dscr": "Optional DSCR covenant (default: debt_min_dscr, 1.20). Ranges allowed.",
    "discount_rate": "Optional annual discount rate (payback: none = simple; value: default the hurdle). Ranges allowed.",
    "age_years": "Age of the GPU in years since purchase. A range gives one result per cell.",
    "price_usd_per_gpu": "Traded price of one GPU, USD. A range gives one result per cell.",
    "method": 'Optional depreciation method: "SL" (default), "DDB" or "MACRS5".',
    **token_functions.ARG_DOCS,
}


__all__ = ["ARG_DOCS", "ELEMENTWISE_ARGS", "FUNCTION_DOCS", "FUNCTIONS", "cache_clear", "ERR_VALUE", "ERR_NA", "ERR_NUM", "cell_error", "is_error",
           "read_assumptions", "gpu_tco", "floor_rent", "ceiling_rent", "socamm_cost", "project_irr",
           "rent_per_pflop", "gpu_spec", "gpu_systems", "one_chart", "version"]
