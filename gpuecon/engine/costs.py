"""Costs per GPU: capex by part, TCO per GPU-hour by item, performance at a basis, TCO per PFLOP-hour.

Every function takes an :class:`~gpuecon.engine.assumptions.Assumptions` (or a system name plus
field overrides) and broadcasts over array-valued fields. Formulas and Excel equivalents:
docs/model.md.
"""

from __future__ import annotations

import numpy as np

from .assumptions import HOURS_PER_MONTH, HOURS_PER_YEAR, Assumptions, as_assumptions
from .errors import GpueconError
from .finance import (
    capital_recovery_factor,
    monthly_rate,
)

__all__ = ['BASES', 'FLOPS_BASES', 'TCO_ITEMS', 'socamm_cost', 'capex_breakdown_usd_per_gpu', 'capex_usd_per_gpu', 'capex_per_watt', 'tco_breakdown', 'tco_usd_per_gpu_hour', 'opex_usd_per_gpu_hour', 'performance', 'normalize_basis', 'tco_per_pflop_hour']

BASES = {"BF16": "tflops_bf16_dense", "FP8": "tflops_fp8_dense", "FP4": "tflops_fp4_dense",
         "FP4_SPARSE": "tflops_fp4_sparse", "MEM_BW": "mem_bw_tb_per_s"}
FLOPS_BASES = ("BF16", "FP8", "FP4", "FP4_SPARSE")
TCO_ITEMS = ("capital", "power", "colocation", "maintenance", "other")


# --- capex ---------------------------------------------------------------------------------

def socamm_cost(capacity_gb, usd_per_gb=10.0, gross_margin=0.0) -> np.ndarray:
    """SOCAMM memory: ``capacity_gb * usd_per_gb / (1 - gross_margin)`` in USD.

    With ``gross_margin=0`` this is the vendor's cost; with a margin ``m`` it is the price
    the customer pays at that gross margin. Excel: ``=gb*usd_per_gb/(1-m)``.

    Parameters
    ----------
    capacity_gb : float or array
        SOCAMM capacity, GB (per GPU, or per system).
    usd_per_gb : float or array
        Memory cost, USD per GB (seed 001: about $10/GB).
    gross_margin : float or array
        Seller's gross margin, fraction in [0, 1).

    Returns
    -------
    ndarray
        USD.

    Examples
    --------
    >>> float(socamm_cost(1536, 10)), float(socamm_cost(1536, 10, 0.6))  # cost, then the price at a 60% margin
    (15360.0, 38400.0)
    """
    from .assumptions import FIELDS

    gb = FIELDS["socamm_gb_per_gpu"].check(capacity_gb)
    usd = FIELDS["socamm_usd_per_gb"].check(usd_per_gb)
    m = FIELDS["socamm_gross_margin_frac"].check(gross_margin)
    return gb * usd / (1.0 - m)


def capex_breakdown_usd_per_gpu(system=None, /, **overrides) -> dict[str, np.ndarray]:
    """All-in capex per GPU by part, after the system price uplift; ``total`` is their sum.

    Each part is ``figure x (1 + system_price_uplift_frac)``; SOCAMM is priced to the buyer,
    ``socamm_gb_per_gpu x socamm_usd_per_gb / (1 - socamm_gross_margin_frac)``.

    Examples
    --------
    >>> {k: float(v) for k, v in capex_breakdown_usd_per_gpu("VR NVL72").items()}  # doctest: +NORMALIZE_WHITESPACE
    {'compute': 85596.0, 'socamm': 19200.0, 'networking': 12924.0, 'storage': 1800.0, 'other': 2400.0,
     'total': 121920.0}
    """
    a = as_assumptions(system, **overrides)
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
    """All-in capex per GPU (USD): compute + SOCAMM price + networking + storage + other, x (1 + uplift).

    Examples
    --------
    >>> float(capex_usd_per_gpu("VR NVL72"))
    121920.0
    """
    return capex_breakdown_usd_per_gpu(system, **overrides)["total"]


def capex_per_watt(system=None, /, basis: str = "it", **overrides) -> np.ndarray:
    """All-in capex per watt (USD/W). ``basis="it"``: all-in IT W per GPU (default); ``"chip"``: chip TDP.

    Examples
    --------
    >>> float(capex_per_watt("VR NVL72"))  # $121,920 over 3,200 W of IT load
    38.1
    """
    a = as_assumptions(system, **overrides)
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

    Examples
    --------
    >>> {k: round(float(v), 4) for k, v in tco_breakdown("VR NVL72").items()}  # doctest: +NORMALIZE_WHITESPACE
    {'capital': 2.8905, 'power': 0.3328, 'colocation': 0.6137, 'maintenance': 0.3479, 'other': 0.0,
     'total': 4.1849}
    """
    a = as_assumptions(system, **overrides)
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
    """Total TCO per GPU-hour (USD): capital recovery + power + colocation + maintenance + other.

    Excel: the sum of the items of :func:`tco_breakdown`, capital ``=PMT(m, life_months, -capex)/730``.

    Examples
    --------
    >>> round(float(tco_usd_per_gpu_hour("VR NVL72")), 4)
    4.1849
    """
    return tco_breakdown(system, **overrides)["total"]


def opex_usd_per_gpu_hour(a: Assumptions) -> np.ndarray:
    """Operating cost per GPU-hour (USD): TCO without capital recovery.

    Examples
    --------
    >>> from .assumptions import Assumptions
    >>> round(float(opex_usd_per_gpu_hour(Assumptions("VR NVL72"))), 4)  # power + colocation + maintenance
    1.2944
    """
    t = tco_breakdown(a)
    return t["power"] + t["colocation"] + t["maintenance"] + t["other"]


def performance(a: Assumptions, basis: str) -> np.ndarray:
    """Marketed dense PFLOPS (or TB/s for MEM_BW) per GPU at a basis; error if not marketed.

    Examples
    --------
    >>> from .assumptions import Assumptions
    >>> float(performance(Assumptions("VR NVL72"), "FP8"))  # 17,500 TFLOPS FP8 dense per GPU
    17.5
    """
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
    """'fp4 sparse', 'FP4-SPARSE', ' fp8 ' -> canonical basis name; error lists the allowed ones.

    Examples
    --------
    >>> normalize_basis("fp4 sparse"), normalize_basis(" fp8 ")
    ('FP4_SPARSE', 'FP8')
    """
    key = str(basis).strip().upper().replace("-", "_").replace(" ", "_")
    key = {"MEMBW": "MEM_BW", "BANDWIDTH": "MEM_BW", "FP4SPARSE": "FP4_SPARSE"}.get(key, key)
    if key not in BASES:
        raise GpueconError("basis", basis, "one of " + ", ".join(BASES))
    return key


def tco_per_pflop_hour(system=None, /, basis: str = "FP8", **overrides) -> np.ndarray:
    """TCO per PFLOP-hour (USD) at a precision: TCO per GPU-hour / marketed dense PFLOPS.

    Examples
    --------
    >>> round(float(tco_per_pflop_hour("VR NVL72")), 4)  # $4.1849 / 17.5 PFLOPS
    0.2391
    """
    a = as_assumptions(system, **overrides)
    return tco_usd_per_gpu_hour(a) / performance(a, basis)
