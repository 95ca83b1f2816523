"""The Excel tables (ListObjects) of a package: each worksheet's ``table`` relationships point to
``xl/tables/tableN.xml`` with the table's name, range, header and totals rows and column names, what a
structured reference (``Sales[Amount]``, ``[@Qty]``) is resolved against."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import XlsxError
from .package import Package
from .sheetxml import parse_range

__all__ = ["Table", "read_tables"]

_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


@dataclass(frozen=True)
class Table:
    """One table: ``sheet`` as the workbook names it, its range (1-based, inclusive), how many header
    and totals rows it has, and its column names in order."""

    name: str
    sheet: str
    r1: int
    c1: int
    r2: int
    c2: int
    header_rows: int
    totals_rows: int
    columns: tuple[str, ...]


def _tag(el: object) -> str:
    return str(getattr(el, "tag", "")).rpartition("}")[2]


def read_tables(pkg: Package) -> list[Table]:
    """Every table of every worksheet; a table part that is missing or malformed is left out (its
    structured references then stay unsupported)."""
    out = []
    for sheet, part in pkg.sheets.items():
        for typ, target in pkg.relationships(part).values():
            if not typ.endswith("/table") or target not in pkg.parts:
                continue
            try:
                root = pkg.xml(target)
                r1, c1, r2, c2 = parse_range(root.get("ref", ""))
            except XlsxError:
                continue
            cols = tuple(_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), el.get("name", ""))
                         for el in root.iter() if _tag(el) == "tableColumn")
            if len(cols) != c2 - c1 + 1:
                continue
            name = root.get("displayName") or root.get("name") or ""
            out.append(Table(name, sheet, r1, c1, r2, c2, int(root.get("headerRowCount", "1") or 1),
                             int(root.get("totalsRowCount", "0") or 0), cols))
    return out
