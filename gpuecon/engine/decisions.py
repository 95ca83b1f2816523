"""Decisions: break-even utilization, the tornado table (one input moved at a time) and the rent a
new generation pushes the installed base down to. Conventions and Excel equivalents:
docs/model.md, "Tokens and decisions".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from . import ops
from .assumptions import FIELDS, Assumptions, as_assumptions
from .costs import performance, tco_usd_per_gpu_hour
from .docstrings import fill as fill_docstrings
from .errors import GpueconError
from .finance import choose, monthly_rate
from .financing import equity_irr
from .numbers import explicit
from .project import check_rent, floor_rent, npv_coefficients, project_irr, terms_of

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SENSITIVITY_OUTPUTS", "SENSITIVITY_COLUMNS", "BreakevenUtilization", "breakeven_utilization_detail",
           "breakeven_utilization", "moved_values", "sensitivity", "competitive_rent"]

#: what :func:`sensitivity` can show, and whether it needs a rent
SENSITIVITY_OUTPUTS = {"floor": False, "tco": False, "irr": True, "equity_irr": True}
#: the tornado table's columns (``note``: clipped or rounded moves, or why an output is missing)
SENSITIVITY_COLUMNS = ("input", "low", "high", "output_at_low", "output_at_high", "swing", "note")

ABOVE_FULL = "needs more than 100% utilization"


@dataclass(frozen=True)
class BreakevenUtilization:
    """Break-even utilization with, per row, why there is none ("" where there is)."""

    frac: np.ndarray
    reason: np.ndarray


def breakeven_utilization_detail(system=None, /, rent_usd_per_gpu_hour=None, **overrides) -> BreakevenUtilization:
    """:func:`breakeven_utilization` with the reason per row where there is none.

    See :func:`breakeven_utilization` for the formula. Reasons: ``needs more than 100%
    utilization`` (with the share it would take), a rent of 0, or a floor rent <= 0 (the hurdle
    is earned at any utilization).

    Excel: the add-in's ``BREAKEVEN_UTILIZATION`` shows ``#NUM! <reason>``.

    Parameters
    ----------
    {system}
    {rent}
    **overrides : float or array
        Assumption fields (docs/model.md); ``utilization_frac`` is what is solved for, so a value
        given is ignored.

    Returns
    -------
    BreakevenUtilization
        ``frac`` (NaN where none) and ``reason`` ("" where shown), broadcast shape.

    {raises_rent}

    Examples
    --------
    >>> d = breakeven_utilization_detail("GB300 NVL72", [3.5, 2.0])
    >>> [round(float(x), 4) for x in d.frac], str(d.reason[1])[:33]
    ([0.9053, nan], 'needs more than 100% utilization ')
    """
    a = as_assumptions(system, **overrides)
    rent = check_rent(rent_usd_per_gpu_hour)
    u_now = a.utilization_frac
    full = a if type(u_now) is np.float64 and u_now == 1.0 else a.replace(utilization_frac=1.0)  # (already at 100%)
    v = full.scalar or full  # one scenario: Python floats, the same formulas
    k0, k1_full = npv_coefficients(terms_of(v), monthly_rate(v.hurdle_irr_annual))
    if _linear_in_utilization(full, k0, k1_full):
        floor_full = ops.div(-k0, k1_full)  # the floor rent at 100% utilization
        if type(floor_full) is float and type(rent) is np.float64 and rent != 0:  # one scenario
            u = floor_full / float(rent)
            if floor_full > 0 and u <= 1.0:  # its utilization (else the reason, below)
                return BreakevenUtilization(np.asarray(u), np.asarray("", dtype=object))
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                u = np.asarray(floor_full / rent, float)
    else:  # pragma: no cover - the engine's utilization scales revenue only; kept should that change
        floor_full = floor_rent(full)
        u = _breakeven_by_bisection(a, rent)
    if np.ndim(u) == 0 and np.ndim(rent) == 0 and np.ndim(floor_full) == 0:  # one scenario: no broadcasting
        shape, u, floor_full, rent = (), float(u), float(floor_full), float(rent)
    else:
        shape = np.broadcast_shapes(np.shape(rent), np.shape(floor_full))
        u, floor_full, rent = (np.broadcast_to(x, shape).astype(float) for x in (u, floor_full, rent))
    frac = np.asarray(choose((floor_full > 0) & (rent > 0) & (u <= 1.0), u, np.nan))
    reason = np.full(shape, "", dtype=object)
    for i in zip(*np.nonzero(np.isnan(frac)), strict=True) if frac.ndim else ([()] if np.isnan(frac) else []):
        f, r = float(np.asarray(floor_full)[i]), float(np.asarray(rent)[i])
        if f <= 0:
            reason[i] = (f"the hurdle is earned at any utilization: the floor rent at 100% utilization is "
                         f"{f:.2f} USD/GPU-hr (<= 0)")
        elif r == 0:
            reason[i] = f"{ABOVE_FULL}: a rent of 0 never earns the hurdle"
        else:
            reason[i] = (f"{ABOVE_FULL} ({f / r:.1%}): the floor rent at 100% utilization, {f:.2f} USD/GPU-hr, "
                         f"is above the rent {r:.2f}")
    return BreakevenUtilization(frac, reason)


def _linear_in_utilization(full: Assumptions, k0: np.ndarray, k1_full: np.ndarray) -> bool:
    """True where the engine's K0 does not read utilization and K1 scales with it (floor = floor(1) / u).

    One scenario's answer is kept for its fields (K0 and K1 follow from them): checked once per
    distinct set of assumptions, whatever the rent.
    """
    s = full.scalar
    key = None if s is None else (s.system.name if s.system else None, *tuple(s.__dict__.values())[:-1])  # fields, system
    known = _LINEAR.get(key) if key is not None else None
    if known is not None:
        return known
    half = full.replace(utilization_frac=0.5)
    v = half.scalar or half
    k0_half, k1_half = npv_coefficients(terms_of(v), monthly_rate(v.hurdle_irr_annual))
    linear = _all_close(k0_half, k0, 1e-12, 1e-9) and _all_close(k1_half, 0.5 * k1_full, 1e-12, 1e-8)
    if key is not None:
        if len(_LINEAR) >= 4096:
            _LINEAR.clear()
        _LINEAR[key] = linear
    return linear


_LINEAR: dict[tuple, bool] = {}  # one scenario's fields -> whether the floor scales as 1 / utilization


def _all_close(a, b, rtol: float, atol: float) -> bool:
    """``np.allclose(a, b, rtol, atol)`` (equal infinities close, NaN not) without its cost on one number."""
    return ops.all_true((a == b) | ((abs(a - b) <= atol + rtol * abs(b)) & ops.isfinite(a) & ops.isfinite(b)))


def _breakeven_by_bisection(a: Assumptions, rent: np.ndarray, iterations: int = 80) -> np.ndarray:
    """Utilization in (0, 1] with ``floor_rent(u) = rent`` by vectorized bisection (floor falls as u rises)."""
    shape = np.broadcast_shapes(np.shape(rent), np.shape(floor_rent(a)))
    lo, hi = np.full(shape, 1e-9), np.ones(shape)
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        above = floor_rent(a.replace(utilization_frac=mid)) > rent  # the rent is too low at mid: need more
        lo, hi = np.where(above, mid, lo), np.where(above, hi, mid)
    u = 0.5 * (lo + hi)
    return np.where(floor_rent(a.replace(utilization_frac=1.0)) > rent, np.inf, u)


def breakeven_utilization(system=None, /, rent_usd_per_gpu_hour=None, **overrides) -> np.ndarray:
    """Utilization at which a rent earns exactly the hurdle: the floor rent at that utilization is the rent.

    Utilization scales the revenue only (power and colocation are paid on all hours), so the NPV
    coefficients are ``K0`` (no utilization in it) and ``K1(u) = u * K1(1)``, and the floor rent
    ``-K0 / K1(u) = floor(1) / u``. Hence, in closed form::

        u* = -K0 / (rent * K1(1)) = floor_rent(utilization 1) / rent

    NaN where above 100% (:func:`breakeven_utilization_detail` says ``needs more than 100%
    utilization``), where the rent is 0, or where the floor is <= 0.

    Excel: ``=floor_at_full_utilization/rent`` (``=-npv_k0/(rent*npv_k1)`` with the coefficients at
    utilization 1); add-in ``=BREAKEVEN_UTILIZATION(system, rent, [hurdle_irr], [assumptions])``.

    Parameters
    ----------
    {system}
    {rent}
    **overrides : float or array
        Assumption fields (``hurdle_irr_annual`` sets the return to earn); ``utilization_frac`` is
        solved for.

    Returns
    -------
    ndarray
        Fraction of hours billed, in (0, 1]; NaN where none. Broadcast shape.

    {raises_rent}

    Examples
    --------
    >>> round(float(breakeven_utilization("GB300 NVL72", 3.5)), 4)  # floor $3.1684 at 100% / $3.50
    0.9053
    >>> [round(float(x), 4) for x in breakeven_utilization("VR NVL72", 8.0, hurdle_irr_annual=[0.156, 0.3])]
    [0.6157, 0.7069]
    """
    return breakeven_utilization_detail(system, rent_usd_per_gpu_hour, **overrides).frac


def _output(name: str, a: Assumptions, rent) -> np.ndarray:
    if name == "floor":
        return np.asarray(floor_rent(a), float)
    if name == "tco":
        return np.asarray(tco_usd_per_gpu_hour(a), float)
    if name == "irr":
        return np.asarray(project_irr(a, rent), float)
    return np.asarray(equity_irr(a, rent), float)


def moved_values(field_name: str, value: float, swing: float) -> tuple[float, float, str]:
    """The tornado's low and high values of a field: ``value -/+ swing * |value|`` in its range and steps.

    A moved value outside the field's range is clipped to the range's bound; at an open bound that
    side is not moved (``value``); whole-month fields are rounded to whole steps. :func:`sensitivity`
    uses it for every row; the template's Sensitivity sheet writes the same rules in built-in formulas.

    Excel: ``=IF(v-s*ABS(v)<lo,lo,v-s*ABS(v))`` (closed bound; ``<=`` and ``v`` at an open one), with
    ``ROUND(x*12,0)/12`` for the contract term and ``ROUND(x,0)`` for the lag.

    Parameters
    ----------
    field_name : str
        An assumption field (docs/model.md).
    value : float
        Its value.
    swing : float
        The move, a fraction of ``|value|`` in (0, 1].

    Returns
    -------
    tuple
        ``(low, high, note)``: the values used and what was clipped, not moved or rounded ("" if none).

    Examples
    --------
    >>> moved_values("utilization_frac", 1.0, 0.2)
    (0.8, 1.0, 'high clipped to 1 (range (0, 1])')
    """
    field = FIELDS[field_name]
    out, notes = [], []
    for side, target in (("low", value - swing * abs(value)), ("high", value + swing * abs(value))):
        moved = target
        if field.whole:
            moved = round(moved / field.step) * field.step
        if field.bad_mask(np.float64(moved), explicit=True):
            bound = field.lo if moved < field.lo or (field.lo_open and moved <= field.lo) else field.hi
            is_open = field.lo_open if bound == field.lo else field.hi_open
            moved = value if is_open else bound
            notes.append(f"{side} {'not moved' if is_open else f'clipped to {bound:g}'} (range {field.allowed[3:]})")
        elif field.whole and moved != target:
            notes.append(f"{side} rounded to {moved:g} (whole steps)")
        out.append(float(moved))
    return out[0], out[1], "; ".join(notes)


def sensitivity(system=None, /, output: str = "floor", swing_frac=0.2, rent_usd_per_gpu_hour=None,
                **overrides) -> pd.DataFrame:
    """Tornado table: the output with each numeric assumption moved by -/+ ``swing_frac`` of its value.

    For each field with a value (not blank, not 0): ``low = v - swing * |v|`` and
    ``high = v + swing * |v|``, every other field at its value; ``swing = |output_at_high -
    output_at_low|``. Rows sorted by swing, largest first (NaN swings last); a field that does not
    move the output (swing 0, e.g. TFLOPS for the floor) has no row. Rules, said in ``note``: a
    moved value outside the field's range is clipped to the range's bound (an open bound: that
    side is not moved); whole-month fields are rounded to whole steps; an output with no value
    (an IRR with no IRR to show) is NaN. Zero-valued fields (a 0% tax rate) have no row: a
    percentage of 0 does not move. All rows are computed in one vectorized engine call.

    Outputs: ``floor`` (floor rent, USD/GPU-hr), ``tco`` (USD/GPU-hr), ``irr`` (project IRR at the
    rent), ``equity_irr`` (:func:`gpuecon.engine.financing.equity_irr` at the rent, default debt).

    Excel: ``SENSITIVITY(system, [output], [swing_frac], [rent], [assumptions])`` spills the table
    (without the ``note`` column); by hand, one ``=FLOOR_RENT(system, field, v*(1-s))`` per row.

    Parameters
    ----------
    system : str, Assumptions or None
        Catalog name or alias, an :class:`~gpuecon.engine.assumptions.Assumptions` (``overrides``
        then replace its fields) or None for a custom system. One scenario (scalar fields).
    output : str
        ``floor`` (default), ``tco``, ``irr`` or ``equity_irr``.
    swing_frac : float
        How far each input moves, a fraction of its value in (0, 1]; default 0.2.
    rent_usd_per_gpu_hour : float or str, optional
        Rent, USD/GPU-hr, >= 0; required for ``irr`` and ``equity_irr``.
    **overrides : float
        Assumption fields (docs/model.md), the base scenario.

    Returns
    -------
    pandas.DataFrame
        Columns ``input, low, high, output_at_low, output_at_high, swing, note``; ``attrs`` holds
        ``output``, ``base`` (the output at the base values) and ``swing_frac``.

    Raises
    ------
    GpueconError
        An unknown output; a swing outside (0, 1]; a missing rent for ``irr``/``equity_irr``;
        array-valued fields; an unknown system or field, or a field out of its range.

    Examples
    --------
    >>> t = sensitivity("VR NVL72").set_index("input")
    >>> [round(float(x), 4) for x in t.loc["hurdle_irr_annual", "low":"swing"]]  # 12.48% and 18.72%
    [0.1248, 0.1872, 4.7593, 5.0887, 0.3295]
    >>> t.index[0], t.loc["utilization_frac", "note"]  # 120% is outside (0, 1]: 80% gives 4.9252 / 0.8
    ('utilization_frac', 'high clipped to 1 (range (0, 1])')
    """
    import pandas as pd  # imported here: loading the engine stays free of pandas
    key = str(output).strip().lower().replace("-", "_").replace(" ", "_")
    if key not in SENSITIVITY_OUTPUTS:
        raise GpueconError("output", output, "one of " + ", ".join(SENSITIVITY_OUTPUTS))
    swing = float(_swing(swing_frac))
    rent = None
    if SENSITIVITY_OUTPUTS[key]:
        if rent_usd_per_gpu_hour is None:
            raise GpueconError("rent_usd_per_gpu_hour", None, "given",
                               f"output {key!r} needs a rent (rent_usd_per_gpu_hour)")
        rent = check_rent(rent_usd_per_gpu_hour)
        if rent.ndim:
            raise GpueconError("rent_usd_per_gpu_hour", rent_usd_per_gpu_hour, "one number")
    a = as_assumptions(system, **overrides)
    arrays = [n for n, v in a.items() if np.ndim(v)]
    if arrays:
        raise GpueconError(arrays[0], "an array", "one value", f"sensitivity takes one scenario; {arrays[0]} has several")
    rows = []
    for name in FIELDS:
        v = float(a[name])
        if not np.isfinite(v) or v == 0.0:
            continue
        lo, hi, note = moved_values(name, v, swing)
        if lo == v and hi == v:
            continue
        rows.append((name, v, lo, hi, note))
    base = float(_output(key, a, rent))
    n = len(rows)
    moved = {}
    for i, (name, v, lo, hi, _) in enumerate(rows):
        col = np.full(2 * n, v)
        col[2 * i], col[2 * i + 1] = lo, hi
        moved[name] = explicit(col)
    out = _output(key, a.replace(**moved), rent).reshape(-1) if n else np.empty(0)
    frame = pd.DataFrame({
        "input": [r[0] for r in rows], "low": [r[2] for r in rows], "high": [r[3] for r in rows],
        "output_at_low": out[0::2], "output_at_high": out[1::2],
    })
    frame["swing"] = (frame["output_at_high"] - frame["output_at_low"]).abs()
    missing = frame[["output_at_low", "output_at_high"]].isna().any(axis=1)
    frame["note"] = [("; ".join(x for x in (r[4], f"no {key} to show at the low or high value") if x) if m else r[4])
                     for r, m in zip(rows, missing, strict=True)]
    scale = max(1.0, abs(base)) if np.isfinite(base) else 1.0
    keep = missing | (frame["swing"] > 1e-12 * scale)
    frame = frame[keep].sort_values("swing", ascending=False, na_position="last", kind="stable")
    frame = frame.reset_index(drop=True)[list(SENSITIVITY_COLUMNS)]
    frame.attrs.update(output=key, base=base, swing_frac=swing)
    return frame


def _swing(value: object) -> float:
    try:
        s = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise GpueconError("swing_frac", value, "in (0, 1]") from None
    if isinstance(value, bool) or not (0.0 < s <= 1.0):
        raise GpueconError("swing_frac", value, "in (0, 1]")
    return s


def competitive_rent(old_system, new_system, basis: str = "FP8", new_rent_usd_per_gpu_hour=None,
                     **overrides) -> np.ndarray:
    """Rent the old system must fall to so its $/PFLOP matches the new one's (``new_rent / new * old``).

    Performance is marketed dense at ``basis`` (per TB/s for ``MEM_BW``) x each system's
    ``effective_perf_frac`` (default 1: an ``Assumptions`` for ``old_system`` carries its own);
    ``new_rent`` defaults to the new system's floor rent (:func:`gpuecon.engine.model.floor_rent`),
    the lowest rent the new generation can be offered at. This is the price pressure a new
    generation puts on the installed base. ``overrides`` apply to the new system (its floor); the
    old system gives only its performance.

    Excel: ``=new_rent/new_PFLOPS*old_PFLOPS``; add-in
    ``=COMPETITIVE_RENT(old, new, [basis], [new_rent], [assumptions])``.

    Parameters
    ----------
    old_system : str or Assumptions
        The installed system (catalog name or alias, or validated assumptions).
    new_system : str or Assumptions
        The new generation.
    basis : str
        ``BF16``, ``FP8`` (default), ``FP4``, ``FP4_SPARSE`` or ``MEM_BW``.
    new_rent_usd_per_gpu_hour : float, array or str, optional
        The new system's rent, USD/GPU-hr, >= 0; default its floor rent.
    **overrides : float or array
        Assumption fields for the new system (docs/model.md); arrays broadcast together.

    Returns
    -------
    ndarray
        USD per old-system GPU-hour, broadcast shape.

    Raises
    ------
    GpueconError
        A basis either system does not market; a bad rent; an unknown system or field.

    Examples
    --------
    >>> round(float(competitive_rent("GB300 NVL72", "VR NVL72")), 4)  # VR floor $4.9252 / 17.5 x 5
    1.4072
    >>> float(competitive_rent("GB300 NVL72", "VR NVL72", new_rent_usd_per_gpu_hour=12.25))  # at the ceiling
    3.5
    >>> round(float(competitive_rent("GB300 NVL72", "VR NVL72", effective_perf_frac=0.5)), 4)  # VR at 50%
    2.8144
    """
    new = as_assumptions(new_system, **overrides)
    old = as_assumptions(old_system)
    rent = floor_rent(new) if new_rent_usd_per_gpu_hour is None else check_rent(new_rent_usd_per_gpu_hour)
    return rent / performance(new, basis) * performance(old, basis)


fill_docstrings(globals())
