"""The value side: ceiling rent at a reference price per PFLOP-hour (or TB/s-hour), rent per
PFLOP-hour, the headroom in system price, and the One Chart (project IRR against rent with the
floor and the ceiling). Formulas and Excel equivalents: docs/model.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .assumptions import as_assumptions
from .costs import normalize_basis, performance
from .errors import GpueconError
from .numbers import explicit
from .project import check_rent, floor_rent, project_irr, project_irr_detail

__all__ = ['REFERENCE_USD_PER_PFLOP_HOUR', 'DEFAULT_BASIS', 'ceiling_rent', 'ceiling_rent_from_reference', 'rent_per_pflop', 'headroom_frac', 'OneChart', 'one_chart']

#: Reference price of compute for the value-based ceiling, USD per PFLOP-hour at FP8 dense (seed 001).
REFERENCE_USD_PER_PFLOP_HOUR = 0.70
DEFAULT_BASIS = "FP8"

# --- value-based ceiling ----------------------------------------------------------------------

def ceiling_rent(system=None, /, usd_per_pflop_hour=REFERENCE_USD_PER_PFLOP_HOUR, basis: str = DEFAULT_BASIS, **overrides) -> np.ndarray:
    """Ceiling rent (USD/GPU-hr) = reference price x this system's marketed dense performance.

    FLOPS bases: ``usd_per_pflop_hour * tflops / 1000``; ``MEM_BW``: the price is USD per
    TB/s-hour and the figure is memory bandwidth in TB/s. Excel: ``=price*PFLOPS``.

    Examples
    --------
    >>> float(ceiling_rent("VR NVL72"))  # seed 001: $0.70/PFLOP-hour x 17.5 PFLOPS FP8
    12.25
    """
    a = as_assumptions(system, **overrides)
    price = np.asarray(usd_per_pflop_hour, float) if not isinstance(usd_per_pflop_hour, str) else None
    if price is None or np.any(~np.isfinite(price)) or np.any(price < 0):
        raise GpueconError("usd_per_pflop_hour", usd_per_pflop_hour, "a number >= 0")
    return price * performance(a, basis)


def ceiling_rent_from_reference(system, reference_system, reference_rent_usd_per_gpu_hour, basis: str = "FP8",
                                **overrides) -> np.ndarray:
    """Ceiling rent at parity with a reference system's rent: ref_rent / ref_perf x this perf.

    Examples
    --------
    >>> round(float(ceiling_rent_from_reference("VR NVL72", "GB300 NVL72", 3.5)), 4)  # GB300 at $3.50, FP8 parity
    12.25
    """
    ref = as_assumptions(reference_system)
    price = rent_per_pflop(ref, reference_rent_usd_per_gpu_hour, basis)
    return ceiling_rent(system, price, basis, **overrides)


def rent_per_pflop(system=None, /, rent_usd_per_gpu_hour=None, basis: str = "FP8", **overrides) -> np.ndarray:
    """Rent per PFLOP-hour (USD) at a basis: rent / marketed dense PFLOPS (per TB/s for MEM_BW).

    Examples
    --------
    >>> round(float(rent_per_pflop("VR NVL72", 8.0)), 6)  # $8 / 17.5 PFLOPS FP8
    0.457143
    """
    a = as_assumptions(system, **overrides)
    return check_rent(rent_usd_per_gpu_hour) / performance(a, basis)


# --- the One Chart ------------------------------------------------------------------------------

def headroom_frac(system=None, /, usd_per_pflop_hour=REFERENCE_USD_PER_PFLOP_HOUR, basis: str = DEFAULT_BASIS,
                  **overrides) -> np.ndarray:
    """Largest increase in all-in system price (fraction) at which floor rent <= ceiling rent.

    Floor rent is linear in capex (maintenance, depreciation and residual scale with it), so
    h = (ceiling - floor) / (floor(2 x capex) - floor(capex)). Negative: already above.

    Examples
    --------
    >>> round(float(headroom_frac("VR NVL72")), 4)  # the system price could rise 182% before floor > ceiling
    1.8157
    """
    a = as_assumptions(system, **overrides)
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
    irr_reason: np.ndarray  # per rent, "" or why no IRR is shown there

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame({"rent_usd_per_gpu_hour": self.rents_usd_per_gpu_hour, "irr_annual": self.irr_annual,
                             "irr_at_headroom_price_annual": self.repriced_irr_annual})


def one_chart(system=None, /, rents=None, usd_per_pflop_hour=REFERENCE_USD_PER_PFLOP_HOUR, basis: str = DEFAULT_BASIS,
              points: int = 41,
              **overrides) -> OneChart:
    """IRR across rents (default: from 0.6 x floor to 1.1 x ceiling), with floor, ceiling and headroom.

    Examples
    --------
    >>> c = one_chart("VR NVL72", rents=[4.0, 8.0])
    >>> [round(float(x), 4) for x in c.irr_annual], round(c.floor_usd_per_gpu_hour, 4), c.ceiling_usd_per_gpu_hour
    ([-0.0141, 0.9165], 4.9252, 12.25)
    """
    a = as_assumptions(system, **overrides)
    floor = float(floor_rent(a))
    ceiling = float(ceiling_rent(a, usd_per_pflop_hour, basis))
    if rents is None:
        rents = np.linspace(0.6 * floor, 1.1 * max(ceiling, floor), points)
    rents = check_rent(np.asarray(rents, float).reshape(-1))
    head = float(headroom_frac(a, usd_per_pflop_hour, basis))
    detail = project_irr_detail(a, rents)
    repriced = a.replace(system_price_uplift_frac=explicit((1.0 + a.system_price_uplift_frac) * (1.0 + head) - 1.0)) if head > -1 else a
    return OneChart(
        system=a.system.name if a.system else "custom",
        rents_usd_per_gpu_hour=rents,
        irr_annual=detail.annual,
        hurdle_irr_annual=float(a.hurdle_irr_annual),
        floor_usd_per_gpu_hour=floor,
        ceiling_usd_per_gpu_hour=ceiling,
        headroom_frac=head,
        repriced_irr_annual=project_irr(repriced, rents),
        basis=normalize_basis(basis),
        usd_per_pflop_hour=float(usd_per_pflop_hour),
        irr_reason=detail.reason,
    )
