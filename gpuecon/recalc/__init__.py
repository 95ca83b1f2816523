"""Headless recalculation of workbooks: native formulas and the gpuecon UDFs, written back losslessly."""

from .workbook import *  # noqa: F403 - the public API (recalc, Workbook, RecalcError, ...)
from .workbook import __all__  # noqa: F401
