"""References and defined names -> the cells they cover. A reference (``B2``, ``$A$1:C9``, ``A:A``,
``2:2``, ``'My sheet'!B2``) or a defined name (workbook or sheet scope) resolves to a :data:`Rect`
(sheet index and corner rows and columns), or to ``("value", v)`` for a name that is a number or a
text, or to a string: the reason it is not supported (structured and 3-D references, names that are
formulas, unknown sheets or names). Whole columns and rows are bounded by the sheet's used range.
"""

from __future__ import annotations

import re

from openpyxl.utils.cell import column_index_from_string as col_index
from openpyxl.utils.cell import get_column_letter as col_letters

__all__ = ["CELL", "Rect", "References", "a1", "cell_rc", "quote"]

CELL = r"\$?[A-Za-z]{1,3}\$?\d+"
_REF_RE = re.compile(
    rf"^(?:(?:'(?P<qs>(?:[^']|'')+)'|(?P<s>[^'!:\[\]]+))!)?"
    rf"(?:(?P<c1>{CELL})(?::(?P<c2>{CELL}))?|(?P<col1>\$?[A-Za-z]{{1,3}}):(?P<col2>\$?[A-Za-z]{{1,3}})"
    rf"|(?P<row1>\$?\d+):(?P<row2>\$?\d+))$"
)
_NAME_RE = re.compile(r"^(?:(?:'(?P<qs>(?:[^']|'')+)'|(?P<s>[^'!:\[\]]+))!)?(?P<name>[A-Za-z_\\][\w.\\?]*)$")
_CELL_RE = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d+)")
_MAX_ROWS, _MAX_COLS = 1_048_576, 16_384

Rect = tuple[int, int, int, int, int]  # sheet index, r1, c1, r2, c2


def a1(r: int, c: int) -> str:
    return f"{col_letters(c)}{r}"


def cell_rc(text: str) -> tuple[int, int]:
    m = _CELL_RE.fullmatch(text)
    assert m is not None
    return int(m.group(2)), col_index(m.group(1))


def quote(sheet: str) -> str:
    return sheet if re.fullmatch(r"[A-Za-z_][\w.]*", sheet) else "'" + sheet.replace("'", "''") + "'"


class References:
    """Resolves references and defined names of one package (names are cached per sheet)."""

    def __init__(self, pkg, sheet_names: list[str], bounds: list[tuple[int, int]]) -> None:
        self.pkg = pkg
        self.sheet_names = sheet_names
        self.bounds = bounds  # used range (max row, max column) of each sheet
        self._sheet_index = {s.casefold(): i for i, s in enumerate(sheet_names)}
        self._names: dict[tuple[str, int], object] = {}

    def resolve(self, text: str, sheet: int, extent: tuple[int, int] = (1, 1)) -> Rect | tuple | str:
        """A reference or defined name, as written on ``sheet`` -> Rect (or ("value", v)); a string is
        the reason it is unsupported. A whole column or row covers the used range, and at least
        ``extent`` (rows, columns): the size of the array formula that reads it (blank cells, 0)."""
        m = _CELL_RE.fullmatch(text)  # the common case: one cell on the formula's own sheet
        if m:
            r, c = int(m.group(2)), col_index(m.group(1))
            if 1 <= r <= _MAX_ROWS and 1 <= c <= _MAX_COLS:
                return (sheet, r, c, r, c)
        m = _REF_RE.match(text)
        if m:
            name = m.group("qs").replace("''", "'") if m.group("qs") else m.group("s")
            si = sheet if name is None else self._sheet_index.get(name.casefold())
            if si is None:
                return f"reference {text} names an unknown or non-worksheet sheet"
            if m.group("c1"):
                r1, c1 = cell_rc(m.group("c1"))
                r2, c2 = cell_rc(m.group("c2")) if m.group("c2") else (r1, c1)
            elif m.group("col1"):
                c1, c2 = col_index(m.group("col1").lstrip("$")), col_index(m.group("col2").lstrip("$"))
                r1, r2 = 1, max(self.bounds[si][0] if si < len(self.bounds) else _MAX_ROWS, extent[0], 1)
            else:
                r1, r2 = int(m.group("row1").lstrip("$")), int(m.group("row2").lstrip("$"))
                c1, c2 = 1, max(self.bounds[si][1] if si < len(self.bounds) else _MAX_COLS, extent[1], 1)
            r1, r2, c1, c2 = min(r1, r2), max(r1, r2), min(c1, c2), max(c1, c2)
            if not (1 <= r1 and r2 <= _MAX_ROWS and 1 <= c1 and c2 <= _MAX_COLS):
                return f"reference {text} is outside the sheet"
            if (r2 - r1 + 1) * (c2 - c1 + 1) > self.pkg.max_cells:
                return f"reference {text} covers more than {self.pkg.max_cells} cells"
            return (si, r1, c1, r2, c2)
        m = _NAME_RE.match(text)
        if m and m.group("name").upper() not in ("TRUE", "FALSE"):
            return self.resolve_name(m.group("name"), sheet)
        if re.match(r"^'?\[[^\]]*\]", text) or re.match(r"^'?[^\[]*\[[^\]]*\][^\]]*!", text):
            return f"external link {text} (a reference to another workbook)"
        if "[" in text:
            return f"structured reference {text} (table references are not supported)"
        if ":" in text.split("!")[0] and "!" in text:
            return f"reference {text}: 3-D references across sheets are not supported"
        return f"reference {text} is not supported"

    def resolve_name(self, name: str, sheet: int) -> Rect | tuple | str:
        """A defined name as seen from ``sheet`` (sheet scope first) -> as :meth:`resolve`."""
        key = (name.casefold(), sheet)
        hit = self._names.get(key)
        if hit is None:
            hit = self._names[key] = self._resolve_name(name, sheet)
        return hit

    def _resolve_name(self, name: str, sheet: int) -> Rect | tuple | str:
        sheet_name = self.sheet_names[sheet] if 0 <= sheet < len(self.sheet_names) else None
        local = self.pkg.sheet_order.index(sheet_name) if sheet_name in self.pkg.sheet_order else None
        found = [d for d in self.pkg.defined_names if d.name.casefold() == name.casefold()
                 and d.local_sheet_id in (None, local)]
        found.sort(key=lambda d: d.local_sheet_id is None)  # sheet-scoped first
        if not found:
            return f"unknown name {name} (#NAME?)"
        text = found[0].text.strip().lstrip("=")
        try:
            num = float(text)
            return ("value", num)
        except ValueError:
            pass
        if len(text) >= 2 and text[0] == text[-1] == '"':
            return ("value", text[1:-1].replace('""', '"'))
        if _REF_RE.match(text) and "!" in text:
            return self.resolve(text, sheet)
        return f"defined name {name} = {text!r} is not a single cell or range reference (not supported)"

    def names(self) -> list[str]:
        """The package's defined names, each once (the first spelling), without Excel's ``_xlnm.`` ones."""
        seen: dict[str, str] = {}
        for d in self.pkg.defined_names:
            if d.name.startswith("_xlnm.") or d.name.casefold() in seen:
                continue
            seen[d.name.casefold()] = d.name
        return list(seen.values())
