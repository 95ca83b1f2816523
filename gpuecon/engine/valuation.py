"""GPU value over time: market value by discounted cash, implied discount rate, book value.

Market value of a GPU at age ``a`` (years): the present value, at an annual effective discount
rate, of its net operating cash ``rent × 730 × utilization − opex per month`` at each month end
over the remaining useful life ``R = (life − a) × 12`` months (the last part-month pro-rated),
plus the residual value ``residual_value_frac_capex × capex`` at the end of the life. No prepay,
no tax (a buyer's pre-tax asset value). Rent may change by ``rent_change_annual``: month k earns
``rent × (1 + g)^(k/12)``. Formulas and Excel equivalents: docs/financing.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .assumptions import HOURS_PER_MONTH, Assumptions, as_assumptions
from .errors import GpueconError
from .finance import (
    IRR_NO_SIGN_CHANGE,
    IRR_OK,
    IRR_REASONS,
    annual_rate,
    annuity_factor,
    choose,
    irr,
    monthly_rate,
)
from .financing_inputs import DEPRECIATION_METHODS, check, check_choice
from .model import capex_usd_per_gpu, opex_usd_per_gpu_hour
from .project import check_rent

#: US MACRS 5-year property, half-year convention (IRS Pub. 946, table A-1): share of cost by tax year.
MACRS5_RATES = (0.20, 0.32, 0.192, 0.1152, 0.1152, 0.0576)


def market_rent(a: Assumptions) -> np.ndarray:
    """The catalog's market rent (USD/GPU-hr) for ``a``'s system; GpueconError where there is none.

    Examples
    --------
    >>> from gpuecon.engine.assumptions import Assumptions
    >>> float(market_rent(Assumptions("GB300 NVL72")))  # seed 001: GB300 rents at about $3.50
    3.5
    """
    rent = a.system.figures.get("market_rent_usd_per_gpu_hour", np.nan) if a.system is not None else np.nan
    if not rent > 0:
        name = a.system.name if a.system is not None else "a system not in the catalog"
        raise GpueconError("rent_usd_per_gpu_hour", None, "given",
                           f"{name} has no market rent in the catalog (market_rent_usd_per_gpu_hour is blank): "
                           "give rent_usd_per_gpu_hour")
    return np.float64(rent)


@dataclass(frozen=True)
class _Life:
    """Remaining life of a GPU as whole months F plus a stub fraction f (in month F+1); end at month C."""

    whole: np.ndarray  # F
    stub: np.ndarray  # f in [0, 1)
    end: np.ndarray  # C = F + (f > 0): the month the residual is received
    hours: np.ndarray  # billed hours a month: 730 × utilization
    opex_month: np.ndarray  # USD a month, on all hours
    residual: np.ndarray  # USD at the end of life


def _life(a: Assumptions, age_years: np.ndarray) -> _Life:
    remaining = np.maximum(0.0, np.round(a.useful_life_years * 12.0 - age_years * 12.0, 9))
    whole = np.floor(remaining)
    stub = remaining - whole
    stub = choose(stub > 1e-9, stub, 0.0)
    return _Life(whole=whole, stub=stub, end=whole + (stub > 0), hours=HOURS_PER_MONTH * a.utilization_frac,
                 opex_month=opex_usd_per_gpu_hour(a) * HOURS_PER_MONTH,
                 residual=a.residual_value_frac_capex * capex_usd_per_gpu(a))


def _inputs(system, age_years, rent, rent_change_annual, overrides):
    a = as_assumptions(system, **overrides)
    age = check("age_years", age_years)
    r = market_rent(a) if rent is None else check_rent(rent)
    g = check("rent_change_annual", rent_change_annual)
    return a, age, r, g


def gpu_value(system=None, /, age_years=0.0, rent_usd_per_gpu_hour=None, discount_rate_annual=None, *,
              rent_change_annual=0.0, **overrides) -> np.ndarray:
    """Market value of one GPU (USD) at age ``age_years``: discounted net operating cash plus residual.

    With ``m = (1+d)^(1/12) − 1``, ``v = 1/(1+m)``, growth ``q = (1+g)^(1/12) v``, remaining
    life ``R = F + f`` months (F whole, f the stub share of month F+1):
    ``V = rent × 730u × [A(j, F) + f q^(F+1)] − opex_m × [A(m, F) + f v^(F+1)] + residual × v^C``,
    ``A(j, F) = Σ_{k=1..F} q^k`` the annuity factor at ``j = 1/q − 1``, ``C = F + [f > 0]``.
    At or past the end of life ``V = residual``. Rent default: the catalog's market rent;
    discount default: ``hurdle_irr_annual``. Linear in rent, slope ``730 u [A(j, F) + f q^(F+1)]``.
    Excel (g = 0, whole months): ``=PV(m, R, -(rent*730*u - opex_m)) + residual/(1+m)^R``.

    >>> round(float(gpu_value("GB300 NVL72", 0.0)), 0)
    92776.0
    >>> round(float(gpu_value("H100", 3.0, 2.0, 0.10)), 0)
    33246.0
    """
    a, age, rent, g = _inputs(system, age_years, rent_usd_per_gpu_hour, rent_change_annual, overrides)
    d = a.hurdle_irr_annual if discount_rate_annual is None else check("discount_rate_annual", discount_rate_annual)
    life = _life(a, age)
    m = monthly_rate(d)
    q = (1.0 + monthly_rate(g)) / (1.0 + m)
    rent_factor = annuity_factor(1.0 / q - 1.0, life.whole) + life.stub * np.power(q, life.whole + 1.0)
    cost_factor = annuity_factor(m, life.whole) + life.stub * np.power(1.0 + m, -(life.whole + 1.0))
    return (rent * life.hours * rent_factor - life.opex_month * cost_factor
            + life.residual * np.power(1.0 + m, -life.end))


def valuation_cash_flows(system=None, /, age_years=0.0, rent_usd_per_gpu_hour=None, *, rent_change_annual=0.0,
                         **overrides) -> np.ndarray:
    """The GPU's remaining monthly cash flows (USD), months 1..C as columns 0..C−1, rows = scenarios.

    Month k: ``w_k × (rent (1+g)^(k/12) × 730u − opex_m)``, ``w_k = 1`` for k <= F, ``f`` in the
    stub month F+1; the residual is added in month C. Shorter rows are padded with zeros.
    :func:`gpu_value` is their present value (the closed form); Excel ``=NPV(m, range)``.

    >>> valuation_cash_flows("H100", 5.5, 2.0).round(2).tolist()
    [1066.05, 1066.05, 1066.05, 1066.05, 1066.05, 1066.05]
    """
    return _flows(system, age_years, rent_usd_per_gpu_hour, rent_change_annual, overrides)[0]


def _flows(system, age_years, rent_usd_per_gpu_hour, rent_change_annual, overrides):
    """(flows shaped scenarios + (C_max,), end month C and residual per scenario)."""
    a, age, rent, g = _inputs(system, age_years, rent_usd_per_gpu_hour, rent_change_annual, overrides)
    life = _life(a, age)
    values = (life.whole, life.stub, life.end, g, rent, life.hours, life.opex_month, life.residual)
    if all(np.ndim(x) == 0 for x in values):  # one scenario: one small array, the columns as views
        shape = ()
        F, f, C, G, R, hours, opex, residual = np.array(values, dtype=float)[:, None, None]
    else:
        shape = np.broadcast_shapes(*(np.shape(x) for x in values))
        size = int(np.prod(shape))

        def flat(x):
            x = np.asarray(x, float)
            return (x if x.shape == shape else np.broadcast_to(x, shape)).reshape(size, 1)

        F, f, C, G, R, hours, opex, residual = (flat(x) for x in values)
    k = np.arange(1, int(C.max(initial=0)) + 1, dtype=float)[None, :]
    w = np.where(k <= F, 1.0, np.where(k == F + 1.0, f, 0.0))
    grow = np.power(1.0 + G, k / 12.0)
    cf = w * (R * hours * grow - opex) + np.where(k == C, residual, 0.0)
    return (cf.reshape(shape + (cf.shape[1],)), np.broadcast_to(life.end, shape),
            np.broadcast_to(life.residual, shape))


@dataclass(frozen=True)
class ImpliedRate:
    """Implied discount rate (annual effective) per scenario and, where there is none, why."""

    annual: np.ndarray
    reason: np.ndarray


def implied_discount_rate_detail(system=None, /, price_usd_per_gpu=None, age_years=0.0, rent_usd_per_gpu_hour=None,
                                 *, rent_change_annual=0.0, **overrides) -> ImpliedRate:
    """The annual discount rate d at which ``gpu_value(d) = price``, with a reason where there is none.

    The root of ``−price + Σ_k CF_k (1+m)^−k`` (CF from :func:`valuation_cash_flows`) by the
    vectorized IRR solver :func:`gpuecon.finance.irr`, then ``d = (1+m)^12 − 1``. The rate may be
    negative (the price exceeds the undiscounted remaining cash). None (NaN) where the remaining
    cash is never positive, at or past the end of life (the value is the residual at any rate), or
    where NPV has several roots. Excel: ``=(1+IRR({-price; CF_1; ...; CF_C}))^12-1``.

    >>> d = implied_discount_rate_detail("H100", 30000, 3.0, 2.0)
    >>> round(float(d.annual), 4), str(d.reason)
    (0.1811, '')
    """
    if price_usd_per_gpu is None:
        raise GpueconError("price_usd_per_gpu", None, "given")
    price = check("price_usd_per_gpu", price_usd_per_gpu)
    cf, end, residual = _flows(system, age_years, rent_usd_per_gpu_hour, rent_change_annual, overrides)
    shape = np.broadcast_shapes(cf.shape[:-1], np.shape(price))
    size = int(np.prod(shape))
    width = cf.shape[-1]
    flows = np.empty((size, width + 1))
    flows[:, 0] = -np.broadcast_to(price, shape).reshape(size)
    flows[:, 1:] = np.broadcast_to(cf, shape + (width,)).reshape(size, width)
    res = irr(flows)
    rate = annual_rate(res.rate)
    code = res.reason.astype(int)
    reason = np.full(size, "", dtype=object)
    for k in np.flatnonzero(code != IRR_OK):
        reason[k] = IRR_REASONS[int(code[k])]
    never = (code == IRR_NO_SIGN_CHANGE) & ~(flows[:, 1:] > 0).any(axis=1)
    reason[never] = ("no discount rate: the remaining net cash and residual are never positive (rent below the "
                     "operating cost), so the value is not positive at any rate")
    end = np.broadcast_to(end, shape).reshape(size)
    residual = np.broadcast_to(residual, shape).reshape(size)
    for k in np.flatnonzero(end == 0):
        reason[k] = (f"no discount rate: at or past the end of the useful life the value is the residual "
                     f"(${residual[k]:,.0f}) at any rate")
    rate = np.where(reason == "", rate, np.nan)
    return ImpliedRate(rate.reshape(shape), reason.reshape(shape))


def implied_discount_rate(system=None, /, price_usd_per_gpu=None, age_years=0.0, rent_usd_per_gpu_hour=None, *,
                          rent_change_annual=0.0, **overrides) -> np.ndarray:
    """Annual effective discount rate at which :func:`gpu_value` equals ``price_usd_per_gpu`` (NaN where none).

    Reasons in :func:`implied_discount_rate_detail`. Round trip:
    ``implied_discount_rate(s, gpu_value(s, a, r, d), a, r) == d``. Excel: ``=(1+IRR(range))^12-1``.

    >>> round(float(implied_discount_rate("H100", 40000, 4.0, 2.0, rent_change_annual=0.10)), 4)
    -0.241
    """
    return implied_discount_rate_detail(system, price_usd_per_gpu, age_years, rent_usd_per_gpu_hour,
                                        rent_change_annual=rent_change_annual, **overrides).annual


def book_value(system=None, /, age_years=0.0, method="SL", **overrides) -> np.ndarray:
    """Book value of one GPU (USD, all-in capex) at age ``age_years`` from purchase, to zero salvage.

    ``SL``: ``capex × max(0, 1 − age / life)`` (Excel ``=capex-SLN(capex,0,life)*age``).
    ``DDB``: double-declining balance at ``2 / life`` a year, switching to straight-line over the
    remaining life when that is larger (Excel ``=capex-VDB(capex,0,life,0,age)`` at whole years);
    a fractional last year writes off the rest. ``MACRS5``: US 5-year property, half-year
    convention: 20%, 32%, 19.2%, 11.52%, 11.52%, 5.76% of capex in tax years 1..6 (ignores
    ``useful_life_years``; Excel ``=capex*(1-SUM(rates_1..k))``). Within a year the depreciation
    accrues linearly (monthly straight-line), so fractional ages interpolate between year ends.

    >>> [round(float(book_value("H100", y, "MACRS5")), 0) for y in (0, 1, 2, 6)]
    [44000.0, 35200.0, 21120.0, 0.0]
    """
    a = as_assumptions(system, **overrides)
    key = check_choice("depreciation_method", method, DEPRECIATION_METHODS)
    age = check("age_years", age_years)
    capex = capex_usd_per_gpu(a)
    life = a.useful_life_years
    if key == "SL":
        return capex * np.clip(1.0 - age / life, 0.0, 1.0)
    shape = np.broadcast_shapes(np.shape(age), np.shape(capex), np.shape(life))
    age, capex, life = (np.broadcast_to(np.asarray(x, float), shape).reshape(-1) for x in (age, capex, life))
    if key == "MACRS5":
        rates = np.array(MACRS5_RATES)
        years, lengths = rates * capex[:, None], np.ones((capex.size, rates.size))
    else:
        years, lengths = _ddb_years(capex, life)
    out = capex.copy()
    for k in range(years.shape[1]):
        length = lengths[:, k]
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(length > 0, np.clip((age - k) / length, 0.0, 1.0), 0.0)
        out = out - years[:, k] * share
    return np.maximum(out, 0.0).reshape(shape)


def _ddb_years(capex: np.ndarray, life: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Double-declining balance depreciation by year (rows x years) and each year's length in years."""
    n_years = int(np.ceil(life.max() - 1e-9))
    dep = np.zeros((capex.size, n_years))
    lengths = np.zeros((capex.size, n_years))
    book = capex.astype(float).copy()
    for k in range(n_years):
        remaining = life - k
        ddb = book * 2.0 / life
        sl = np.where(remaining >= 1.0, book / np.maximum(remaining, 1e-300), book)
        d = np.where(remaining > 1e-9, np.minimum(book, np.maximum(ddb, sl)), 0.0)
        dep[:, k] = d
        lengths[:, k] = np.clip(remaining, 0.0, 1.0)
        book = book - d
    return dep, lengths
