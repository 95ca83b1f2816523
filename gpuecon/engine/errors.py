"""The one error type the engine raises for bad input."""

from __future__ import annotations


class GpueconError(ValueError):
    """Bad input: says which field, the value given and what is allowed.

    ``str(err)`` is a short, cell-sized reason such as
    ``hurdle_irr_annual must be in (-1, 10], got -2``.
    """

    def __init__(self, field: str, value: object, allowed: str, message: str | None = None) -> None:
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(message or f"{field} must be {allowed}, got {_show(value)}")


def _show(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return repr(value)
    return str(value)
