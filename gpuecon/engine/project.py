"""The project: monthly cash flows per GPU as levels over month ranges, their NPV in closed form,
the floor rent (the rent at which the project IRR equals the hurdle) and the project IRR with the
reason where there is none to show. Conventions and Excel equivalents: docs/model.md.

Longer than 500 lines on purpose: about 500 of its lines are documentation (numpydoc sections
and checked examples for every public function); the code is about 350 lines, and the closed
forms, the explicit flows and the IRR read the same levels here, side by side.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from . import ops
from .assumptions import HOURS_PER_MONTH, Assumptions, ScalarFields, as_assumptions
from .costs import capex_parts_of, opex_of
from .docstrings import fill as fill_docstrings
from .errors import GpueconError
from .finance import (
    IRR_ABOVE_CAP,
    IRR_FINANCING,
    IRR_NEVER_RECOVERS,
    IRR_NO_OUTLAY,
    IRR_NO_SIGN_CHANGE,
    IRR_NONE_FOUND,
    IRR_OK,
    IRR_REASONS,
    annual_rate,
    annuity_factor,
    choose,
    grow_bracket,
    irr,
    monthly_rate,
    solve_bracketed,
    x_max,
)
from .numbers import explicit, parse_number

__all__ = ['check_rent', 'IRR_CAP_ANNUAL', 'ProjectTerms', 'project_terms', 'flow_annuities', 'npv_coefficients', 'project_npv', 'floor_rent', 'FloorRent', 'floor_rent_detail', 'negative_floor_reason', 'horizon_note', 'FlowLevels', 'flow_levels', 'cash_flows', 'IRR', 'project_irr_detail', 'project_irr']


def check_rent(value: object, name: str = "rent_usd_per_gpu_hour") -> np.ndarray:
    """A rent (USD/GPU-hr) as a float array: finite numbers >= 0; text goes through the number parser.

    Text such as ``"8"`` or ``"1,250"`` is read by :func:`gpuecon.engine.numbers.parse_number`;
    booleans and None are refused. Excel: the add-in's rent arguments (``=PROJECT_IRR(system, rent)``,
    ``=RENT_PER_PFLOP(system, rent)``) are held to the same rule; a bad one gives ``#VALUE! <reason>``.

    Parameters
    ----------
    value : float, array or str
        Rent, USD/GPU-hr.
    name : str
        Name used in the error message.

    Returns
    -------
    ndarray
        The rent as float, shape of ``value``.

    Raises
    ------
    GpueconError
        None, a boolean, text that is not a number, or a value that is negative or not finite.

    Examples
    --------
    >>> check_rent([4, 8.5]).tolist()
    [4.0, 8.5]
    >>> check_rent(-1)
    Traceback (most recent call last):
    ...
    gpuecon.engine.errors.GpueconError: rent_usd_per_gpu_hour must be a number >= 0, got -1
    """
    if type(value) in (float, int, np.float64) and value >= 0 and value - value == 0:  # one number, finite
        return np.float64(value)
    if isinstance(value, str):
        value = parse_number(value, name)
    if value is None:
        raise GpueconError(name, None, "given")
    if isinstance(value, bool | np.bool_):
        raise GpueconError(name, value, "a number >= 0")
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise GpueconError(name, value, "a number >= 0") from None
    bad = ~(np.isfinite(arr) & (arr >= 0))
    if bad.any():
        raise GpueconError(name, float(arr.reshape(-1)[np.flatnonzero(bad.reshape(-1))[0]]), "a number >= 0")
    return arr


# --- project cash flows, NPV, IRR, floor -----------------------------------------------------

#: Above this annual IRR a rate is not shown as a return (the outlay is nearly nil).
IRR_CAP_ANNUAL = 10.0


@dataclass(frozen=True)
class ProjectTerms:
    """The project's cash flows as levels over month ranges (docs/model.md), rows broadcast.

    Every flow is one of: month 0 (``-capex`` + prepay), the lag months ``1..L`` (colocation
    only), the service months ``L+1..N`` (revenue − opex), the tax shield of depreciation over
    months ``L+1..L+dep_whole_months`` plus a pro-rated stub in month ``L+dep_whole_months+1``,
    and the end value at month ``N``. Closed forms and the explicit schedule both read these.
    """

    capex: np.ndarray  # USD at month 0
    L: np.ndarray  # lag months (whole)
    T: np.ndarray  # billed months (whole)
    N: np.ndarray  # horizon months L + T
    life_months: np.ndarray  # useful life, months (may be fractional)
    tax: np.ndarray
    prepay_per_rent: np.ndarray  # USD at month 0 per 1 USD/GPU-hr of rent, before tax
    monthly_per_rent: np.ndarray  # USD per billed month per 1 USD/GPU-hr, before tax
    opex_month: np.ndarray  # USD per billed month (power, colocation, maintenance, other)
    lag_cost_month: np.ndarray  # USD per lag month (colocation: the capacity is reserved)
    dep_month: np.ndarray  # straight-line depreciation per month, capex / life_months
    dep_whole_months: np.ndarray  # whole months of depreciation within the horizon
    dep_stub_frac: np.ndarray  # fraction of a month's depreciation in the stub month (0: none)
    book_end: np.ndarray  # book value at month N
    end_value: np.ndarray  # residual − tax on (residual − book value), at month N

    @property
    def dep_stub_month(self) -> np.ndarray:
        return self.L + self.dep_whole_months + 1


def project_terms(system=None, /, **overrides) -> ProjectTerms:
    """The project flows' levels and month counts (see :class:`ProjectTerms`), from assumptions.

    ``L = round(deployment_lag_months)``, ``T = round(12 * contract_term_years)``, ``N = L + T``,
    ``life_months = 12 * useful_life_years``; per 1 USD/GPU-hr of rent ``prepay_per_rent =
    prepay_frac * 730 * u * T`` and ``monthly_per_rent = (1 - prepay_frac) * 730 * u``;
    ``opex_month = opex_usd_per_gpu_hour * 730``; ``lag_cost_month = it_kw * colocation_usd_per_kw_month``;
    ``dep_month = capex / life_months`` over ``min(floor(life), T)`` whole months plus a stub of
    ``life - floor(life)`` (when ``floor(life) < T``); ``book_end = capex * max(0, 1 - T / life)``;
    ``end_value = residual - tax * (residual - book_end)``. Levels are USD per GPU before tax.

    Excel: Model (native) section "Project terms": ``term_months`` ``=ROUND(contract_term_years*12,0)``,
    ``prepay_per_rent``, ``monthly_per_rent``, ``opex_per_month``, ``lag_cost_per_month``,
    ``depreciation_per_month``, ``depreciation_months`` ``=MIN(INT(life_months),term_months)``,
    ``depreciation_stub_frac``, ``book_value_end``, ``residual_after_tax``.

    {params}

    Returns
    -------
    ProjectTerms
        Every level and month count, each broadcast to the shape of the fields it reads.

    {raises_fields}

    Examples
    --------
    >>> t = project_terms("VR NVL72")
    >>> float(t.capex), float(t.N), float(t.prepay_per_rent)  # 60 months; 15% x 730 h x 60 per $1 of rent
    (121920.0, 60.0, 6570.0)
    >>> t = project_terms("VR NVL72", useful_life_years=4.3, deployment_lag_months=3)
    >>> float(t.N), float(t.dep_whole_months), round(float(t.dep_stub_frac), 6)  # 51.6 months: 51, then 0.6
    (63.0, 51.0, 0.6)
    """
    a = as_assumptions(system, **overrides)
    t = terms_of(a.scalar or a)
    return t if a.scalar is None else _made(ProjectTerms, {k: np.float64(v) for k, v in t.__dict__.items()})


def terms_of(a: Assumptions | ScalarFields) -> ProjectTerms:
    """:func:`project_terms`' formulas on validated fields: Python floats or arrays alike.

    The one formula of the terms; :func:`project_terms` passes ``a.scalar`` (one scenario as
    Python floats, :attr:`~gpuecon.engine.assumptions.Assumptions.scalar`) or the assumptions.
    Excel: Model (native) section "Project terms", as in :func:`project_terms`.

    {fields_params}

    Returns
    -------
    ProjectTerms
        Every level and month count (Python floats for one scenario).

    Examples
    --------
    >>> from .assumptions import Assumptions
    >>> t = terms_of(Assumptions("VR NVL72").scalar)
    >>> t.capex, t.N
    (121920.0, 60.0)
    """
    capex = capex_parts_of(a)["total"]
    L = ops.rint(a.deployment_lag_months)
    T = ops.rint(a.contract_term_years * 12.0)
    life = a.useful_life_years * 12.0
    hours = HOURS_PER_MONTH * a.utilization_frac
    kw = a.it_w_per_gpu / 1000.0
    whole_life = ops.floor(life)  # Excel: =INT(life_months)
    frac = life - whole_life
    dep_whole = ops.minimum(whole_life, T)
    stub = choose(whole_life < T, frac, 0.0)
    book_end = capex * ops.maximum(0.0, 1.0 - T / life)
    residual = a.residual_value_frac_capex * capex
    return _made(ProjectTerms, dict(
        capex=capex, L=L, T=T, N=L + T, life_months=life, tax=a.tax_rate_frac,
        prepay_per_rent=a.prepay_frac_contract * hours * T,
        monthly_per_rent=(1.0 - a.prepay_frac_contract) * hours,
        opex_month=opex_of(a, capex) * HOURS_PER_MONTH,
        lag_cost_month=kw * a.colocation_usd_per_kw_month + 0.0 * capex,
        dep_month=capex / life, dep_whole_months=dep_whole, dep_stub_frac=stub,
        book_end=book_end, end_value=residual - a.tax_rate_frac * (residual - book_end),
    ))


def _made(cls, fields: dict):
    """A frozen dataclass of ``fields`` (every field, nothing derived): what ``cls(**fields)`` builds, without
    its ``object.__setattr__`` per field (about 2 us for one scenario's terms)."""
    obj = object.__new__(cls)
    obj.__dict__.update(fields)
    return obj


def flow_annuities(terms: ProjectTerms, rate_monthly) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Present value of 1 per month over each month range of the flows: ``(lag, billed, shield)``.

    ``lag = A(L)`` (months 1..L), ``billed = A(N) - A(L)`` (months L+1..N) and
    ``shield = A(L+d) - A(L) + stub * v^(L+d+1)`` (the depreciated months, the stub month
    pro-rated), with ``A(n) = (1 - (1+m)^-n) / m`` the annuity factor at the monthly rate m,
    ``v = 1/(1+m)``, d the whole months depreciated (month-end flows). :func:`npv_coefficients`
    is built from them.

    Excel: ``=PV(m,L,-1)``, ``=PV(m,N,-1)-PV(m,L,-1)``, ``=PV(m,L+d,-1)-PV(m,L,-1)+stub*(1+m)^-(L+d+1)``;
    Model (native) ``billed_annuity`` and ``depreciation_annuity`` at ``hurdle_monthly``.

    Parameters
    ----------
    terms : ProjectTerms
        From :func:`project_terms`.
    rate_monthly : float or array
        Discount rate per month (``monthly_rate(annual)``); broadcasts with the terms.

    Returns
    -------
    tuple of ndarray
        ``(lag, billed, shield)``, in months of present value (USD per 1 USD a month).

    Examples
    --------
    >>> t = project_terms("VR NVL72", deployment_lag_months=0, contract_term_years=1, useful_life_years=1)
    >>> [round(float(x), 6) for x in flow_annuities(t, 0.0)]  # at rate 0, A(n) = n months
    [0.0, 12.0, 12.0]
    >>> from .finance import monthly_rate
    >>> [round(float(x), 6) for x in flow_annuities(project_terms("VR NVL72"), monthly_rate(0.156))]
    [0.0, 42.422525, 42.422525]
    """
    t, i = terms, rate_monthly if isinstance(rate_monthly, float) else np.asarray(rate_monthly, float)
    aL = annuity_factor(i, t.L)
    billed = annuity_factor(i, t.N) - aL
    shield = annuity_factor(i, t.L + t.dep_whole_months) - aL + t.dep_stub_frac * ops.power(1.0 + i, -t.dep_stub_month)
    return aL, billed, shield


def npv_coefficients(terms: ProjectTerms, rate_monthly) -> tuple[np.ndarray, np.ndarray]:
    """``(K0, K1)`` with project NPV = K0 + rent * K1 at a monthly rate (docs/model.md).

    ::

        K1 = (1 - tax) * [prepay_per_rent + monthly_per_rent * (A(N) - A(L))]
        K0 = -capex - (1 - tax) * [lag_cost * A(L) + opex * (A(N) - A(L))]
             + tax * dep * [A(L+d) - A(L) + stub * v^(L+d+1)] + end_value * v^N

    A(n) the annuity factor ``=PV(m, n, -1)``, v = 1/(1+m); month-end flows, month 0 undiscounted.
    K0 is the NPV at zero rent (USD/GPU), K1 the NPV per 1 USD/GPU-hr of rent.

    Excel: Model (native) ``npv_k0`` and ``npv_k1`` (the formulas above at ``hurdle_monthly``).

    Parameters
    ----------
    terms : ProjectTerms
        From :func:`project_terms`.
    rate_monthly : float or array
        Discount rate per month; broadcasts with the terms.

    Returns
    -------
    tuple of ndarray
        ``(K0, K1)``: USD per GPU, and USD per GPU per 1 USD/GPU-hr of rent.

    Examples
    --------
    >>> from .finance import monthly_rate
    >>> k0, k1 = npv_coefficients(project_terms("VR NVL72"), monthly_rate(0.156))
    >>> round(float(-k0 / k1), 6)  # the floor rent: NPV = 0 at the hurdle
    4.925244
    >>> round(float(k1), 2)  # 6,570 prepay + 620.5 a month x A(60) = 42.4225 at 15.6%
    32893.18
    """
    t, i = terms, rate_monthly if isinstance(rate_monthly, float) else np.asarray(rate_monthly, float)
    aL, billed, shield = flow_annuities(t, i)
    k1 = (1.0 - t.tax) * (t.prepay_per_rent + t.monthly_per_rent * billed)
    k0 = (-t.capex - (1.0 - t.tax) * (t.lag_cost_month * aL + t.opex_month * billed)
          + t.tax * t.dep_month * shield + t.end_value * ops.power(1.0 + i, -t.N))
    return k0, k1


def project_npv(system=None, /, rent_usd_per_gpu_hour=None, rate_annual=None, **overrides) -> np.ndarray:
    """Project NPV per GPU (USD) at a rent, discounted monthly at ``rate_annual`` (default: the hurdle).

    ``NPV = K0 + rent * K1`` (:func:`npv_coefficients`) = ``sum_t CF_t / (1+m)^t`` over
    :func:`cash_flows`, ``m = (1 + rate_annual)^(1/12) - 1``.
    Flows are per GPU, USD, at month ends: month 0 = signing (capex out, prepay in), outflows
    negative.

    Excel: ``=CF0+NPV(m, CF1:CFN)`` over the schedule; Model (native) ``project_npv``
    ``=P5+NPV(hurdle_monthly,P6:P485)`` and ``project_npv_closed_form``
    ``=npv_k0+rent_usd_per_gpu_hour*npv_k1``.

    Parameters
    ----------
    {system}
    {rent}
    rate_annual : float or array, optional
        Discount rate, annual effective; None uses ``hurdle_irr_annual``.
    {overrides}

    Returns
    -------
    ndarray
        USD per GPU, broadcast shape of rent, rate and fields.

    {raises_rent}

    Examples
    --------
    >>> round(float(project_npv("VR NVL72", 8.0)), 2)
    101138.5
    >>> abs(float(project_npv("VR NVL72", float(floor_rent("VR NVL72"))))) < 1e-6  # zero at the floor rent
    True
    >>> round(float(project_npv("VR NVL72", 8.0, rate_annual=0.0)), 2)  # (8 x 730 - 944.944) x 60 - 121,920
    171783.36
    """
    a = as_assumptions(system, **overrides)
    rent = check_rent(rent_usd_per_gpu_hour)
    v = a.scalar or a  # one scenario: Python floats, as the floor rent (NPV 0 there, as before)
    rate = v.hurdle_irr_annual if rate_annual is None else (
        float(rate_annual) if type(rate_annual) in (float, int, np.float64) else np.asarray(rate_annual, float))
    k0, k1 = npv_coefficients(terms_of(v), monthly_rate(rate))
    return ops.as_result(k0 + (float(rent) if type(rent) is np.float64 else rent) * k1)


def floor_rent(system=None, /, **overrides) -> np.ndarray:
    """Floor rent (USD/GPU-hr): the rent at which the project IRR equals ``hurdle_irr_annual``.

    NPV is linear in rent, NPV(r) = K0 + r K1, so the floor is exactly ``floor = -K0 / K1`` at the
    hurdle's monthly rate ``m = (1 + hurdle)^(1/12) - 1`` (no iteration). Negative where the residual
    value and tax shield alone earn the hurdle (see :func:`floor_rent_detail`). Linear in capex.

    Excel: ``=-K0/K1``; Model (native) ``floor_rent_usd_per_gpu_hour`` ``=-npv_k0/npv_k1``, checked
    by ``irr_at_floor`` ``=(1+IRR(cf))^12-1`` = hurdle; add-in ``=FLOOR_RENT(system)``.

    {params}

    {returns_usd_per_gpu_hour}

    {raises_fields}

    Examples
    --------
    >>> round(float(floor_rent("VR NVL72")), 4)  # seed 001: VR NVL72 needs about $4.90/GPU-hr
    4.9252
    >>> round(float(project_irr("VR NVL72", floor_rent("VR NVL72"))), 12)  # IRR at the floor = the hurdle
    0.156
    >>> [round(float(x), 4) for x in floor_rent("VR NVL72", hurdle_irr_annual=[0.10, 0.156])]
    [4.6258, 4.9252]
    """
    a = as_assumptions(system, **overrides)
    v = a.scalar or a  # one scenario: Python floats, the same formulas
    k0, k1 = npv_coefficients(terms_of(v), monthly_rate(v.hurdle_irr_annual))
    return ops.as_result(ops.div(-k0, k1))


@dataclass(frozen=True)
class FloorRent:
    """Floor rent with, per row, why it is not a usable rent ("" where it is) and a note."""

    usd_per_gpu_hour: np.ndarray
    reason: np.ndarray  # "" or why the number is not a rent (negative floor)
    note: np.ndarray  # "" or a convention the number rests on (contract past the useful life)


def floor_rent_detail(system=None, /, **overrides) -> FloorRent:
    """:func:`floor_rent` with a reason where it is below zero and a note where the term outlives the life.

    ``usd_per_gpu_hour = -K0 / K1`` as :func:`floor_rent`; ``reason`` is
    :func:`negative_floor_reason` where it is below zero, ``note`` is :func:`horizon_note`.

    Excel: the ``FLOOR_RENT`` add-in cell shows ``#NUM! <reason>`` for a negative floor; Model
    (native) ``floor_rent_usd_per_gpu_hour`` shows the number.

    {params}

    Returns
    -------
    FloorRent
        ``usd_per_gpu_hour`` (USD/GPU-hr), ``reason`` and ``note`` (str, "" where none), one per row,
        broadcast shape of the fields.

    {raises_fields}

    Examples
    --------
    >>> d = floor_rent_detail("VR NVL72", contract_term_years=30)
    >>> round(float(d.usd_per_gpu_hour), 4), str(d.note)[:40]
    (2.2119, 'contract runs 288 months past the 6-year')
    >>> d = floor_rent_detail("VR NVL72", residual_value_frac_capex="200%", hurdle_irr_annual=0.05)
    >>> round(float(d.usd_per_gpu_hour), 4), str(d.reason)[:42]
    (-0.4787, 'floor rent below zero (-0.48 USD/GPU-hr): ')
    """
    a = as_assumptions(system, **overrides)
    f = np.asarray(floor_rent(a), float)
    reason = np.full(f.shape, "", dtype=object)
    neg = f < 0
    for i in zip(*np.nonzero(neg), strict=True) if f.ndim else ([()] if neg else []):
        reason[i] = negative_floor_reason(float(f[i]))
    return FloorRent(f, reason, horizon_note(a, f.shape))


def negative_floor_reason(usd_per_gpu_hour: float) -> str:
    """Why a floor rent below zero is not a rent to quote (the text of the Excel ``#NUM!`` cell).

    At the hurdle the residual value and depreciation tax shield alone cover the capex and costs
    (K0 > 0 in ``floor = -K0 / K1``), so any rent >= 0 earns the hurdle. Excel: the ``FLOOR_RENT``
    cell shows ``#NUM! <this text>``.

    Parameters
    ----------
    usd_per_gpu_hour : float
        The (negative) floor rent, USD/GPU-hr; shown to 2 decimals.

    Returns
    -------
    str
        The reason.

    Examples
    --------
    >>> negative_floor_reason(-0.46)[:42]
    'floor rent below zero (-0.46 USD/GPU-hr): '
    """
    return (f"floor rent below zero ({usd_per_gpu_hour:.2f} USD/GPU-hr): at the hurdle the residual value "
            "and depreciation tax shield alone cover the capex and costs, so any rent >= 0 earns the hurdle")


def horizon_note(a: Assumptions, shape=()) -> np.ndarray:
    """Per row, "" or the convention used when the contract runs past the useful life.

    A note where ``T - life_months > 0`` (T = 12 x contract term): the GPUs serve the whole
    contract with no re-buy and depreciation stops at the life (book value 0). Excel: the CLI,
    batch ``note`` column and :func:`floor_rent_detail` show it; the Model (native) sheet applies
    the same convention (``depreciation_months`` ``=MIN(INT(life_months),term_months)``).

    Parameters
    ----------
    a : Assumptions
        Validated assumptions (fields may be arrays).
    shape : tuple of int
        Shape to broadcast the notes to (``()``: the fields' own shape).

    Returns
    -------
    ndarray of str (object)
        "" or the note, per row.

    Examples
    --------
    >>> from .assumptions import Assumptions
    >>> str(horizon_note(Assumptions("VR NVL72", contract_term_years=30)))[:52]
    'contract runs 288 months past the 6-year useful life'
    >>> [n[:23] for n in horizon_note(Assumptions("VR NVL72", contract_term_years=[5, 7]))]  # 84 - 72 months
    ['', 'contract runs 12 months']
    """
    t = project_terms(a)
    over = np.broadcast_to(t.T - t.life_months, shape) if shape else t.T - t.life_months
    note = np.full(np.shape(over), "", dtype=object)
    for i in zip(*np.nonzero(over > 1e-9), strict=True) if np.ndim(over) else ([()] if over > 1e-9 else []):
        note[i] = (f"contract runs {float(over[i]):g} months past the {float(np.broadcast_to(t.life_months, np.shape(over))[i]) / 12:g}-year "
                   "useful life: the GPUs serve it to the end with no re-buy; depreciation stops at the life")
    return note



def _flat_terms(a: Assumptions, rent, scalar_ok: bool = False) -> tuple[tuple, dict[str, np.ndarray], np.ndarray]:
    """The terms and rent as flat rows; with ``scalar_ok``, one scenario is Python floats (or numpy scalars)."""
    if scalar_ok and a.at_defaults and a.system is not None and type(rent) in (float, np.float64):
        return (), dict(_default_terms(a.system.name)), float(rent)
    v = a.scalar if scalar_ok else None
    if v is not None and type(rent) in (float, np.float64):
        return (), dict(terms_of(v).__dict__), float(rent)
    t = project_terms(a)
    fields = {k: getattr(t, k) for k in t.__dataclass_fields__}
    if scalar_ok and all(type(v) in (float, np.float64) for v in (rent, *fields.values())):
        return (), {k: np.float64(v) for k, v in fields.items()}, np.float64(rent)
    shape = np.broadcast_shapes(np.shape(rent), *(np.shape(v) for v in fields.values()))
    if scalar_ok and shape == ():
        return shape, {k: np.float64(v) for k, v in fields.items()}, np.float64(rent)
    b = {k: _flat(v, shape) for k, v in fields.items()}
    return shape, b, _flat(rent, shape)


@cache
def _default_terms(system_name: str) -> dict[str, float]:
    """One scenario's terms at a catalog system's defaults (Python floats), computed once per system."""
    return dict(terms_of(Assumptions(system_name).scalar).__dict__)


def _flat(v, shape: tuple) -> np.ndarray:
    """A float copy of ``v`` broadcast to ``shape``, as one row per scenario (no broadcast where it has the shape)."""
    return np.array(v, dtype=float).reshape(-1) if np.shape(v) == shape else np.broadcast_to(v, shape).reshape(-1).astype(float)


@dataclass(frozen=True)
class FlowLevels:
    """The project's after-tax cash flows at a rent as levels (USD per GPU), rows broadcast.

    Month 0 is ``month0``; each lag month 1..L is ``lag``; each service month L+1..N is
    ``service``, plus ``shield`` in each depreciated month (``shield × dep_stub_frac`` in the
    stub month); month N adds ``end``. :func:`cash_flows` lays them out month by month.
    """

    month0: np.ndarray  # −capex + (1−τ) rent prepay_per_rent
    lag: np.ndarray  # −(1−τ) lag_cost_month
    service: np.ndarray  # (1−τ)(rent monthly_per_rent − opex_month), before the tax shield
    shield: np.ndarray  # τ dep_month: the tax saved by a month of depreciation
    end: np.ndarray  # end_value: residual − tax on (residual − book value)


def flow_levels(terms: ProjectTerms, rent_usd_per_gpu_hour) -> FlowLevels:
    """After-tax flow levels at a rent (see :class:`FlowLevels`) from :func:`project_terms`.

    ``month0 = -capex + (1 - tax) * rent * prepay_per_rent``, ``lag = -(1 - tax) * lag_cost_month``,
    ``service = (1 - tax) * (rent * monthly_per_rent - opex_month)``, ``shield = tax * dep_month``,
    ``end = end_value``. USD per GPU; month-end flows, outflows negative.

    Excel: ``=-capex+(1-tax)*rent*prepay_per_rent``, ``=-(1-tax)*lag_cost``,
    ``=(1-tax)*(rent*monthly_per_rent-opex)``, ``=tax*dep_month``, ``=end_value``; the Model (native)
    schedule's ``cash_flow`` column holds them month by month.

    Parameters
    ----------
    terms : ProjectTerms
        From :func:`project_terms`.
    rent_usd_per_gpu_hour : float, array or str
        Rent, USD/GPU-hr of billed time, >= 0; broadcasts with the terms.

    Returns
    -------
    FlowLevels
        ``month0``, ``lag``, ``service``, ``shield``, ``end`` (USD per GPU), broadcast shape.

    Raises
    ------
    GpueconError
        A missing, negative, non-finite or boolean rent.

    Examples
    --------
    >>> t = project_terms("VR NVL72")
    >>> lv = flow_levels(t, 8.0)
    >>> cf = cash_flows("VR NVL72", 8.0)
    >>> bool(np.isclose(lv.month0, cf[0])), bool(np.isclose(lv.service + lv.shield, cf[int(t.L) + 1]))
    (True, True)
    >>> float(lv.service)  # 8 x 620.5 billed revenue a month - 944.944 opex
    4019.056
    """
    return _levels(terms, check_rent(rent_usd_per_gpu_hour))


def _levels(t: ProjectTerms, r: np.ndarray) -> FlowLevels:
    tax = t.tax
    return _made(FlowLevels, dict(
        month0=-t.capex + (1.0 - tax) * r * t.prepay_per_rent,
        lag=-(1.0 - tax) * t.lag_cost_month,
        service=(1.0 - tax) * (r * t.monthly_per_rent - t.opex_month),
        shield=tax * t.dep_month,
        end=t.end_value,
    ))


def cash_flows(system=None, /, rent_usd_per_gpu_hour=None, **overrides) -> np.ndarray:
    """Monthly project cash flows per GPU (USD), months 0..N (N = lag + term), rows = scenarios.

    ::

        month 0      : -capex + (1 - tax) * prepay * rent * 730 * u * T
        months 1..L  : -(1 - tax) * colocation per month             (the lag)
        months L+1..N: (1 - prepay) * rent * 730 * u - opex * 730 - tax_paid,
                       tax_paid = tax * (revenue - opex - depreciation)
        month N      : + residual - tax * (residual - book value at N)

    Depreciation is straight-line from the first billed month, the last part-month pro-rated.
    Flows are per GPU, USD, at month ends: month 0 = signing (capex out, prepay in), outflows
    negative. Shorter scenarios are padded with zeros.

    Excel: the Model (native) schedule, column ``cash_flow`` (P5:P485, month in F); its NPV
    ``=P5+NPV(m,P6:P485)`` and IRR ``=(1+IRR(cash_flow))^12-1``.

    {params rent}

    Returns
    -------
    ndarray, (N+1,) or (*shape, max N + 1)
        USD per GPU; a 1-d row for scalar inputs, else one row per scenario of the broadcast shape.

    {raises_rent}

    Examples
    --------
    >>> cf = cash_flows("VR NVL72", 8.0)
    >>> len(cf), float(cf[0]), round(float(cf[1]), 3)  # -capex + prepay 15% x 8 x 730 x 60; a billed month
    (61, -69360.0, 4019.056)
    >>> cash_flows("VR NVL72", 8.0, deployment_lag_months=2)[:4].tolist()  # two lag months of colocation
    [-69360.0, -448.0, -448.0, 4019.056]
    """
    a = as_assumptions(system, **overrides)
    rent = check_rent(rent_usd_per_gpu_hour)
    shape, b, r = _flat_terms(a, rent)
    lv = _levels(ProjectTerms(**b), r)
    N, L = b["N"].astype(int), b["L"][:, None]
    m = np.arange(int(N.max()) + 1)[None, :]
    inside = m <= N[:, None]
    service = (m > L) & inside
    dep_end = L + b["dep_whole_months"][:, None]
    cf = np.where(service, lv.service[:, None], 0.0)
    cf += np.where((m >= 1) & (m <= L), lv.lag[:, None], 0.0)
    cf += np.where((m > L) & (m <= dep_end) & inside, lv.shield[:, None], 0.0)
    cf += np.where((m == dep_end + 1) & inside, (lv.shield * b["dep_stub_frac"])[:, None], 0.0)
    cf[:, 0] = lv.month0
    cf[np.arange(len(N)), N] += lv.end
    return cf.reshape(shape + (cf.shape[1],)) if shape else cf[0]


@dataclass(frozen=True)
class IRR:
    """Annual project IRR with a reason where there is none to show as a return."""

    annual: np.ndarray
    reason: np.ndarray  # "" where an IRR exists and is meaningful


def project_irr_detail(system=None, /, rent_usd_per_gpu_hour=None, **overrides) -> IRR:
    """Project IRR (annual effective) and, where there is none to show, why.

    ``irr = (1 + m)^12 - 1`` with m the monthly rate at which the NPV of :func:`cash_flows` is 0.
    The flows are levels over month ranges (:class:`ProjectTerms`), so the NPV is a closed form in
    x = 1/(1+m). The count of sign changes is read from the levels in time order: one change from
    an outflow first gives one IRR (Descartes), solved by safeguarded Newton on the closed form;
    other rows go through :func:`gpuecon.engine.finance.irr` on the explicit flows. No rate is
    shown (NaN with a reason, NPV at the hurdle in the text) where the flows are financing-type
    (inflow first: a borrowing cost, not a return), where the prepay covers the investment (no
    outlay: unbounded), where they never turn positive, or above ``IRR_CAP_ANNUAL`` (1,000% a year).

    Excel: ``=(1+IRR(cf))^12-1``; Model (native) ``project_irr`` and ``project_irr_note``; add-in
    ``=PROJECT_IRR(system, rent)`` shows ``#NUM! <reason>`` where there is none.

    {params rent}

    Returns
    -------
    IRR
        ``annual`` (annual effective rate, NaN where none) and ``reason`` (str, "" where shown),
        broadcast shape of rent and fields.

    {raises_rent}

    Examples
    --------
    >>> d = project_irr_detail("VR NVL72", 18.6, prepay_frac_contract=0.95)
    >>> float(d.annual), str(d.reason)[:52]
    (nan, 'no IRR as a return: the flows are financing-type (th')
    >>> str(project_irr_detail("VR NVL72", 1.0).reason)[:41]  # $1 does not cover $1.29 of opex
    'no IRR: the cash flows never turn positiv'
    """
    a = as_assumptions(system, **overrides)
    rent = check_rent(rent_usd_per_gpu_hour)
    shape, b, r = _flat_terms(a, rent, scalar_ok=True)  # one scenario: numpy scalars, same code
    lv = _levels(_made(ProjectTerms, b), r)
    n = 1 if type(r) is float else np.size(r)
    L, N, T = b["L"], b["N"], b["T"]
    d_end = L + b["dep_whole_months"]
    stub_m = d_end + 1
    has_stub = (b["dep_stub_frac"] > 0) & (stub_m <= N)
    c0, lag, M, D, Z = lv.month0, lv.lag, lv.service, lv.shield, lv.end
    S = b["dep_stub_frac"] * D
    # levels in time order (0 = absent): month 0, lag, service with shield, stub, service, last month
    last = M + choose(d_end >= N, D, 0.0) + choose(has_stub & (stub_m == N), S, 0.0) + Z
    seq = [
        c0,
        choose(L >= 1, lag, 0.0),
        choose((b["dep_whole_months"] >= 1) & (T >= 2), M + D, 0.0),
        choose(has_stub & (stub_m < N), M + S, 0.0),
        choose(ops.maximum(d_end + has_stub, L) + 1 <= N - 1, M, 0.0),
        last,
    ]
    prev = first = ops.sign(seq[0])
    changes = 0
    for level in seq[1:]:
        s = ops.sign(level)
        nz = s != 0
        changes = changes + (nz & (prev != 0) & (s != prev))
        first = choose(first != 0, first, s)  # the sign of the first nonzero level
        prev = choose(nz, s, prev)
    code = choose(changes == 0, choose(first > 0, IRR_NO_OUTLAY, choose(first < 0, IRR_NEVER_RECOVERS, IRR_NO_SIGN_CHANGE)),
                  choose(first > 0, IRR_FINANCING, IRR_NO_SIGN_CHANGE))
    scalar = type(c0) is float or np.ndim(c0) == 0  # Python floats (or numpy scalars): solved as such (no 1-element arrays)
    solvable, several = (changes == 1) & (first < 0), (changes > 1) & (first < 0)
    one = (_ROW0 if solvable else _NO_ROW) if scalar else np.flatnonzero(solvable)
    if one.size:
        # f = c0 + lag S(L) + M (S(N) - S(L)) + D (S(d) - S(L)) + hs S x^sm + Z x^N, S(k) = sum_{t=1..k} x^t,
        # with the coefficients of S(L) and x^sm gathered once per scenario
        p = dict(c0=c0, cL=lag - M - D, M=M, D=D, hS=has_stub * S, Z=Z, L=L, N=N, d=d_end, sm=stub_m)
        if not scalar:
            p = {k: v[one] for k, v in p.items()}

        def fun(x, rows=None):
            q = p if rows is None else {k: v[rows] for k, v in p.items()}
            near = x == 1.0  # exact limit; elsewhere expm1/log1p keep full precision near 1
            close = abs(1.0 - x) < 1e-6  # derivative by its series there
            xs = choose(near, 0.5, x)
            lx = ops.log1p(xs - 1.0)
            inv = 1.0 / (1.0 - xs)
            e = x - 1.0

            def Sn(k):  # sum_{t=1..k} x^t, its derivative in x, and expm1(k log x) (x^k - 1 away from x = 1)
                em = ops.expm1(k * lx)
                val = -xs * em * inv
                der = ((-em - k * (em + 1.0)) * (1.0 - xs) - xs * em) * inv * inv
                der_series = k * (k + 1.0) / 2.0 + e * (k + 1.0) * k * (k - 1.0) / 3.0
                return choose(near, k, val), choose(close, der_series, der), em

            N, sm = q["N"], q["sm"]
            sN, dN, emN = Sn(N)
            sL, dL, _ = Sn(q["L"])
            sd, dd, _ = Sn(q["d"])
            pS = ops.power(x, sm)
            pN = choose(near, 1.0, emN + 1.0)  # x^N
            M, D, hS, Z = q["M"], q["D"], q["hS"], q["Z"]
            f = q["c0"] + q["cL"] * sL + M * sN + D * sd + hS * pS + Z * pN
            fp = q["cL"] * dL + M * dN + D * dd + ops.div(hS * sm * pS + Z * N * pN, x)
            return f, fp

        ones = (1.0 if type(c0) is float else np.float64(1.0)) if scalar else np.ones(one.size)
        f1, fp1 = fun(ones)  # at rate 0: the plain sum of the flows, and one Newton step from there as the start
        lo, hi = grow_bracket(lambda x: fun(x)[0], f1, -ones, x_max=x_max(p["N"] if scalar else float(np.max(p["N"]))))
        found = ops.isfinite(hi)
        hi = choose(found, hi, 1.0)
        # start: one Halley step from x = 1, f'' there from sum t(t-1) = (k-1)k(k+1)/3 over 1..k and k(k-1) for x^k
        q, L1, N1, d1, s1 = p, p["L"], p["N"], p["d"], p["sm"]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            fpp1 = (q["cL"] * (L1 - 1.0) * L1 * (L1 + 1.0) + q["M"] * (N1 - 1.0) * N1 * (N1 + 1.0)
                    + q["D"] * (d1 - 1.0) * d1 * (d1 + 1.0)) / 3.0 + q["hS"] * s1 * (s1 - 1.0) + q["Z"] * N1 * (N1 - 1.0)
            x0 = choose(fp1 != 0, 1.0 - ops.div(2.0 * f1 * fp1, 2.0 * fp1 * fp1 - f1 * fpp1), 0.99)
        x0 = choose((x0 > lo) & (x0 < hi), x0, 0.5 * (lo + hi))
        x = solve_bracketed(fun, lo, hi, x0, -ones)
        if scalar and found:  # one scenario with a rate: no arrays but the result's
            annual = annual_rate(ops.div(1.0, x) - 1.0)
            if annual <= IRR_CAP_ANNUAL:  # (above it, the reason is worded below)
                return _made(IRR, dict(annual=np.asarray(annual, dtype=float), reason=np.asarray("", dtype=object)))
    code = np.array(code, dtype=np.int8).reshape(-1)
    rate = np.full(n, np.nan)
    if one.size:
        rate[one] = choose(found, ops.div(1.0, x) - 1.0, np.nan)
        code[one] = choose(found, IRR_OK, IRR_NONE_FOUND)
    many = (_ROW0 if several else _NO_ROW) if scalar else np.flatnonzero(np.reshape(several, -1))
    if many.size:
        cf = cash_flows(None, rent_usd_per_gpu_hour=np.reshape(r, -1)[many], **_overrides_from_terms(a, many, shape))
        res = irr(cf)
        rate[many], code[many] = res.rate, res.reason
    annual = annual_rate(rate)
    with np.errstate(invalid="ignore"):
        high = annual > IRR_CAP_ANNUAL
    annual[high], code[high] = np.nan, IRR_ABOVE_CAP
    reasons = np.full(n, "", dtype=object)
    bad = np.flatnonzero(code != IRR_OK)
    if bad.size:
        npv = project_npv(None, np.reshape(r, -1)[bad], **_overrides_from_terms(a, bad, shape))
        hurdle = np.broadcast_to(a.hurdle_irr_annual, shape).reshape(-1)[bad]
        for j, i in enumerate(bad):
            text = IRR_REASONS[int(code[i])]
            if code[i] in _WITH_NPV:
                text += f"; NPV at the {hurdle[j]:.1%} hurdle: {_usd(npv[j])} per GPU"
            reasons[i] = text
    return IRR(annual.reshape(shape), reasons.reshape(shape))


_ROW0, _NO_ROW = np.array([0]), np.array([], dtype=np.intp)  # one scenario's row indices (read only)
_ROW0.flags.writeable = _NO_ROW.flags.writeable = False
_WITH_NPV = (IRR_NO_OUTLAY, IRR_FINANCING, IRR_ABOVE_CAP, IRR_NEVER_RECOVERS)


def _usd(x: float) -> str:
    return f"-${-x:,.0f}" if x < 0 else f"${x:,.0f}"


def _overrides_from_terms(a: Assumptions, rows: np.ndarray, shape) -> dict:
    """Field values of ``a`` broadcast to ``shape``, flattened and subset to ``rows`` (already validated,
    so taken as typed: a rate written as '800%' is not re-read as a percent typo)."""
    return {k: explicit(np.broadcast_to(v, shape).reshape(-1)[rows]) for k, v in a.items()}


def project_irr(system=None, /, rent_usd_per_gpu_hour=None, **overrides) -> np.ndarray:
    """Project IRR (annual effective; NaN where none, see :func:`project_irr_detail`).

    ``irr = (1 + m)^12 - 1``, m the monthly IRR of :func:`cash_flows`.
    Flows are per GPU, USD, at month ends: month 0 = signing (capex out, prepay in), outflows
    negative.

    Excel: ``=(1+IRR(cash_flow))^12-1``; Model (native) ``project_irr``; One Chart column C;
    add-in ``=PROJECT_IRR(system, rent)``.

    {params rent}

    Returns
    -------
    ndarray
        Annual effective rate, NaN where no IRR is shown; broadcast shape of rent and fields.

    {raises_rent}

    Examples
    --------
    >>> round(float(project_irr("VR NVL72", 8.0)), 6)
    0.916479
    >>> [round(float(x), 4) for x in project_irr("VR NVL72", [4.0, 8.0])]  # the One Chart's curve
    [-0.0141, 0.9165]
    """
    return project_irr_detail(system, rent_usd_per_gpu_hour, **overrides).annual


fill_docstrings(globals())
