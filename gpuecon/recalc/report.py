"""What a recalculation reports. Every formula cell either gets the value Excel computes or is
*flagged* with its reason, one entry per cell (array members counted):

* ``kept saved value``: the tool cannot evaluate the cell (unsupported function, structured reference,
  data table, ...) and none of its precedents changed, so the value Excel saved is kept;
* ``external link``: a reference to another workbook, computed from the values the book caches for
  the link (the saved value is kept where the cache lacks the cell);
* ``circular``: part of a circular reference (no iterative calculation); the saved value is kept if any;
* ``stale``: a cell the tool cannot evaluate whose precedents changed (``--set``), or a cell that depends
  on one: it shows the saved (now out of date) value, or a value computed from it; also a cell a change
  reaches that did not give back Excel's saved value on the unchanged book, and its readers (unverified);
* ``volatile``: RAND, NOW, TODAY, ... and every cell that depends on them;
* ``unsupported``: as ``kept saved value``, but the book saved no value (the cell shows ``#NAME?``);
* ``error``: the evaluation itself failed (the tool's error, not the book's), or a result is zero up to
  rounding (:mod:`.rounding`); the saved value is kept when no precedent changed;
* ``mismatch``: no precedent changed, but the recalculated value differs from the value the book saved
  (to 1e-9 relative). The recalculated value is written (a book saved with stale values, by a
  generator or in manual calculation mode, is what recalculation is for) and both are reported.

:func:`collect_issues` keeps the older per-cell list of problems and error values (``issues``).
"""

from __future__ import annotations

import math
from collections import Counter

from .bridge import fx
from .errors import Issue

__all__ = ["REASONS", "close", "collect_issues", "counts", "problem_reason"]

REASONS = ("kept saved value", "external link", "circular", "stale", "volatile", "unsupported", "error",
           "mismatch")


def close(new: object, old: object) -> bool:
    """Whether a recalculated value equals the saved one: numbers to 1e-9 relative, text and logicals
    exactly, errors by their code."""
    f = fx()
    if isinstance(new, f.XlError) or isinstance(old, f.XlError):
        return isinstance(new, f.XlError) and isinstance(old, f.XlError) and str(new) == str(old)
    if isinstance(new, bool) or isinstance(old, bool):
        return type(new) is type(old) and new == old
    if isinstance(new, float) and isinstance(old, float):
        return new == old or math.isclose(new, old, rel_tol=1e-9, abs_tol=0.0) or (math.isnan(new) and math.isnan(old))
    return type(new) is type(old) and new == old


def problem_reason(problem: str, cyclic: bool) -> str:
    if cyclic:
        return "circular"
    if problem.startswith("external link"):
        return "external link"
    return "kept saved value"


def show(value: object) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def counts(flagged: list[Issue]) -> dict[str, int]:
    """Flagged cells per reason, in :data:`REASONS` order."""
    c = Counter(i.kind for i in flagged)
    return {k: c[k] for k in REASONS if c[k]}


def collect_issues(wb) -> list[Issue]:
    """Problems by cell: unsupported, circular, and error results (with where an error came from)."""
    from ..excel.functions import is_error

    xl_error = fx().XlError
    out: list[Issue] = []
    for node in wb.nodes:
        if node.problem:
            kind = "circular" if id(node) in wb.cyclic else "unsupported"
            out.append(Issue(wb.address(node), kind, node.problem))
            continue
        if node.note:
            out.append(Issue(wb.address(node), "error", node.note))
            continue
        v = node.value
        if type(v) is float or type(v) is bool:
            continue  # a number or a logical is no error
        if isinstance(v, xl_error):
            src = _error_source(wb, node)
            out.append(Issue(wb.address(node), "error", f"{v}" + (f" (from {src})" if src else "")))
        elif is_error(v):
            out.append(Issue(wb.address(node), "error", str(v)))
    return out


def _error_source(wb, node) -> str:
    xl_error = fx().XlError
    for op in node.operands:
        if op[0] == "value":
            continue
        for p in wb.formula_cells_in(op):
            if isinstance(p.value, xl_error) or p.problem:
                return wb.address(p)
        si, r1, c1, r2, c2 = op
        if (r2 - r1 + 1) * (c2 - c1 + 1) <= 4096:
            for r in range(r1, r2 + 1):
                for c in range(c1, c2 + 1):
                    if isinstance(wb.values.get((si, r, c)), xl_error) and (si, r, c) not in wb.node_at:
                        return wb.address((si, r, c))
    return ""
