"""xlsxpatch on real .xlsx files: only target cells change, hostile packages are refused."""

from __future__ import annotations

import hashlib
import io
import math
import re
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.drawing.image import Image
from openpyxl.styles import Font, PatternFill
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from PIL import Image as PILImage

from gpuecon.xlsx import libreoffice
from gpuecon.xlsx.package import XlsxError, open_package, write

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFDOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
VBA = b"\xd0\xcf\x11\xe0fake vba project\x00\x01\x02" * 50
CALC_SHEET = "xl/worksheets/sheet2.xml"


# --- builders --------------------------------------------------------------------------------------

def build_rich(path: Path) -> Path:
    """Two sheets with styles, a chart, an image, names, validation, a comment and a vbaProject.bin."""
    wb = openpyxl.Workbook()
    inp = wb.active
    inp.title = "Inputs"
    inp["A1"], inp["B1"], inp["A2"], inp["B2"], inp["B3"] = "Price", 2.5, "Qty", 4, "note"
    inp["A1"].font = Font(bold=True, color="FF0000")
    inp["B1"].fill = PatternFill("solid", fgColor="FFFF00")
    inp["B1"].number_format = "0.00"
    inp["B1"].comment = Comment("price per unit", "tester")
    dv = DataValidation(type="whole", operator="between", formula1="1", formula2="10")
    inp.add_data_validation(dv)
    dv.add("B2")
    calc = wb.create_sheet("Calc")
    calc["A1"] = "=Inputs!B1*Inputs!B2"
    calc["A2"] = '=IF(A1>5,"big & <bold>","small")'
    calc["A3"] = "=A1>5"
    calc["A4"] = "=1/0"
    calc["A5"] = "=NA()"
    calc["A6"] = "=Price*Qty"
    calc["B1"] = "label"
    wb.defined_names["Price"] = DefinedName("Price", attr_text="Inputs!$B$1")
    wb.defined_names["Qty"] = DefinedName("Qty", attr_text="Inputs!$B$2")
    wb.defined_names["Both"] = DefinedName("Both", attr_text="Inputs!$B$1:$B$2")
    calc.defined_names["Local"] = DefinedName("Local", attr_text="Calc!$A$1")
    chart = BarChart()
    chart.add_data(Reference(inp, min_col=2, min_row=1, max_row=2))
    calc.add_chart(chart, "D2")
    png = io.BytesIO()
    PILImage.new("RGB", (4, 4), (255, 0, 0)).save(png, "PNG")
    calc.add_image(Image(io.BytesIO(png.getvalue())), "D20")
    wb.save(path)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_STORED) as zf:  # .xlsm-like binary part
        zf.writestr("xl/vbaProject.bin", VBA)
    return path


def build_minimal(path: Path, sheet_xml: str, *, workbook_xml: str | None = None,
                  extra: dict[str, bytes] | None = None) -> Path:
    """A hand-written one-sheet package ('S'), for shared/array formulas and hostile parts."""
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="'
            'application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'),
        "_rels/.rels": f'<Relationships xmlns="{RELS}"><Relationship Id="rId1" Type="{OFFDOC}/officeDocument" '
                       f'Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": workbook_xml or (
            f'<workbook xmlns="{MAIN}" xmlns:r="{OFFDOC}"><sheets><sheet name="S" sheetId="1" r:id="rId1"/>'
            f"</sheets></workbook>"),
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{RELS}"><Relationship Id="rId1" '
                                      f'Type="{OFFDOC}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": sheet_xml,
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in {**parts, **(extra or {})}.items():
            zf.writestr(name, data)
    return path


def sheet(body: str, dim: str = "A1:C3", prefix: str = "") -> str:
    p = f"{prefix}:" if prefix else ""
    xmlns = f"xmlns:{prefix}" if prefix else "xmlns"
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<{p}worksheet {xmlns}="{MAIN}">'
            f'<{p}dimension ref="{dim}"/><{p}sheetData>{body}</{p}sheetData></{p}worksheet>')


SHARED = sheet(
    '<row r="1"><c r="A1"><v>1</v></c><c r="B1"><f t="shared" ref="B1:B3" si="0">A1*2</f><v>2</v></c>'
    '<c r="C1"><f t="array" ref="C1:C2">A1:A2*10</f><v>10</v></c></row>'
    '<row r="2"><c r="A2"><v>2</v></c><c r="B2"><f t="shared" si="0"/><v>4</v></c><c r="C2"><v>20</v></c></row>'
    '<row r="3"><c r="A3"><v>3</v></c><c r="B3" s="0"><f t="shared" si="0"/></c></row>'
)


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def cells_raw(xml: str) -> dict[str, str]:
    return {m.group(1): m.group(0) for m in re.finditer(r'<c r="([A-Z]+\d+)"[^>]*?(?:/>|>.*?</c>)', xml)}


def outside_cells(xml: str) -> str:
    return re.sub(r'<c r="([A-Z]+\d+)"[^>]*?(?:/>|>.*?</c>)', r"[\1]", xml)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def rich(tmp_path: Path) -> Path:
    return build_rich(tmp_path / "rich.xlsm")


EXPECTED = {"A1": 10.0, "A2": "big & <bold>", "A3": True, "A4": "#DIV/0!", "A5": "#N/A", "A6": 10.0}


# --- writing cached values -----------------------------------------------------------------------

def test_write_changes_only_target_cells(rich: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.xlsm"
    pkg = open_package(rich)
    assert pkg.sheets == {"Inputs": "xl/worksheets/sheet1.xml", "Calc": CALC_SHEET}
    pkg.write(out, {("Calc", ref): v for ref, v in EXPECTED.items()})

    before, after = members(rich), members(out)
    with zipfile.ZipFile(rich) as a, zipfile.ZipFile(out) as b:
        assert [(i.filename, i.compress_type, i.date_time) for i in a.infolist()] == \
               [(i.filename, i.compress_type, i.date_time) for i in b.infolist()]
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {CALC_SHEET}
    assert after["xl/vbaProject.bin"] == VBA
    assert any(n.startswith("xl/charts/") for n in after) and any(n.startswith("xl/media/") for n in after)

    old, new = before[CALC_SHEET].decode(), after[CALC_SHEET].decode()
    assert outside_cells(old) == outside_cells(new)  # nothing outside the <c> elements moved
    old_cells, new_cells = cells_raw(old), cells_raw(new)
    assert old_cells.keys() == new_cells.keys()
    for ref in old_cells:
        if ref not in EXPECTED:
            assert old_cells[ref] == new_cells[ref]
            continue
        f_old = re.search(r"<f>.*?</f>", old_cells[ref]).group(0)
        assert f_old in new_cells[ref]  # formula byte-identical
        strip = re.compile(r'<v>[^<]*</v>|<v ?/>| t="[a-z]+"')
        assert strip.sub("", old_cells[ref]) == strip.sub("", new_cells[ref])
    assert ' t="e"><f>1/0</f><v>#DIV/0!</v>' in new and ' t="b"><f>A1&gt;5</f><v>1</v>' in new

    values = openpyxl.load_workbook(out, data_only=True)["Calc"]
    assert {ref: values[ref].value for ref in EXPECTED} == EXPECTED
    formulas = openpyxl.load_workbook(out)["Calc"]
    original = openpyxl.load_workbook(rich)["Calc"]
    assert [c.value for c in formulas["A"]] == [c.value for c in original["A"]]
    got = {c.ref: c for c in open_package(out).iter_cells("Calc")}
    assert {ref: got[ref].value for ref in EXPECTED} == EXPECTED
    assert got["A6"].formula == "Price*Qty" and got["B1"].value == "label"


@pytest.mark.libreoffice
def test_patched_rich_workbook_opens_in_libreoffice(rich: Path, tmp_path: Path) -> None:
    patched = open_package(rich).write(tmp_path / "patched.xlsx", {("Calc", r): v for r, v in EXPECTED.items()})
    out = libreoffice.recalculate(patched, tmp_path / "lo")
    calc = openpyxl.load_workbook(out, data_only=True)["Calc"]
    assert {ref: calc[ref].value for ref in EXPECTED} == EXPECTED


def test_inputs_replace_constants_and_create_cells(rich: Path, tmp_path: Path) -> None:
    out = tmp_path / "in.xlsx"
    inputs = {("Inputs", "B1"): 3.25, ("Inputs", "$B$3"): "  new <text> & more", ("Inputs", "C2"): 7,
              ("Inputs", "D10"): True, ("Inputs", "A1"): None}
    open_package(rich).write(out, {("Calc", "A1"): 13.0}, inputs)
    got = {c.ref: c.value for c in open_package(out).iter_cells("Inputs")}
    assert got == {"A1": None, "B1": 3.25, "A2": "Qty", "B2": 4, "C2": 7, "B3": "  new <text> & more", "D10": True}
    ws = openpyxl.load_workbook(out)["Inputs"]
    assert ws["B1"].number_format == "0.00" and ws["B1"].fill.fgColor.rgb == "00FFFF00"  # style kept
    assert ws["B3"].value == "  new <text> & more" and ws["D10"].value is True
    assert ws.calculate_dimension() == "A1:D10"
    xml = members(out)["xl/worksheets/sheet1.xml"].decode()
    assert '<dimension ref="A1:D10"' in xml
    assert re.search(r'<c r="B2".*<c r="C2".*</row><row r="3">.*<row r="10"><c r="D10" t="b"><v>1</v></c></row>', xml)


def test_numbers_round_trip_exactly(tmp_path: Path) -> None:
    values = [0.1 + 0.2, 1 / 3, 5e-324, 1.7976931348623157e308, -0.0, 2.0**53 + 2, 123456789, -7,
              np.float64(2) / 3, np.int64(42), 1e16, 1e-7]
    body = "".join(f'<row r="{i}"><c r="A{i}"><f>1</f><v></v></c></row>' for i in range(1, len(values) + 1))
    src = build_minimal(tmp_path / "n.xlsx", sheet(body, f"A1:A{len(values)}"))
    out = write(src, tmp_path / "out.xlsx", {("S", f"A{i}"): v for i, v in enumerate(values, 1)})
    got = [c.value for c in open_package(out).iter_cells("S")]
    via_openpyxl = [r[0].value for r in openpyxl.load_workbook(out, data_only=True)["S"].iter_rows()]
    for v, a, b in zip(values, got, via_openpyxl, strict=True):
        assert a == v and b == v and type(a) is type(b)
        assert math.copysign(1, a) == math.copysign(1, v)
        assert isinstance(a, int) == isinstance(v, int | np.integer)


def test_strings_bools_errors_and_empty(tmp_path: Path) -> None:
    texts = ['<a & "b">', " lead", "tab\tnew\nline", "ctrl\x01", "_x0041_ literal", "cr\r\n", "ünï €"]
    values = [*texts, True, False, "#N/A", float("nan"), float("inf"), None]
    body = "".join(f'<row r="{i}"><c r="A{i}" t="s"><f>X</f><v>0</v></c><c r="B{i}"><v>0</v></c></row>'
                   for i in range(1, len(values) + 1))
    src = build_minimal(tmp_path / "s.xlsx", sheet(body, f"A1:B{len(values)}"))
    cells = {("S", f"A{i}"): v for i, v in enumerate(values, 1)}
    inputs = {("S", f"B{i}"): v for i, v in enumerate(texts, 1)}
    out = write(src, tmp_path / "out.xlsx", cells, inputs)
    got = {c.ref: c for c in open_package(out).iter_cells("S")}
    assert [got[f"A{i}"].value for i in range(1, len(texts) + 1)] == texts
    assert [got[f"B{i}"].value for i in range(1, len(texts) + 1)] == texts
    tail = [(got[f"A{i}"].type, got[f"A{i}"].value) for i in range(len(texts) + 1, len(values) + 1)]
    assert tail == [("b", True), ("b", False), ("e", "#N/A"), ("e", "#NUM!"), ("e", "#NUM!"), ("n", None)]
    assert all(got[f"A{i}"].formula == "X" for i in range(1, len(values) + 1))
    ws = openpyxl.load_workbook(out, data_only=True)["S"]
    assert ws["A1"].value == '<a & "b">' and ws["B2"].value == " lead" and ws["A9"].value is False


def test_shared_and_array_formulas_reported_and_written(tmp_path: Path) -> None:
    calc_chain = b'<calcChain xmlns="' + MAIN.encode() + b'"><c r="B1" i="1"/></calcChain>'
    src = build_minimal(tmp_path / "sh.xlsx", SHARED, extra={"xl/calcChain.xml": calc_chain})
    cells = {c.ref: c for c in open_package(src).iter_cells("S")}
    assert (cells["B1"].formula, cells["B1"].formula_kind, cells["B1"].shared_index, cells["B1"].formula_ref) == \
        ("A1*2", "shared", "0", "B1:B3")
    assert (cells["B2"].formula, cells["B2"].formula_kind, cells["B2"].shared_index, cells["B2"].value) == \
        ("", "shared", "0", 4)
    assert (cells["C1"].formula, cells["C1"].formula_kind, cells["C1"].formula_ref) == ("A1:A2*10", "array", "C1:C2")
    assert cells["C2"].formula is None and cells["C2"].value == 20  # inside the array range
    out = write(src, tmp_path / "out.xlsx", {("S", "B2"): 40, ("S", "B3"): 60.5, ("S", "C2"): 200})
    xml = members(out)["xl/worksheets/sheet1.xml"].decode()
    assert '<c r="B2"><f t="shared" si="0"/><v>40</v></c>' in xml
    assert '<c r="B3" s="0"><f t="shared" si="0"/><v>60.5</v></c>' in xml
    assert '<c r="C2"><v>200</v></c>' in xml
    assert members(out)["xl/calcChain.xml"] == calc_chain


def test_self_closing_sheet_data_and_prefixed_namespace(tmp_path: Path) -> None:
    empty = sheet("", "A1").replace("<sheetData></sheetData>", "<sheetData/>")
    out = write(build_minimal(tmp_path / "e.xlsx", empty), tmp_path / "e_out.xlsx", {},
                {("S", "B2"): 1.5, ("S", "A5"): "x"})
    assert [(c.ref, c.value) for c in open_package(out).iter_cells("S")] == [("B2", 1.5), ("A5", "x")]
    assert openpyxl.load_workbook(out)["S"]["A5"].value == "x"

    pre = sheet('<x:row r="1"><x:c r="A1"><x:f>2+2</x:f><x:v>0</x:v></x:c></x:row>', "A1", prefix="x")
    out = write(build_minimal(tmp_path / "p.xlsx", pre), tmp_path / "p_out.xlsx", {("S", "A1"): "four"},
                {("S", "B1"): "in"})
    xml = members(out)["xl/worksheets/sheet1.xml"].decode()
    assert '<x:c r="A1" t="str"><x:f>2+2</x:f><x:v>four</x:v></x:c>' in xml
    assert '<x:c r="B1" t="inlineStr"><x:is><x:t>in</x:t></x:is></x:c>' in xml
    assert [c.value for c in open_package(out).iter_cells("S")] == ["four", "in"]


def test_defined_names_resolve(rich: Path) -> None:
    pkg = open_package(rich)
    assert pkg.resolve_name("price") == [("Inputs", "B1")]
    assert pkg.resolve_name("Both") == [("Inputs", "B1"), ("Inputs", "B2")]
    assert pkg.resolve_name("Local", sheet="Calc") == [("Calc", "A1")]
    with pytest.raises(XlsxError, match="no defined name 'Local'"):
        pkg.resolve_name("Local")  # scoped to Calc only
    assert pkg._resolve_text("'It''s here'!$A$1:$B$1,Other!C3", "n") == \
        [("It's here", "A1"), ("It's here", "B1"), ("Other", "C3")]
    with pytest.raises(XlsxError, match="not a simple cell or range"):
        pkg._resolve_text("OFFSET(Inputs!$A$1,0,0)", "Dyn")


# --- refusals and atomicity ----------------------------------------------------------------------

@pytest.mark.parametrize(("cells", "inputs", "message"), [
    ({("Calc", "B1"): 1}, {}, r"Calc!B1 is not a formula cell; use input_values"),
    ({}, {("Calc", "A1"): 1}, r"Calc!A1 holds a formula"),
    ({("Nope", "A1"): 1}, {}, r"no worksheet named 'Nope'"),
    ({("Calc", "XFE1"): 1}, {}, r"outside Excel's"),
    ({("Calc", "A1"): 1}, {("calc", "a1"): 2}, r"given twice"),
    ({("Calc", "A1"): object()}, {}, r"cannot write a value of type object"),
    ({("Calc", "A1"): "bad\ud800"}, {}, r"lone surrogate"),
])
def test_bad_targets_refused_without_output(rich: Path, tmp_path: Path, cells: dict, inputs: dict,
                                            message: str) -> None:
    out = tmp_path / "out.xlsx"
    with pytest.raises(XlsxError, match=message):
        open_package(rich).write(out, cells, inputs)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rich.xlsm"]


def test_source_is_never_overwritten_unless_in_place(rich: Path) -> None:
    pkg = open_package(rich)
    with pytest.raises(XlsxError, match="refusing to overwrite the source"):
        pkg.write(rich, {("Calc", "A1"): 10.0})
    pkg.write(rich, {("Calc", "A1"): 10.0}, in_place=True)
    assert next(c for c in open_package(rich).iter_cells("Calc") if c.ref == "A1").value == 10.0


def test_failure_midway_leaves_source_and_destination_untouched(rich: Path, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out.xlsx"
    out.write_bytes(b"previous output")
    src_hash = digest(rich)

    def boom(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("gpuecon.xlsx.package.os.replace", boom)
    with pytest.raises(OSError, match="disk full"):
        open_package(rich).write(out, {("Calc", "A1"): 10.0})
    assert out.read_bytes() == b"previous output" and digest(rich) == src_hash
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.xlsx", "rich.xlsm"]  # temp file removed


# --- hostile packages ----------------------------------------------------------------------------

BOMB_SHEET = sheet('<row r="1"><c r="A1"><v>1</v></c></row>', "A1")
LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
          f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c>'
          "</row></sheetData></worksheet>")
XXE = ('<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
       f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c>'
       "</row></sheetData></worksheet>")


def hostile(tmp: Path, case: str) -> tuple[Path, dict]:
    p = tmp / f"{case}.xlsx"
    if case == "not_zip":
        p.write_bytes(b"this is not a zip file at all")
    elif case == "truncated":
        build_minimal(p, BOMB_SHEET)
        p.write_bytes(p.read_bytes()[:-40])  # end of central directory cut off
    elif case == "bomb_ratio":  # 8 MiB of zeros compresses ~1000:1; default limits refuse it
        build_minimal(p, BOMB_SHEET, extra={"xl/media/zeros.bin": b"\0" * (8 << 20)})
    elif case == "bomb_total":
        build_minimal(p, BOMB_SHEET, extra={"xl/media/blob.bin": b"\0" * 50_000})
        return p, {"max_total_bytes": 20_000}
    elif case == "laughs":
        build_minimal(p, LAUGHS)
    elif case == "xxe":
        build_minimal(p, XXE)
    elif case == "doctype_utf16":
        build_minimal(p, BOMB_SHEET, extra={"docProps/app.xml": XXE.encode("utf-16")})
    elif case == "dimension":
        build_minimal(p, sheet('<row r="1"><c r="A1"><v>1</v></c></row>', "A1:XFE1048577"))
    elif case == "cell_ref":
        build_minimal(p, sheet('<row r="1"><c r="XFE1"><v>1</v></c></row>', "A1"))
    elif case == "row":
        build_minimal(p, sheet('<row r="1048577"><c r="A1048577"><v>1</v></c></row>', "A1"))
    elif case == "max_cells":
        build_minimal(p, sheet("".join(f'<row r="{i}"><c r="A{i}"><v>1</v></c></row>' for i in range(1, 11))))
        return p, {"max_cells": 5}
    elif case == "malformed":
        build_minimal(p, sheet('<row r="1"><c r="A1"><v>1</c></row>'))
    return p, {}


@pytest.mark.parametrize(("case", "message"), [
    ("not_zip", "not a valid zip/xlsx package"),
    ("truncated", "not a valid zip/xlsx package"),
    ("bomb_ratio", r"compression ratio \d+:1 exceeds 200:1"),
    ("bomb_total", r"expands to more than 20000 bytes"),
    ("laughs", "DOCTYPE/ENTITY declarations are not allowed"),
    ("xxe", "DOCTYPE/ENTITY declarations are not allowed"),
    ("doctype_utf16", "docProps/app.xml: DOCTYPE/ENTITY"),
    ("dimension", r"sheet dimension 'A1:XFE1048577' refused"),
    ("cell_ref", r"'XFE1' is outside Excel's 1048576 rows x 16384 columns"),
    ("row", r"row 1048577 is outside Excel's 1048576 rows"),
    ("max_cells", r"more than 5 cells"),
    ("malformed", r"refused XML|malformed XML"),
])
def test_hostile_packages_refused_without_output(tmp_path: Path, case: str, message: str) -> None:
    src, limits = hostile(tmp_path, case)
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(XlsxError, match=message):
        open_package(src, **limits)
    with pytest.raises(XlsxError, match=message):
        write(src, tmp_path / "out.xlsx", {("S", "A1"): 1}, **limits)
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no output, no temp file


# --- the sheet indexer's fast path ---------------------------------------------------------------

PRETTY = sheet(
    '\n  <row r="1" spans="1:4">\n    <c r="A1" s="2" t="str"><v>a</v></c>\n    <c r="B1" t="str"><f>A1&amp;"&lt;x&gt;"</f>'
    '<v>a&lt;x&gt;</v></c>\n    <c r="C1" t="inlineStr"><is><t xml:space="preserve"> sp </t></is></c>'
    '<c r="D1" cm="1"><f t="array" ref="D1:D2">A1:A2</f><v>1</v></c>\n  </row>\n'
    '  <row r="2"><c r="A2"><!-- a comment --><v>2</v></c><c r="B2" t="e"><f>1/0</f><v>#DIV/0!</v></c>'
    "<c r='C2'><v>3</v></c><c r=\"E2\" s=\"1\"/><c><v>7</v></c>"
    '<c r="G2" t="inlineStr"><is><r><t>rich</t></r><rPh><t>x</t></rPh></is></c><c r="H2" t="b"><v>1</v></c></row>',
    "A1:H2")


def _index_pair(xml: str):
    from gpuecon.xlsx.sheetxml import index_sheet

    fast, slow = index_sheet(xml, "p", 10**7), index_sheet(xml, "p", 10**7, fast=False)
    strip = [(c.row, c.col, c.start, c.tag_end, c.end, c.empty, c.prefix, c.children, c.f_attrs)
             for c in fast.cells.values()]
    assert strip == [(c.row, c.col, c.start, c.tag_end, c.end, c.empty, c.prefix, c.children, c.f_attrs)
                     for c in slow.cells.values()]
    assert [(r.r, r.start, r.tag_end, r.close_start, r.end) for r in fast.rows] == \
        [(r.r, r.start, r.tag_end, r.close_start, r.end) for r in slow.rows]
    assert (fast.arrays, fast.dimension, fast.data_close) == (slow.arrays, slow.dimension, slow.data_close)
    return fast


def test_fast_indexer_locates_what_the_tokenizer_locates(tmp_path: Path, rich: Path) -> None:
    """The one-regex path for simple cells gives the same offsets, children and formula attributes as
    the general tokenizer, on hand-written sheets (pretty-printed, comments, rich text, odd quoting,
    prefixes) and on every sheet of the rich workbook and the corpus; and reads the same cells."""
    fast = _index_pair(PRETTY)
    assert sum(c.simple is not None for c in fast.cells.values()) == 7  # A1 B1 C1 B2 E2 (col 6) H2
    for xml in (SHARED, BOMB_SHEET, sheet('<x:row r="1"><x:c r="A1"><x:v>0</x:v></x:c></x:row>', "A1", "x")):
        _index_pair(xml)
    pkg = open_package(build_minimal(tmp_path / "pretty.xlsx", PRETTY))
    got = {c.ref: (c.formula, c.value, c.type) for c in pkg.iter_cells("S")}
    assert got["B1"] == ('A1&"<x>"', "a<x>", "str") and got["C1"] == (None, " sp ", "inlineStr")
    assert got["B2"] == ("1/0", "#DIV/0!", "e") and got["F2"] == (None, 7, "n") and got["H2"] == (None, True, "b")
    assert got["E2"] == (None, None, "n") and got["G2"] == (None, "rich", "inlineStr")

    from tests.corpus import books

    sources = [rich, *books()]
    for book in sources:
        pkg = open_package(book)
        for part in pkg.sheets.values():
            _index_pair(pkg._text[part])


def test_fast_indexer_refuses_what_the_tokenizer_refuses(tmp_path: Path) -> None:
    from gpuecon.xlsx.sheetxml import index_sheet

    for body, message in [('<row r="1"><c r="B1"><v>1</v></c><c r="A1"><v>1</v></c></row>', "B1|A1.*out of order"),
                          ('<row r="2"><c r="A3"><v>1</v></c></row>', "out of order"),
                          ('<row r="1"><c r="XFE1"><v>1</v></c></row>', "'XFE1' is outside Excel's")]:
        for fast in (True, False):
            with pytest.raises(XlsxError, match=message):
                index_sheet(sheet(body), "p", 100, fast=fast)
    many = sheet('<row r="1">' + "".join(f'<c r="{c}1"><v>1</v></c>' for c in "ABCDEF") + "</row>")
    with pytest.raises(XlsxError, match="more than 5 cells"):
        index_sheet(many, "p", 5)


@pytest.mark.parametrize(("xml", "message"), [
    (b"<!DOCTYPE x><x/>", "DOCTYPE declarations are not allowed"),
    (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', "DOCTYPE declarations are not allowed"),
    (b"<x><y></x>", "mismatched tag"),
    (b"<p:x/>", "unbound prefix"),
])
def test_well_formedness_check_refuses_dtd_and_malformed(xml: bytes, message: str) -> None:
    """The expat check behind every sheet part (on load and after editing) refuses a DTD by itself,
    not only through the byte scan for DOCTYPE that runs before it."""
    from gpuecon.xlsx import package

    with pytest.raises(XlsxError, match=message):
        package._check_xml(xml, "part")
    package._check_xml(b'<x xmlns:p="u"><p:y/></x>', "part")  # a bound prefix is fine
