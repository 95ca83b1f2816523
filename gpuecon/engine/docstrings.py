"""Docstring fragments the engine's functions share: one home for their wording.

A docstring writes a fragment's name in braces (``{system}``, ``{raises_fields}``) alone on a line; :func:`fill` (called at the end
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
    "rent": ("rent_usd_per_gpu_hour : float, array or str\n"
             "    Rent, USD/GPU-hr of billed time, >= 0 (text such as ``\"8\"`` is parsed); broadcasts with the\n"
             "    fields."),
    "rent_or_tco": ("rent_usd_per_gpu_hour : float, array or str, optional\n"
                    "    Rent, USD/GPU-hr, >= 0; None: the TCO."),
    "throughput": ("tokens_per_sec_per_gpu : float, array or str\n"
                   "    Throughput, tokens per second per GPU, > 0."),
    "returns_usd_per_gpu_hour": ("Returns\n-------\nndarray\n"
                                 "    USD/GPU-hr, broadcast shape of the fields (0-d for scalars)."),
    "raises_fields": ("Raises\n------\nGpueconError\n"
                      "    An unknown system or field, or a field out of its range (the message names both)."),
    "raises_rent": ("Raises\n------\nGpueconError\n"
                    "    A missing, negative, non-finite or boolean rent; an unknown system or field, or a field out\n"
                    "    of its range."),
    "basis": ("basis : str\n"
              "    ``BF16``, ``FP8`` (default), ``FP4``, ``FP4_SPARSE`` or ``MEM_BW`` (case, spaces and dashes\n"
              "    ignored)."),
    "raises_basis": ("Raises\n------\nGpueconError\n"
                     "    An unknown basis or a figure the system does not market; an unknown system or field, or a\n"
                     "    field out of its range."),
    "catalog_params": ("Parameters\n----------\nsystem : System, str or None\n"
                       "    A catalog system, its name or alias, or None for a custom system."),
}
FRAGMENTS["fields_params"] = ("Parameters\n----------\na : Assumptions or ScalarFields\n"
                              "    Validated fields: one scenario as Python floats (``a.scalar``) or the assumptions\n"
                              "    themselves (floats or arrays); the formula is the same for both.")
FRAGMENTS["raises_performance"] = ("Raises\n------\nGpueconError\n"
                                   "    An unknown basis, or a figure that is not marketed (blank) or not above 0.")
FRAGMENTS["lookup_params"] = ("Parameters\n----------\nsystem : str or array of str\n"
                              "    Catalog name or alias.\n"
                              "model : str or array of str\n"
                              "    The model served, e.g. ``DeepSeek R1``; required.\n"
                              "workload : str or array of str, optional\n"
                              "    Input/output lengths, e.g. ``8k/1k``; blank: any.\n"
                              "precision : str or array of str, optional\n"
                              "    ``FP8``, ``FP4``, ...; blank: any (including not stated).\n"
                              "configuration : str or array of str, optional\n"
                              "    Software configuration (its name or a unique beginning); blank: the best published.")
FRAGMENTS["ratio_params"] = ("Parameters\n----------\nsystem : str or array of str\n"
                             "    Catalog name or alias (the numerator).\n"
                             "reference_system : str or array of str\n"
                             "    Catalog name or alias (the denominator).\n"
                             "precision : str or array of str, optional\n"
                             "    The published comparison's precision (``FP8``, ``FP4``); blank: like for like.")
FRAGMENTS["price_basis"] = ("usd_per_pflop_hour : float or array\n"
                            "    Reference price, USD per PFLOP-hour at the basis (USD per TB/s-hour for ``MEM_BW``), >= 0;\n"
                            "    default 0.70 (seed 001, FP8 dense).\n" + FRAGMENTS["basis"])
_PLACEHOLDER = re.compile(r"^([ \t]*)\{(params|" + "|".join(FRAGMENTS) + r")((?: \w+)*)\}[ \t]*$", re.M)


def expand(name: str, extra: str = "") -> str:
    """The text of a placeholder: a fragment, or ``params NAME...`` = the Parameters section.

    ``{params rent}`` is the header, ``system``, the named fragments in order, then ``overrides``.

    >>> expand("params", " rent").splitlines()[:3]
    ['Parameters', '----------', 'system : str, Assumptions or None']
    """
    if name != "params":
        return FRAGMENTS[name]
    names = ["system", *extra.split(), "overrides"]
    return "Parameters\n----------\n" + "\n".join(FRAGMENTS[n] for n in names)


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
                lambda m: "\n".join(m.group(1) + line for line in expand(m.group(2), m.group(3)).splitlines()), doc)
