"""gpuecon: GPU economics engine (TCO, floor and ceiling rent, SOCAMM cost, the One Chart).

Pure Python on numpy and pandas (runs in Pyodide for xlwings Lite): no xlwings and
no file I/O in the engine modules. Conventions and formulas: docs/model.md.
"""

from .engine.assumptions import FIELDS, HOURS_PER_MONTH, HOURS_PER_YEAR, Assumptions, as_assumptions, defaults
from .engine.catalog import System, catalog_frame, get_system, normalize, system_names
from .engine.errors import GpueconError
from .engine.finance import (
    IRR_REASONS,
    annual_rate,
    annuity_factor,
    capital_recovery_factor,
    irr,
    monthly_rate,
    npv,
)
from .engine.model import (
    BASES,
    IRR_CAP_ANNUAL,
    TCO_ITEMS,
    FloorRent,
    OneChart,
    ProjectTerms,
    capex_breakdown_usd_per_gpu,
    capex_per_watt,
    capex_usd_per_gpu,
    cash_flows,
    ceiling_rent,
    ceiling_rent_from_reference,
    floor_rent,
    floor_rent_detail,
    headroom_frac,
    horizon_note,
    normalize_basis,
    npv_coefficients,
    one_chart,
    project_irr,
    project_irr_detail,
    project_npv,
    project_terms,
    rent_per_pflop,
    socamm_cost,
    tco_breakdown,
    tco_per_pflop_hour,
    tco_usd_per_gpu_hour,
)

__version__ = "0.1.0"

__all__ = [
    "FIELDS", "HOURS_PER_MONTH", "HOURS_PER_YEAR", "Assumptions", "as_assumptions", "defaults",
    "System", "catalog_frame", "get_system", "normalize", "system_names", "GpueconError",
    "IRR_REASONS", "annual_rate", "annuity_factor", "capital_recovery_factor", "irr", "monthly_rate", "npv",
    "BASES", "IRR_CAP_ANNUAL", "TCO_ITEMS", "FloorRent", "OneChart", "ProjectTerms", "capex_breakdown_usd_per_gpu", "capex_per_watt", "capex_usd_per_gpu",
    "cash_flows", "ceiling_rent", "ceiling_rent_from_reference", "floor_rent", "floor_rent_detail", "headroom_frac", "horizon_note",
    "normalize_basis", "npv_coefficients", "one_chart", "project_irr", "project_irr_detail", "project_npv", "project_terms", "rent_per_pflop",
    "socamm_cost", "tco_breakdown", "tco_per_pflop_hour", "tco_usd_per_gpu_hour", "__version__",
]
