"""The value side: ceiling rent at a reference price per PFLOP-hour (or TB/s-hour), rent per
PFLOP-hour, the headroom in system price, and the One Chart (project IRR against rent with the
floor and the ceiling). Formulas and Excel equivalents: docs/model.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .assumptions import as_assumptions
from .costs import normalize_basis, performance, performance_of
from .docstrings import fill as fill_docstrings
from .errors import GpueconError
from .numbers import explicit
from .ops import as_result
from .project import check_rent, floor_rent, project_irr, project_irr_detail

__all__ = ['REFERENCE_USD_PER_PFLOP_HOUR', 'DEFAULT_BASIS', 'ceiling_rent', 'ceiling_rent_from_reference', 'rent_per_pflop', 'headroom_frac', 'OneChart', 'one_chart']

#: Reference price of compute for the value-based ceiling, USD per PFLOP-hour at FP8 dense (seed 001).
REFERENCE_USD_PER_PFLOP_HOUR = 0.70
DEFAULT_BASIS = "FP8"

# --- value-based ceiling ----------------------------------------------------------------------

def ceiling_rent(system=None, /, usd_per_pflop_hour=REFERENCE_USD_PER_PFLOP_HOUR, basis: str = DEFAULT_BASIS, **overrides) -> np.ndarray:
    """Ceiling rent (USD/GPU-hr) = reference price x performance (marketed x effective_perf_frac).

    FLOPS bases: ``ceiling = usd_per_pflop_hour * tflops / 1000 * effective_perf_frac``; ``MEM_BW``:
    ``ceiling = usd_per_tbps_hour * mem_bw_tb_per_s * effective_perf_frac`` (memory-bound inference,
    seed 004: H20 valued by bandwidth). ``effective_perf_frac`` defaults to 1 (marketed); below 1 the
    renter pays for delivered performance (seed 001: lower MFU on a new system's first deployments).

    Excel: ``=price*PFLOPS``; Model (native) ``ceiling_rent_usd_per_gpu_hour``
    ``=ceiling_usd_per_pflop_hour*perf_at_basis``; add-in ``=CEILING_RENT(system, price, basis)``.

    {params price_basis}

    Returns
    -------
    ndarray
        USD/GPU-hr, broadcast shape of price and fields.

    {raises_basis}
        Also a price that is text, negative or not finite.

    Examples
    --------
    >>> float(ceiling_rent("VR NVL72"))  # seed 001: $0.70/PFLOP-hour x 17.5 PFLOPS FP8
    12.25
    >>> float(ceiling_rent("H20", 0.5, "MEM_BW"))  # $0.50 per TB/s-hour x 4 TB/s
    2.0
    >>> round(float(ceiling_rent("VR NVL72", effective_perf_frac=0.6)), 4)  # 0.70 x 17.5 x 60% delivered
    7.35
    """
    a = as_assumptions(system, **overrides)
    p = usd_per_pflop_hour
    if type(p) in (float, int, np.float64) and p >= 0 and p - p == 0:  # one number, finite: checked in plain Python
        return as_result(float(p) * performance_of(a.scalar or a, basis))
    price = np.asarray(usd_per_pflop_hour, float) if not isinstance(usd_per_pflop_hour, str) else None
    if price is None or np.any(~np.isfinite(price)) or np.any(price < 0):
        raise GpueconError("usd_per_pflop_hour", usd_per_pflop_hour, "a number >= 0")
    return price * performance(a, basis)


def ceiling_rent_from_reference(system, reference_system, reference_rent_usd_per_gpu_hour, basis: str = "FP8",
                                **overrides) -> np.ndarray:
    """Ceiling rent (USD/GPU-hr) at parity with a reference system's rent.

    ``ceiling = reference_rent / reference_perf * this_perf`` (performance at ``basis``, as
    :func:`ceiling_rent`); the reference keeps its catalog figures, ``overrides`` apply to ``system``.

    Excel: ``=ref_rent/ref_PFLOPS*PFLOPS``; with the add-in
    ``=CEILING_RENT(system, RENT_PER_PFLOP(ref, ref_rent, basis), basis)``.

    Parameters
    ----------
    {system}
    reference_system : str or Assumptions
        The system whose rent sets the price.
    reference_rent_usd_per_gpu_hour : float or array
        Its rent, USD/GPU-hr, >= 0.
    {basis}
    {overrides}

    Returns
    -------
    ndarray
        USD/GPU-hr, broadcast shape.

    {raises_basis}
        Also a bad reference rent.

    Examples
    --------
    >>> round(float(ceiling_rent_from_reference("VR NVL72", "GB300 NVL72", 3.5)), 4)  # GB300 at $3.50
    12.25
    >>> round(float(ceiling_rent_from_reference("VR NVL72", "GB300 NVL72", 3.5, "BF16")), 4)  # 3.5/2.5 x 4
    5.6
    """
    ref = as_assumptions(reference_system)
    price = rent_per_pflop(ref, reference_rent_usd_per_gpu_hour, basis)
    return ceiling_rent(system, price, basis, **overrides)


def rent_per_pflop(system=None, /, rent_usd_per_gpu_hour=None, basis: str = "FP8", **overrides) -> np.ndarray:
    """Rent per PFLOP-hour (USD) at a basis: ``rent / PFLOPS`` (per TB/s-hour for MEM_BW).

    PFLOPS are marketed dense per GPU (``tflops / 1000``) x ``effective_perf_frac`` (default 1).

    Excel: ``=rent/PFLOPS``; Model (native) ``rent_per_unit_hour``
    ``=rent_usd_per_gpu_hour/perf_at_basis``; add-in ``=RENT_PER_PFLOP(system, rent, basis)``.

    Parameters
    ----------
    {system}
    rent_usd_per_gpu_hour : float, array or str
        Rent, USD/GPU-hr, >= 0.
    {basis}
    {overrides}

    Returns
    -------
    ndarray
        USD/PFLOP-hr (USD per TB/s-hour for MEM_BW), broadcast shape.

    {raises_basis}
        Also a missing, negative or non-finite rent.

    Examples
    --------
    >>> round(float(rent_per_pflop("VR NVL72", 8.0)), 6)  # $8 / 17.5 PFLOPS FP8
    0.457143
    >>> round(float(rent_per_pflop("VR NVL72", 8.0, "FP4")), 6)  # $8 / 35 PFLOPS FP4
    0.228571
    """
    a = as_assumptions(system, **overrides)
    return check_rent(rent_usd_per_gpu_hour) / performance(a, basis)


# --- the One Chart ------------------------------------------------------------------------------

def headroom_frac(system=None, /, usd_per_pflop_hour=REFERENCE_USD_PER_PFLOP_HOUR, basis: str = DEFAULT_BASIS,
                  **overrides) -> np.ndarray:
    """Largest increase in all-in system price (fraction) at which floor rent <= ceiling rent.

    Floor rent is linear in capex (maintenance, depreciation and residual scale with it), so
    ``h = (ceiling - floor) / (floor(2 x capex) - floor(capex))``, the doubling taken on
    ``1 + system_price_uplift_frac``. Negative: the floor is already above the ceiling.

    Excel: Model (native) ``headroom_frac``
    ``=(ceiling_rent_usd_per_gpu_hour-floor_rent_usd_per_gpu_hour)/floor_increase_per_doubling``.

    {params price_basis}

    Returns
    -------
    ndarray
        Fraction of the all-in system price (1.0 = +100%), broadcast shape.

    {raises_basis}

    Examples
    --------
    >>> round(float(headroom_frac("VR NVL72")), 4)  # price could rise 182% before floor > ceiling
    1.8157
    >>> abs(float(headroom_frac("VR NVL72", system_price_uplift_frac=1.8157))) < 1e-4  # none left
    True
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

    ``irr_annual = project_irr(rents)``; the floor (IRR = hurdle), the ceiling and
    ``headroom_frac`` as :func:`floor_rent`, :func:`ceiling_rent`, :func:`headroom_frac`;
    ``repriced_irr_annual`` is the curve at the all-in price ``x (1 + headroom)``, which crosses
    the hurdle at the ceiling. Default rents: ``points`` evenly from ``0.6 * floor`` to
    ``1.1 * max(ceiling, floor)``.

    Excel: the One Chart sheet (rents ``=$F$5+$F$7*A5``, IRR
    ``=(1+IRR(cash_flow_excl_rent+B5*cash_flow_per_rent))^12-1``, ``#N/A`` above ``irr_cap_annual``);
    add-in ``=ONE_CHART(system)``.

    Parameters
    ----------
    {system}
    rents : array of float, optional
        Rents, USD/GPU-hr, >= 0; None for the default grid.
    {price_basis}
    points : int
        Number of rents in the default grid (41).
    **overrides : float
        Assumption fields (docs/model.md), scalars: the chart is one scenario.

    Returns
    -------
    OneChart
        ``rents_usd_per_gpu_hour``, ``irr_annual`` (NaN where none, reason in ``irr_reason``),
        ``floor_usd_per_gpu_hour``, ``ceiling_usd_per_gpu_hour``, ``headroom_frac``,
        ``repriced_irr_annual``, ``hurdle_irr_annual``, ``basis``, ``usd_per_pflop_hour``.

    {raises_basis}
        Also a negative or non-finite rent.

    Examples
    --------
    >>> c = one_chart("VR NVL72", rents=[4.0, 8.0])
    >>> irrs = [round(float(x), 4) for x in c.irr_annual]
    >>> irrs, round(c.floor_usd_per_gpu_hour, 4), c.ceiling_usd_per_gpu_hour
    ([-0.0141, 0.9165], 4.9252, 12.25)
    >>> c = one_chart("VR NVL72")
    >>> ends = c.rents_usd_per_gpu_hour[[0, -1]]
    >>> len(c.rents_usd_per_gpu_hour), [round(float(r), 4) for r in ends]  # 0.6 x 4.9252, 1.1 x 12.25
    (41, [2.9551, 13.475])
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


fill_docstrings(globals())
