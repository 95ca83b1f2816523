"""Many scenarios at once: every assumption field as a row array, checked by the engine's rules.

The one place where per-row inputs are resolved (the row's system defaults, then what is given)
and checked (each field's range and percent-typo rule); used by scenario tables
(:mod:`gpuecon.engine.frame`) and the Excel functions' array calls alike. A caller words the
errors for its own surface (a table's ``error`` column, a cell's ``#VALUE! reason``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .assumptions import FIELDS, defaults
from .numbers import explicit

#: The system whose defaults stand in for a failed row (its results are never shown).
PLACEHOLDER_SYSTEM = "VR NVL72"


@dataclass(frozen=True)
class Rows:
    """Every field as a row array, and the rows where each field is out of its range."""

    values: dict[str, np.ndarray]
    bad: dict[str, np.ndarray]  # field -> rows whose value the field refuses (only fields with any)
    typed_as_meant: dict[str, np.ndarray]  # field -> rows whose value was typed with '%' (taken as typed)


def resolve_rows(codes: np.ndarray, system_defaults: Sequence[Mapping[str, float]],
                 given: Mapping[str, np.ndarray] | None = None,
                 typed_as_meant: Mapping[str, np.ndarray] | None = None) -> Rows:
    """Each field per row: the default of the row's system, replaced where ``given`` is not NaN.

    ``value[field][i] = given[field][i]`` if not NaN, else ``system_defaults[codes[i]][field]``;
    then each field's range and percent-typo rule (not applied where typed with '%'). The rows of
    a scenario table, or of an Excel function called on ranges, resolved at once.

    Parameters
    ----------
    codes : int array, one per row
        Index into ``system_defaults`` of the row's system (one lookup per distinct system).
    system_defaults : sequence of mappings
        Field -> default, for each distinct system (:func:`gpuecon.engine.assumptions.defaults`).
    given : mapping field -> float array, optional
        Values given per row (NaN: not given, the default stays). A scalar broadcasts.
    typed_as_meant : mapping field -> bool array, optional
        Rows where the value was typed with '%' ("800%"): the percent-typo rule does not apply.

    Returns
    -------
    Rows
        ``values`` for every field (units in the names), ``bad`` masks where a field refuses the
        row's value (only fields with any), ``typed_as_meant`` masks.

    Examples
    --------
    >>> given = {"hurdle_irr_annual": np.array([np.nan, 8.0])}  # row 1: 8 is a likely typo for 8%
    >>> r = resolve_rows(np.array([0, 0]), [defaults("VR NVL72")], given)
    >>> r.values["hurdle_irr_annual"].tolist(), r.bad["hurdle_irr_annual"].tolist()
    ([0.156, 8.0], [False, True])
    """
    given = given or {}
    typed = typed_as_meant or {}
    n = len(codes)
    values: dict[str, np.ndarray] = {}
    bad: dict[str, np.ndarray] = {}
    marked: dict[str, np.ndarray] = {}
    for field, spec in FIELDS.items():
        if len(system_defaults) == 1:
            arr = np.full(n, system_defaults[0][field], dtype=float)
        else:
            arr = np.array([t[field] for t in system_defaults], dtype=float)[codes]
        if field in given:
            g = np.broadcast_to(np.asarray(given[field], dtype=float), (n,))
            arr = np.where(np.isnan(g), arr, g)
        pct = np.broadcast_to(np.asarray(typed.get(field, False), dtype=bool), (n,))
        b = np.where(pct, spec.bad_mask(arr, explicit=True), spec.bad_mask(arr))
        if b.any():
            bad[field] = b
        if pct.any():
            marked[field] = pct
        values[field] = arr
    return Rows(values, bad, marked)


def engine_values(rows: Rows, ok: np.ndarray) -> dict[str, np.ndarray]:
    """The values to compute with: failed rows (``~ok``) hold placeholders, '%'-typed fields are marked.

    A row's own values were checked by :func:`resolve_rows`; rows that failed take the defaults of
    ``PLACEHOLDER_SYSTEM`` (their results are never shown), and values typed with '%' are passed as
    typed (:func:`gpuecon.engine.numbers.explicit`), so the engine computes every row in one call.

    Parameters
    ----------
    rows : Rows
        From :func:`resolve_rows`.
    ok : bool array, one per row
        Rows to compute with their own values.

    Returns
    -------
    dict of str to ndarray
        Field -> values per row, ready for :class:`~gpuecon.engine.assumptions.Assumptions`.

    Examples
    --------
    >>> given = {"hurdle_irr_annual": np.array([np.nan, 8.0])}  # row 1: 8 is a likely typo for 8%
    >>> r = resolve_rows(np.array([0, 0]), [defaults("VR NVL72")], given)
    >>> engine_values(r, ~r.bad["hurdle_irr_annual"])["hurdle_irr_annual"].tolist()  # row 1: placeholder
    [0.156, 0.156]
    """
    values = rows.values
    if not ok.all():
        safe = defaults(PLACEHOLDER_SYSTEM)
        values = {f: np.where(ok, a, safe[f]) for f, a in values.items()}
    for f in rows.typed_as_meant:
        values[f] = explicit(values[f])
    return values
