"""gpuecon recalc: values right, every other byte of the package untouched, problems reported by cell."""

from __future__ import annotations

import io
import math
import os
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from conftest import require_soffice
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.drawing.image import Image
from openpyxl.styles import Font, PatternFill
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from PIL import Image as PILImage
from typer.testing import CliRunner

from gpuecon.cli.main import app
from gpuecon.engine import model
from gpuecon.recalc.workbook import RecalcError, Workbook, parse_value, recalc

VBA = b"\xd0\xcf\x11\xe0fake vba project\x00\x01\x02" * 64
CALC = "xl/worksheets/sheet2.xml"
INPUTS = "xl/worksheets/sheet1.xml"


def build_rich(path: Path) -> Path:
    """Inputs (styles, comment, validation), Calc (UDFs and native formulas, chart, image), Notes, VBA."""
    wb = openpyxl.Workbook()
    inp = wb.active
    inp.title = "Inputs"
    inp["A1"], inp["B1"] = "System", "VR NVL72"
    inp["A2"], inp["B2"] = "Rent", 8.0
    inp["A3"], inp["B3"] = "Price", 2.5
    inp["A4"], inp["B4"] = "Qty", 4
    inp["A1"].font = Font(bold=True, color="FF0000")
    inp["B2"].fill = PatternFill("solid", fgColor="FFFF00")
    inp["B2"].number_format = "$0.00"
    inp["B1"].comment = Comment("system from the catalog", "tester")
    dv = DataValidation(type="whole", operator="between", formula1="1", formula2="10")
    inp.add_data_validation(dv)
    dv.add("B4")
    calc = wb.create_sheet("Calc")
    calc["A1"] = "=GPU_TCO(System)"
    calc["A2"] = "=FLOOR_RENT(Inputs!B1)"
    calc["A3"] = "=Rent-A2"
    calc["A4"] = '=IF(A3>0,"above & <ok>","below")'
    calc["A5"] = "=Price*Qty"
    calc["A6"] = "=1/0"
    calc["A7"] = "=ROUND(A1*2,3)"
    calc["A8"] = "=SUM(A1:A3)+COUNT(Inputs!B1:B4)"
    calc["A9"] = "=PROJECT_IRR(System,Rent)"
    calc["A10"] = "=RENT_PER_PFLOP(System,Rent)"
    calc["A11"] = '=IFERROR(A6,"caught")'
    calc["A12"] = "=A5>9"
    calc["A13"] = '=GPU_SPEC(System,"tflops_fp8_dense")/1000'
    calc["B1"] = "label"
    wb.defined_names["System"] = DefinedName("System", attr_text="Inputs!$B$1")
    wb.defined_names["Rent"] = DefinedName("Rent", attr_text="Inputs!$B$2")
    wb.defined_names["Price"] = DefinedName("Price", attr_text="Inputs!$B$3")
    wb.defined_names["Qty"] = DefinedName("Qty", attr_text="Inputs!$B$4")
    wb.defined_names["Floor"] = DefinedName("Floor", attr_text="Calc!$A$2")
    wb.defined_names["Margin"] = DefinedName("Margin", attr_text="Calc!$A$3")
    chart = BarChart()
    chart.add_data(Reference(calc, min_col=1, min_row=1, max_row=3))
    calc.add_chart(chart, "D2")
    png = io.BytesIO()
    PILImage.new("RGB", (4, 4), (255, 0, 0)).save(png, "PNG")
    calc.add_image(Image(io.BytesIO(png.getvalue())), "D20")
    notes = wb.create_sheet("Notes")
    notes["A1"] = "untouched sheet"
    notes["A2"] = 42
    tmp = path.with_suffix(".tmp.xlsx")
    wb.save(tmp)
    with zipfile.ZipFile(tmp) as zin, zipfile.ZipFile(path, "w") as zout:  # .xlsm with a vbaProject.bin
        for info in zin.infolist():
            zout.writestr(info, zin.read(info))
        zout.writestr(zipfile.ZipInfo("xl/vbaProject.bin", (2024, 1, 2, 3, 4, 6)), VBA)
    tmp.unlink()
    return path


def members(path: Path) -> dict[str, tuple[bytes, tuple]]:
    with zipfile.ZipFile(path) as zf:
        return {i.filename: (zf.read(i), (i.date_time, i.compress_type, i.external_attr)) for i in zf.infolist()}


def formula_texts(xml: bytes) -> list[bytes]:
    return re.findall(rb"<f\s[^>]*/>|<f(?:\s[^>]*[^/])?>.*?</f>", xml, re.S)


@pytest.fixture
def rich(tmp_path: Path) -> Path:
    return build_rich(tmp_path / "rich.xlsm")


def test_round_trip_values_and_bytes(rich: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.xlsm"
    result = recalc(rich, out)
    before, after = members(rich), members(out)
    assert list(before) == list(after)  # same members, same order
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {CALC}  # styles, chart, image, names, validation, comment, VBA, other sheets: identical
    assert formula_texts(before[CALC][0]) == formula_texts(after[CALC][0])
    assert b"<f>GPU_TCO(System)</f>" in after[CALC][0]
    assert after["xl/vbaProject.bin"][0] == VBA
    ws = openpyxl.load_workbook(out, data_only=True)["Calc"]
    floor = float(model.floor_rent("VR NVL72"))
    assert ws["A1"].value == pytest.approx(float(model.tco_usd_per_gpu_hour("VR NVL72")), rel=1e-12)
    assert ws["A2"].value == pytest.approx(floor, rel=1e-12)
    assert ws["A3"].value == pytest.approx(8.0 - floor, rel=1e-12)
    assert ws["A4"].value == "above & <ok>"
    assert ws["A5"].value == 10
    assert ws["A6"].value == "#DIV/0!"
    assert ws["A7"].value == pytest.approx(round(float(model.tco_usd_per_gpu_hour("VR NVL72")) * 2, 3))
    assert ws["A8"].value == pytest.approx(float(model.tco_usd_per_gpu_hour("VR NVL72")) + 8.0 + 3)
    assert ws["A9"].value == pytest.approx(float(model.project_irr("VR NVL72", 8.0)), rel=1e-9)
    assert ws["A10"].value == pytest.approx(8.0 / 17.5)
    assert ws["A11"].value == "caught"
    assert ws["A12"].value is True
    assert ws["A13"].value == pytest.approx(17.5)
    assert result.named == {"Floor": pytest.approx(floor), "Margin": pytest.approx(8.0 - floor)}
    assert [(i.address, i.kind) for i in result.issues] == [("Calc!A6", "error")]
    import pandas as pd

    seen = pd.read_excel(out, sheet_name="Calc", header=None)  # pandas sees the numbers
    assert seen.iloc[4, 0] == 10 and seen.iloc[3, 0] == "above & <ok>"
    from gpuecon.xlsx import libreoffice

    require_soffice()  # LibreOffice, trusting cached values, shows them too
    lo = openpyxl.load_workbook(libreoffice.recalculate(out, tmp_path / "lo", force_recalc=False),
                                data_only=True)["Calc"]
    assert lo["A2"].value == pytest.approx(floor, rel=1e-12) and lo["A4"].value == "above & <ok>"
    full = openpyxl.load_workbook(out)  # still a valid package with its formulas
    assert full["Calc"]["A1"].value == "=GPU_TCO(System)"
    assert full.defined_names["Floor"].attr_text == "Calc!$A$2"


def test_set_named_input_and_cli_json(rich: Path, tmp_path: Path) -> None:
    out = tmp_path / "set.xlsm"
    res = CliRunner().invoke(app, ["recalc", str(rich), "-o", str(out), "--set", "Rent=5.5", "--set", "System=GB300 NVL72",
                                   "--json"])
    assert res.exit_code == 0, res.output
    import json

    data = json.loads(res.output)
    floor = float(model.floor_rent("GB300 NVL72"))
    assert data["named"]["Floor"] == pytest.approx(floor)
    assert data["named"]["Margin"] == pytest.approx(5.5 - floor)
    assert data["issues"] == [{"address": "Calc!A6", "kind": "error", "reason": "#DIV/0!"}]
    before, after = members(rich), members(out)
    assert {n for n in before if before[n] != after[n]} == {CALC, INPUTS}  # the input cells changed too
    inputs = openpyxl.load_workbook(out)["Inputs"]
    assert inputs["B2"].value == 5.5 and inputs["B1"].value == "GB300 NVL72"
    assert inputs["B2"].number_format == "$0.00"  # the cell keeps its style
    table = CliRunner().invoke(app, ["recalc", str(rich), "-o", str(tmp_path / "t.xlsm")])
    assert table.exit_code == 0 and "Floor" in table.output and "Calc!A6: error: #DIV/0!" in table.output
    for bad, msg in ((["--set", "Nope=1"], "no input named 'Nope'"), (["--set", "Floor=1"], "a formula, and the workbook names no input cell Floor_input"),
                     (["--set", "Rent"], "NAME=VALUE")):
        r = CliRunner().invoke(app, ["recalc", str(rich), "-o", str(tmp_path / "bad.xlsm"), *bad])
        assert r.exit_code == 2 and msg in r.output
        assert not (tmp_path / "bad.xlsm").exists()


def test_never_overwrites_input_unless_in_place(rich: Path, tmp_path: Path, monkeypatch) -> None:
    original = rich.read_bytes()
    with pytest.raises(RecalcError, match="in-place"):
        recalc(rich, rich)
    assert rich.read_bytes() == original
    # a crash while replacing leaves the original intact and no temp file behind
    import gpuecon.xlsx.package as xp

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(xp.os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        recalc(rich, in_place=True)
    monkeypatch.undo()
    assert rich.read_bytes() == original
    assert sorted(p.name for p in rich.parent.iterdir()) == ["rich.xlsm"]
    r = CliRunner().invoke(app, ["recalc", str(rich), "--in-place"])
    assert r.exit_code == 0, r.output
    assert rich.read_bytes() != original
    ws = openpyxl.load_workbook(rich, data_only=True)["Calc"]
    assert ws["A5"].value == 10


def test_problems_reported_by_cell_rest_computes(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "S"
    ws["A1"], ws["B1"] = "=B1+1", "=A1*2"  # circular
    ws["C1"] = "=C1"  # self-reference
    ws["D1"] = "=FOOBAR(1)"  # unsupported function
    ws["E1"] = "=D1+1"  # depends on it
    ws["F1"] = "=ISREF(INDEX(G1:G2,1))"  # needs the reference a function returns, not supported
    ws["M1"] = "=ISREF(G1)"  # a reference written in the formula: TRUE
    ws["G1"], ws["H1"] = 5, "=G1*3"  # fine
    ws["I1"] = "=A1+H1"  # depends on the cycle
    ws["J1"] = '=GPU_TCO("No Such GPU")'  # UDF error text, with its reason
    ws["K1"] = "=SQRT(-1)"
    ws["L1"] = "=Table1[Col]"
    book = tmp_path / "p.xlsx"
    wb.save(book)
    res = recalc(book, tmp_path / "o.xlsx")
    got = {i.address: (i.kind, i.reason) for i in res.issues}
    assert got["S!A1"][0] == got["S!B1"][0] == got["S!C1"][0] == "circular"
    assert "S!A1" in got["S!A1"][1] and "S!B1" in got["S!A1"][1]
    assert got["S!D1"] == ("unsupported", "unsupported function FOOBAR")
    assert got["S!E1"] == ("error", "#NAME? (from S!D1)")
    assert got["S!F1"][0] == "unsupported" and "ISREF" in got["S!F1"][1]
    assert got["S!I1"][0] == "error" and "S!A1" in got["S!I1"][1]
    assert got["S!J1"][0] == "error" and "unknown system" in got["S!J1"][1]
    assert got["S!K1"] == ("error", "#NUM!")
    assert got["S!L1"][0] == "unsupported" and "structured" in got["S!L1"][1]
    assert "S!H1" not in got
    out = openpyxl.load_workbook(tmp_path / "o.xlsx", data_only=True)["S"]
    assert out["H1"].value == 15 and out["D1"].value == "#NAME?" and out["A1"].value == "#VALUE!"
    assert out["M1"].value is True and "S!M1" not in got
    assert out["J1"].value.startswith("#VALUE! unknown system")
    r = CliRunner().invoke(app, ["recalc", str(book), "-o", str(tmp_path / "o2.xlsx")])
    assert r.exit_code == 1 and "unsupported: 3" in r.output and "S!D1: unsupported function FOOBAR" in r.output
    assert (tmp_path / "o2.xlsx").exists()  # the rest is still written


def _package(path: Path, sheet_xml: str, extra: dict[str, bytes] | None = None, names: str = "") -> Path:
    ct = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
          '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
          '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
          '<Default Extension="xml" ContentType="application/xml"/>'
          '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
          'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType='
          '"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
    rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
    wb = ('<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
          '2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
          '<sheet name="S" sheetId="1" r:id="rId1"/></sheets>'
          + (f"<definedNames>{names}</definedNames>" if names else "") + '</workbook>')
    wbrels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
              '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
              '2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
    parts = {"[Content_Types].xml": ct.encode(), "_rels/.rels": rels.encode(), "xl/workbook.xml": wb.encode(),
             "xl/_rels/workbook.xml.rels": wbrels.encode(), "xl/worksheets/sheet1.xml": sheet_xml.encode(), **(extra or {})}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return path


SHEET = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
         '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{dim}<sheetData>{rows}</sheetData>'
         '</worksheet>')


def test_shared_and_array_formulas(tmp_path: Path) -> None:
    rows = "".join(
        f'<row r="{r}"><c r="A{r}"><v>{r}</v></c>'
        + (f'<c r="B{r}"><f t="shared" ref="B1:B4" si="0">A1*10+1</f><v>0</v></c>' if r == 1
           else f'<c r="B{r}"><f t="shared" si="0"/><v>0</v></c>')
        + (f'<c r="C{r}"><f t="array" ref="C1:C4">A1:A4*A1:A4</f><v>0</v></c>' if r == 1 else f'<c r="C{r}"><v>0</v></c>')
        + "</row>" for r in range(1, 5))
    rows += '<row r="5"><c r="D5"><f>SUM(B1:B4)+SUM(C1:C4)</f><v>0</v></c></row>'
    book = _package(tmp_path / "sh.xlsx", SHEET.format(dim='<dimension ref="A1:D5"/>', rows=rows))
    recalc(book, tmp_path / "o.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "o.xlsx", data_only=True)["S"]
    assert [ws[f"B{r}"].value for r in range(1, 5)] == [11, 21, 31, 41]
    assert [ws[f"C{r}"].value for r in range(1, 5)] == [1, 4, 9, 16]
    assert ws["D5"].value == 104 + 30
    text = zipfile.ZipFile(tmp_path / "o.xlsx").read("xl/worksheets/sheet1.xml")
    assert formula_texts(text) == formula_texts(zipfile.ZipFile(book).read("xl/worksheets/sheet1.xml"))


def test_vectorized_groups_equal_cell_by_cell(tmp_path: Path, monkeypatch) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sc"
    names = ["VR NVL72", "GB300 NVL72", "H100 SXM", "nope", "MI355X"]
    for i in range(60):
        r = i + 1
        ws[f"A{r}"] = names[i % 5]
        ws[f"B{r}"] = 1.5 + i / 7 if i % 11 else "text"
        ws[f"C{r}"] = 0.10 + (i % 9) / 100 if i % 13 else None
        ws[f"D{r}"] = f"=FLOOR_RENT(A{r},C{r})"
        ws[f"E{r}"] = f"=B{r}-D{r}"
        ws[f"F{r}"] = f'=IF(E{r}>=0,"above","below")'
        ws[f"G{r}"] = f"=ROUND(E{r}/B{r},4)"
        ws[f"H{r}"] = f"=IFERROR(PROJECT_IRR(A{r},B{r}),-1)"
        ws[f"I{r}"] = f"=(1+C{r})^12-1"
        ws[f"J{r}"] = f"=ROW()*2+COLUMN(B{r})"
    book = tmp_path / "v.xlsx"
    wb.save(book)
    fast = Workbook.open(book)
    fast.calculate()
    from gpuecon.recalc import workbook as rc

    calls = []
    real = rc.Workbook._vector
    monkeypatch.setattr(rc.Workbook, "_vector", lambda self, prog, nodes: calls.append(len(nodes)) or False)
    slow = Workbook.open(book)
    slow.calculate()
    monkeypatch.setattr(rc.Workbook, "_vector", real)
    assert calls and max(calls) == 60
    for key in fast.node_at:
        a, b = fast.values[key], slow.values[key]
        assert str(a) == str(b) if not isinstance(a, float) else a == pytest.approx(b, rel=1e-12, abs=1e-15), \
            (fast.address(key), a, b)
    assert fast.values[(0, 1, 4)] == pytest.approx(float(model.floor_rent("VR NVL72")))  # blank hurdle: default
    assert fast.values[(0, 2, 4)] == pytest.approx(float(model.floor_rent("GB300 NVL72", hurdle_irr_annual=0.11)))
    assert str(fast.values[(0, 4, 4)]).startswith("#VALUE! unknown system")
    assert fast.values[(0, 3, 10)] == 3 * 2 + 2


@pytest.mark.parametrize("kind", ["not_zip", "bomb", "xxe", "dimension", "sheet_dtd"])
def test_hostile_files_refused_without_output(tmp_path: Path, kind: str) -> None:
    plain = SHEET.format(dim='<dimension ref="A1"/>', rows='<row r="1"><c r="A1"><f>1+1</f></c></row>')
    if kind == "not_zip":
        book = tmp_path / "h.xlsx"
        book.write_bytes(b"this is not a zip file at all" * 10)
    elif kind == "bomb":
        book = _package(tmp_path / "h.xlsx", plain, {"xl/media/big.bin": b"\0" * (40 << 20)})
    elif kind == "xxe":
        xxe = ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
               + plain.split("?>", 1)[1].replace("<f>1+1</f>", "<f>1+1</f><v>&x;</v>"))
        book = _package(tmp_path / "h.xlsx", xxe)
    elif kind == "dimension":
        book = _package(tmp_path / "h.xlsx", SHEET.format(dim='<dimension ref="A1:XFE2000000"/>', rows=""))
    else:
        billion = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
                   '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">&lol2;</Relationships>')
        book = _package(tmp_path / "h.xlsx", plain, {"xl/worksheets/_rels/sheet1.xml.rels": billion.encode()})
    out = tmp_path / "out.xlsx"
    with pytest.raises(RecalcError, match="refused"):
        recalc(book, out)
    r = CliRunner().invoke(app, ["recalc", str(book), "-o", str(out)])
    assert r.exit_code == 2 and "refused" in r.output
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["h.xlsx"]


def test_parse_value() -> None:
    assert parse_value("15%") == pytest.approx(0.15)
    assert parse_value(" 8 ") == 8.0 and parse_value("TRUE") is True
    assert parse_value('"VR NVL72"') == "VR NVL72" and parse_value("GB300 NVL72") == "GB300 NVL72"


# --- the generated template ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    from gpuecon.template import exporter
    return exporter.export_model(tmp_path_factory.mktemp("tpl") / "gpuecon_model.xlsx")


def _close(a: object, b: object, rel: float) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(float(a), float(b), rel_tol=rel, abs_tol=1e-9)
    if isinstance(a, str) and isinstance(b, str):  # text built from numbers (=A1&"|"&...): the numbers to rel
        na, nb = _NUMBER.findall(a), _NUMBER.findall(b)
        return (_NUMBER.sub("#", a) == _NUMBER.sub("#", b) and len(na) == len(nb)
                and all(math.isclose(float(x), float(y), rel_tol=rel, abs_tol=1e-9) for x, y in zip(na, nb, strict=True)))
    return str(a) == str(b)


_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


@pytest.mark.slow
def test_template_recalc_equals_engine(template: Path, tmp_path: Path) -> None:
    """The exporter writes engine-computed cached values; recalc from scratch must reproduce them."""
    out = tmp_path / "recalc.xlsx"
    result = recalc(template, out)
    assert not [i for i in result.issues if i.kind in ("unsupported", "circular")]
    wb = Workbook.open(template)
    got = Workbook.open(out)
    assert len(wb.node_at) > 1000
    differ = []
    for key in wb.node_at:
        old, new = wb.cached.get(key), got.cached.get(key)
        if not _close(new, old, 1e-9):
            differ.append((wb.address(key), old, new))
    assert not differ, differ[:10]
    named = result.named
    assert named["tco_total"] == pytest.approx(float(model.tco_usd_per_gpu_hour("VR NVL72")), rel=1e-12)
    assert named["floor_rent_usd_per_gpu_hour"] == pytest.approx(float(model.floor_rent("VR NVL72")), rel=1e-12)
    assert named["ceiling_rent_usd_per_gpu_hour"] == pytest.approx(12.25)
    assert named["capex_total"] == pytest.approx(float(model.capex_usd_per_gpu("VR NVL72")))
    assert named["irr_at_floor"] == pytest.approx(0.156, abs=1e-9)


@pytest.mark.libreoffice
def test_template_native_cells_equal_libreoffice(template: Path, tmp_path: Path) -> None:
    from gpuecon.xlsx import libreoffice

    ours = recalc(template, tmp_path / "ours.xlsx").output
    lo = libreoffice.recalculate(template, tmp_path / "lo")
    mine = Workbook.open(ours)
    theirs = openpyxl.load_workbook(lo, data_only=True)
    compared = 0
    mismatched = []
    errors = ("#NAME?", "#VALUE!", "#N/A", "#REF!", "#DIV/0!", "#NUM!", "Err:")
    tainted = mine.downstream(n for n in mine.nodes if n.udf)  # UDF cells and everything that reads them
    for key, node in mine.node_at.items():
        if id(node) in tainted:
            continue  # LibreOffice cannot call Python UDFs (#NAME?)
        sheet, r, c = mine.sheet_names[key[0]], key[1], key[2]
        lo_value = theirs[sheet].cell(r, c).value
        if lo_value is None or (isinstance(lo_value, str) and lo_value.startswith(errors)):
            continue  # depends on a UDF cell in LibreOffice
        compared += 1
        if not _close(mine.cached.get(key), lo_value, 1e-9):
            mismatched.append((mine.address(key), mine.cached.get(key), lo_value))
    assert compared > 1000
    assert not mismatched, mismatched[:10]


def test_bench_sized_book_is_vectorized(tmp_path: Path) -> None:
    """Scenario rows (one UDF + three native formulas each) are evaluated as columns, not cell by cell."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    try:
        from bench_recalc import scenario_book
    finally:
        sys.path.pop(0)
    book = scenario_book(tmp_path / "s.xlsx", 500)
    res = recalc(book, tmp_path / "o.xlsx")
    assert res.formulas == 2000 and not res.issues
    ws = openpyxl.load_workbook(tmp_path / "o.xlsx", data_only=True).active
    floor = float(model.floor_rent(ws["A2"].value, hurdle_irr_annual=ws["C2"].value))
    assert ws["D2"].value == pytest.approx(floor, rel=1e-12)
    assert ws["E2"].value == pytest.approx(ws["B2"].value - floor, rel=1e-12)
    assert os.path.getsize(tmp_path / "o.xlsx") > 0


def test_agrees_with_formulas_excelmodel(tmp_path: Path) -> None:
    """The formulas package's own full ExcelModel (no shape compiling, no batching) gives the same values."""
    import formulas
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "M"
    ws["A1"], ws["B1"] = 0.08, 60
    for r in range(2, 26):
        ws[f"A{r}"] = ["VR NVL72", "GB300 NVL72", "H100 SXM"][r % 3]
        ws[f"B{r}"] = 1 + r / 4
        ws[f"C{r}"] = f"=GPU_TCO(A{r})"
        ws[f"D{r}"] = f"=B{r}-C{r}"
        ws[f"E{r}"] = f"=IF(D{r}>0,D{r}*$B$1,-1)"
        ws[f"F{r}"] = f"=PMT($A$1/12,$B$1,-C{r}*1000)"
        ws[f"G{r}"] = f"=SUM($D$2:D{r})"
        ws[f"H{r}"] = f'=VLOOKUP(A{r},$A$2:$D$25,4,FALSE)&"|"&TEXT(B{r},"0.00")'
    ws["J1"] = "=NPV(A1,D2:D25)"
    ws["J2"] = "=MAX(E2:E25)-MIN(E2:E25)+AVERAGE(C2:C25)"
    ws["J3"] = "=SUMPRODUCT(B2:B25,C2:C25)"
    ws["J4"] = "=INDEX(C2:C25,MATCH(MAX(D2:D25),D2:D25,0))"
    book = tmp_path / "m.xlsx"
    wb.save(book)
    ours = Workbook.open(book)
    ours.calculate()
    assert not ours.collect_issues()
    from gpuecon.recalc.bridge import fx as register_udfs

    register_udfs()  # the UDFs, registered in formulas.get_functions()
    sol = formulas.ExcelModel().loads(str(book)).finish().calculate()
    compared = 0
    for key in ours.node_at:
        ref = f"'[m.xlsx]M'!{ours.address(key).split('!')[1]}"
        theirs = sol[ref].value[0, 0]
        mine = ours.values[key]
        assert _close(mine, theirs.item() if hasattr(theirs, "item") else theirs, 1e-12), (ref, mine, theirs)
        compared += 1
    assert compared == 24 * 6 + 4


def test_functions_without_arguments(tmp_path: Path) -> None:
    """NA(), PI(), TRUE() take no argument: once computed as #VALUE! (schedula's start node passed in)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = 5
    ws["B1"], ws["B2"], ws["B3"], ws["B4"] = "=IF(A1>0,NA(),A1)", "=PI()*2", "=TRUE()", "=ISNA(NA())"
    wb.save(tmp_path / "z.xlsx")
    book = Workbook.open(tmp_path / "z.xlsx")
    book.calculate()
    got = book.named_values([]) or {k: book.values[k] for k in [(0, r, 2) for r in range(1, 5)]}
    assert str(got[(0, 1, 2)]) == "#N/A"
    assert got[(0, 2, 2)] == pytest.approx(2 * math.pi) and got[(0, 3, 2)] is True and got[(0, 4, 2)] is True


def test_udf_list_is_the_excel_functions_list() -> None:
    """recalc keeps no list of its own: the UDFs and their column arguments come from gpuecon.excel."""
    import inspect

    from gpuecon import excel
    from gpuecon.recalc import UDF_NAMES
    from gpuecon.recalc.bridge import UDF_VECTOR_ARGS

    assert UDF_NAMES == tuple(excel.FUNCTIONS)
    assert UDF_VECTOR_ARGS == excel.ELEMENTWISE_ARGS
    for name, n in excel.ELEMENTWISE_ARGS.items():
        params = list(inspect.signature(excel.FUNCTIONS[name]).parameters)
        assert 1 <= n <= len(params) and "assumptions" not in params[:n], name


def test_vector_mode_is_an_argument_not_global_state(rich: Path) -> None:
    """A program evaluated per cell never takes the vectorized UDF path, whatever ran before it."""
    import numpy as np

    from gpuecon.recalc import bridge
    from gpuecon.recalc.program import Program

    wb = Workbook.open(rich)
    wb.calculate()
    prog = Program("FLOOR_RENT(A1)")
    f = bridge.fx()
    col = np.array([["VR NVL72"], ["GB300 NVL72"]], dtype=object).view(f.Array)
    vec = prog([col], vector=True)
    assert vec.shape == (2, 1)
    assert vec[1, 0] == pytest.approx(float(model.floor_rent("GB300 NVL72")))
    one = prog(["GB300 NVL72"])  # per cell, after a vectorized call
    assert one == pytest.approx(float(model.floor_rent("GB300 NVL72")))
    assert not hasattr(bridge, "_VECTOR")


def test_request_errors_in_library_and_cli_words(rich: Path, tmp_path: Path) -> None:
    """The library speaks of inputs and in_place; the CLI words the same errors with its options."""
    wb = Workbook.open(rich)
    with pytest.raises(RecalcError, match=r"^input Nope: the workbook has no input named 'Nope'") as info:
        wb.set_inputs({"Nope": 1})
    assert info.value.code == "input" and info.value.details["input"] == "Nope"
    with pytest.raises(RecalcError, match=r"^input rent: the same cell as input Rent \(Inputs!B2\)"):
        wb.set_inputs({"Rent": 1, "rent": 2})
    with pytest.raises(RecalcError, match="in-place") as info:
        recalc(rich, rich)
    assert info.value.code == "overwrite" and "--" not in str(info.value)
    with pytest.raises(RecalcError, match="^give an output path or in_place=True$"):
        recalc(rich)
    with pytest.raises(RecalcError, match="^output Nope: .*; its named outputs are Floor, Margin"):
        wb.check_output("Nope")
    for args, msg in (
            (["-o", str(tmp_path / "o.xlsm"), "--set", "Rent=1", "--set", "rent=2"],
             "error: --set rent: the same input as --set Rent (Inputs!B2); give it once"),
            (["-o", str(tmp_path / "o.xlsm"), "--set", "Nope=1"], "error: --set Nope: the workbook has no input named"),
            (["-o", str(rich)], f"error: refusing to overwrite the input {rich}; use --in-place"),
            ([], "error: give an output file (-o OUT.xlsx) or --in-place"),
            (["--in-place", "-o", str(tmp_path / "o.xlsm")],
             "error: --in-place writes the workbook itself; do not give -o as well"),
            (["-o", str(tmp_path / "o.xlsm"), "--outputs", "Nope"],
             "; `gpuecon recalc BOOK -o OUT` lists the named outputs")):
        r = CliRunner().invoke(app, ["recalc", str(rich), *args])
        assert r.exit_code == 2 and msg in " ".join(r.output.split()), (args, r.output)
        assert not (tmp_path / "o.xlsm").exists()
