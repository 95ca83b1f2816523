"""The engine's public functions are documented to numpy-financial's standard.

Each has numpydoc Parameters (every parameter named) and Returns sections, a Raises section where
it raises GpueconError itself, an example, and in the model modules (costs, project, ceiling) its
Excel equivalent. The examples themselves are run by tests/test_doctests.py.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import textwrap

import pytest

MODULES = ("costs", "project", "ceiling", "assumptions", "catalog", "numbers", "rows")
EXCEL_MODULES = ("costs", "project", "ceiling")
MAX_LINE = 110  # ruff's line-length


def _public_functions(short: str) -> list[tuple[str, object]]:
    """Public functions defined in ``gpuecon.engine.<short>`` (cached ones too, e.g. ``@cache``)."""
    name = f"gpuecon.engine.{short}"
    module = importlib.import_module(name)
    out = []
    for fname, obj in vars(module).items():
        fn = inspect.unwrap(obj) if callable(obj) else obj
        if fname.startswith("_") or not inspect.isfunction(fn) or fn.__module__ != name:
            continue
        out.append((fname, obj))
    return sorted(out)


FUNCTIONS = [(m, f, obj) for m in MODULES for f, obj in _public_functions(m)]


def _section(doc: str, title: str) -> str | None:
    """The body of a numpydoc section (``title`` underlined with dashes), or None if absent."""
    match = re.search(rf"^{title}\n-{{{len(title)}}}\n(.*?)(?=^\S[^\n]*\n-{{3,}}\n|\Z)", doc, re.M | re.S)
    return match.group(1) if match else None


def _raises_gpuecon_error(fn) -> bool:
    """True where the function's own body has ``raise GpueconError(...)``."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(inspect.unwrap(fn))))
    return any(isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)
               and getattr(node.exc.func, "id", None) == "GpueconError" for node in ast.walk(tree))


def docstring_problems(module: str, fn) -> list[str]:
    """What the docstring of ``fn`` (a public function of ``gpuecon.engine.<module>``) lacks."""
    raw = fn.__doc__ or ""
    doc = inspect.cleandoc(raw)
    problems = []
    params = [p for p in inspect.signature(fn).parameters.values()]
    if params:
        body = _section(doc, "Parameters")
        if body is None:
            problems.append("no Parameters section")
        else:
            for p in params:
                stars = {p.VAR_POSITIONAL: r"\*", p.VAR_KEYWORD: r"\*\*"}.get(p.kind, "")
                if not re.search(rf"^{stars}{p.name}\b[^\n]*:", body, re.M):
                    problems.append(f"parameter {p.name!r} not in Parameters")
    if _section(doc, "Returns") is None:
        problems.append("no Returns section")
    if _raises_gpuecon_error(fn) and _section(doc, "Raises") is None:
        problems.append("raises GpueconError but has no Raises section")
    if module in EXCEL_MODULES and "Excel" not in doc:
        problems.append("no Excel equivalent")
    if ">>>" not in doc:
        problems.append("no example (>>>)")
    if not doc or not doc.splitlines()[0].strip():
        problems.append("no one-line summary")
    lines = raw.splitlines()
    for i, line in enumerate(lines):
        width = len(line) + (len('    """') if i == 0 else 0)  # the first line follows the quotes
        if width > MAX_LINE:
            problems.append(f"docstring line {i + 1} is {width} characters (> {MAX_LINE})")
    return problems


@pytest.mark.parametrize(("module", "fname", "fn"), FUNCTIONS, ids=[f"{m}.{f}" for m, f, _ in FUNCTIONS])
def test_public_function_docstring(module: str, fname: str, fn) -> None:
    problems = docstring_problems(module, fn)
    assert not problems, f"gpuecon.engine.{module}.{fname}: " + "; ".join(problems)


def test_every_module_has_public_functions() -> None:
    """The collection finds the functions (an empty list would make the checks above vacuous)."""
    found = {m: [f for mm, f, _ in FUNCTIONS if mm == m] for m in MODULES}
    assert all(found.values()), found
    assert "catalog_frame" in found["catalog"]  # a @cache-wrapped function is collected too
    assert {"floor_rent", "project_irr", "cash_flows"} <= set(found["project"])


def test_checks_catch_a_missing_section() -> None:
    """A docstring without Parameters, Returns, Excel or an example fails each check."""

    def floor_rent(system=None, /, **overrides):
        """Floor rent.

        Parameters
        ----------
        system : str

        Examples
        --------
        """

    problems = docstring_problems("project", floor_rent)
    assert "parameter 'overrides' not in Parameters" in problems
    assert "no Returns section" in problems
    assert "no Excel equivalent" in problems
    assert "no example (>>>)" in problems
