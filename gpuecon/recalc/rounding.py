"""Results that are zero up to rounding, from functions whose arithmetic order decides the residue
(LINEST, TREND, PPMT, XNPV, MINVERSE): Excel shows 0 or a residue of its own there (the corpus: LINEST
0.0 where the exact fit leaves -3.5e-18, PPMT -8.6e-18 where the closed form gives 0, MINVERSE of a
singular-looking matrix -2.0e-17 where numpy gives 0), which recalculation does not reproduce. Such a
result is kept as computed and *reported* (``error``; on an unchanged book the saved value is written):
a number of the result other than 0 no larger than :data:`REL_TOL` times the largest number among the
function's data arguments (an exact 0 is not reported: MINVERSE's 0 where Excel keeps -2.0e-17 stays a
known difference)."""

from __future__ import annotations

import numpy as np

__all__ = ["NEAR_ZERO", "NOTES", "REL_TOL", "near_zero_checked"]

#: function -> the 0-based positions of its data arguments (the magnitudes a residue is judged against)
NEAR_ZERO: dict[str, tuple[int, ...]] = {"LINEST": (0, 1), "TREND": (0, 1, 2), "PPMT": (3, 4), "XNPV": (1,),
                                         "MINVERSE": (0,)}
#: about 4,500 ulp of the largest magnitude: far below any result these functions give in use
REL_TOL = 1e-12
#: what the evaluation of the current cell found (read and cleared by ``Workbook._eval_one``)
NOTES: list[str] = []


def _number(x: object) -> float | None:
    if type(x) in (int, float) or isinstance(x, np.floating):
        return float(x)  # type: ignore[arg-type]
    if type(x) is str:  # PPMT(r,"3","33","10000"): a typed number's text
        try:
            return float(x)
        except ValueError:
            return None
    return None


def _numbers(v: object) -> list[float]:
    items = np.asarray(v, dtype=object).reshape(-1) if isinstance(v, np.ndarray) else [v]
    return [y for y in map(_number, items) if y is not None and np.isfinite(y)]


def near_zero_checked(name: str, fn):
    """``fn`` (the function recalc calls for ``name``) that notes a result within rounding of zero."""
    positions = NEAR_ZERO[name]

    def call(*args):
        result = fn(*args)
        out = _numbers(result)
        if not out:
            return result
        scale = max((abs(x) for i in positions if i < len(args) for x in _numbers(args[i])), default=0.0)
        tiny = [x for x in out if x != 0.0 and abs(x) <= REL_TOL * scale]
        if scale > 0.0 and tiny:
            NOTES.append(f"{name} gives {tiny[0]:.3g}, zero up to rounding against magnitudes of {scale:.3g}: "
                         "Excel's own residue there (0 or another tiny value) is not reproduced")
        return result

    return call
