"""Token-level rewrites of a formula that Excel's semantics need before ``formulas`` parses it: ``--X``
as a double negation, reference unions and intersections found (and refused), and the implicit
intersection of a range read as one value."""

from __future__ import annotations


def _primary_end(items: list[tuple[str, str, str]], k: int) -> int:
    """Index of the last token of the operand starting at ``k`` (a unary minus binds tightest)."""
    n = len(items)
    while k < n and items[k][0] in ("OPERATOR-PREFIX", "WHITE-SPACE"):
        k += 1
    if k >= n:
        return n - 1
    if items[k][1] == "OPEN":
        depth = 0
        while k < n:
            if items[k][1] == "OPEN":
                depth += 1
            elif items[k][1] == "CLOSE":
                depth -= 1
                if depth == 0:
                    break
            k += 1
    while k + 1 < n and items[k + 1][0] == "OPERATOR-POSTFIX":
        k += 1
    return min(k, n - 1)


def double_negation(items: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """``--X`` -> ``-(-X)``: the ``formulas`` parser reads ``--`` as ``+`` and so never turns TRUE into 1
    (``SUMPRODUCT(--(A1:A4=x),B1:B4)`` came out 0)."""
    out = list(items)
    for i in range(len(out) - 2, -1, -1):
        if out[i][:2] == ("OPERATOR-PREFIX", "") and out[i][2] == "-" and out[i + 1][0] == "OPERATOR-PREFIX" \
                and out[i + 1][2] == "-":
            end = _primary_end(out, i + 1)
            out.insert(end + 1, ("PAREN", "CLOSE", ")"))
            out.insert(i + 1, ("PAREN", "OPEN", "("))
    return out


_OPERAND_END = {("OPERAND", "RANGE"), ("PAREN", "CLOSE"), ("FUNC", "CLOSE")}
_OPERAND_START = {("OPERAND", "RANGE"), ("PAREN", "OPEN"), ("FUNC", "OPEN")}


def reference_operator(items: list[tuple[str, str, str]]) -> str:
    """Why a formula with Excel's reference union ``(A1:B2,D4)`` or intersection ``A1:D4 B2:C9`` (a space
    between two references) is not evaluated, or "": ``formulas`` gives 1 for ``ROWS((A1:B2,D4))`` and
    ``#NULL!`` for an intersection Excel computes (its cell keeps the saved value, and is stale after a
    change)."""
    for k, (t, st, v) in enumerate(items):
        if (t, st, v) == ("OPERATOR-INFIX", "", ","):
            return "a reference union (A1:B2,D4) is not evaluated"
        if t == "WHITE-SPACE" and 0 < k < len(items) - 1 and items[k - 1][:2] in _OPERAND_END \
                and items[k + 1][:2] in _OPERAND_START:
            return "a reference intersection (a space between two references) is not evaluated"
    return ""


def intersect(rect: tuple, row: int, col: int) -> tuple:
    """Excel's implicit intersection of a range read as one value by a formula at ``row``, ``col``:
    the cell on the formula's row (a column range) or column (a row range); ``#VALUE!`` otherwise."""
    si, r1, c1, r2, c2 = rect
    if r1 == r2 and c1 == c2:
        return rect
    if c1 == c2 and r1 <= row <= r2:
        return (si, row, c1, row, c1)
    if r1 == r2 and c1 <= col <= c2:
        return (si, r1, col, r1, col)
    return ("value", "#VALUE!")
