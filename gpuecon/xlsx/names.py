"""How a workbook's inputs are named: one rule for the template writer and for recalculation.

An input with a default has two defined names: ``NAME`` for the value the model uses (a formula,
``=IF(ISBLANK(input),default,input)``) and ``NAME_input`` for the cell a user types into.
``gpuecon recalc --set NAME=...`` and ``gpuecon batch --workbook`` address such an input by
``NAME``; the field aliases of the engine (``hurdle`` for ``hurdle_irr_annual``, ``rent``,
``system``) work there as in Python, Excel and scenario columns.
"""

from __future__ import annotations

from ..engine.assumptions import ALIASES, normalize_name

INPUT_SUFFIX = "_input"

#: Aliases of every input name (engine fields and the template's model choices) -> its name.
INPUT_ALIASES: dict[str, str] = {
    **ALIASES,
    "rent": "rent_usd_per_gpu_hour",
    "system": "system_name",
    "basis": "ceiling_basis",
    "usd_per_pflop_hour": "ceiling_usd_per_pflop_hour",
    "price_per_pflop": "ceiling_usd_per_pflop_hour",
}


def input_name_candidates(name: str) -> list[str]:
    """Names ``name`` may mean, most literal first: as typed, then its canonical spelling.

    >>> input_name_candidates("Hurdle")
    ['Hurdle', 'hurdle_irr_annual']
    >>> input_name_candidates("System")
    ['System', 'system_name']
    """
    out = [name.strip()]
    key = normalize_name(name)
    canonical = INPUT_ALIASES.get(key, key)
    if canonical.casefold() != out[0].casefold():
        out.append(canonical)
    return out
