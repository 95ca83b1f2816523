"""The examples in the engine's docstrings are run: each shows a value the function really returns."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import numpy as np
import pytest

import gpuecon.engine

MODULES = sorted(m.name for m in pkgutil.iter_modules(gpuecon.engine.__path__, "gpuecon.engine."))


@pytest.mark.parametrize("name", MODULES)
def test_engine_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    with np.printoptions(legacy="1.25"):  # scalars print as 0.2, not np.float64(0.2), on every numpy
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{name}: {result.failed} of {result.attempted} examples failed"


def test_public_engine_functions_have_examples() -> None:
    """Every public function of the engine's core modules shows an example (numpy-financial's standard)."""
    import inspect

    missing = []
    for name in ("gpuecon.engine.finance", "gpuecon.engine.costs", "gpuecon.engine.project",
                 "gpuecon.engine.ceiling", "gpuecon.engine.financing", "gpuecon.engine.valuation"):
        module = importlib.import_module(name)
        for fname, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ != name or fname.startswith("_"):
                continue
            doc = fn.__doc__ or ""
            if ">>>" not in doc:
                missing.append(f"{name}.{fname}")
    assert not missing, f"no example in: {missing}"
