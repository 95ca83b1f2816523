"""The Excel functions of GPU-backed debt and GPU value: EQUITY_IRR, MIN_DSCR, MAX_LTV, DEBT_SCHEDULE,
PAYBACK_MONTHS, GPU_VALUE, IMPLIED_DISCOUNT_RATE, BOOK_VALUE (docs/financing.md).

Same shape rules as the other functions: every argument may be a range (broadcast like Excel), a
bad value fails only its own cell with ``#VALUE! <reason>``, no result is ``#NUM! <reason>``.
The debt fields also come from the ``assumptions`` range (``debt_ltv_frac``, ``debt_rate_annual``,
``debt_tenor_years``, ``debt_min_dscr``); an argument given in the cell wins.
"""

from __future__ import annotations

import math

import numpy as np

from ..engine import financing, valuation
from ..engine.assumptions import Assumptions
from ..engine.errors import GpueconError
from .arrays import cell_number, rows_call
from .errors import guarded
from .reading import is_scalar, read_assumptions, read_system, single_value

#: argument -> the assumption field it sets per row
_DEBT_ARGS = {"ltv": "debt_ltv_frac", "debt_rate": "debt_rate_annual", "tenor_years": "debt_tenor_years",
              "min_dscr": "debt_min_dscr"}


def _opt(x: np.ndarray) -> np.ndarray | None:
    """An optional per-row number: None when no row gives it (the engine's default applies)."""
    return None if np.all(np.isnan(x)) else x


def _debt(ltv, debt_rate, tenor_years, min_dscr=None) -> dict[str, tuple[object, str | None, bool]]:
    args = {"ltv": ltv, "debt_rate": debt_rate, "tenor_years": tenor_years, "min_dscr": min_dscr}
    return {k: (v, _DEBT_ARGS[k], False) for k, v in args.items()}


@guarded
def equity_irr(system, rent_usd_per_gpu_hour, ltv=None, debt_rate=None, tenor_years=None, assumptions=None):
    """Equity IRR (annual effective) after debt service, at a rent in USD per GPU-hour."""
    def compute(a, v):
        d = financing.equity_irr_detail(a, v["rent_usd_per_gpu_hour"])
        return d.annual, d.reason
    return rows_call(system, assumptions, {"rent_usd_per_gpu_hour": (rent_usd_per_gpu_hour, None, True),
                                       **_debt(ltv, debt_rate, tenor_years)}, compute, ("rent_usd_per_gpu_hour",))


@guarded
def min_dscr(system, rent_usd_per_gpu_hour, ltv=None, debt_rate=None, tenor_years=None, assumptions=None):
    """Minimum DSCR (cash flow available for debt service / debt service) over the months with debt service."""
    def compute(a, v):
        d = financing.min_dscr(a, v["rent_usd_per_gpu_hour"])
        return d, np.where(np.isnan(d), "no debt service (a loan of 0)", "")
    return rows_call(system, assumptions, {"rent_usd_per_gpu_hour": (rent_usd_per_gpu_hour, None, True),
                                       **_debt(ltv, debt_rate, tenor_years)}, compute, ("rent_usd_per_gpu_hour",))


@guarded
def max_ltv(system, rent_usd_per_gpu_hour, min_dscr=None, debt_rate=None, tenor_years=None, assumptions=None):
    """Largest loan as a fraction of all-in capex whose DSCR stays >= min_dscr in every month with debt service."""
    def compute(a, v):
        d = financing.max_ltv_detail(a, v["rent_usd_per_gpu_hour"])
        return d.frac, d.reason
    args = {"rent_usd_per_gpu_hour": (rent_usd_per_gpu_hour, None, True), **_debt(None, debt_rate, tenor_years, min_dscr)}
    del args["ltv"]
    return rows_call(system, assumptions, args, compute, ("rent_usd_per_gpu_hour",))


@guarded
def payback_months(system, rent_usd_per_gpu_hour, discount_rate=None, assumptions=None):
    """Months until the cumulative project cash flow turns positive (discounted at discount_rate when given)."""
    def compute(a, v):
        d = financing.payback_detail(a, v["rent_usd_per_gpu_hour"], _opt(v["discount_rate"]))
        return d.months, d.reason
    return rows_call(system, assumptions, {"rent_usd_per_gpu_hour": (rent_usd_per_gpu_hour, None, True),
                                       "discount_rate": (discount_rate, None, False)}, compute,
                 ("rent_usd_per_gpu_hour",))


@guarded
def gpu_value(system, age_years, rent_usd_per_gpu_hour=None, discount_rate=None, assumptions=None):
    """Market value of one GPU (USD) at an age: the rent it can still earn, discounted, plus the residual."""
    def compute(a, v):
        value = valuation.gpu_value(a, v["age_years"], v["rent_usd_per_gpu_hour"], _opt(v["discount_rate"]))
        return value, ""
    return rows_call(system, assumptions, {"age_years": (age_years, None, True),
                                       "rent_usd_per_gpu_hour": (rent_usd_per_gpu_hour, None, True),
                                       "discount_rate": (discount_rate, None, False)}, compute, ("age_years",),
                 market_rent_default=True)


@guarded
def implied_discount_rate(system, price_usd_per_gpu, age_years, rent_usd_per_gpu_hour=None, assumptions=None):
    """The annual discount rate at which GPU_VALUE equals a traded price (the rate the market is paying)."""
    def compute(a, v):
        d = valuation.implied_discount_rate_detail(a, v["price_usd_per_gpu"], v["age_years"],
                                                   v["rent_usd_per_gpu_hour"])
        return d.annual, d.reason
    return rows_call(system, assumptions, {"price_usd_per_gpu": (price_usd_per_gpu, None, True),
                                       "age_years": (age_years, None, True),
                                       "rent_usd_per_gpu_hour": (rent_usd_per_gpu_hour, None, True)}, compute,
                 ("price_usd_per_gpu", "age_years"), market_rent_default=True)


@guarded
def book_value(system, age_years, method=None, assumptions=None):
    """Book value of one GPU (USD) at an age: SL (default), DDB or MACRS5."""
    if not is_scalar(method):
        raise GpueconError("method", "a range", "one method", "method must be a single SL, DDB or MACRS5")
    m = single_value(method)
    how = "SL" if m is None or (isinstance(m, str) and not m.strip()) else m

    def compute(a, v):
        return valuation.book_value(a, v["age_years"], how), ""
    return rows_call(system, assumptions, {"age_years": (age_years, None, True)}, compute, ("age_years",))


DEBT_SCHEDULE_HEADER = ["month", "opening_balance_usd", "interest_usd", "principal_usd", "debt_service_usd",
                        "closing_balance_usd", "cfads_usd", "dscr", "market_value_usd", "ltv"]


@guarded
def debt_schedule(system, rent_usd_per_gpu_hour, ltv=None, debt_rate=None, tenor_years=None, assumptions=None):
    """The monthly debt schedule with a header: balances, interest, principal, CFADS, DSCR, market value, LTV."""
    overrides = read_assumptions(assumptions)
    if not all(is_scalar(x) for x in (system, rent_usd_per_gpu_hour, ltv, debt_rate, tenor_years)):
        raise GpueconError("system", "a range", "single values", "DEBT_SCHEDULE takes single values (one schedule)")
    args = dict(overrides)
    for name, raw in (("ltv", ltv), ("debt_rate", debt_rate), ("tenor_years", tenor_years)):
        x = cell_number(name, single_value(raw), _DEBT_ARGS[name])  # as EQUITY_IRR reads it (same texts)
        if x == x:
            args[_DEBT_ARGS[name]] = x
    rent = single_value(rent_usd_per_gpu_hour)
    a = Assumptions(read_system(single_value(system), overrides), **args)
    s = financing.debt_schedule_columns(a, rent)
    months = s["month"].astype(float)
    value = np.asarray(valuation.gpu_value(a, months / 12.0, rent), dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ltv_frac = np.where(value > 0, s["closing_balance_usd"] / np.where(value > 0, value, 1.0), np.nan)
    dscr = [d if math.isfinite(d) else "" for d in s["dscr"].tolist()]  # blank where no debt service
    ltv_cells = [x if math.isfinite(x) else "" for x in ltv_frac.tolist()]
    columns = [months, s["opening_balance_usd"], s["interest_usd"], s["principal_usd"], s["debt_service_usd"],
               s["closing_balance_usd"], s["cfads_usd"]]
    out: list[list[object]] = [list(DEBT_SCHEDULE_HEADER)]
    out += [list(row) for row in zip(*(c.tolist() for c in columns), dscr, value.tolist(), ltv_cells, strict=True)]
    return out
