"""Structured references to Excel tables -> the cells they cover, as Excel resolves them for a formula
in a given cell: ``Sales[Amount]`` (the column's data rows), ``Sales[]`` / ``Sales[#Data]``, ``[#All]``,
``[#Headers]``, ``[#Totals]``, ``Sales[@Amount]`` / ``[@[Unit price]]`` / ``Sales[[#This Row],[Qty]]``
(the cell on the formula's row), column spans ``Sales[[Qty]:[Amount]]`` and combinations such as
``[[#Headers],[#Data],[Qty]]``; without a table name, the table the formula is in. Column names are
matched as Excel does (any case), with ``'`` escaping ``[ ] # '``.
"""

from __future__ import annotations

import re

from ..xlsx.tables import Table

__all__ = ["resolve_structured"]

_REF = re.compile(r"^(?P<table>[A-Za-z_\\][\w.\\]*)?\[(?P<spec>.*)\]$", re.S)
_SPECIALS = {"#all", "#data", "#headers", "#totals", "#this row"}


def _items(spec: str) -> list[str] | None:
    """``[#This Row],[Qty]:[Amount]`` -> ``['#This Row', 'Qty]:[Amount']``-style items: the top-level
    bracketed parts, a ``:`` span kept as one item; None if the brackets do not balance."""
    items, depth, cur, i = [], 0, "", 0
    while i < len(spec):
        ch = spec[i]
        if ch == "'" and i + 1 < len(spec):
            cur += spec[i:i + 2]
            i += 2
            continue
        if ch == "[":
            depth += 1
            if depth == 1:
                i += 1
                continue
        elif ch == "]":
            depth -= 1
            if depth < 0:
                return None
            if depth == 0:
                i += 1
                continue
        elif ch == "," and depth == 0:
            items.append(cur)
            cur = ""
            i += 1
            continue
        elif ch == ":" and depth == 0:
            cur += "]:["
            i += 1
            continue
        elif depth == 0 and not ch.isspace():
            return None
        cur += ch
        i += 1
    if depth:
        return None
    items.append(cur)
    return [s for s in (x.strip() for x in items) if s]


def _unescape(name: str) -> str:
    return re.sub(r"'(.)", r"\1", name)


def resolve_structured(text: str, tables: list[Table], sheet_names: list[str], sheet: int, row: int,
                       col: int) -> tuple | str | None:
    """A structured reference written in the cell (``sheet``, ``row``, ``col``) -> (sheet index, r1,
    c1, r2, c2), ``("error", code)`` for the Excel error it is, or the reason it cannot be resolved;
    None if ``text`` is not a structured reference."""
    m = _REF.match(text.strip())
    if not m:
        return None
    if m.group("table"):
        table = next((t for t in tables if t.name.casefold() == m.group("table").casefold()), None)
        if table is None:
            return None  # not a table name: maybe a defined name or an external reference
    else:
        here = sheet_names[sheet] if 0 <= sheet < len(sheet_names) else ""
        table = next((t for t in tables if t.sheet == here and t.r1 <= row <= t.r2 and t.c1 <= col <= t.c2), None)
        if table is None:
            return f"structured reference {text} outside a table"
    spec = m.group("spec").strip()
    this_row = spec.startswith("@")
    if this_row:
        spec = spec[1:].strip()
    if not spec:
        items: list[str] = []
    elif spec.startswith("["):
        parsed = _items(spec)
        if parsed is None:
            return f"structured reference {text} is not understood"
        items = parsed
    else:
        items = [spec]
    specials = {s.casefold() for s in items if s.casefold() in _SPECIALS}
    columns = [s for s in items if s.casefold() not in _SPECIALS]
    if this_row:
        specials.add("#this row")
    if len(columns) > 1:
        return f"structured reference {text}: more than one column part"
    si = sheet_names.index(table.sheet) if table.sheet in sheet_names else -1
    if si < 0:
        return f"structured reference {text}: table {table.name} is on no worksheet"
    c1, c2 = table.c1, table.c2
    if columns:
        names = [_unescape(n.strip()) for n in columns[0].split("]:[")]
        folded = [c.casefold() for c in table.columns]
        idx = []
        for n in names:
            if n.casefold() not in folded:
                return f"structured reference {text}: table {table.name} has no column {n!r} (#REF!)"
            idx.append(folded.index(n.casefold()))
        c1, c2 = table.c1 + min(idx), table.c1 + max(idx)
    head_end = table.r1 + table.header_rows - 1  # header rows: r1..head_end (none when 0)
    data1, data2 = head_end + 1, table.r2 - table.totals_rows
    if "#this row" in specials:
        if specials - {"#this row"}:
            return f"structured reference {text}: #This Row with another item"
        if not data1 <= row <= data2 or si != sheet:
            return ("error", "#VALUE!")  # Excel: #VALUE! on a row outside the table's data
        return (si, row, c1, row, c2)
    if not specials or specials == {"#data"}:
        r1, r2 = data1, data2
    elif "#all" in specials:
        r1, r2 = table.r1, table.r2
    else:
        spans = {"#headers": (table.r1, head_end), "#data": (data1, data2), "#totals": (data2 + 1, table.r2)}
        rows = [spans[s] for s in specials]
        if any(a > b for a, b in rows):
            return f"structured reference {text}: the table has no such rows (#REF!)"
        r1, r2 = min(a for a, _ in rows), max(b for _, b in rows)
        if r2 - r1 + 1 != sum(b - a + 1 for a, b in rows):
            return f"structured reference {text}: rows that do not touch"
    if r1 > r2:
        return f"structured reference {text}: the table has no data rows"
    return (si, r1, c1, r2, c2)
