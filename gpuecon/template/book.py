"""The cell writer of the template workbooks: ``Book`` (an openpyxl workbook plus the cached value of
every formula cell, constants stored safely against formula injection, array formulas and defined
names), ``Rows`` (label / value / unit / name rows on a model sheet), the header, column-width and
input-style helpers, and ``catalog_range`` (the absolute reference to a Catalog column).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.formula import ArrayFormula

from ..engine.catalog import catalog_frame
from .styles import BLUE, BOLD, FORMATS, HEAD_FILL, INPUT_FILL, SECTION, THIN

_INJECTION = ("=", "+", "-", "@")


def catalog_range(col: str) -> str:
    """Absolute reference to a Catalog column's data cells, e.g. ``Catalog!$B$2:$B$11``."""
    cat = catalog_frame()
    letter = get_column_letter(list(cat.columns).index(col) + 1)
    return f"Catalog!${letter}$2:${letter}${len(cat) + 1}"


def _q(sheet: str) -> str:
    return f"'{sheet}'" if re.search(r"[^A-Za-z0-9_]", sheet) else sheet


def _abs(ref: str) -> str:
    m = re.fullmatch(r"([A-Z]+)(\d+)", ref)
    assert m, ref
    return f"${m.group(1)}${m.group(2)}"


def _num(x: object) -> object:
    """Engine value -> cell value (NaN -> empty text, numpy -> float)."""
    if isinstance(x, np.ndarray):
        x = x.item()
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return ""
    return x


def _cached(x: object) -> object:
    """A formula's cached value: numbers to 15 significant digits, Excel's own precision, so the
    committed workbook is the same on every platform and library version (last-bit differences
    in the maths do not reach the file). Inputs are written as given."""
    x = _num(x)
    return float(f"{x:.15g}") if isinstance(x, float) else x


@dataclass
class Book:
    """openpyxl workbook plus the cached value of every formula cell."""

    wb: Workbook
    cached: dict[tuple[str, str], object] = field(default_factory=dict)

    def ws(self, title: str):
        return self.wb[title]

    def text(self, ws, ref: str, s: object, font: Font | None = None, fmt: str | None = None) -> None:
        """A constant. Strings starting with = + - @ are stored as text (no formula injection)."""
        cell = ws[ref]
        if isinstance(s, str):
            cell.value = s
            if s.startswith(_INJECTION):
                cell.data_type = "s"
                cell.quotePrefix = True
        else:
            cell.value = _num(s) if s is not None else None
            if cell.value == "":
                cell.value = None
        if font is not None:
            cell.font = font
        if fmt:
            cell.number_format = fmt

    def formula(self, ws, ref: str, formula: str, value: object, fmt: str | None = None,
                array: str | None = None, font: Font | None = None) -> None:
        assert formula.startswith("="), formula
        cell = ws[ref]
        cell.value = ArrayFormula(array or ref, formula) if array is not None else formula
        if fmt:
            cell.number_format = fmt
        if font is not None:
            cell.font = font
        self.cached[(ws.title, ref)] = _cached(value)

    def array(self, ws, top_left: str, nrows: int, ncols: int, formula: str, values, fmt: str | None = None):
        """A multi-cell (CSE) array formula with its cached values (row-major ``values``)."""
        col0 = ws[top_left].column
        row0 = ws[top_left].row
        rng = f"{top_left}:{get_column_letter(col0 + ncols - 1)}{row0 + nrows - 1}"
        ws[top_left].value = ArrayFormula(rng, formula)
        for i in range(nrows):
            for j in range(ncols):
                ref = f"{get_column_letter(col0 + j)}{row0 + i}"
                v = values[i][j]
                self.cached[(ws.title, ref)] = _cached(v)
                if fmt and not isinstance(v, str):
                    ws[ref].number_format = fmt
        return rng

    def name(self, name: str, sheet: str, ref: str) -> None:
        if ":" in ref:
            a, b = ref.split(":")
            text = f"{_q(sheet)}!{_abs(a)}:{_abs(b)}"
        else:
            text = f"{_q(sheet)}!{_abs(ref)}"
        self.wb.defined_names[name] = DefinedName(name, attr_text=text)


def header(ws, row: int, labels: list[str], col: int = 1) -> None:
    for j, label in enumerate(labels):
        c = ws.cell(row=row, column=col + j, value=label)
        c.font = BOLD
        c.fill = HEAD_FILL
        c.border = THIN
        c.alignment = Alignment(wrap_text=True, vertical="center")


def widths(ws, sizes: Mapping[str, float]) -> None:
    for col, w in sizes.items():
        ws.column_dimensions[col].width = w


def input_style(cell) -> None:
    cell.font = BLUE
    cell.fill = INPUT_FILL


class Rows:
    """Label / value / unit / formula-text rows on a model sheet, each value a defined name."""

    def __init__(self, book: Book, ws, start: int) -> None:
        self.book, self.ws, self.r = book, ws, start

    def section(self, title: str) -> None:
        self.r += 1
        self.book.text(self.ws, f"A{self.r}", title, SECTION)
        self.r += 1

    def row(self, name: str | None, label: str, formula: str, value, unit: str, fmt: str | None = None,
            array: bool = False) -> str:
        ws, r = self.ws, self.r
        self.book.text(ws, f"A{r}", label)
        self.book.formula(ws, f"B{r}", formula, value, fmt or FORMATS.get(unit, "General"),
                          array=f"B{r}" if array else None)
        self.book.text(ws, f"C{r}", unit)
        self.book.text(ws, f"D{r}", name or "")
        if name:
            self.book.name(name, ws.title, f"B{r}")
        self.r += 1
        return f"B{r}"

