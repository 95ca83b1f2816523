"""What the template computes, from the engine: the model choices that are not engine fields
(``MODEL_CHOICES``), the named constants (``CONSTANTS``), the global and system field lists, the
basis order and fields (the engine's ``BASES``), ``Calc`` (one system and set of inputs resolved by
the engine: the assumptions, the model rent, the ceiling price and basis) and the small conversions
from engine results to the cached values of the native formulas (Excel's IRR of any flows, ``#N/A``,
the note).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from ..engine.assumptions import FIELDS, HOURS_PER_MONTH, HOURS_PER_YEAR, Assumptions
from ..engine.catalog import get_system
from ..engine.finance import irr
from ..engine.model import BASES, IRR_CAP_ANNUAL, floor_rent, normalize_basis

SCHEDULE_MONTHS = 480  # 30-year term + 120-month lag: the engine's largest horizon
BASIS_FIELD = BASES  # basis -> the engine field of its marketed figure
BASIS_ORDER = tuple(BASES)

#: Inputs that are not engine fields: the model's rent, the ceiling's reference price and basis.
MODEL_CHOICES = {
    "rent_usd_per_gpu_hour": ("USD/GPU-hr", None, "Rent for the project IRR and the schedule; blank = the system's "
                              "public market rent, or its floor rent where none is public"),
    "ceiling_usd_per_pflop_hour": ("USD/PFLOP-hr", 0.70, "Reference price per PFLOP-hour (per TB/s-hour for MEM_BW) for "
                                   "the value-based ceiling rent"),
    "ceiling_basis": ("basis", "FP8", "Precision basis for the ceiling and rent per PFLOP-hour: BF16, FP8, FP4, "
                      "FP4_SPARSE or MEM_BW"),
}
CONSTANTS = {
    "hours_per_month": (HOURS_PER_MONTH, "hours/month", "Hours per month (8,760 / 12), the engine's convention"),
    "hours_per_year": (HOURS_PER_YEAR, "hours/year", "Hours per year"),
    "months_per_year": (12.0, "months/year", "Months per year: monthly rate = (1+annual)^(1/12)-1"),
    "w_per_kw": (1000.0, "W/kW", "Watts per kilowatt"),
    "tflops_per_pflops": (1000.0, "TFLOPS/PFLOPS", "TFLOPS per PFLOPS"),
    "chart_rent_low_frac_floor": (0.6, "x floor", "One Chart: lowest rent as a multiple of the floor rent"),
    "chart_rent_high_frac_ceiling": (1.1, "x ceiling", "One Chart: highest rent as a multiple of max(ceiling, floor)"),
    "check_tolerance": (1e-9, "relative", "Checks: largest relative difference that reads OK"),
    "difference_decimals": (9.0, "decimals", "Checks: the Difference column is rounded to this many decimals "
                            "(native and add-in agree to ~1e-15; the noise is not shown)"),
    "irr_cap_annual": (IRR_CAP_ANNUAL, "annual rate", "Largest IRR shown as a return; above it #N/A (docs/model.md)"),
}
GLOBAL_FIELDS = tuple(n for n, f in FIELDS.items() if f.default is not None)
SYSTEM_FIELDS = tuple(n for n, f in FIELDS.items() if f.default is None)
CATALOG_SOURCE = {
    **{n: "source_capex" for n in ("capex_compute_usd_per_gpu", "capex_networking_usd_per_gpu",
                                   "capex_storage_usd_per_gpu", "capex_other_usd_per_gpu")},
    "it_w_per_gpu": "source_power", "chip_tdp_w": "source_power",
}


@dataclass
class Calc:
    """Engine results for one system and set of inputs (the cached values)."""

    system: str
    inputs: dict[str, object]
    a: Assumptions
    rent: float
    price: float
    basis: str
    v: dict[str, float] = field(default_factory=dict)


def calc(system: str, inputs: Mapping[str, object]) -> Calc:
    fields = {k: v for k, v in inputs.items() if k in FIELDS}
    a = Assumptions(system, **fields)
    price = float(inputs.get("ceiling_usd_per_pflop_hour", MODEL_CHOICES["ceiling_usd_per_pflop_hour"][1]))
    basis = normalize_basis(str(inputs.get("ceiling_basis", MODEL_CHOICES["ceiling_basis"][1])))
    floor = float(floor_rent(a))
    market = get_system(system).figures["market_rent_usd_per_gpu_hour"]
    default_rent = market if market > 0 else floor
    rent = inputs.get("rent_usd_per_gpu_hour")
    rent = default_rent if rent is None else float(rent)  # type: ignore[arg-type]
    c = Calc(system, dict(inputs), a, rent, price, basis)
    c.v["default_rent"] = default_rent
    return c


def irr_annual_any(flows) -> object:
    """Excel's ``=(1+IRR(flows))^12-1`` whatever the sign pattern (the native helper's cached value)."""
    m = float(np.asarray(irr(np.asarray(flows, float).reshape(-1))).reshape(-1)[0])
    return (1.0 + m) ** 12 - 1.0 if math.isfinite(m) else "#NUM!"


def or_na(x: float) -> object:
    """A result the native formulas show as #N/A where the engine has none (NaN)."""
    return x if math.isfinite(x) else "#N/A"


def irr_note_cached(detail) -> str:
    """The native note's value: the engine's reason without the NPV sentence the native note does not give."""
    reason = str(np.asarray(detail.reason).reshape(-1)[0]) if detail.reason is not None else ""
    return reason.split("; NPV at the")[0]


def scalar(x) -> float:
    return float(np.asarray(x, float).reshape(-1)[0])

