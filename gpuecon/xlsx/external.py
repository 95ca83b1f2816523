"""The values a workbook caches for its links to other workbooks. Excel (and LibreOffice) compute a
reference such as ``[1]Sheet1!A1`` from the copy of the other book's cells stored in the package's
``xl/externalLinks/externalLinkN.xml``: the N-th ``<externalReference>`` of the workbook part, with the
other file's name in its relationships. :func:`external_books` reads them: book index -> sheet name ->
the cached cells.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import XlsxError
from .package import Package
from .sheetxml import parse_ref

__all__ = ["ExternalBook", "external_books"]


@dataclass
class ExternalBook:
    """One linked workbook: its file name as the link gives it, and the cells cached per sheet."""

    target: str
    sheets: dict[str, dict[tuple[int, int], object]] = field(default_factory=dict)  # casefolded sheet name

    def sheet(self, name: str) -> dict[tuple[int, int], object] | None:
        return self.sheets.get(name.casefold())


def _tag(el: object) -> str:
    return str(getattr(el, "tag", "")).rpartition("}")[2]


def _value(raw: str, t: str) -> object:
    if t == "b":
        return raw.strip() in ("1", "true")
    if t in ("str", "s", "inlineStr", "e"):
        return raw
    try:
        return float(raw)
    except ValueError:
        return raw


def external_books(pkg: Package) -> dict[int, ExternalBook]:
    """Book index (the N in ``[N]Sheet!A1``) -> its cached cells; links that are not a workbook (DDE,
    OLE) or whose part is missing are left out (references to them stay unsupported)."""
    rels = pkg.relationships(pkg.workbook_part)
    out: dict[int, ExternalBook] = {}
    refs = [el for el in pkg.xml(pkg.workbook_part).iter() if _tag(el) == "externalReference"]
    for n, el in enumerate(refs, start=1):
        rid = next((v for k, v in el.attrib.items() if k.endswith("}id")), "")
        rel = rels.get(rid)
        if rel is None or rel[1] not in pkg.parts:
            continue
        part = rel[1]
        root = pkg.xml(part)
        book_el = next((e for e in root.iter() if _tag(e) == "externalBook"), None)
        if book_el is None:
            continue
        brid = next((v for k, v in book_el.attrib.items() if k.endswith("}id")), "")
        target = pkg.relationships(part, external=True).get(brid, ("", ""))[1]
        book = ExternalBook(target)
        names = [e.get("val", "") for e in book_el.iter() if _tag(e) == "sheetName"]
        for data in (e for e in book_el.iter() if _tag(e) == "sheetData"):
            try:
                name = names[int(data.get("sheetId", "-1"))]
            except (ValueError, IndexError):
                continue
            cells: dict[tuple[int, int], object] = {}
            for cell in (e for e in data.iter() if _tag(e) == "cell"):
                v = next((e for e in cell if _tag(e) == "v"), None)
                if v is None or v.text is None:
                    continue
                try:
                    cells[parse_ref(cell.get("r", ""))] = _value(v.text, cell.get("t", "n"))
                except (XlsxError, ValueError):
                    continue
            book.sheets[name.casefold()] = cells
        out[n] = book
    return out
