"""Docstring fragments the engine's functions share: one home for their wording.

A docstring writes ``{system}`` or ``{overrides}`` alone on a line; :func:`fill` (called at the end
of each module) puts the fragment there, indented as the placeholder is, so ``help()``, doctests
and the docstring tests read the full text.
"""

from __future__ import annotations

import re

FRAGMENTS = {
    "system": ("system : str, Assumptions or None\n"
               "    Catalog name or alias (``\"VR NVL72\"``), an :class:`~gpuecon.engine.assumptions.Assumptions`\n"
               "    (``overrides`` then replace its fields) or None for a custom system (then\n"
               "    ``capex_compute_usd_per_gpu`` and ``it_w_per_gpu`` are required)."),
    "overrides": ("**overrides : float or array\n"
                  "    Assumption fields (docs/model.md; units in the names, rates annual effective); arrays\n"
                  "    broadcast together."),
}
_PLACEHOLDER = re.compile(r"^([ \t]*)\{(" + "|".join(FRAGMENTS) + r")\}[ \t]*$", re.M)


def fill(namespace: dict[str, object]) -> None:
    """Replace the placeholders in the docstrings of the functions defined in ``namespace``'s module.

    >>> def f():
    ...     '''Doc.
    ...
    ...     {overrides}
    ...     '''
    >>> fill({"__name__": __name__, "f": f}); f.__doc__.splitlines()[2].strip()
    '**overrides : float or array'
    """
    module = namespace.get("__name__")
    for obj in list(namespace.values()):
        doc = getattr(obj, "__doc__", None)
        if callable(obj) and getattr(obj, "__module__", None) == module and doc and "{" in doc:
            obj.__doc__ = _PLACEHOLDER.sub(
                lambda m: "\n".join(m.group(1) + line for line in FRAGMENTS[m.group(2)].splitlines()), doc)
