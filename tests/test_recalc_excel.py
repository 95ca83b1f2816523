"""Issue 11: Excel's semantics on minimal books (openpyxl), each value the one Excel gives, and one
cell's odd result never costing the book. Every expected value below is Excel's, from its
documented behaviour, stated next to the cell."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from test_recalc import SHEET, _package
from typer.testing import CliRunner

from gpuecon.cli.main import app
from gpuecon.recalc.workbook import Workbook, recalc


def _book(tmp_path: Path, cells: dict[str, object], name: str = "b.xlsx") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "S"
    for ref, v in cells.items():
        ws[ref] = v
    path = tmp_path / name
    wb.save(path)
    return path


def _values(path: Path) -> dict[str, object]:
    wb = Workbook.open(path)
    wb.calculate()
    from gpuecon.recalc.bridge import plain
    from gpuecon.recalc.refs import a1

    return {a1(r, c): plain(wb.values.get((si, r, c))) for (si, r, c) in wb.node_at}


def test_text_and_logicals_through_references_are_ignored(tmp_path: Path) -> None:
    # Excel: "If an argument is an array or reference, only numbers in that array or reference are
    # counted. Empty cells, logical values, or text in the array or reference are ignored." (SUM, MIN, ...)
    v = _values(_book(tmp_path, {"A2": 10, "A3": "text", "A4": True,
                                 "B1": "=SUM(A2,A4)", "B2": "=SUM(A2,A3)", "B3": "=MIN(A2,A3)", "B4": "=MAX(A2,A4)",
                                 "B5": "=AVERAGE(A2,A3,A4)", "B6": "=COUNT(A2,A3,A4)", "B7": "=PRODUCT(A2,A3)",
                                 "B8": "=COUNTA(A2,A3,A4,A5)", "B9": "=SUM(A2,TRUE)"}))
    assert v["B1"] == 10  # not 11: TRUE in A4 is ignored
    assert v["B2"] == 10 and v["B3"] == 10 and v["B4"] == 10 and v["B5"] == 10 and v["B7"] == 10
    assert v["B6"] == 1
    assert v["B8"] == 3  # COUNTA counts text and logicals, not the blank A5
    assert v["B9"] == 11  # a logical typed as an argument is counted


def test_sumproduct_double_negation(tmp_path: Path) -> None:
    # Excel: --(range=x) turns TRUE/FALSE into 1/0, so this sums N where L = "b": 2 + 3
    v = _values(_book(tmp_path, {"L1": "a", "L2": "b", "L3": "b", "L4": "c", "N1": 1, "N2": 2, "N3": 3, "N4": 4,
                                 "A1": "=SUMPRODUCT(--(L1:L4=L2),N1:N4)", "A2": "=SUMPRODUCT(-(-(L1:L4=L2)),N1:N4)",
                                 "A3": "=--TRUE", "A4": "=2^--L5"}))
    assert v["A1"] == 5 and v["A2"] == 5
    assert v["A3"] == 1  # --TRUE is 1
    assert v["A4"] == 1  # 2^0, L5 blank


def test_implicit_intersection_on_the_formulas_row(tmp_path: Path) -> None:
    # Excel (a formula that is not an array formula): a range where one value is expected is the cell
    # on the formula's own row (column range) or column (row range), #VALUE! if there is none
    cells: dict[str, object] = {f"D{r}": r for r in range(1, 7)}
    cells |= {f"A{r}": f"p{r}" for r in range(1, 4)} | {f"B{r}": f"s{r}" for r in range(1, 4)}
    cells |= {"E6": "=D1:D6*10", "E3": "=D1:D6*10", "E9": "=D1:D6*10", "C3": '=A:A&"/"&B:B',
              "C2": '=A:A&"/"&B:B', "F1": "=SUM(D1:D6)", "G2": "=D1:F1"}
    v = _values(_book(tmp_path, cells))
    assert v["E6"] == 60 and v["E3"] == 30
    assert v["E9"] == "#VALUE!"  # row 9 is outside D1:D6
    assert v["C3"] == "p3/s3" and v["C2"] == "p2/s2"
    assert v["F1"] == 21  # SUM takes the whole range
    assert v["G2"] == "#VALUE!"  # column G is outside D1:F1


def test_near_zero_cancellation_as_excel(tmp_path: Path) -> None:
    # Microsoft, "Floating-point arithmetic may give inaccurate results in Excel": =.5-.4-.1 shows 0
    # (a final subtraction whose operands agree to 15 significant digits is 0), while
    # =1*(.5-.4-.1) and =(.5-.4-.1) keep the binary remainder -2.77555756156289E-17
    v = _values(_book(tmp_path, {"G1": 0.5, "G2": 0.4, "G3": 0.1, "A1": "=G1-G2-G3", "A2": "=1*(G1-G2-G3)",
                                 "A3": "=0.5-0.4-0.1", "A4": "=(G1-G2-G3)", "A5": '=IF(A1=0,"OK","ERROR")',
                                 "B1": 1234567.891, "B2": 1234567.89, "A6": "=B1-B2", "A7": "=G1+G1-1"}))
    assert v["A1"] == 0.0 and v["A3"] == 0.0 and v["A5"] == "OK"
    assert v["A2"] == pytest.approx(-2.77555756156289e-17, rel=1e-9)
    assert v["A4"] == pytest.approx(-2.77555756156289e-17, rel=1e-9)
    assert v["A6"] == pytest.approx(0.001, rel=1e-6)  # a real difference is not touched
    assert v["A7"] == 0.0


def test_zero_argument_functions(tmp_path: Path) -> None:
    # Excel: PI() = 3.14159265358979, NA() = #N/A, TRUE() = TRUE, FALSE() = FALSE
    v = _values(_book(tmp_path, {"A1": "=PI()", "A2": "=IF(A1>3,NA(),1)", "A3": "=TRUE()", "A4": "=FALSE()"}))
    assert v["A1"] == pytest.approx(3.14159265358979) and v["A2"] == "#N/A"
    assert v["A3"] is True and v["A4"] is False


def test_one_cells_odd_result_is_that_cells_value(tmp_path: Path) -> None:
    # Excel: =C15^C9 with C15 = -8 and C9 = 1/3 is #NUM! (a negative base to a fractional power);
    # MODE.MULT in a single (non-array) cell shows the first mode, 2
    book = _book(tmp_path, {"C15": -8, "C9": "=1/3", "A1": "=C15^C9", "A2": "=A1+1",
                            "B1": 1, "B2": 2, "B3": 2, "B4": 3, "B5": 3, "D1": "=_xlfn.MODE.MULT(B1:B5)",
                            "D2": "=D1*10", "E1": "=1+1"})
    res = recalc(book, tmp_path / "o.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "o.xlsx", data_only=True)["S"]
    assert ws["A1"].value == "#NUM!" and ws["A2"].value == "#NUM!"
    assert ws["D1"].value == 2 and ws["D2"].value == 20 and ws["E1"].value == 2
    assert res.formulas == 6


def test_inline_strings_and_empty_shared_string(tmp_path: Path) -> None:
    # LibreOffice writes a formula's text result as <v> of a t="inlineStr" cell; a t="s" cell may
    # have an empty <v/>: both are read, neither refuses the book
    rows = ('<row r="1"><c r="A1" t="inlineStr"><is><t>abc</t></is></c>'
            '<c r="B1" t="inlineStr"><f>A1&amp;"d"</f><v>abcd</v></c><c r="C1" t="s"><v/></c>'
            '<c r="D1"><f>LEN(B1)</f><v>4</v></c></row>')
    book = _package(tmp_path / "lo.xlsx", SHEET.format(dim="", rows=rows),
                    {"xl/sharedStrings.xml": b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>'})
    res = recalc(book, tmp_path / "o.xlsx")
    assert not res.flagged
    out = Workbook.open(tmp_path / "o.xlsx")
    assert out.cached[(0, 1, 2)] == "abcd" and out.cached[(0, 1, 4)] == 4


def test_bad_shared_string_names_the_cell(tmp_path: Path) -> None:
    rows = '<row r="3"><c r="B3" t="s"><v>7</v></c></row>'
    book = _package(tmp_path / "bad.xlsx", SHEET.format(dim="", rows=rows))
    from gpuecon.recalc.errors import RecalcError

    with pytest.raises(RecalcError, match=r"S!B3: shared string index '7' is invalid"):
        Workbook.open(book)


def _with_saved(tmp_path: Path) -> Path:
    """A book as Excel saves it: formulas with their values (cached), one Excel can compute that the
    tool cannot (CUBEVALUE), one calling RAND, an input and dependants of all three."""
    rows = ('<row r="1"><c r="A1"><v>2</v></c><c r="B1"><f>A1*10</f><v>20</v></c>'
            '<c r="C1"><f>_xlfn.CUBEVALUE("cube",A1)</f><v>7</v></c><c r="D1"><f>C1+1</f><v>8</v></c>'
            '<c r="E1"><f>RAND()</f><v>0.5</v></c><c r="F1"><f>E1*2</f><v>1</v></c>'
            '<c r="G1"><f>Table1[Col]</f><v>3</v></c><c r="H1"><f>[1]Sheet1!$A$1</f><v>4</v></c>'
            '<c r="I1"><f>SUM(B1,D1)</f><v>28</v></c></row>')
    wb = ('<definedName name="Rate">S!$A$1</definedName>')
    return _package(tmp_path / "saved.xlsx", SHEET.format(dim="", rows=rows), names=wb)


def test_kept_saved_stale_volatile_and_report(tmp_path: Path) -> None:
    book = _with_saved(tmp_path)
    res = recalc(book, tmp_path / "o.xlsx")
    flags = {i.address: i.kind for i in res.flagged}
    assert flags == {"S!C1": "kept saved value", "S!E1": "volatile", "S!F1": "volatile",
                     "S!G1": "kept saved value", "S!H1": "external link"}
    ws = openpyxl.load_workbook(tmp_path / "o.xlsx", data_only=True)["S"]
    assert ws["C1"].value == 7 and ws["D1"].value == 8 and ws["G1"].value == 3 and ws["H1"].value == 4  # not #NAME?
    assert ws["I1"].value == 28
    # a changed precedent: the kept value is stale, and so is what depends on it
    out = tmp_path / "set.xlsx"
    report = tmp_path / "r.json"
    r = CliRunner().invoke(app, ["recalc", str(book), "-o", str(out), "--set", "Rate=3", "--report", str(report)])
    assert r.exit_code == 1, r.output
    data = json.loads(report.read_text())
    assert data["formulas"] == 8
    got = {f["cell"]: f["reason"] for f in data["flagged"]}
    assert got == {"S!C1": "stale", "S!D1": "stale", "S!I1": "stale", "S!E1": "volatile", "S!F1": "volatile",
                   "S!G1": "kept saved value", "S!H1": "external link"}
    assert len(data["flagged"]) == len(got)  # each cell once
    ws = openpyxl.load_workbook(out, data_only=True)["S"]
    assert ws["B1"].value == 30 and ws["C1"].value == 7 and ws["I1"].value == 38
    assert "stale: 3" in r.output and "S!C1:" in r.output


def test_a_range_read_as_one_value_in_one_cell_is_intersected_or_reported(tmp_path: Path) -> None:
    """``=SIN(A1:A2)`` typed in a plain cell: Excel (a formula that is not an array formula) reads the
    range by implicit intersection, the cell on the formula's own row or column, #VALUE! if none
    (Microsoft: "Implicit intersection operator: @"); ``=ROW(C1:C4)`` in one cell is its first row. A
    formula whose several values the tool cannot place (INDEX returning a whole column) is reported, with
    saved values (an unchanged book) and without (after --set)."""
    rows = ('<row r="1"><c r="A1"><v>2</v></c><c r="B1"><v>5</v></c><c r="C1"><v>7</v></c></row>'
            '<row r="2"><c r="A2"><v>3</v></c><c r="B2"><f>SIN(A1:A2)</f><v>0.1411200080598672</v></c></row>'
            '<row r="3"><c r="A3"><v>4</v></c><c r="B3" t="str"><f>CONCATENATE(A2:A3,"-",A1:C1)</f><v>4-5</v></c></row>'
            '<row r="5"><c r="C5" t="e"><f>SIN(A1:A2)</f><v>#VALUE!</v></c>'
            '<c r="D5"><f>SIN(B1)</f><v>-0.9589242746631385</v></c><c r="E5"><f>ROW(C1:C4)</f><v>1</v></c>'
            '<c r="F5"><f>SUMPRODUCT(LEN(A1:C1))</f><v>3</v></c>'
            '<c r="G5"><f>INDEX(A1:B2,0,1)</f><v>2</v></c></row>')
    book = _package(tmp_path / "ii.xlsx", SHEET.format(dim="", rows=rows), names='<definedName name="x">S!$B$1</definedName>')
    res = recalc(book, tmp_path / "o.xlsx")
    flags = {i.address: (i.kind, i.reason) for i in res.flagged}
    assert set(flags) == {"S!G5"}  # C5 is #VALUE! as Excel saved it: row 5 is outside A1:A2
    assert flags["S!G5"][0] == "error" and "returns 2 values in one cell" in flags["S!G5"][1]
    ws = openpyxl.load_workbook(tmp_path / "o.xlsx", data_only=True)["S"]
    assert ws["B2"].value == pytest.approx(0.1411200080598672)  # SIN(A2) = SIN(3)
    assert ws["B3"].value == "4-5"  # A3 (row 3 of A2:A3) and B1 (column B of A1:C1)
    assert ws["C5"].value == "#VALUE!" and ws["E5"].value == 1 and ws["F5"].value == 3  # LEN of 2, 5, 7
    out, report = tmp_path / "set.xlsx", tmp_path / "r.json"
    r = CliRunner().invoke(app, ["recalc", str(book), "-o", str(out), "--set", "x=1", "--report", str(report)])
    got = {f["cell"]: f["reason"] for f in json.loads(report.read_text())["flagged"]}
    assert set(got) == {"S!G5"}, r.output
    ws = openpyxl.load_workbook(out, data_only=True)["S"]
    assert ws["D5"].value == pytest.approx(0.8414709848078965)  # SIN(1)
    assert ws["B3"].value == "4-1"


def test_a_cell_that_did_not_reproduce_excel_is_not_trusted_after_a_change(tmp_path: Path) -> None:
    """A formula whose value on the book's own inputs differs from the value Excel saved (as for the
    corpus's remaining `mismatch` cells, a function implemented differently from Excel's) cannot be
    trusted once a change reaches it: with ``--set`` it and what reads it are ``stale``, never silent."""
    rows = ('<row r="1"><c r="A1"><v>2</v></c><c r="B1"><f>A1*10</f><v>99</v></c>'
            '<c r="C1"><f>B1*0</f><v>0</v></c><c r="D1"><f>A1+1</f><v>3</v></c></row>')
    book = _package(tmp_path / "m.xlsx", SHEET.format(dim="", rows=rows),
                    names='<definedName name="Rate">S!$A$1</definedName>')
    unchanged = recalc(book, tmp_path / "o.xlsx")
    assert {i.address: i.kind for i in unchanged.flagged} == {"S!B1": "mismatch"}  # 2*10 = 20, saved 99
    report = tmp_path / "r.json"
    r = CliRunner().invoke(app, ["recalc", str(book), "-o", str(tmp_path / "s.xlsx"), "--set", "Rate=3",
                                 "--report", str(report)])
    assert r.exit_code == 1, r.output  # a written value that is not verified
    got = {f["cell"]: (f["reason"], f["detail"]) for f in json.loads(report.read_text())["flagged"]}
    assert set(got) == {"S!B1", "S!C1"} and {k for k, _ in got.values()} == {"stale"}
    assert "saved 99" in got["S!B1"][1] and "not verified" in got["S!C1"][1]
    ws = openpyxl.load_workbook(tmp_path / "s.xlsx", data_only=True)["S"]
    assert (ws["B1"].value, ws["C1"].value, ws["D1"].value) == (30, 0, 4)  # 3*10, 30*0, 3+1; D1 unflagged
