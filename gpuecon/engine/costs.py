"""Costs per GPU: capex by part, TCO per GPU-hour by item, performance at a basis, TCO per PFLOP-hour.

Every function takes an :class:`~gpuecon.engine.assumptions.Assumptions` (or a system name plus
field overrides) and broadcasts over array-valued fields. Formulas and Excel equivalents:
docs/model.md. Each formula is written once, in a ``*_of`` function that runs on one scenario's
Python floats (``Assumptions.scalar``) and on arrays alike; the public functions call it.

Longer than 500 lines on purpose: most of it is documentation (numpydoc sections and checked
examples for every public function); the code is about 120 lines.
"""

from __future__ import annotations

import numpy as np

from .assumptions import HOURS_PER_MONTH, HOURS_PER_YEAR, Assumptions, ScalarFields, as_assumptions
from .docstrings import fill as fill_docstrings
from .errors import GpueconError
from .finance import (
    capital_recovery_factor,
    monthly_rate,
)
from .ops import all_true, any_true, as_result

__all__ = ['BASES', 'FLOPS_BASES', 'TCO_ITEMS', 'socamm_cost', 'capex_breakdown_usd_per_gpu', 'capex_usd_per_gpu', 'capex_per_watt', 'tco_breakdown', 'tco_usd_per_gpu_hour', 'opex_usd_per_gpu_hour', 'performance', 'normalize_basis', 'tco_per_pflop_hour']

BASES = {"BF16": "tflops_bf16_dense", "FP8": "tflops_fp8_dense", "FP4": "tflops_fp4_dense",
         "FP4_SPARSE": "tflops_fp4_sparse", "MEM_BW": "mem_bw_tb_per_s"}
FLOPS_BASES = ("BF16", "FP8", "FP4", "FP4_SPARSE")
TCO_ITEMS = ("capital", "power", "colocation", "maintenance", "other")


# --- capex ---------------------------------------------------------------------------------

def socamm_cost(capacity_gb, usd_per_gb=10.0, gross_margin=0.0) -> np.ndarray:
    """SOCAMM memory cost or price, USD: ``capacity_gb * usd_per_gb / (1 - gross_margin)``.

    With ``gross_margin=0`` this is the vendor's cost; with a margin ``m`` it is the price the
    customer pays at that gross margin. Inputs broadcast.

    Excel: ``=gb*usd_per_gb/(1-m)``; add-in ``=SOCAMM_COST(gb, usd_per_gb, m)``; Model (native)
    rows ``socamm_cost_usd_per_gpu`` (m = 0) and ``socamm_price_usd_per_gpu``.

    Parameters
    ----------
    capacity_gb : float or array
        SOCAMM capacity, GB (per GPU, or per system), in [0, 1e5].
    usd_per_gb : float or array
        Vendor's memory cost, USD/GB (seed 001: about $10/GB), in [0, 1e4].
    gross_margin : float or array
        Seller's gross margin, fraction in [0, 1).

    Returns
    -------
    ndarray
        Cost (or price), USD, broadcast shape of the inputs (0-d for scalars).

    Raises
    ------
    GpueconError
        A value out of its field's range (``socamm_gb_per_gpu``, ``socamm_usd_per_gb``,
        ``socamm_gross_margin_frac``), e.g. a margin of 1 or more.

    Examples
    --------
    >>> float(socamm_cost(1536, 10)), float(socamm_cost(1536, 10, 0.6))  # cost, then price at a 60% margin
    (15360.0, 38400.0)
    >>> float(socamm_cost(768, 10, 0.6))  # VR NVL72: 768 GB/GPU x $10 / 0.4, its capex line
    19200.0
    """
    from .assumptions import FIELDS

    gb = FIELDS["socamm_gb_per_gpu"].check(capacity_gb)
    usd = FIELDS["socamm_usd_per_gb"].check(usd_per_gb)
    m = FIELDS["socamm_gross_margin_frac"].check(gross_margin)
    return gb * usd / (1.0 - m)


def capex_breakdown_usd_per_gpu(system=None, /, **overrides) -> dict[str, np.ndarray]:
    """All-in capex per GPU (USD) by part, after the system price uplift; ``total`` is their sum.

    ``part = figure * (1 + system_price_uplift_frac)`` for compute, networking, storage and other;
    ``socamm = socamm_gb_per_gpu * socamm_usd_per_gb / (1 - socamm_gross_margin_frac) * (1 + uplift)``
    (the price to the buyer). Spent at month 0 (signing).

    Excel: Model (native) rows ``capex_compute`` .. ``capex_other`` and ``capex_total``, e.g.
    ``=capex_compute_usd_per_gpu*(1+system_price_uplift_frac)``.

    {params}

    Returns
    -------
    dict of str to ndarray
        ``compute``, ``socamm``, ``networking``, ``storage``, ``other`` and ``total``, USD/GPU,
        broadcast shape of the fields.

    {raises_fields}
        Also where the all-in capex is not above 0.

    Examples
    --------
    >>> parts = capex_breakdown_usd_per_gpu("VR NVL72")
    >>> {k: float(v) for k, v in parts.items()}  # doctest: +NORMALIZE_WHITESPACE
    {'compute': 85596.0, 'socamm': 19200.0, 'networking': 12924.0, 'storage': 1800.0, 'other': 2400.0,
     'total': 121920.0}
    """
    a = as_assumptions(system, **overrides)
    return {k: as_result(v) for k, v in capex_parts_of(a.scalar or a).items()}


def capex_parts_of(a: Assumptions | ScalarFields) -> dict[str, np.ndarray]:
    """:func:`capex_breakdown_usd_per_gpu`'s formula on validated fields: Python floats or arrays alike.

    The one capex formula; the public functions pass ``a.scalar`` (one scenario as Python floats,
    :attr:`~gpuecon.engine.assumptions.Assumptions.scalar`) or the assumptions themselves. Excel:
    the Model (native) capex rows, as in :func:`capex_breakdown_usd_per_gpu`.

    {fields_params}

    Returns
    -------
    dict of str to float or ndarray
        ``compute``, ``socamm``, ``networking``, ``storage``, ``other`` and ``total``, USD/GPU.

    Raises
    ------
    GpueconError
        All-in capex <= 0.

    Examples
    --------
    >>> from .assumptions import Assumptions
    >>> capex_parts_of(Assumptions("VR NVL72").scalar)["total"]  # one scenario: a Python float
    121920.0
    """
    k = 1.0 + a.system_price_uplift_frac
    parts = {
        "compute": a.capex_compute_usd_per_gpu * k,
        "socamm": a.socamm_gb_per_gpu * a.socamm_usd_per_gb / (1.0 - a.socamm_gross_margin_frac) * k,
        "networking": a.capex_networking_usd_per_gpu * k,
        "storage": a.capex_storage_usd_per_gpu * k,
        "other": a.capex_other_usd_per_gpu * k,
    }
    parts["total"] = sum(parts.values())
    if any_true(parts["total"] <= 0):  # floats and arrays alike
        raise GpueconError("capex_compute_usd_per_gpu", float(np.min(parts["total"])), "such that all-in capex > 0",
                           "all-in capex per GPU must be > 0 (set capex_compute_usd_per_gpu)")
    return parts


def capex_usd_per_gpu(system=None, /, **overrides) -> np.ndarray:
    """All-in capex per GPU (USD): (compute + SOCAMM price + networking + storage + other) x (1 + uplift).

    ``capex = (compute + socamm_gb * usd_per_gb / (1 - m) + networking + storage + other)
    * (1 + system_price_uplift_frac)``; the outflow at month 0. It drives TCO capital recovery
    and maintenance, depreciation, the residual and so the floor rent (linear in capex).

    Excel: Model (native) ``capex_total``,
    ``=capex_compute+capex_socamm+capex_networking+capex_storage+capex_other``.

    {params}

    Returns
    -------
    ndarray
        USD/GPU, broadcast shape of the fields (0-d for scalars).

    {raises_fields}
        Also where the all-in capex is not above 0.

    Examples
    --------
    >>> float(capex_usd_per_gpu("VR NVL72"))  # 85,596 + 19,200 SOCAMM + 12,924 + 1,800 + 2,400
    121920.0
    >>> float(capex_usd_per_gpu("VR NVL72", system_price_uplift_frac=0.4))  # 121,920 x 1.4
    170688.0
    """
    a = as_assumptions(system, **overrides)
    return as_result(capex_parts_of(a.scalar or a)["total"])


def capex_per_watt(system=None, /, basis: str = "it", **overrides) -> np.ndarray:
    """All-in capex per watt (USD/W): ``capex / it_w_per_gpu`` (``basis="it"``) or ``capex / chip_tdp_w``.

    The default divides by all-in IT W per GPU (GPU, CPU, memory, networking and storage share);
    ``basis="chip"`` divides by the GPU chip's TDP.

    Excel: Model (native) ``capex_per_watt_it`` ``=capex_total/it_w_per_gpu`` and
    ``capex_per_watt_chip`` ``=capex_total/chip_tdp_w``.

    Parameters
    ----------
    {system}
    basis : {"it", "chip"}
        Watts to divide by (case and spaces ignored).
    {overrides}

    Returns
    -------
    ndarray
        USD/W, broadcast shape of the fields (NaN for ``"chip"`` where no TDP is marketed).

    Raises
    ------
    GpueconError
        ``basis`` not ``"it"`` or ``"chip"``; an unknown system or field, or a field out of range.

    Examples
    --------
    >>> float(capex_per_watt("VR NVL72"))  # $121,920 over 3,200 W of IT load
    38.1
    >>> round(float(capex_per_watt("VR NVL72", basis="chip")), 2)  # $121,920 over a 2,300 W chip TDP
    53.01
    """
    a = as_assumptions(system, **overrides)
    watts = {"it": a.it_w_per_gpu, "chip": a.chip_tdp_w}.get(str(basis).strip().lower())
    if watts is None:
        raise GpueconError("basis", basis, "'it' or 'chip'")
    return capex_usd_per_gpu(a) / watts


# --- TCO -----------------------------------------------------------------------------------

def tco_breakdown(system=None, /, **overrides) -> dict[str, np.ndarray]:
    """TCO per GPU-hour (USD) by item, and ``total``; the steady state (no deployment lag).

    ::

        capital     = capex * CRF(m_coc, 12 * useful_life_years) / 730,  CRF(m, n) = m / (1 - (1+m)^-n)
        power       = it_w_per_gpu / 1000 * pue_ratio * power_usd_per_kwh
        colocation  = it_w_per_gpu / 1000 * colocation_usd_per_kw_month / 730
        maintenance = maintenance_frac_capex_per_year * capex / 8760
        other       = other_opex_usd_per_gpu_hour

    ``m_coc = (1 + cost_of_capital_annual)^(1/12) - 1``; 730 hours a month, 8,760 a year. Power and
    colocation are charged on all hours (the capacity is reserved); utilization affects revenue only.

    Excel: capital ``=PMT(m_coc, life_months, -capex)/730``; Model (native) rows ``tco_capital``,
    ``tco_power``, ``tco_colocation``, ``tco_maintenance``, ``tco_other``, ``tco_total``; add-in
    ``=GPU_TCO(system, "breakdown")``.

    {params}

    Returns
    -------
    dict of str to ndarray
        ``capital``, ``power``, ``colocation``, ``maintenance``, ``other`` and ``total``,
        USD/GPU-hr, each broadcast to the shape of the fields it reads.

    {raises_fields}

    Examples
    --------
    >>> items = tco_breakdown("VR NVL72")
    >>> {k: round(float(v), 4) for k, v in items.items()}  # doctest: +NORMALIZE_WHITESPACE
    {'capital': 2.8905, 'power': 0.3328, 'colocation': 0.6137, 'maintenance': 0.3479, 'other': 0.0,
     'total': 4.1849}
    >>> round(float(tco_breakdown("VR NVL72")["power"]), 4)  # 3.2 kW x 1.3 PUE x $0.08/kWh
    0.3328
    """
    a = as_assumptions(system, **overrides)
    return {k: as_result(v) for k, v in tco_items_of(a.scalar or a).items()}


def tco_items_of(a: Assumptions | ScalarFields) -> dict[str, np.ndarray]:
    """:func:`tco_breakdown`'s formula on validated fields: Python floats or arrays alike.

    The one TCO formula (see :func:`capex_parts_of` for ``a``). Excel: as :func:`tco_breakdown`.

    {fields_params}

    Returns
    -------
    dict of str to float or ndarray
        The items of :data:`TCO_ITEMS` and ``total``, USD/GPU-hr.

    Examples
    --------
    >>> from .assumptions import Assumptions
    >>> round(tco_items_of(Assumptions("VR NVL72").scalar)["total"], 4)
    4.1849
    """
    capex = capex_parts_of(a)["total"]
    out = {"capital": capex * capital_recovery_factor(monthly_rate(a.cost_of_capital_annual),
                                                      a.useful_life_years * 12.0) / HOURS_PER_MONTH,
           **_opex_items(a, capex)}
    out["total"] = out["capital"] + out["power"] + out["colocation"] + out["maintenance"] + out["other"]
    return out


def _opex_items(a: Assumptions | ScalarFields, capex: np.ndarray) -> dict[str, np.ndarray]:
    """The operating items of the TCO, USD per GPU-hour (capex given: maintenance scales with it)."""
    kw = a.it_w_per_gpu / 1000.0
    return {
        "power": kw * a.pue_ratio * a.power_usd_per_kwh,
        "colocation": kw * a.colocation_usd_per_kw_month / HOURS_PER_MONTH,
        "maintenance": a.maintenance_frac_capex_per_year * capex / HOURS_PER_YEAR,
        "other": a.other_opex_usd_per_gpu_hour + 0.0 * capex,  # broadcast to capex's shape
    }


def tco_usd_per_gpu_hour(system=None, /, **overrides) -> np.ndarray:
    """Total TCO per GPU-hour (USD): capital recovery + power + colocation + maintenance + other.

    ``tco = capex * CRF(m_coc, life_months) / 730 + opex`` (items in :func:`tco_breakdown`).

    Excel: the sum of the items, capital ``=PMT(m, life_months, -capex)/730``; Model (native)
    ``tco_total``; add-in ``=GPU_TCO(system)``.

    {params}

    {returns_usd_per_gpu_hour}

    {raises_fields}

    Examples
    --------
    >>> round(float(tco_usd_per_gpu_hour("VR NVL72")), 4)  # seed 001: TCO $4.18 for VR NVL72
    4.1849
    >>> [round(float(x), 2) for x in tco_usd_per_gpu_hour("VR NVL72", useful_life_years=[4, 6])]
    [5.34, 4.18]
    """
    a = as_assumptions(system, **overrides)
    return as_result(tco_items_of(a.scalar or a)["total"])


def opex_usd_per_gpu_hour(a: Assumptions, capex: np.ndarray | None = None) -> np.ndarray:
    """Operating cost per GPU-hour (USD): TCO without capital recovery.

    ``opex = power + colocation + maintenance + other`` (:func:`tco_breakdown`); the project
    charges ``opex * 730`` in each service month.

    Excel: ``=tco_power+tco_colocation+tco_maintenance+tco_other``; Model (native)
    ``opex_per_month`` is that times ``hours_per_month``.

    Parameters
    ----------
    a : Assumptions
        Validated assumptions (fields may be arrays).
    capex : ndarray, optional
        All-in capex per GPU, USD, when the caller has it already (default: computed from ``a``).

    Returns
    -------
    ndarray
        USD/GPU-hr, broadcast shape of the fields.

    Examples
    --------
    >>> from .assumptions import Assumptions
    >>> round(float(opex_usd_per_gpu_hour(Assumptions("VR NVL72"))), 4)  # 0.3328 + 0.6137 + 0.3479 + 0
    1.2944
    """
    return as_result(opex_of(a.scalar or a, capex))


def opex_of(a: Assumptions | ScalarFields, capex=None) -> np.ndarray:
    """:func:`opex_usd_per_gpu_hour`'s formula on validated fields: Python floats or arrays alike.

    The one opex formula (see :func:`capex_parts_of` for ``a``). Excel: as :func:`opex_usd_per_gpu_hour`.

    {fields_params}
    capex : float or ndarray, optional
        All-in capex per GPU, USD, when the caller has it (default: :func:`capex_parts_of`).

    Returns
    -------
    float or ndarray
        USD/GPU-hr.

    Examples
    --------
    >>> from .assumptions import Assumptions
    >>> round(opex_of(Assumptions("VR NVL72").scalar), 4)
    1.2944
    """
    capex = capex_parts_of(a)["total"] if capex is None else capex
    t = _opex_items(a, capex)
    return t["power"] + t["colocation"] + t["maintenance"] + t["other"]


def performance(a: Assumptions, basis: str) -> np.ndarray:
    """Performance per GPU at a basis: marketed dense PFLOPS (or TB/s) x ``effective_perf_frac``.

    ``perf = tflops_<basis> / 1000 * effective_perf_frac`` for BF16, FP8, FP4, FP4_SPARSE;
    ``mem_bw_tb_per_s * effective_perf_frac`` for MEM_BW. ``effective_perf_frac`` (default 1 = the
    marketed figure, seed 001's basis) is the delivered share (model FLOPs utilization); this is its
    one home, so the ceiling rent, rent and TCO per PFLOP-hour, the competitive rent and the trend's
    floors and ceilings all read it.

    Excel: Model (native) ``basis_perf``
    ``=IF(N(tflops_fp8_dense)>0,tflops_fp8_dense/tflops_per_pflops*effective_perf_frac,"not marketed")``
    and ``perf_at_basis`` ``=INDEX(basis_perf,MATCH(ceiling_basis,basis_names,0))``.

    Parameters
    ----------
    a : Assumptions
        Validated assumptions (fields may be arrays).
    basis : str
        ``BF16``, ``FP8``, ``FP4``, ``FP4_SPARSE`` or ``MEM_BW`` (spelling as :func:`normalize_basis`).

    Returns
    -------
    ndarray
        PFLOPS per GPU (TB/s for MEM_BW), shape of the field.

    {raises_performance}

    Examples
    --------
    >>> from .assumptions import Assumptions
    >>> float(performance(Assumptions("VR NVL72"), "FP8"))  # 17,500 TFLOPS FP8 dense per GPU
    17.5
    >>> float(performance(Assumptions("VR NVL72"), "mem bw"))  # 22 TB/s of HBM bandwidth
    22.0
    >>> float(performance(Assumptions("VR NVL72", effective_perf_frac=0.6), "FP8"))  # 60% of 17.5 delivered
    10.5
    """
    return as_result(performance_of(a.scalar or a, basis))


def performance_of(a: Assumptions | ScalarFields, basis: str) -> np.ndarray:
    """:func:`performance`'s formula on validated fields: Python floats or arrays alike.

    The one performance formula (see :func:`capex_parts_of` for ``a``). Excel: as :func:`performance`.

    {fields_params}
    basis : str
        ``BF16``, ``FP8``, ``FP4``, ``FP4_SPARSE`` or ``MEM_BW``.

    Returns
    -------
    float or ndarray
        PFLOPS (TB/s for ``MEM_BW``) per GPU, delivered.

    {raises_performance}

    Examples
    --------
    >>> from .assumptions import Assumptions
    >>> performance_of(Assumptions("VR NVL72").scalar, "FP8")
    17.5
    """
    key = normalize_basis(basis)
    field = BASES[key]
    value = a[field] / (1000.0 if key in FLOPS_BASES else 1.0) * a.effective_perf_frac
    if not all_true(value > 0):
        name = a.system.name if a.system else "this system"
        raise GpueconError(field, float(np.nanmin(a[field])) if np.any(np.isfinite(a[field])) else None,
                           "a positive marketed figure",
                           f"{name} has no marketed {key} figure ({field} must be > 0)")
    return value


def normalize_basis(basis: str) -> str:
    """Canonical basis name: ``'fp4 sparse'``, ``'FP4-SPARSE'``, ``' fp8 '`` -> ``FP4_SPARSE``, ``FP8``.

    Upper-cases, turns spaces and dashes into underscores and maps ``MEMBW``/``BANDWIDTH`` to
    ``MEM_BW``. Excel: the add-in reads its ``basis`` arguments through it; the Model (native)
    sheet looks the canonical name up with ``=MATCH(ceiling_basis,basis_names,0)``.

    Parameters
    ----------
    basis : str
        A basis as typed.

    Returns
    -------
    str
        One of ``BF16``, ``FP8``, ``FP4``, ``FP4_SPARSE``, ``MEM_BW`` (:data:`BASES`).

    Raises
    ------
    GpueconError
        Not a basis; the message lists the allowed ones.

    Examples
    --------
    >>> normalize_basis("fp4 sparse"), normalize_basis(" fp8 ")
    ('FP4_SPARSE', 'FP8')
    >>> normalize_basis("FP16")
    Traceback (most recent call last):
    ...
    gpuecon.engine.errors.GpueconError: basis must be one of BF16, FP8, FP4, FP4_SPARSE, MEM_BW, got 'FP16'
    """
    key = str(basis).strip().upper().replace("-", "_").replace(" ", "_")
    key = {"MEMBW": "MEM_BW", "BANDWIDTH": "MEM_BW", "FP4SPARSE": "FP4_SPARSE"}.get(key, key)
    if key not in BASES:
        raise GpueconError("basis", basis, "one of " + ", ".join(BASES))
    return key


def tco_per_pflop_hour(system=None, /, basis: str = "FP8", **overrides) -> np.ndarray:
    """TCO per PFLOP-hour (USD) at a basis: ``tco_usd_per_gpu_hour / PFLOPS`` (per TB/s-hour for MEM_BW).

    PFLOPS are marketed dense per GPU x ``effective_perf_frac`` (:func:`performance`; default 1).

    Excel: ``=tco_total/perf_at_basis``; Model (native) table "TCO per unit-hour",
    ``=IF(ISNUMBER(B<perf>),tco_total/B<perf>,"n/a")``.

    Parameters
    ----------
    {system}
    basis : str
        ``BF16``, ``FP8`` (default), ``FP4``, ``FP4_SPARSE`` or ``MEM_BW``.
    {overrides}

    Returns
    -------
    ndarray
        USD/PFLOP-hr (USD per TB/s-hour for MEM_BW), broadcast shape of the fields.

    Raises
    ------
    GpueconError
        An unknown basis or a figure not marketed; an unknown system or field, or a field out of range.

    Examples
    --------
    >>> round(float(tco_per_pflop_hour("VR NVL72")), 4)  # $4.1849 / 17.5 PFLOPS
    0.2391
    """
    a = as_assumptions(system, **overrides)
    v = a.scalar or a
    return as_result(tco_items_of(v)["total"] / performance_of(v, basis))


fill_docstrings(globals())
