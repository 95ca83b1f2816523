"""A workbook's named inputs and outputs. An *input* is a defined name of one constant cell; a name
computed by a formula (``=IF(ISBLANK(NAME_input),default,NAME_input)``, see :mod:`gpuecon.xlsx.names`)
is set through its ``NAME_input`` cell and listed once, as ``NAME``. Names are matched as Excel does
(any case), then by their canonical spelling (``hurdle`` -> ``hurdle_irr_annual``); a value for an
engine field passes the engine's own check. An *output* is a defined name whose cells include a
formula. Refusals are :class:`~gpuecon.recalc.errors.RecalcError` with the closest names.
"""

from __future__ import annotations

import difflib

from ..engine.assumptions import FIELDS
from ..engine.numbers import is_explicit
from ..xlsx.names import INPUT_ALIASES, INPUT_SUFFIX, input_name_candidates
from .errors import RecalcError, input_error
from .refs import a1

__all__ = ["NamedCells", "check_field_value"]


class NamedCells:
    """Named inputs and outputs of a workbook; a mix-in of :class:`~gpuecon.recalc.workbook.Workbook`,
    whose ``refs``, ``node_at``, ``resolve``, ``address`` and ``formula_cells_in`` it uses."""

    def _constant_cell(self, name: str) -> tuple[int, int, int] | None:
        """The single constant (or blank) cell a defined name refers to, else None."""
        try:
            si, r1, c1, r2, c2 = self.resolve(name)
        except RecalcError:
            return None
        if (r1, c1) != (r2, c2) or (si, r1, c1) in self.node_at:
            return None
        return (si, r1, c1)

    def input_names(self) -> list[str]:
        """Names an input may be set by: defined names of one constant cell, and ``NAME`` for ``NAME_input``.

        A computed name ``NAME`` whose input cell is named ``NAME_input`` (gpuecon.names) is listed
        once, as ``NAME``.
        """
        names = self.refs.names()
        folded = {n.casefold() for n in names}
        out = []
        for name in names:
            if self._constant_cell(name) is None:
                continue
            base = name[: -len(INPUT_SUFFIX)] if name.casefold().endswith(INPUT_SUFFIX) else None
            out.append(base if base and base.casefold() in folded else name)
        return out

    def input_cell(self, name: str) -> tuple[str, tuple[int, int, int]]:
        """The cell setting the input ``name`` changes, and the defined name it was found under.

        Looked up as typed (case-insensitive, as Excel does), then by its canonical spelling
        (``Hurdle`` -> ``hurdle_irr_annual``, ``System`` -> ``system_name``); a name computed by a
        formula is set through its ``NAME_input`` cell. Anything else is a RecalcError naming the
        closest input names.
        """
        defined = {n.casefold(): n for n in self.refs.names()}
        for cand in input_name_candidates(name):
            found = defined.get(cand.casefold())
            if found is None:
                continue
            key = self._constant_cell(found)
            if key is not None:
                return found, key
            typed = defined.get((found + INPUT_SUFFIX).casefold())
            key = self._constant_cell(typed) if typed else None
            if key is not None:
                return typed, key  # type: ignore[return-value]
            si, r1, c1, r2, c2 = self.resolve(found)
            if (r1, c1) != (r2, c2):
                raise input_error(name, f"the name {found} covers {a1(r1, c1)}:{a1(r2, c2)}; "
                                        "only single-cell inputs can be set")
            raise input_error(name, f"{found} is {self.address((si, r1, c1))}, a formula, and the workbook "
                                    f"names no input cell {found}{INPUT_SUFFIX}; only constant inputs can be set")
        pool = self.input_names()
        folded = {p.casefold() for p in pool}
        spellings = pool + [a for a, canon in INPUT_ALIASES.items() if canon in folded]
        near = difflib.get_close_matches(name.strip().casefold(), spellings, n=3, cutoff=0.6)
        near += [p for p in pool if name.strip().casefold() in p.casefold() and p not in near]
        hint = f"did you mean {', '.join(near[:3])}?" if near else f"its inputs are {', '.join(pool[:12])}" + (
            f" and {len(pool) - 12} more" if len(pool) > 12 else "")
        raise input_error(name, f"the workbook has no input named {name.strip()!r}; {hint}")

    def check_input(self, name: str) -> tuple[int, int, int]:
        """The cell setting the input ``name`` changes (see :meth:`input_cell`)."""
        return self.input_cell(name)[1]

    def output_names(self) -> list[str]:
        """Defined names whose cells include a formula."""
        out = []
        for name in self.refs.names():
            try:
                rect = self.resolve(name)
            except RecalcError:
                continue
            if any(True for _ in self.formula_cells_in(rect)):
                out.append(name)
        return out

    def check_output(self, name: str) -> None:
        """RecalcError unless ``name`` is a defined name of cells (suggests the closest output names)."""
        try:
            self.resolve(name)
        except RecalcError as exc:
            outputs = self.output_names()
            near = difflib.get_close_matches(name.strip(), outputs, n=3, cutoff=0.5)
            if near:
                raise RecalcError(f"output {name}: {exc}; did you mean {', '.join(near)}?") from None
            listed = ", ".join(outputs[:12]) + (f" and {len(outputs) - 12} more" if len(outputs) > 12 else "")
            raise RecalcError(f"output {name}: {exc}; its named outputs are {listed or 'none'}", "output",
                              output=name, reason=str(exc)) from None


def check_field_value(name: str, found: str, value: object) -> None:
    """A value set into a named engine field passes the engine's own check (range, percent typos)."""
    field_name = found[: -len(INPUT_SUFFIX)] if found.casefold().endswith(INPUT_SUFFIX) else found
    f = FIELDS.get(field_name.casefold())
    if f is None or value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise input_error(name, f"{f.name} must be a number ({f.allowed}), got {value!r}")
    if not f.ok(float(value), explicit=is_explicit(value)):
        raise input_error(name, f.message(float(value)))
