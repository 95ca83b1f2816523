"""The xlsx layer's error and Excel's error vocabulary."""

from __future__ import annotations

#: Excel's error values, as cells store them (``t="e"``) and as the add-in's texts begin.
ERROR_CODES = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA"})


class XlsxError(ValueError):
    """The package is refused or a value cannot be written; the message says what and why."""
