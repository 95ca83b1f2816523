"""Write cached values and input cells into an existing .xlsx/.xlsm, leaving every other byte alone.

openpyxl writes formulas with empty cached values and its load-and-save drops charts and images, so
this module works on the zip members and the sheet XML *text*: only the ``<c>`` elements concerned
(and a ``<row>`` or the ``<dimension>`` when an input cell must be created) change. Every other
member is copied with its original name, order, timestamp and compression method.

Hostile packages (corrupt zips, zip bombs, DOCTYPE/ENTITY declarations, absurd sheet sizes) are
refused with :class:`XlsxError` before anything is written.
"""

from __future__ import annotations

import functools
import math
import numbers
import os
import posixpath
import re
import tempfile
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import defusedxml.ElementTree as DET
from defusedxml import DefusedXmlException
from openpyxl.utils.cell import column_index_from_string as _col_index
from openpyxl.utils.cell import get_column_letter as _col_letters

__all__ = [
    "ERROR_CODES",
    "Cell",
    "DefinedName",
    "Package",
    "XlsxError",
    "open_package",
    "write",
]

MAX_ROWS = 1_048_576
MAX_COLS = 16_384
ERROR_CODES = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA"})


class XlsxError(ValueError):
    """The package is refused or a value cannot be written; the message says what and why."""


@dataclass(frozen=True)
class Cell:
    """One ``<c>`` as stored: ``formula`` is the ``<f>`` text ('' for shared dependents), else None."""

    ref: str
    formula: str | None
    value: object
    type: str  # the t attribute, default "n"
    formula_kind: str | None = None  # "normal", "shared", "array" or "dataTable"
    shared_index: str | None = None  # si of a shared formula
    formula_ref: str | None = None  # ref of a shared master or array formula


@dataclass(frozen=True)
class DefinedName:
    name: str
    local_sheet_id: int | None
    text: str


# --- cell references ---------------------------------------------------------------------------

_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]+)")


@functools.lru_cache(maxsize=4096)
def _parse_ref(ref: str) -> tuple[int, int]:
    """'$B$7' -> (7, 2); refuses refs outside Excel's grid."""
    m = _REF.fullmatch(ref.strip())
    if not m:
        raise XlsxError(f"bad cell reference {ref!r}")
    row, col = int(m.group(2)), _col_index(m.group(1))
    if not (1 <= row <= MAX_ROWS and 1 <= col <= MAX_COLS):
        raise XlsxError(f"cell reference {ref!r} is outside Excel's {MAX_ROWS} rows x {MAX_COLS} columns")
    return row, col


def _a1(row: int, col: int) -> str:
    return f"{_col_letters(col)}{row}"


def _parse_range(text: str) -> tuple[int, int, int, int]:
    a, _, b = text.partition(":")
    r1, c1 = _parse_ref(a)
    r2, c2 = _parse_ref(b) if b else (r1, c1)
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
_XESC = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _unescape(s: str) -> str:
    def one(m: re.Match[str]) -> str:
        g = m.group(1)
        if g[0] == "#":
            return chr(int(g[2:], 16) if g[1] in "xX" else int(g[1:]))
        return _NAMED[g]

    return _ENTITY.sub(one, s)


def _attrs(tag: str) -> dict[str, str]:
    out = {}
    for m in _ATTR_RE.finditer(tag):
        out[m.group(1)] = _unescape(m.group(2) if m.group(2) is not None else m.group(3))
    return out


def _r_attr(attrs: str) -> str | None:
    m = _R_ATTR.search(attrs)
    return None if m is None else (m.group(1) if m.group(1) is not None else m.group(2))


def _local(name: str) -> str:
    return name.rpartition(":")[2]


def _prefix(name: str) -> str:
    return name[: len(name) - len(_local(name))]


def _tokens(text: str, start: int = 0, end: int | None = None) -> Iterator[re.Match[str]]:
    end = len(text) if end is None else end
    pos = start
    while pos < end:
        m = _TOKEN.match(text, pos, end)
        if not m:
            raise XlsxError(f"malformed XML near offset {pos}: {text[pos:pos + 40]!r}")
        yield m
        pos = m.end()


def _text_of(text: str, start: int, end: int, inside: str | None = None) -> str:
    """Character data in text[start:end]; with ``inside``, only within those elements (not in rPh)."""
    out: list[str] = []
    stack: list[str] = []
    for m in _tokens(text, start, end):
        if m.group("name"):
            if m.group("empty"):
                continue
            if m.group("end"):
                stack.pop()
            else:
                stack.append(_local(m.group("name")))
            continue
        keep = inside is None or (stack and stack[-1] == inside and "rPh" not in stack)
        if keep and m.group("text") is not None:
            out.append(_unescape(m.group("text")))
        elif keep and m.group("cdata") is not None:
            out.append(m.group("cdata"))
    return "".join(out)


@dataclass
class _CellLoc:
    row: int
    col: int
    start: int
    tag_end: int  # just after the start tag
    end: int
    empty: bool
    prefix: str
    children: dict[str, tuple[int, int]] = field(default_factory=dict)
    f_attrs: dict[str, str] = field(default_factory=dict)


@dataclass
class _RowLoc:
    r: int
    start: int
    tag_end: int
    close_start: int  # start of </row>, == end when self-closing
    end: int
    empty: bool
    prefix: str
    cells: list[_CellLoc] = field(default_factory=list)


@dataclass
class _SheetIndex:
    data_start: int = -1
    data_tag_end: int = -1
    data_close: int = -1
    data_empty: bool = False
    data_prefix: str = ""
    dimension: tuple[int, int] | None = None  # span of the <dimension> tag
    rows: list[_RowLoc] = field(default_factory=list)
    cells: dict[tuple[int, int], _CellLoc] = field(default_factory=dict)
    arrays: list[tuple[int, int, int, int]] = field(default_factory=list)


def _index_sheet(text: str, part: str, max_cells: int) -> _SheetIndex:
    """One pass over the sheet: element nesting is checked, cells located by offset."""
    ix = _SheetIndex()
    stack: list[tuple[str, int]] = []  # (qualified name, start offset)
    row: _RowLoc | None = None
    cell: _CellLoc | None = None
    last_row = 0
    last_col = 0
    for m in _TAGS.finditer(text):
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
            elif cell is not None and parent == cell.start:
                cell.children[local] = (begin, m.end())
            continue
        if depth == 1 and local == "dimension":
            ix.dimension = (m.start(), m.end())
            dim = _attrs(attrs).get("ref", "A1")
            for piece in dim.split(":"):
                try:
                    _parse_ref(piece)
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
            row = _RowLoc(r, m.start(), m.end(), m.start(), m.end(), bool(empty), _prefix(name))
            ix.rows.append(row)
        elif depth == 3 and local == "c" and row is not None and stack[-1][1] == row.start:
            ref = _r_attr(attrs)
            try:
                rr, cc = _parse_ref(ref) if ref else (row.r, last_col + 1)
            except XlsxError as exc:
                raise XlsxError(f"{part}: {exc}") from None
            if rr != row.r or cc <= last_col or cc > MAX_COLS:
                raise XlsxError(f"{part}: cell {ref or _a1(rr, cc)} is out of order in row {row.r}")
            last_col = cc
            cell = _CellLoc(rr, cc, m.start(), m.end(), m.end(), bool(empty), _prefix(name))
            row.cells.append(cell)
            ix.cells[(rr, cc)] = cell
            if len(ix.cells) > max_cells:
                raise XlsxError(f"{part}: more than {max_cells} cells (max_cells limit)")
        elif depth == 4 and cell is not None and stack[-1][1] == cell.start:
            if local == "f":
                cell.f_attrs = _attrs(attrs)
                if cell.f_attrs.get("t") in ("array", "dataTable") and cell.f_attrs.get("ref"):
                    ix.arrays.append(_parse_range(cell.f_attrs["ref"]))
            if empty:
                cell.children[local] = (m.start(), m.end())
        if not empty:
            stack.append((name, m.start()))
    if stack:
        raise XlsxError(f"{part}: malformed XML, <{stack[-1][0]}> is never closed")
    if ix.data_start < 0:
        raise XlsxError(f"{part}: worksheet has no <sheetData>")
    return ix


# --- the package --------------------------------------------------------------------------------

_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.I)


def _xml_tag(el: object) -> str:
    return str(getattr(el, "tag", "")).rpartition("}")[2]


def _parse_xml(data: bytes, part: str) -> Any:
    if _DOCTYPE.search(_decoded(data)):
        raise XlsxError(f"{part}: DOCTYPE/ENTITY declarations are not allowed (XXE / entity expansion)")
    try:
        return DET.fromstring(data, forbid_dtd=True)
    except (DefusedXmlException, DET.ParseError) as exc:
        raise XlsxError(f"{part}: refused XML ({type(exc).__name__}: {exc})") from None


class _Sink:
    """Parser target that builds nothing: a streaming well-formedness/DTD check."""

    def close(self) -> None:
        return None


def _check_xml(data: bytes, part: str) -> None:
    if _DOCTYPE.search(_decoded(data)):
        raise XlsxError(f"{part}: DOCTYPE/ENTITY declarations are not allowed (XXE / entity expansion)")
    try:
        parser = DET.DefusedXMLParser(target=_Sink(), forbid_dtd=True)
        parser.feed(data)
        parser.close()
    except (DefusedXmlException, DET.ParseError) as exc:
        raise XlsxError(f"{part}: refused XML ({type(exc).__name__}: {exc})") from None


def _decoded(data: bytes) -> bytes:
    """UTF-16 parts are converted so the raw DOCTYPE check cannot be dodged by encoding."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16", "replace").encode("utf-8", "replace")
    return data


class Package:
    """An .xlsx/.xlsm read fully into memory (a consistent snapshot of the source file)."""

    def __init__(self, path: Path, infos: list[zipfile.ZipInfo], parts: dict[str, bytes],
                 comment: bytes, max_cells: int) -> None:
        self.path = path
        self.infos = infos
        self.parts = parts
        self.comment = comment
        self.max_cells = max_cells
        self.workbook_part = self._workbook_part()
        wb = _parse_xml(parts[self.workbook_part], self.workbook_part)
        rels = self._rels(self.workbook_part)
        self.sheets: dict[str, str] = {}  # worksheet name -> part, in workbook order
        self.sheet_order: list[str] = []  # all sheets (incl. chartsheets), for localSheetId
        self.defined_names: list[DefinedName] = []
        for el in wb.iter():
            tag = _xml_tag(el)
            if tag == "sheet":
                name = el.get("name", "")
                rid = next((v for k, v in el.attrib.items() if k.endswith("}id")), None)
                self.sheet_order.append(name)
                target = rels.get(rid or "")
                if target and target[0].endswith("/worksheet"):
                    if target[1] not in parts:
                        raise XlsxError(f"sheet {name!r}: part {target[1]} is missing from the package")
                    self.sheets[name] = target[1]
            elif tag == "definedName":
                lid = el.get("localSheetId")
                self.defined_names.append(
                    DefinedName(el.get("name", ""), int(lid) if lid is not None else None, el.text or "")
                )
        sst = next((p for t, p in rels.values() if t.endswith("/sharedStrings")), None)
        self.shared_strings = self._shared_strings(sst) if sst in parts else []
        self._text: dict[str, str] = {}
        self._index: dict[str, _SheetIndex] = {}
        for part in self.sheets.values():
            _check_xml(parts[part], part)  # defusedxml: well-formed, no DTD
            try:
                self._text[part] = parts[part].decode("utf-8")
            except UnicodeDecodeError:
                raise XlsxError(f"{part}: worksheet XML is not UTF-8; refusing to edit it") from None
            self._index[part] = _index_sheet(self._text[part], part, max_cells)

    def _workbook_part(self) -> str:
        if "_rels/.rels" in self.parts:
            for typ, target in self._rels("").values():
                if typ.endswith("/officeDocument") and target in self.parts:
                    return target
        if "xl/workbook.xml" in self.parts:
            return "xl/workbook.xml"
        raise XlsxError("not a spreadsheet package: no workbook part (xl/workbook.xml)")

    def _rels(self, source: str) -> dict[str, tuple[str, str]]:
        """Relationships of a part: Id -> (Type, resolved part name); external targets skipped."""
        folder, base = posixpath.split(source)
        rels_part = posixpath.join(folder, "_rels", base + ".rels")
        if rels_part not in self.parts:
            return {}
        out = {}
        for el in _parse_xml(self.parts[rels_part], rels_part).iter():
            if _xml_tag(el) == "Relationship" and el.get("TargetMode") != "External":
                target = el.get("Target", "")
                path = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
                out[el.get("Id", "")] = (el.get("Type", ""), posixpath.normpath(path))
        return out

    def _shared_strings(self, part: str) -> list[str]:
        out = []
        for si in _parse_xml(self.parts[part], part):
            texts = [t.text or "" for t in si if _xml_tag(t) == "t"]
            texts += [t.text or "" for r in si if _xml_tag(r) == "r" for t in r if _xml_tag(t) == "t"]
            out.append(_xdecode("".join(texts)))
        return out

    # --- reading -----------------------------------------------------------------------------

    def sheet_part(self, sheet: str) -> str:
        if sheet in self.sheets:
            return self.sheets[sheet]
        for name, part in self.sheets.items():  # Excel sheet names are case-insensitive
            if name.casefold() == sheet.casefold():
                return part
        raise XlsxError(f"no worksheet named {sheet!r}; worksheets are {list(self.sheets)}")

    def iter_cells(self, sheet: str) -> Iterator[Cell]:
        """Every ``<c>`` of a worksheet in file order, reported as stored (formulas untranslated)."""
        part = self.sheet_part(sheet)
        text = self._text[part]
        for row in self._index[part].rows:
            for loc in row.cells:
                yield self._cell(text, loc)

    def _cell(self, text: str, loc: _CellLoc) -> Cell:
        t = _attrs(text[loc.start:loc.tag_end]).get("t", "n")
        formula = None
        if "f" in loc.children:
            formula = _text_of(text, *loc.children["f"])
        value: object = None
        if t == "inlineStr" and "is" in loc.children:
            value = _xdecode(_text_of(text, *loc.children["is"], inside="t"))
        elif "v" in loc.children:
            raw = _text_of(text, *loc.children["v"])
            value = _decode_value(raw, t, self.shared_strings)
        fa = loc.f_attrs
        kind = fa.get("t", "normal") if formula is not None else None
        return Cell(_a1(loc.row, loc.col), formula, value, t, kind, fa.get("si"), fa.get("ref"))

    def resolve_name(self, name: str, sheet: str | None = None) -> list[tuple[str, str]]:
        """Cells of a defined name with a simple reference text, as (sheet, 'A1') in row-major order."""
        local_id = self.sheet_order.index(sheet) if sheet in self.sheet_order else None
        found = [d for d in self.defined_names if d.name.casefold() == name.casefold()]
        found.sort(key=lambda d: d.local_sheet_id != local_id)  # sheet-scoped first, then global
        scoped = [d for d in found if d.local_sheet_id in (None, local_id)]
        if not scoped:
            raise XlsxError(f"no defined name {name!r}")
        return self._resolve_text(scoped[0].text, name)

    def _resolve_text(self, text: str, name: str) -> list[tuple[str, str]]:
        out = []
        for area in re.findall(r"(?:'(?:[^']|'')*'|[^,'])+", text):
            m = re.fullmatch(r"\s*(?:'((?:[^']|'')+)'|([^'!\s:]+))!(\$?[A-Za-z]{1,3}\$?\d+(?::\$?[A-Za-z]{1,3}\$?\d+)?)\s*",
                             area)
            if not m:
                raise XlsxError(f"defined name {name!r} = {text!r} is not a simple cell or range reference")
            sheet = m.group(1).replace("''", "'") if m.group(1) else m.group(2)
            r1, c1, r2, c2 = _parse_range(m.group(3))
            if (r2 - r1 + 1) * (c2 - c1 + 1) > self.max_cells:
                raise XlsxError(f"defined name {name!r} covers more than {self.max_cells} cells")
            out += [(sheet, _a1(r, c)) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]
        return out

    # --- writing -----------------------------------------------------------------------------

    def write(self, path_out: str | os.PathLike[str],
              cell_values: Mapping[tuple[str, str], object],
              input_values: Mapping[tuple[str, str], object] | None = None,
              *, in_place: bool = False) -> Path:
        """Write a copy with formula cached values and input constants replaced; atomic.

        ``cell_values`` targets formula cells (or cells inside an array formula's range) and only
        their ``<v>``/``t`` change. ``input_values`` targets constant cells (created if missing).
        Every target is checked before anything is written.
        """
        out = Path(path_out)
        if not in_place and (out.resolve() == self.path.resolve() or (out.exists() and out.samefile(self.path))):
            raise XlsxError(f"refusing to overwrite the source {self.path}; pass in_place=True")
        edits: dict[str, list[tuple[int, int, object, bool]]] = {}
        seen: set[tuple[str, int, int]] = set()
        for values, is_input in ((cell_values, False), (input_values or {}, True)):
            for (sheet, ref), value in values.items():
                part = self.sheet_part(sheet)
                r, c = _parse_ref(ref)
                if (part, r, c) in seen:
                    raise XlsxError(f"{sheet}!{ref} is given twice")
                seen.add((part, r, c))
                edits.setdefault(part, []).append((r, c, value, is_input))
        new_parts = {part: self._edit_sheet(part, items) for part, items in edits.items()}
        _write_zip_atomic(out, self.infos, {**self.parts, **new_parts}, self.comment)
        return out

    def _edit_sheet(self, part: str, items: list[tuple[int, int, object, bool]]) -> bytes:
        text, ix = self._text[part], self._index[part]
        ops: list[tuple[int, int, str]] = []
        new_cells: _NewCells = {}
        for r, c, value, is_input in items:
            where = f"{_sheet_of(self, part)}!{_a1(r, c)}"
            loc = ix.cells.get((r, c))
            in_array = any(r1 <= r <= r2 and c1 <= c <= c2 for r1, c1, r2, c2 in ix.arrays)
            has_f = loc is not None and "f" in loc.children
            if is_input and (has_f or in_array):
                raise XlsxError(f"{where} holds a formula; input values may only replace constants")
            if not is_input and not (has_f or in_array):
                raise XlsxError(f"{where} is not a formula cell; use input_values to set constants")
            t, body = _encode(value, formula=not is_input, where=where)
            if loc is None and body is None:
                continue  # clearing a cell that does not exist
            if loc is None:  # only input cells are created
                new_cells.setdefault(r, []).append((c, t, body))
                continue
            ops.append((loc.start, loc.end, _rewrite_cell(text, loc, t, body)))
        if new_cells:
            ops += _insert_cells(text, ix, new_cells)
        ops.sort(key=lambda op: (op[0], op[1]))
        out, pos = [], 0
        for start, end, rep in ops:
            out += [text[pos:start], rep]
            pos = end
        new_text = "".join(out) + text[pos:]
        data = new_text.encode("utf-8")
        _check_xml(data, part)  # the edited part must still be well-formed
        _index_sheet(new_text, part, self.max_cells)
        return data


def _sheet_of(pkg: Package, part: str) -> str:
    return next(name for name, p in pkg.sheets.items() if p == part)


def _xdecode(s: str) -> str:
    return _XESC.sub(lambda m: chr(int(m.group(1), 16)), s)


def _decode_value(raw: str, t: str, sst: list[str]) -> object:
    if t == "s":
        try:
            return sst[int(raw)]
        except (ValueError, IndexError):
            raise XlsxError(f"shared string index {raw!r} is invalid") from None
    if t == "b":
        return raw.strip() in ("1", "true")
    if t == "str":
        return _xdecode(raw)
    if t in ("e", "d"):
        return raw
    raw = raw.strip()
    if not raw:
        return None
    return int(raw) if re.fullmatch(r"[-+]?\d+", raw) else float(raw)


# --- encoding values -----------------------------------------------------------------------------

_BAD_XML_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)")


def _esc(s: str, where: str) -> str:
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in s):
        raise XlsxError(f"{where}: string contains a lone surrogate and cannot be written")
    s = _BAD_XML_CHARS.sub(lambda m: f"_x{ord(m.group()):04X}_", s)  # Excel's ST_Xstring escape
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def _encode(value: object, *, formula: bool, where: str) -> tuple[str | None, str | None]:
    """(t attribute or None for number, XML for the value element or None for empty)."""
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


def _set_t(tag: str, t: str | None) -> str:
    """Start tag with its t attribute set (None removes it); other attributes untouched."""
    for m in _ATTR_RE.finditer(tag):
        if m.group(1) == "t":
            if t is None and _unescape(m.group(2) or m.group(3) or "") == "n":
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


def _rewrite_cell(text: str, loc: _CellLoc, t: str | None, body: str | None) -> str:
    """New text for one <c>: t and the value replaced, <f> and <extLst> kept byte-identical."""
    tag = _set_t(text[loc.start:loc.tag_end], t)
    kept = {k: text[s:e] for k, (s, e) in loc.children.items() if k in ("f", "extLst")}
    inner = kept.get("f", "") + _prefixed(body, loc.prefix) + kept.get("extLst", "")
    if not inner:
        return tag if loc.empty else re.sub(r"\s*>\Z", "/>", tag)
    if loc.empty:
        tag = re.sub(r"\s*/>\Z", ">", tag)
    return f"{tag}{inner}</{loc.prefix}c>"


def _new_cell(r: int, c: int, t: str | None, body: str | None, prefix: str) -> str:
    tattr = f' t="{t}"' if t else ""
    if not body:
        return f'<{prefix}c r="{_a1(r, c)}"{tattr}/>'
    return f'<{prefix}c r="{_a1(r, c)}"{tattr}>{_prefixed(body, prefix)}</{prefix}c>'


_NewCells = dict[int, list[tuple[int, str | None, str | None]]]  # row -> (col, t, value xml)


def _insert_cells(text: str, ix: _SheetIndex, new: _NewCells) -> list[tuple[int, int, str]]:
    """Splices creating missing input cells (and rows), keeping row and column order."""
    ops: list[tuple[int, int, str]] = []
    rows = {row.r: row for row in ix.rows}
    new_rows: dict[int, list[str]] = {}
    for r in sorted(new):
        row = rows.get(r)
        prefix = row.prefix if row else ix.data_prefix
        cells = sorted(new[r], key=lambda x: x[0])
        if row is None:
            xml = "".join(_new_cell(r, c, t, body, prefix) for c, t, body in cells)
            new_rows.setdefault(_row_insert_at(ix, r), []).append(f'<{prefix}row r="{r}">{xml}</{prefix}row>')
            continue
        if row.empty:  # <row .../> becomes <row ...>cells</row>
            xml = "".join(_new_cell(r, c, t, body, prefix) for c, t, body in cells)
            tag = re.sub(r"\s*/>\Z", ">", text[row.start:row.end])
            ops.append((row.start, row.end, f"{tag}{xml}</{prefix}row>"))
            continue
        by_pos: dict[int, list[str]] = {}
        for c, t, body in cells:
            at = next((loc.start for loc in row.cells if loc.col > c), row.close_start)
            by_pos.setdefault(at, []).append(_new_cell(r, c, t, body, prefix))
        ops += [(at, at, "".join(xml)) for at, xml in by_pos.items()]
    for at, xml in new_rows.items():
        ops.append((at, at, "".join(xml)))
    if ix.data_empty and new_rows:  # <sheetData/> becomes <sheetData>rows</sheetData>
        p = ix.data_prefix
        ops = [(s, e, x) for s, e, x in ops if s != ix.data_start]
        body = "".join(x for xml in new_rows.values() for x in xml)
        tag = re.sub(r"\s*/>\Z", ">", text[ix.data_start:ix.data_tag_end])
        ops.append((ix.data_start, ix.data_tag_end, f"{tag}{body}</{p}sheetData>"))
    ops += _grow_dimension(text, ix, new)
    return ops


def _row_insert_at(ix: _SheetIndex, r: int) -> int:
    return next((row.start for row in ix.rows if row.r > r), ix.data_close if not ix.data_empty else ix.data_start)


def _grow_dimension(text: str, ix: _SheetIndex, new: _NewCells) -> list[tuple[int, int, str]]:
    """A created cell outside <dimension ref> would make the hint wrong, so it is widened."""
    if ix.dimension is None:
        return []
    tag = text[ix.dimension[0]:ix.dimension[1]]
    ref = _attrs(tag).get("ref", "A1")
    r1, c1, r2, c2 = _parse_range(ref)
    rows = list(new) + [r1, r2]
    cols = [c for cells in new.values() for c, _, _ in cells] + [c1, c2]
    grown = f"{_a1(min(rows), min(cols))}:{_a1(max(rows), max(cols))}"
    if (min(rows), min(cols), max(rows), max(cols)) == (r1, c1, r2, c2):
        return []
    new_tag = re.sub(r"""(\sref\s*=\s*)(["'])[^"']*\2""", lambda m: f'{m.group(1)}"{grown}"', tag)
    return [(ix.dimension[0], ix.dimension[1], new_tag)]


# --- zip in and out ------------------------------------------------------------------------------

def open_package(path: str | os.PathLike[str], *, max_total_bytes: int = 1 << 30, max_ratio: float = 200.0,
                 ratio_min_bytes: int = 1 << 20, max_members: int = 10_000,
                 max_cells: int = 20_000_000) -> Package:
    """Read and check a package; refuses corrupt zips, zip bombs, DTDs and oversized sheets.

    A member is a bomb when it expands past ``max_ratio``:1 and is larger than ``ratio_min_bytes``
    (small parts compress well legitimately); the declared sizes bound what is ever decompressed.
    """
    src = Path(path)
    try:
        with zipfile.ZipFile(src) as zf:
            infos = zf.infolist()
            _check_members(infos, max_total_bytes, max_ratio, ratio_min_bytes, max_members)
            parts = {info.filename: zf.read(info) for info in infos}
            comment = zf.comment
    except zipfile.BadZipFile as exc:
        raise XlsxError(f"{src.name}: not a valid zip/xlsx package ({exc})") from None
    except (zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
        raise XlsxError(f"{src.name}: corrupt zip member ({type(exc).__name__}: {exc})") from None
    if "[Content_Types].xml" not in parts:
        raise XlsxError(f"{src.name}: not an OOXML package (no [Content_Types].xml)")
    for name, data in parts.items():
        if name.endswith((".xml", ".rels", ".vml")) and _DOCTYPE.search(_decoded(data)):
            raise XlsxError(f"{name}: DOCTYPE/ENTITY declarations are not allowed (XXE / entity expansion)")
    return Package(src, infos, parts, comment, max_cells)


def _check_members(infos: list[zipfile.ZipInfo], max_total: int, max_ratio: float, ratio_min: int,
                   max_members: int) -> None:
    if len(infos) > max_members:
        raise XlsxError(f"zip has {len(infos)} members, more than the limit of {max_members}")
    names = [i.filename for i in infos]
    if len(set(names)) != len(names):
        raise XlsxError("zip has duplicate member names; refusing an ambiguous package")
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise XlsxError(f"{info.filename}: encrypted zip members are not supported")
        total += info.file_size
        if total > max_total:
            raise XlsxError(f"zip expands to more than {max_total} bytes (zip bomb limit max_total_bytes)")
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > ratio_min and ratio > max_ratio:
            raise XlsxError(f"{info.filename}: compression ratio {ratio:.0f}:1 exceeds {max_ratio:g}:1 "
                            f"(zip bomb limit max_ratio)")


def _copy_info(info: zipfile.ZipInfo) -> tuple[zipfile.ZipInfo, int | None]:
    zi = zipfile.ZipInfo(info.filename, info.date_time)
    for attr in ("compress_type", "comment", "create_system", "create_version", "extract_version",
                 "external_attr", "internal_attr"):
        setattr(zi, attr, getattr(info, attr))
    zi.extra = _strip_zip64(info.extra)  # zipfile adds its own zip64 field when needed
    level = {1: 9, 2: 2, 3: 1}.get((info.flag_bits >> 1) & 3) if info.compress_type == zipfile.ZIP_DEFLATED else None
    return zi, level


def _strip_zip64(extra: bytes) -> bytes:
    out, i = b"", 0
    while i + 4 <= len(extra):
        hid, size = int.from_bytes(extra[i:i + 2], "little"), int.from_bytes(extra[i + 2:i + 4], "little")
        if hid != 0x0001:
            out += extra[i:i + 4 + size]
        i += 4 + size
    return out


def _write_zip_atomic(out: Path, infos: list[zipfile.ZipInfo], parts: dict[str, bytes], comment: bytes) -> None:
    """Temp file in the destination folder, then os.replace; on any error nothing is left behind.

    xl/calcChain.xml is kept: formulas are never added or removed, so it stays valid.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            with zipfile.ZipFile(fh, "w", allowZip64=True) as zf:
                for info in infos:
                    zi, level = _copy_info(info)
                    zf.writestr(zi, parts[info.filename], compresslevel=level)
                zf.comment = comment
            fh.flush()
            os.fsync(fh.fileno())
        mode = out.stat().st_mode & 0o7777 if out.exists() else 0o666 & ~_umask()
        os.chmod(tmp, mode)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write(src: str | os.PathLike[str], path_out: str | os.PathLike[str],
          cell_values: Mapping[tuple[str, str], object],
          input_values: Mapping[tuple[str, str], object] | None = None,
          *, in_place: bool = False, **limits: int | float) -> Path:
    """open_package(src, **limits).write(...) in one call."""
    return open_package(src, **limits).write(path_out, cell_values, input_values,  # type: ignore[arg-type]
                                             in_place=in_place)
