"""Sheet XML as text: cell references, a tokenizer that keeps byte offsets, an index of the
``<row>``/``<c>`` elements, and the value encoder and cell rewriter used to change only the cells
concerned (the rest of the text is never re-serialized)."""

from __future__ import annotations

import functools
import math
import numbers
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from openpyxl.utils.cell import column_index_from_string as _col_index
from openpyxl.utils.cell import get_column_letter as _col_letters

from .errors import ERROR_CODES, XlsxError

MAX_ROWS = 1_048_576
MAX_COLS = 16_384

# --- cell references ---------------------------------------------------------------------------

_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]+)")


@functools.lru_cache(maxsize=4096)
def parse_ref(ref: str) -> tuple[int, int]:
    """'$B$7' -> (7, 2); refuses refs outside Excel's grid."""
    m = _REF.fullmatch(ref.strip())
    if not m:
        raise XlsxError(f"bad cell reference {ref!r}")
    row, col = int(m.group(2)), _col_index(m.group(1))
    if not (1 <= row <= MAX_ROWS and 1 <= col <= MAX_COLS):
        raise XlsxError(f"cell reference {ref!r} is outside Excel's {MAX_ROWS} rows x {MAX_COLS} columns")
    return row, col


def a1(row: int, col: int) -> str:
    return f"{_col_letters(col)}{row}"


def parse_range(text: str) -> tuple[int, int, int, int]:
    a, _, b = text.partition(":")
    r1, c1 = parse_ref(a)
    r2, c2 = parse_ref(b) if b else (r1, c1)
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


# --- a small XML tokenizer over sheet text (keeps byte offsets; never re-serializes) --------------

_NAME = r"[A-Za-z_][\w.\-]*(?::[A-Za-z_][\w.\-]*)?"
_ATTR = r"""\s+[A-Za-z_][\w.\-:]*\s*=\s*(?:"[^"<]*"|'[^'<]*')"""
_TOKEN = re.compile(
    rf"(?P<text>[^<]+)|<(?P<end>/)?(?P<name>{_NAME})(?P<attrs>(?:{_ATTR})*)\s*(?P<empty>/)?>"
    r"|(?P<other><!--.*?-->|<\?.*?\?>|<!\[CDATA\[(?P<cdata>.*?)\]\]>)",
    re.S,
)
# Markup only (character data is skipped); a "<" that starts no valid markup is an error.
_TAGS = re.compile(
    rf"<(/)?({_NAME})((?:[^<>\"'/]+|\"[^\"<]*\"|'[^'<]*')*)(/)?>|<!--.*?-->|<\?.*?\?>|<!\[CDATA\[.*?\]\]>|<", re.S
)
_R_ATTR = re.compile(r"""\sr\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_ATTR_RE = re.compile(r"""([A-Za-z_][\w.\-:]*)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_ENTITY = re.compile(r"&(#x[0-9A-Fa-f]+|#[0-9]+|lt|gt|amp|quot|apos);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}
XESC = re.compile(r"_x([0-9A-Fa-f]{4})_")


def unescape(s: str) -> str:
    def one(m: re.Match[str]) -> str:
        g = m.group(1)
        if g[0] == "#":
            return chr(int(g[2:], 16) if g[1] in "xX" else int(g[1:]))
        return _NAMED[g]

    return _ENTITY.sub(one, s)


def tag_attrs(tag: str) -> dict[str, str]:
    out = {}
    for m in _ATTR_RE.finditer(tag):
        out[m.group(1)] = unescape(m.group(2) if m.group(2) is not None else m.group(3))
    return out


def _r_attr(attrs: str) -> str | None:
    m = _R_ATTR.search(attrs)
    return None if m is None else (m.group(1) if m.group(1) is not None else m.group(2))


def local_name(name: str) -> str:
    return name.rpartition(":")[2]


def _prefix(name: str) -> str:
    return name[: len(name) - len(local_name(name))]


def tokens(text: str, start: int = 0, end: int | None = None) -> Iterator[re.Match[str]]:
    end = len(text) if end is None else end
    pos = start
    while pos < end:
        m = _TOKEN.match(text, pos, end)
        if not m:
            raise XlsxError(f"malformed XML near offset {pos}: {text[pos:pos + 40]!r}")
        yield m
        pos = m.end()


def text_of(text: str, start: int, end: int, inside: str | None = None) -> str:
    """Character data in text[start:end]; with ``inside``, only within those elements (not in rPh)."""
    out: list[str] = []
    stack: list[str] = []
    for m in tokens(text, start, end):
        if m.group("name"):
            if m.group("empty"):
                continue
            if m.group("end"):
                stack.pop()
            else:
                stack.append(local_name(m.group("name")))
            continue
        keep = inside is None or (stack and stack[-1] == inside and "rPh" not in stack)
        if keep and m.group("text") is not None:
            out.append(unescape(m.group("text")))
        elif keep and m.group("cdata") is not None:
            out.append(m.group("cdata"))
    return "".join(out)


@dataclass(slots=True)
class CellLoc:
    row: int
    col: int
    start: int
    tag_end: int  # just after the start tag
    end: int
    empty: bool
    prefix: str
    children: dict[str, tuple[int, int]] = field(default_factory=dict)
    f_attrs: dict[str, str] = field(default_factory=dict)
    #: (t, formula, <v> text, <is><t> text) already decoded by the simple-cell fast path, else None
    simple: tuple[str, str | None, str | None, str | None] | None = None


@dataclass(slots=True)
class RowLoc:
    r: int
    start: int
    tag_end: int
    close_start: int  # start of </row>, == end when self-closing
    end: int
    empty: bool
    prefix: str
    cells: list[CellLoc] = field(default_factory=list)


@dataclass
class SheetIndex:
    data_start: int = -1
    data_tag_end: int = -1
    data_close: int = -1
    data_empty: bool = False
    data_prefix: str = ""
    dimension: tuple[int, int] | None = None  # span of the <dimension> tag
    rows: list[RowLoc] = field(default_factory=list)
    cells: dict[tuple[int, int], CellLoc] = field(default_factory=dict)
    arrays: list[tuple[int, int, int, int]] = field(default_factory=list)


# The common simple cell, as Excel, LibreOffice and openpyxl write it: attributes r, s, t in that order,
# then an optional <f> (attributes allowed), then <v> or an inline string. Anything else (prefixes,
# comments, rich text, extLst, other attributes) goes through the general tokenizer. The part has
# passed expat's well-formedness check before it is indexed, so a match here is the element itself.
_Q = r'(?:"[^"<]*"|\'[^\'<]*\')'
_SIMPLE_CELL = re.compile(
    r'\s*(?P<o><c)(?:\s+r="(?P<col>[A-Z]{1,3})(?P<row>[0-9]{1,7})")?(?:\s+s="[0-9]*")?(?:\s+t="(?P<t>[A-Za-z]*)")?\s*'
    r"(?:(?P<empty>/>)|(?P<gt>>)\s*"
    rf"(?:(?P<F><f(?P<fa>(?:\s+[A-Za-z_][\w.\-:]*\s*=\s*{_Q})*)\s*(?:/>|>(?P<f>[^<]*)</f>))\s*)?"
    r"(?:(?P<V><v\s*/>|<v>(?P<v>[^<]*)</v>)"
    r'|(?P<IS><is>\s*<t(?:\s+xml:space="[a-z]*")?\s*>(?P<s>[^<]*)</t>\s*</is>))?'
    r"\s*</c>)"
)
_COLS: dict[str, int] = {}


def _formula_attrs(cell: CellLoc, attrs: str, ix: SheetIndex) -> None:
    """The ``<f>`` attributes of a cell; an array formula or data table's range is noted."""
    cell.f_attrs = tag_attrs(attrs)
    if cell.f_attrs.get("t") in ("array", "dataTable") and cell.f_attrs.get("ref"):
        ix.arrays.append(parse_range(cell.f_attrs["ref"]))


def _simple_cells(text: str, pos: int, row: RowLoc, ix: SheetIndex, last_col: int, part: str,
                  max_cells: int) -> tuple[int, int]:
    """Index the run of simple cells at ``pos`` in ``row``: (offset after them, last column)."""
    cells = ix.cells
    match = _SIMPLE_CELL.match
    while (m := match(text, pos)) is not None:
        _, letters, digits, t, empty, _, f_el, f_attrs, f_text, v_el, v_text, is_el, is_text = m.groups()
        if letters is None:
            rr, cc = row.r, last_col + 1
        else:
            cc = _COLS.get(letters) or _COLS.setdefault(letters, _col_index(letters))
            rr = int(digits)
            if cc > MAX_COLS or not 1 <= rr <= MAX_ROWS:
                try:
                    parse_ref(letters + digits)  # raises the general path's message
                except XlsxError as exc:
                    raise XlsxError(f"{part}: {exc}") from None
        if rr != row.r or cc <= last_col:
            raise XlsxError(f"{part}: cell {a1(rr, cc)} is out of order in row {row.r}")
        last_col = cc
        end = m.end()
        cell = CellLoc(rr, cc, m.start(1), end if empty else m.end(6), end, empty is not None, "")
        children = cell.children
        formula = None
        if f_el is not None:
            children["f"] = m.span(7)
            formula = "" if f_text is None else unescape(f_text) if "&" in f_text else f_text
            if f_attrs:
                _formula_attrs(cell, f_attrs, ix)
        v = s = None
        if v_el is not None:
            children["v"] = m.span(10)
            v = "" if v_text is None else unescape(v_text) if "&" in v_text else v_text
        elif is_el is not None:
            children["is"] = m.span(12)
            s = unescape(is_text) if "&" in is_text else is_text
        cell.simple = (t or "n", formula, v, s)
        row.cells.append(cell)
        cells[(rr, cc)] = cell
        if len(cells) > max_cells:
            raise XlsxError(f"{part}: more than {max_cells} cells (max_cells limit)")
        pos = end
    return pos, last_col


def index_sheet(text: str, part: str, max_cells: int, *, fast: bool = True) -> SheetIndex:
    """One pass over the sheet: element nesting is checked, cells located by offset.

    ``fast``: runs of simple cells are indexed by one regular expression each (:data:`_SIMPLE_CELL`),
    the rest by the general tokenizer; ``fast=False`` uses the tokenizer for everything (the tests
    hold the two to the same index).
    """
    ix = SheetIndex()
    stack: list[tuple[str, int]] = []  # (qualified name, start offset)
    row: RowLoc | None = None
    cell: CellLoc | None = None
    last_row = 0
    last_col = 0
    pos = 0
    search = _TAGS.search
    while (m := search(text, pos)) is not None:
        pos = m.end()
        end, name, attrs, empty = m.groups()
        if not name:
            if m.group() == "<":
                raise XlsxError(f"{part}: malformed XML near offset {m.start()}: {text[m.start():m.start() + 40]!r}")
            continue
        local, depth = name.rpartition(":")[2], len(stack)
        if end:
            if not stack or stack[-1][0] != name:
                raise XlsxError(f"{part}: malformed XML, unexpected </{name}> at offset {m.start()}")
            _, begin = stack.pop()
            parent = stack[-1][1] if stack else -1
            if len(stack) == 1 and local == "sheetData":
                ix.data_close = m.start()
            elif row is not None and begin == row.start:
                row.close_start, row.end = m.start(), m.end()
            elif cell is not None and begin == cell.start:
                cell.end = m.end()
                if fast and row is not None and stack and stack[-1][1] == row.start:
                    pos, last_col = _simple_cells(text, pos, row, ix, last_col, part, max_cells)
            elif cell is not None and parent == cell.start:
                cell.children[local] = (begin, m.end())
            continue
        if depth == 1 and local == "dimension":
            ix.dimension = (m.start(), m.end())
            dim = tag_attrs(attrs).get("ref", "A1")
            for piece in dim.split(":"):
                try:
                    parse_ref(piece)
                except XlsxError as exc:
                    raise XlsxError(f"{part}: sheet dimension {dim!r} refused: {exc}") from None
        elif depth == 1 and local == "sheetData":
            ix.data_start, ix.data_tag_end, ix.data_prefix = m.start(), m.end(), _prefix(name)
            ix.data_empty = bool(empty)
            ix.data_close = m.start() if ix.data_empty else -1
        elif depth == 2 and local == "row" and stack[-1][0].endswith("sheetData"):
            r_attr = _r_attr(attrs)
            r = int(r_attr) if r_attr and r_attr.isdigit() else last_row + 1
            if not 1 <= r <= MAX_ROWS:
                raise XlsxError(f"{part}: row {r} is outside Excel's {MAX_ROWS} rows")
            if r <= last_row:
                raise XlsxError(f"{part}: row {r} is out of order")
            last_row, last_col = r, 0
            row = RowLoc(r, m.start(), m.end(), m.start(), m.end(), bool(empty), _prefix(name))
            ix.rows.append(row)
            if fast and not empty:
                pos, last_col = _simple_cells(text, pos, row, ix, last_col, part, max_cells)
        elif depth == 3 and local == "c" and row is not None and stack[-1][1] == row.start:
            ref = _r_attr(attrs)
            try:
                rr, cc = parse_ref(ref) if ref else (row.r, last_col + 1)
            except XlsxError as exc:
                raise XlsxError(f"{part}: {exc}") from None
            if rr != row.r or cc <= last_col or cc > MAX_COLS:
                raise XlsxError(f"{part}: cell {ref or a1(rr, cc)} is out of order in row {row.r}")
            last_col = cc
            cell = CellLoc(rr, cc, m.start(), m.end(), m.end(), bool(empty), _prefix(name))
            row.cells.append(cell)
            ix.cells[(rr, cc)] = cell
            if len(ix.cells) > max_cells:
                raise XlsxError(f"{part}: more than {max_cells} cells (max_cells limit)")
            if empty and fast:
                pos, last_col = _simple_cells(text, pos, row, ix, last_col, part, max_cells)
        elif depth == 4 and cell is not None and stack[-1][1] == cell.start:
            if local == "f":
                _formula_attrs(cell, attrs, ix)
            if empty:
                cell.children[local] = (m.start(), m.end())
        if not empty:
            stack.append((name, m.start()))
    if stack:
        raise XlsxError(f"{part}: malformed XML, <{stack[-1][0]}> is never closed")
    if ix.data_start < 0:
        raise XlsxError(f"{part}: worksheet has no <sheetData>")
    return ix


# --- encoding values -----------------------------------------------------------------------------

_BAD_XML_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)")


_SURROGATE = re.compile("[\ud800-\udfff]")


def _esc(s: str, where: str) -> str:
    if not s.isascii() and _SURROGATE.search(s):
        raise XlsxError(f"{where}: string contains a lone surrogate and cannot be written")
    s = _BAD_XML_CHARS.sub(lambda m: f"_x{ord(m.group()):04X}_", s)  # Excel's ST_Xstring escape
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def encode_value(value: object, *, formula: bool, where: str) -> tuple[str | None, str | None]:
    """(t attribute or None for number, XML for the value element or None for empty)."""
    if type(value) is float:  # the common case first (the checks below go through the numbers ABCs)
        return (None, f"<v>{value!r}</v>") if math.isfinite(value) else ("e", "<v>#NUM!</v>")
    if value is None:
        return None, None
    if isinstance(value, bool) or getattr(getattr(value, "dtype", None), "kind", None) == "b":
        return "b", f"<v>{int(bool(value))}</v>"
    if isinstance(value, numbers.Integral):
        return None, f"<v>{int(value)}</v>"
    if isinstance(value, numbers.Real):
        f = float(value)
        return (None, f"<v>{f!r}</v>") if math.isfinite(f) else ("e", "<v>#NUM!</v>")
    if isinstance(value, str):
        if formula and value in ERROR_CODES:
            return "e", f"<v>{value}</v>"
        if formula:
            return "str", f"<v>{_esc(value, where)}</v>"
        space = ' xml:space="preserve"' if value != value.strip() or "\n" in value else ""
        return "inlineStr", f"<is><t{space}>{_esc(value, where)}</t></is>"
    if str(value) in ERROR_CODES:  # e.g. an engine's error object
        return "e", f"<v>{value}</v>"
    raise XlsxError(f"{where}: cannot write a value of type {type(value).__name__}: {value!r}")


_HAS_T = re.compile(r"\st\s*=")


def set_t(tag: str, t: str | None) -> str:
    """Start tag with its t attribute set (None removes it); other attributes untouched."""
    if t is None and _HAS_T.search(tag) is None:
        return tag  # the common number cell: nothing to remove
    for m in _ATTR_RE.finditer(tag):
        if m.group(1) == "t":
            if t is None and unescape(m.group(2) or m.group(3) or "") == "n":
                return tag  # an explicit t="n" already says number
            lead = len(tag[: m.start()]) - len(tag[: m.start()].rstrip())
            if t is None:
                return tag[: m.start() - lead] + tag[m.end():]
            return tag[: m.start()] + f't="{t}"' + tag[m.end():]
    if t is None:
        return tag
    at = re.search(r"\s*/?>\Z", tag)
    assert at is not None
    return tag[: at.start()] + f' t="{t}"' + tag[at.start():]


def _prefixed(body: str | None, prefix: str) -> str:
    if not body or not prefix:
        return body or ""
    return re.sub(r"<(/?)(v|is|t)\b", rf"<\1{prefix}\2", body)


def rewrite_cell(text: str, loc: CellLoc, t: str | None, body: str | None) -> str:
    """New text for one <c>: t and the value replaced, <f> and <extLst> kept byte-identical."""
    tag = set_t(text[loc.start:loc.tag_end], t)
    children = loc.children
    if body and not loc.empty and not loc.prefix and "extLst" not in children:  # the common case
        f = children.get("f")
        return f"{tag}{text[f[0]:f[1]] if f else ''}{body}</c>"
    kept = {k: text[s:e] for k, (s, e) in children.items() if k in ("f", "extLst")}
    inner = kept.get("f", "") + _prefixed(body, loc.prefix) + kept.get("extLst", "")
    if not inner:
        return tag if loc.empty else re.sub(r"\s*>\Z", "/>", tag)
    if loc.empty:
        tag = re.sub(r"\s*/>\Z", ">", tag)
    return f"{tag}{inner}</{loc.prefix}c>"


def new_cell(r: int, c: int, t: str | None, body: str | None, prefix: str) -> str:
    tattr = f' t="{t}"' if t else ""
    if not body:
        return f'<{prefix}c r="{a1(r, c)}"{tattr}/>'
    return f'<{prefix}c r="{a1(r, c)}"{tattr}>{_prefixed(body, prefix)}</{prefix}c>'


NewCells = dict[int, list[tuple[int, str | None, str | None]]]  # row -> (col, t, value xml)


def insert_cells(text: str, ix: SheetIndex, new: NewCells) -> list[tuple[int, int, str]]:
    """Splices creating missing input cells (and rows), keeping row and column order."""
    ops: list[tuple[int, int, str]] = []
    rows = {row.r: row for row in ix.rows}
    new_rows: dict[int, list[str]] = {}
    for r in sorted(new):
        row = rows.get(r)
        prefix = row.prefix if row else ix.data_prefix
        cells = sorted(new[r], key=lambda x: x[0])
        if row is None:
            xml = "".join(new_cell(r, c, t, body, prefix) for c, t, body in cells)
            new_rows.setdefault(_row_insert_at(ix, r), []).append(f'<{prefix}row r="{r}">{xml}</{prefix}row>')
            continue
        if row.empty:  # <row .../> becomes <row ...>cells</row>
            xml = "".join(new_cell(r, c, t, body, prefix) for c, t, body in cells)
            tag = re.sub(r"\s*/>\Z", ">", text[row.start:row.end])
            ops.append((row.start, row.end, f"{tag}{xml}</{prefix}row>"))
            continue
        by_pos: dict[int, list[str]] = {}
        for c, t, body in cells:
            at = next((loc.start for loc in row.cells if loc.col > c), row.close_start)
            by_pos.setdefault(at, []).append(new_cell(r, c, t, body, prefix))
        ops += [(at, at, "".join(xml)) for at, xml in by_pos.items()]
    for at, xml in new_rows.items():
        ops.append((at, at, "".join(xml)))
    if ix.data_empty and new_rows:  # <sheetData/> becomes <sheetData>rows</sheetData>
        p = ix.data_prefix
        ops = [(s, e, x) for s, e, x in ops if s != ix.data_start]
        body = "".join(x for xml in new_rows.values() for x in xml)
        tag = re.sub(r"\s*/>\Z", ">", text[ix.data_start:ix.data_tag_end])
        ops.append((ix.data_start, ix.data_tag_end, f"{tag}{body}</{p}sheetData>"))
    ops += grow_dimension(text, ix, new)
    return ops


def _row_insert_at(ix: SheetIndex, r: int) -> int:
    return next((row.start for row in ix.rows if row.r > r), ix.data_close if not ix.data_empty else ix.data_start)


def grow_dimension(text: str, ix: SheetIndex, new: NewCells) -> list[tuple[int, int, str]]:
    """A created cell outside <dimension ref> would make the hint wrong, so it is widened."""
    if ix.dimension is None:
        return []
    tag = text[ix.dimension[0]:ix.dimension[1]]
    ref = tag_attrs(tag).get("ref", "A1")
    r1, c1, r2, c2 = parse_range(ref)
    rows = list(new) + [r1, r2]
    cols = [c for cells in new.values() for c, _, _ in cells] + [c1, c2]
    grown = f"{a1(min(rows), min(cols))}:{a1(max(rows), max(cols))}"
    if (min(rows), min(cols), max(rows), max(cols)) == (r1, c1, r2, c2):
        return []
    new_tag = re.sub(r"""(\sref\s*=\s*)(["'])[^"']*\2""", lambda m: f'{m.group(1)}"{grown}"', tag)
    return [(ix.dimension[0], ix.dimension[1], new_tag)]


