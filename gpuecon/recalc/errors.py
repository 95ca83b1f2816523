"""What recalculation reports: :class:`RecalcError` for a workbook that is refused or a request that is
invalid (nothing is written), and :class:`Issue` for a single cell that could not be computed or
computed to an error (the rest of the workbook still is). Messages speak recalc's own terms (``input
NAME``, ``output NAME``, ``in_place``); each request error also carries a ``code`` and its parts in
``details``, so a surface such as the command line can word it with its own options (``--set NAME``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..engine.errors import GpueconError

__all__ = ["Issue", "RecalcError", "Unsupported"]


class RecalcError(GpueconError):
    """The workbook is refused or a request is invalid (a bad input name or value, ...); nothing is written.

    ``code`` names the kind of bad request ("" for a refused or unwritable workbook):

    * ``input``: ``details`` has ``input`` (the name as given) and ``reason``;
    * ``same_input``: ``input`` and ``other`` name one cell, at ``address``;
    * ``output``: ``output`` is not a named output and none is close; ``reason`` says why;
    * ``in_place_and_output``, ``no_output``, ``overwrite`` (``source``): where to write is unclear.
    """

    def __init__(self, message: str, code: str = "", **details: object) -> None:
        super().__init__("workbook", None, "", message)
        self.code = code
        self.details = details


def input_error(name: str, reason: str) -> RecalcError:
    """A value or name given for the input ``name`` is refused."""
    return RecalcError(f"input {name}: {reason}", "input", input=name, reason=reason)


@dataclass(frozen=True)
class Issue:
    """A cell that could not be computed or computed to an error; ``kind``: unsupported, circular, error."""

    address: str
    kind: str
    reason: str

    def __str__(self) -> str:
        return f"{self.address}: {self.kind}: {self.reason}"


class Unsupported(Exception):
    """A case recalc's replacement of an Excel function does not reproduce exactly: raised while a
    cell is evaluated, so the cell is reported (``error``) rather than shown with a guess."""
