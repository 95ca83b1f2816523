"""The GPU-economics model: capex, TCO, project cash flows, IRR, floor and ceiling rent.

Every function takes an :class:`~gpuecon.assumptions.Assumptions` (or a system name plus
field overrides) and broadcasts over array-valued fields. Formulas, units and Excel
equivalents are in docs/model.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .assumptions import HOURS_PER_MONTH, HOURS_PER_YEAR, Assumptions, as_assumptions
from .errors import GpueconError
from .finance import (
    IRR_MULTIPLE,
    IRR_NO_SIGN_CHANGE,
    IRR_NONE_FOUND,
    IRR_OK,
    annual_rate,
    annuity_factor,
    capital_recovery_factor,
    grow_bracket,
    irr,
    monthly_rate,
    solve_bracketed,
)
from .numbers import explicit

BASES = {"BF16": "tflops_bf16_dense", "FP8": "tflops_fp8_dense", "FP4": "tflops_fp4_dense",
         "FP4_SPARSE": "tflops_fp4_sparse", "MEM_BW": "mem_bw_tb_per_s"}
FLOPS_BASES = ("BF16", "FP8", "FP4", "FP4_SPARSE")
TCO_ITEMS = ("capital", "power", "colocation", "maintenance", "other")


def _a(system, overrides) -> Assumptions:
    return as_assumptions(system, **overrides)


# --- capex ---------------------------------------------------------------------------------

def socamm_cost(capacity_gb, usd_per_gb=10.0, gross_margin=0.0) -> np.ndarray:
    """SOCAMM memory: ``capacity_gb * usd_per_gb / (1 - gross_margin)`` in USD.

    With ``gross_margin=0`` this is the vendor's cost; with a margin ``m`` it is the price
    the customer pays at that gross margin. Excel: ``=gb*usd_per_gb/(1-m)``.
    """
    from .assumptions import FIELDS

    gb = FIELDS["socamm_gb_per_gpu"].check(capacity_gb)
    usd = FIELDS["socamm_usd_per_gb"].check(usd_per_gb)
    m = FIELDS["socamm_gross_margin_frac"].check(gross_margin)
    return gb * usd / (1.0 - m)


def capex_breakdown_usd_per_gpu(system=None, /, **overrides) -> dict[str, np.ndarray]:
    """All-in capex per GPU by part, after the system price uplift; ``total`` is their sum."""
    a = _a(system, overrides)
    k = 1.0 + a.system_price_uplift_frac
    parts = {
        "compute": a.capex_compute_usd_per_gpu * k,
        "socamm": a.socamm_gb_per_gpu * a.socamm_usd_per_gb / (1.0 - a.socamm_gross_margin_frac) * k,
        "networking": a.capex_networking_usd_per_gpu * k,
        "storage": a.capex_storage_usd_per_gpu * k,
        "other": a.capex_other_usd_per_gpu * k,
    }
    parts["total"] = sum(parts.values())
    if np.any(parts["total"] <= 0):
        raise GpueconError("capex_compute_usd_per_gpu", float(np.min(parts["total"])), "such that all-in capex > 0",
                           "all-in capex per GPU must be > 0 (set capex_compute_usd_per_gpu)")
    return parts


def capex_usd_per_gpu(system=None, /, **overrides) -> np.ndarray:
    """All-in capex per GPU (USD): compute + SOCAMM price + networking + storage + other, x (1 + uplift)."""
    return capex_breakdown_usd_per_gpu(system, **overrides)["total"]


def capex_per_watt(system=None, /, basis: str = "it", **overrides) -> np.ndarray:
    """All-in capex per watt (USD/W). ``basis="it"``: all-in IT W per GPU (default); ``"chip"``: chip TDP."""
    a = _a(system, overrides)
    watts = {"it": a.it_w_per_gpu, "chip": a.chip_tdp_w}.get(str(basis).strip().lower())
    if watts is None:
        raise GpueconError("basis", basis, "'it' or 'chip'")
    return capex_usd_per_gpu(a) / watts


# --- TCO -----------------------------------------------------------------------------------

def tco_breakdown(system=None, /, **overrides) -> dict[str, np.ndarray]:
    """TCO per GPU-hour (USD) by item, and ``total``.

    capital     = capex * CRF(cost_of_capital monthly, life months) / 730
    power       = it_w / 1000 * pue * usd_per_kwh
    colocation  = it_w / 1000 * usd_per_kw_month / 730
    maintenance = maintenance_frac * capex / 8760
    other       = other_opex_usd_per_gpu_hour
    """
    a = _a(system, overrides)
    capex = capex_usd_per_gpu(a)
    kw = a.it_w_per_gpu / 1000.0
    out = {
        "capital": capex * capital_recovery_factor(monthly_rate(a.cost_of_capital_annual), a.useful_life_years * 12.0) / HOURS_PER_MONTH,
        "power": kw * a.pue_ratio * a.power_usd_per_kwh,
        "colocation": kw * a.colocation_usd_per_kw_month / HOURS_PER_MONTH,
        "maintenance": a.maintenance_frac_capex_per_year * capex / HOURS_PER_YEAR,
        "other": np.broadcast_to(a.other_opex_usd_per_gpu_hour, np.shape(capex)).astype(float),
    }
    out["total"] = out["capital"] + out["power"] + out["colocation"] + out["maintenance"] + out["other"]
    return out


def tco_usd_per_gpu_hour(system=None, /, **overrides) -> np.ndarray:
    """Total TCO per GPU-hour (USD): capital recovery + power + colocation + maintenance + other."""
    return tco_breakdown(system, **overrides)["total"]


def opex_usd_per_gpu_hour(a: Assumptions) -> np.ndarray:
    """Operating cost per GPU-hour (USD): TCO without capital recovery."""
    t = tco_breakdown(a)
    return t["power"] + t["colocation"] + t["maintenance"] + t["other"]


def performance(a: Assumptions, basis: str) -> np.ndarray:
    """Marketed dense PFLOPS (or TB/s for MEM_BW) per GPU at a basis; error if not marketed."""
    key = normalize_basis(basis)
    field = BASES[key]
    value = a[field] / (1000.0 if key in FLOPS_BASES else 1.0)
    if np.any(~(value > 0)):
        name = a.system.name if a.system else "this system"
        raise GpueconError(field, float(np.nanmin(a[field])) if np.any(np.isfinite(a[field])) else None,
                           "a positive marketed figure",
                           f"{name} has no marketed {key} figure ({field} must be > 0)")
    return value


def normalize_basis(basis: str) -> str:
    """'fp4 sparse', 'FP4-SPARSE', ' fp8 ' -> canonical basis name; error lists the allowed ones."""
    key = str(basis).strip().upper().replace("-", "_").replace(" ", "_")
    key = {"MEMBW": "MEM_BW", "BANDWIDTH": "MEM_BW", "FP4SPARSE": "FP4_SPARSE"}.get(key, key)
    if key not in BASES:
        raise GpueconError("basis", basis, "one of " + ", ".join(BASES))
    return key


def tco_per_pflop_hour(system=None, /, basis: str = "FP8", **overrides) -> np.ndarray:
    """TCO per PFLOP-hour (USD) at a precision: TCO per GPU-hour / marketed dense PFLOPS."""
    a = _a(system, overrides)
    return tco_usd_per_gpu_hour(a) / performance(a, basis)


# --- project cash flows, NPV, IRR, floor -----------------------------------------------------

@dataclass(frozen=True)
class _Terms:
    """The project's cash flows in closed form (see docs/model.md), rows broadcast."""

    capex: np.ndarray
    L: np.ndarray  # lag months
    T: np.ndarray  # billed months
    life: np.ndarray  # useful life months
    tax: np.ndarray
    prepay_per_rent: np.ndarray  # USD at t=0 per 1 USD/GPU-hr of rent
    monthly_per_rent: np.ndarray  # USD per billed month per 1 USD/GPU-hr
    opex_month: np.ndarray
    residual: np.ndarray


def _terms(a: Assumptions) -> _Terms:
    capex = capex_usd_per_gpu(a)
    T = np.round(a.contract_term_years * 12.0)
    hours = HOURS_PER_MONTH * a.utilization_frac
    return _Terms(
        capex=capex,
        L=np.round(a.deployment_lag_months),
        T=T,
        life=a.useful_life_years * 12.0,
        tax=a.tax_rate_frac,
        prepay_per_rent=a.prepay_frac_contract * hours * T,
        monthly_per_rent=(1.0 - a.prepay_frac_contract) * hours,
        opex_month=opex_usd_per_gpu_hour(a) * HOURS_PER_MONTH,
        residual=a.residual_value_frac_capex * capex,
    )


def _k(t: _Terms, i: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """NPV = K0 + rent * K1 at monthly rate i."""
    N = t.L + t.T
    billed = annuity_factor(i, N) - annuity_factor(i, t.L)
    dep_months = np.minimum(N, t.life)
    book_end = t.capex * np.maximum(0.0, 1.0 - N / t.life)
    vN = np.power(1.0 + i, -N)
    k1 = (1.0 - t.tax) * (t.prepay_per_rent + t.monthly_per_rent * billed)
    k0 = (-t.capex - (1.0 - t.tax) * t.opex_month * billed
          + t.tax * (t.capex / t.life) * annuity_factor(i, dep_months)
          + (t.residual - t.tax * (t.residual - book_end)) * vN)
    return k0, k1


def project_npv(system=None, /, rent_usd_per_gpu_hour=None, rate_annual=None, **overrides) -> np.ndarray:
    """Project NPV per GPU (USD) at a rent, discounted monthly at ``rate_annual`` (default: the hurdle)."""
    a = _a(system, overrides)
    rent = _rent(rent_usd_per_gpu_hour)
    rate = a.hurdle_irr_annual if rate_annual is None else np.asarray(rate_annual, float)
    k0, k1 = _k(_terms(a), monthly_rate(rate))
    return k0 + rent * k1


def floor_rent(system=None, /, **overrides) -> np.ndarray:
    """Floor rent (USD/GPU-hr): the rent at which project IRR = ``hurdle_irr_annual``.

    NPV is linear in rent, NPV(r) = K0 + r K1, so the floor is exactly ``-K0 / K1`` at the
    hurdle's monthly rate. Excel: ``=-K0/K1`` (Model sheet), check with ``=(1+IRR(cf))^12-1``.
    """
    a = _a(system, overrides)
    k0, k1 = _k(_terms(a), monthly_rate(a.hurdle_irr_annual))
    return -k0 / k1


def _rent(rent) -> np.ndarray:
    if rent is None:
        raise GpueconError("rent_usd_per_gpu_hour", None, "given")
    arr = np.asarray(rent, dtype=float) if not isinstance(rent, str) else None
    if arr is None or np.any(~np.isfinite(arr)) or np.any(arr < 0):
        bad = rent if arr is None else float(arr.reshape(-1)[np.flatnonzero(~(np.isfinite(arr) & (arr >= 0)))[0]])
        raise GpueconError("rent_usd_per_gpu_hour", bad, "a number >= 0")
    return arr


def cash_flows(system=None, /, rent_usd_per_gpu_hour=None, **overrides) -> np.ndarray:
    """Monthly project cash flows per GPU (USD), months 0..N (N = lag + term), rows = scenarios.

    Month 0: -capex + prepay (x(1-tax)); months lag+1..N: (1-prepay) * rent * 730 * util - opex;
    tax = tax_rate * (revenue - opex - straight-line depreciation); month N adds the residual
    after tax on (residual - book value). Shorter scenarios are padded with zeros.
    """
    a = _a(system, overrides)
    rent = _rent(rent_usd_per_gpu_hour)
    t = _terms(a)
    shape = np.broadcast_shapes(np.shape(rent), *(np.shape(v) for v in vars(t).values()))
    b = {k: np.broadcast_to(v, shape).reshape(-1) for k, v in vars(t).items()}
    r = np.broadcast_to(rent, shape).reshape(-1)
    N = (b["L"] + b["T"]).astype(int)
    m = np.arange(int(N.max()) + 1)[None, :]
    L = b["L"][:, None]
    billed = (m > L) & (m <= N[:, None])
    tax = b["tax"][:, None]
    revenue = np.where(billed, (r * b["monthly_per_rent"])[:, None], 0.0)
    opex = np.where(billed, b["opex_month"][:, None], 0.0)
    dep = np.where((m >= 1) & (m <= N[:, None]) & (m <= b["life"][:, None]), (b["capex"] / b["life"])[:, None], 0.0)
    cf = revenue - opex - tax * (revenue - opex - dep)
    cf[:, 0] = -b["capex"] + (1.0 - b["tax"]) * r * b["prepay_per_rent"]
    book_end = b["capex"] * np.maximum(0.0, 1.0 - N / b["life"])
    end = b["residual"] - b["tax"] * (b["residual"] - book_end)
    cf[np.arange(len(N)), N] += end
    return cf.reshape(shape + (cf.shape[1],)) if shape else cf[0]


@dataclass(frozen=True)
class IRR:
    """Annual project IRR with a reason where there is none."""

    annual: np.ndarray
    reason: np.ndarray  # "" where an IRR exists


def project_irr_detail(system=None, /, rent_usd_per_gpu_hour=None, **overrides) -> IRR:
    """Project IRR (annual effective) and, where none exists, why. Excel: ``=(1+IRR(cf))^12-1``.

    Fast path: the cash flows have at most five distinct levels (month 0, lag months,
    billed months with and without depreciation, final month), so the NPV is a closed form
    in x = 1/(1+monthly rate). Where the flows change sign once (one IRR, Descartes), a
    safeguarded Newton solves the closed form; other rows go through the general
    :func:`gpuecon.finance.irr` on the explicit monthly flows.
    """
    a = _a(system, overrides)
    rent = _rent(rent_usd_per_gpu_hour)
    t = _terms(a)
    shape = np.broadcast_shapes(np.shape(rent), *(np.shape(v) for v in vars(t).values()))
    b = {k: np.broadcast_to(v, shape).reshape(-1).astype(float) for k, v in vars(t).items()}
    r = np.broadcast_to(rent, shape).reshape(-1)
    N = b["L"] + b["T"]
    tax = b["tax"]
    c0 = -b["capex"] + (1.0 - tax) * r * b["prepay_per_rent"]
    M = (1.0 - tax) * (r * b["monthly_per_rent"] - b["opex_month"])
    D = tax * b["capex"] / b["life"]
    book_end = b["capex"] * np.maximum(0.0, 1.0 - N / b["life"])
    Z = b["residual"] - tax * (b["residual"] - book_end)
    # the flows' levels in time order; D applies up to min(N, life)
    dep_to = np.minimum(N, b["life"])
    lag_level = np.where((b["L"] > 0) & (b["L"] <= dep_to), D, 0.0)
    lvl1 = np.where(dep_to > b["L"], M + D, M)  # first billed months
    lvl2 = np.where(dep_to < N - 1, M, lvl1)  # later billed months (before the last)
    last = np.where(dep_to >= N, M + D, M) + Z
    seq = np.stack([c0, lag_level, lvl1, lvl2, last], axis=1)
    s = np.sign(seq)
    nz = s != 0
    changes = np.zeros(len(c0), int)
    prev = np.where(nz[:, 0], s[:, 0], 0.0)
    for j in range(1, 5):
        flip = nz[:, j] & (prev != 0) & (s[:, j] != prev)
        changes += flip
        prev = np.where(nz[:, j], s[:, j], prev)
    rate = np.full(len(c0), np.nan)
    code = np.full(len(c0), IRR_NO_SIGN_CHANGE, dtype=np.int8)
    one = np.flatnonzero(changes == 1)
    if one.size:
        c0o, Mo, Do, Zo, Lo, No, dto = c0[one], M[one], D[one], Z[one], b["L"][one], N[one], dep_to[one]

        no_lag, no_tax, dep_is_N = not Lo.any(), not Do.any(), bool(np.all(dto == No))  # skip terms that vanish

        def fun(x, rows=None):
            if rows is not None:
                c0r, Mr, Dr, Zr, Lr, Nr, dtr = (v[rows] for v in (c0o, Mo, Do, Zo, Lo, No, dto))
            else:
                c0r, Mr, Dr, Zr, Lr, Nr, dtr = c0o, Mo, Do, Zo, Lo, No, dto
            near = x == 1.0  # exact limit; elsewhere expm1/log1p keep full precision near 1
            close = np.abs(1.0 - x) < 1e-6  # derivative by its series there
            xs = np.where(near, 0.5, x)
            lx = np.log1p(xs - 1.0)
            inv = 1.0 / (1.0 - xs)
            e = x - 1.0

            def S(n):  # sum_{t=1..n} x^t and its derivative in x
                em = np.expm1(n * lx)  # x^n - 1
                val = -xs * em * inv
                der = ((-em - n * (em + 1.0)) * (1.0 - xs) - xs * em) * inv * inv
                der_series = n * (n + 1.0) / 2.0 + e * (n + 1.0) * n * (n - 1.0) / 3.0
                return np.where(near, n, val), np.where(close, der_series, der)

            sN, dN = S(Nr)
            sL, dL = (0.0, 0.0) if no_lag else S(Lr)
            sD, dD = (0.0, 0.0) if no_tax else (sN, dN) if dep_is_N else S(dtr)
            xN = np.power(x, Nr)
            f = c0r + Mr * (sN - sL) + Dr * sD + Zr * xN
            fp = Mr * (dN - dL) + Dr * dD + Zr * Nr * np.power(x, Nr - 1.0)
            return f, fp

        s_first = np.sign(seq[one][np.arange(one.size), np.argmax(nz[one], axis=1)])
        total = c0o + Mo * (No - Lo) + Do * dto + Zo
        # annual IRR searched above -99%: x = 1/(1+m) up to 0.01 ** (-1/12)
        lo, hi = grow_bracket(lambda x: fun(x)[0], total, s_first, x_max=0.01 ** (-1.0 / 12.0))
        found = np.isfinite(hi)
        hi = np.where(found, hi, 1.0)
        f1, fp1 = fun(np.ones(one.size))  # one Newton step from rate 0 as the start
        with np.errstate(divide="ignore", invalid="ignore"):
            x0 = np.where(fp1 != 0, 1.0 - f1 / fp1, 0.99)
        x0 = np.where((x0 > lo) & (x0 < hi), x0, 0.5 * (lo + hi))
        x = solve_bracketed(fun, lo, hi, x0, s_first)
        rate[one] = np.where(found, 1.0 / x - 1.0, np.nan)
        code[one] = np.where(found, IRR_OK, IRR_NONE_FOUND)
    many = np.flatnonzero(changes > 1)
    if many.size:
        sub = {k: v[many] for k, v in b.items()}
        cf = cash_flows(None, rent_usd_per_gpu_hour=r[many], **_overrides_from_terms(a, many, shape))
        res = irr(cf)
        rate[many], code[many] = res.rate, res.reason
        del sub
    low = np.isfinite(rate) & (rate < 0.01 ** (1.0 / 12.0) - 1.0)  # below -99% a year: out of domain
    rate[low], code[low] = np.nan, IRR_NONE_FOUND
    from .finance import IRR_REASONS

    reasons = np.array([IRR_REASONS[int(c)] for c in code], dtype=object) if (code != IRR_OK).any() else np.full(len(code), "", dtype=object)
    return IRR(annual_rate(rate).reshape(shape), reasons.reshape(shape))


def _overrides_from_terms(a: Assumptions, rows: np.ndarray, shape) -> dict:
    """Field values of ``a`` broadcast to ``shape``, flattened and subset to ``rows``."""
    return {k: np.broadcast_to(v, shape).reshape(-1)[rows] for k, v in a.items()}


def project_irr(system=None, /, rent_usd_per_gpu_hour=None, **overrides) -> np.ndarray:
    """Project IRR (annual effective; NaN where none, see :func:`project_irr_detail`)."""
    return project_irr_detail(system, rent_usd_per_gpu_hour, **overrides).annual


IRR_MULTIPLE_CODE = IRR_MULTIPLE  # re-exported for adapters


# --- value-based ceiling ----------------------------------------------------------------------

def ceiling_rent(system=None, /, usd_per_pflop_hour=0.70, basis: str = "FP8", **overrides) -> np.ndarray:
    """Ceiling rent (USD/GPU-hr) = reference price x this system's marketed dense performance.

    FLOPS bases: ``usd_per_pflop_hour * tflops / 1000``; ``MEM_BW``: the price is USD per
    TB/s-hour and the figure is memory bandwidth in TB/s. Excel: ``=price*PFLOPS``.
    """
    a = _a(system, overrides)
    price = np.asarray(usd_per_pflop_hour, float) if not isinstance(usd_per_pflop_hour, str) else None
    if price is None or np.any(~np.isfinite(price)) or np.any(price < 0):
        raise GpueconError("usd_per_pflop_hour", usd_per_pflop_hour, "a number >= 0")
    return price * performance(a, basis)


def ceiling_rent_from_reference(system, reference_system, reference_rent_usd_per_gpu_hour, basis: str = "FP8",
                                **overrides) -> np.ndarray:
    """Ceiling rent at parity with a reference system's rent: ref_rent / ref_perf x this perf."""
    ref = as_assumptions(reference_system)
    price = rent_per_pflop(ref, reference_rent_usd_per_gpu_hour, basis)
    return ceiling_rent(system, price, basis, **overrides)


def rent_per_pflop(system=None, /, rent_usd_per_gpu_hour=None, basis: str = "FP8", **overrides) -> np.ndarray:
    """Rent per PFLOP-hour (USD) at a basis: rent / marketed dense PFLOPS (per TB/s for MEM_BW)."""
    a = _a(system, overrides)
    return _rent(rent_usd_per_gpu_hour) / performance(a, basis)


# --- the One Chart ------------------------------------------------------------------------------

def headroom_frac(system=None, /, usd_per_pflop_hour=0.70, basis: str = "FP8", **overrides) -> np.ndarray:
    """Largest increase in all-in system price (fraction) at which floor rent <= ceiling rent.

    Floor rent is linear in capex (maintenance, depreciation and residual scale with it), so
    h = (ceiling - floor) / (floor(2 x capex) - floor(capex)). Negative: already above.
    """
    a = _a(system, overrides)
    f0 = floor_rent(a)
    f2 = floor_rent(a.replace(system_price_uplift_frac=explicit((1.0 + a.system_price_uplift_frac) * 2.0 - 1.0)))
    return (ceiling_rent(a, usd_per_pflop_hour, basis) - f0) / (f2 - f0)


@dataclass(frozen=True)
class OneChart:
    """The One Chart's data: IRR against rent, the floor at the hurdle, the ceiling, headroom."""

    system: str
    rents_usd_per_gpu_hour: np.ndarray
    irr_annual: np.ndarray
    hurdle_irr_annual: float
    floor_usd_per_gpu_hour: float
    ceiling_usd_per_gpu_hour: float
    headroom_frac: float
    repriced_irr_annual: np.ndarray  # the curve at the headroom price (top-left corner)
    basis: str
    usd_per_pflop_hour: float

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame({"rent_usd_per_gpu_hour": self.rents_usd_per_gpu_hour, "irr_annual": self.irr_annual,
                             "irr_at_headroom_price_annual": self.repriced_irr_annual})


def one_chart(system=None, /, rents=None, usd_per_pflop_hour=0.70, basis: str = "FP8", points: int = 41,
              **overrides) -> OneChart:
    """IRR across rents (default: from 0.6 x floor to 1.1 x ceiling), with floor, ceiling and headroom."""
    a = _a(system, overrides)
    floor = float(floor_rent(a))
    ceiling = float(ceiling_rent(a, usd_per_pflop_hour, basis))
    if rents is None:
        rents = np.linspace(0.6 * floor, 1.1 * max(ceiling, floor), points)
    rents = _rent(np.asarray(rents, float).reshape(-1))
    head = float(headroom_frac(a, usd_per_pflop_hour, basis))
    repriced = a.replace(system_price_uplift_frac=explicit((1.0 + a.system_price_uplift_frac) * (1.0 + head) - 1.0)) if head > -1 else a
    return OneChart(
        system=a.system.name if a.system else "custom",
        rents_usd_per_gpu_hour=rents,
        irr_annual=project_irr(a, rents),
        hurdle_irr_annual=float(a.hurdle_irr_annual),
        floor_usd_per_gpu_hour=floor,
        ceiling_usd_per_gpu_hour=ceiling,
        headroom_frac=head,
        repriced_irr_annual=project_irr(repriced, rents),
        basis=normalize_basis(basis),
        usd_per_pflop_hour=float(usd_per_pflop_hour),
    )
