"""Issue 11: OFFSET computed as the reference it returns, spill references (``E22#``), AGGREGATE and data
tables, each on a minimal book built here with the value Excel gives, worked out by hand from
Microsoft's function reference next to the cell."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from test_recalc_excel import _book, _values

from gpuecon.recalc.workbook import Workbook, recalc


def _patch(src: Path, dst: Path, edits: dict[str, str]) -> None:
    """Copy the book ``src`` to ``dst`` with text replaced in its first sheet (what openpyxl cannot write)."""
    import zipfile

    with zipfile.ZipFile(src) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    for old, new in edits.items():
        assert old in sheet, old
        sheet = sheet.replace(old, new)
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(dst, "w") as z:
        for n, data in parts.items():
            z.writestr(n, data)


def test_offset_returns_a_reference(tmp_path: Path) -> None:
    # A1:A6 = 1, 2, 3, 4, 5, "x"; B1:B5 = 10, 20, 30, 40, 50; D1 = A1*100 (a formula OFFSET reaches)
    cells: dict[str, object] = {f"A{r}": r for r in range(1, 6)} | {f"B{r}": 10 * r for r in range(1, 6)}
    cells |= {"A6": "x", "D1": "=A1*100", "E1": 4, "E2": "1.9"}
    cells |= {"C1": "=SUM(OFFSET(A1,1,0,3,1))",  # A2:A4 = 2 + 3 + 4
              "C2": "=OFFSET(A1,2,1)",  # B3
              "C3": "=SUM(OFFSET(A1:B2,1,0))",  # the base's size: A2:B3 = 2 + 3 + 20 + 30
              "C4": "=OFFSET(A1,-1,0)",  # above row 1: #REF!
              "C5": "=SUM(OFFSET(A1,0,3))+1",  # D1 + 1, D1 computed before it is read
              "C6": "=AVERAGE(OFFSET(B1,0,0,E1,1))",  # B1:B4: 100 / 4
              "C7": "=SUM(OFFSET(A1,1,,2))",  # cols omitted is 0: A2:A3
              "C8": "=OFFSET(A1,0,0,0,1)",  # a height of 0: #REF!
              "C9": "=SUM(OFFSET(A1,E2,0,2))",  # "1.9" is truncated to 1: A2:A3
              "C10": "=SUM(OFFSET(A1,4,0,2,1))",  # A5:A6, the text ignored
              "C11": "=COUNT(OFFSET(C11,-10,-2,6,1))",  # A1:A6 from the cell itself: not circular
              "C12": "=OFFSET(A1,0,0,-2,1)"}  # a negative height: reported, not guessed
    cells |= {"G1": 0} | {f"G{r}": f"=OFFSET(G{r},-1,0)+1" for r in range(2, 21)}  # a chain the graph cannot see
    book = _book(tmp_path, cells)
    v = _values(book)
    assert v["C1"] == 9 and v["C2"] == 30 and v["C3"] == 55
    assert v["C4"] == "#REF!" and v["C8"] == "#REF!"
    assert v["C5"] == 101 and v["C6"] == 25 and v["C7"] == 5 and v["C9"] == 5 and v["C10"] == 5
    assert v["C11"] == 5
    assert v["G20"] == 19
    res = recalc(book, tmp_path / "o.xlsx")
    flags = {i.address: i.reason for i in res.flagged}
    assert set(flags) == {"S!C12"} and "negative height" in flags["S!C12"]


def test_offset_from_another_sheet_and_a_name(tmp_path: Path) -> None:
    from openpyxl.workbook.defined_name import DefinedName

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "S"
    data = wb.create_sheet("My data")
    for r in range(1, 6):
        data[f"B{r}"] = r * 100  # 100..500
    wb.defined_names["start"] = DefinedName("start", attr_text="'My data'!$B$1")
    ws["A1"] = "=SUM(OFFSET('My data'!B1,1,0,2,1))"  # B2:B3 = 500
    ws["A2"] = "=OFFSET(start,4,0)"  # B5 = 500
    ws["A3"] = "=SUM(OFFSET(start,0,0,5))/OFFSET(start,0,0)"  # 1500 / 100 = 15
    wb.save(tmp_path / "d.xlsx")
    v = _values(tmp_path / "d.xlsx")
    assert (v["A1"], v["A2"], v["A3"]) == (500, 500, 15)


def test_offset_follows_a_changed_input(tmp_path: Path) -> None:
    from openpyxl.workbook.defined_name import DefinedName

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "S"
    for r in range(1, 13):
        ws[f"A{r}"] = r  # months 1..12
    ws["B1"] = 3
    ws["C1"] = "=SUM(OFFSET(A1,0,0,B1,1))"  # the first B1 months
    ws["C2"] = "=C1*2"
    wb.defined_names["months"] = DefinedName("months", attr_text="S!$B$1")
    wb.defined_names["out"] = DefinedName("out", attr_text="S!$C$2")
    wb.save(tmp_path / "n.xlsx")
    book = Workbook.open(tmp_path / "n.xlsx")
    assert book.calculate_named({}, ["out"]) == {"out": 12}  # (1 + 2 + 3) * 2
    assert book.calculate_named({"months": 12}, ["out"]) == {"out": 156}  # 78 * 2


def test_range_to_an_offset(tmp_path: Path) -> None:
    # A1:A5 = 1..5, B1:B2 = 10, 20; the range operator gives the smallest range holding both references
    cells: dict[str, object] = {f"A{r}": r for r in range(1, 6)} | {"B1": 10, "B2": 20, "E1": 3}
    cells |= {"C1": "=SUM(A1:OFFSET(A1,2,0))",  # A1:A3 = 6
              "C2": "=SUM($A$1:OFFSET($A$1,E1,0))",  # A1:A4 = 10
              "C3": "=SUM(B1:OFFSET(A1,1,0))",  # B1 and A2: A1:B2 = 33
              "C4": "=SUM(A3:OFFSET(A1,0,0))",  # A1:A3 again, upwards = 6
              "C5": "=SUM(OFFSET(A1,0,1):B1)",  # a range from the reference a function returns: reported
              "C6": "=SUM(Other!A1:OFFSET(A1,1,0))"}  # two sheets: reported
    book = _book(tmp_path, cells)
    v = _values(book)
    assert (v["C1"], v["C2"], v["C3"], v["C4"]) == (6, 10, 33, 6)
    res = recalc(book, tmp_path / "o.xlsx")
    flags = {i.address: i for i in res.flagged}
    assert set(flags) == {"S!C5", "S!C6"}
    assert all("reference a function returns" in flags[a].reason for a in flags)


def test_empty_formula_inside_an_array_range_is_a_member(tmp_path: Path) -> None:
    # Excel writes the cells of an array formula over volatile functions as <f ca="1"/> (no text): they
    # are members of the array formula A1:A2 = B1:B2*2, not formulas of their own
    from openpyxl.worksheet.formula import ArrayFormula

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "S"
    ws["B1"], ws["B2"] = 5, 7
    ws["A1"] = ArrayFormula("A1:A2", "=B1:B2*2")
    ws["A2"] = 14
    wb.save(tmp_path / "a.xlsx")
    _patch(tmp_path / "a.xlsx", tmp_path / "b.xlsx", {'<c r="A2" t="n"><v>14</v></c>': '<c r="A2"><f ca="1"/><v>14</v></c>'})
    book = Workbook.open(tmp_path / "b.xlsx")
    assert len(book.nodes) == 1
    assert _values(tmp_path / "b.xlsx") == {"A1": 10, "A2": 14}
    assert recalc(tmp_path / "b.xlsx", tmp_path / "o.xlsx").flagged == []


def test_spill_references(tmp_path: Path) -> None:
    # B1:B3 = A1:A3*2 = 2, 4, 6 saved as an array formula (as Excel saves a spilled formula); B1# is B1:B3
    from openpyxl.worksheet.formula import ArrayFormula

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "S"
    for r in (1, 2, 3):
        ws[f"A{r}"] = r
    ws["B1"] = ArrayFormula("B1:B3", "=A1:A3*2")
    ws["C1"] = "=SUM(B1#)"  # 12
    ws["C2"] = "=SUM(_xlfn.ANCHORARRAY(B1))"  # as Excel stores it: 12
    ws["C3"] = "=ROWS(B1#)*10+COUNT(S!B1#)"  # 33
    ws["C4"] = '=SUM(A1)&"#"&"B1#"'  # a # in a text literal is no spill reference: "1#B1#"
    ws["C5"] = "=SUM(A1#)"  # A1 holds no array formula: reported
    ws["D1"] = ArrayFormula("D1:D3", "=B1#+1")  # 3, 5, 7
    other = wb.create_sheet("T")
    other["A1"] = "=MAX(S!B1#)"  # 6
    wb.save(tmp_path / "s.xlsx")
    book = Workbook.open(tmp_path / "s.xlsx")
    book.calculate()
    v = {book.address(k): book.values.get(k) for k in book.node_at}
    assert v["S!C1"] == 12 and v["S!C2"] == 12 and v["S!C3"] == 33 and v["S!C4"] == "1#B1#"
    assert [v[f"S!D{r}"] for r in (1, 2, 3)] == [3, 5, 7] and v["T!A1"] == 6
    res = recalc(tmp_path / "s.xlsx", tmp_path / "o.xlsx")
    flags = {i.address: i.reason for i in res.flagged}
    assert set(flags) == {"S!C5"} and "A1#" in flags["S!C5"] and "no array formula" in flags["S!C5"]


def test_aggregate(tmp_path: Path) -> None:
    # written _xlfn.AGGREGATE as Excel saves it; LibreOffice gives the same values (checked once)
    # A1:A6 = 4, 8, #DIV/0!, 2, "t", 6: the numbers are 2, 4, 6, 8 (Microsoft's AGGREGATE reference:
    # options 4-7 keep nested SUBTOTAL/AGGREGATE, 2, 3, 6, 7 ignore error values, 1, 3, 5, 7 hidden rows)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "S"
    for r, v in enumerate([4, 8, "=1/0", 2, "t", 6], start=1):
        ws[f"A{r}"] = v
    cells = {"B1": "=_xlfn.AGGREGATE(9,6,A1:A6)",  # SUM 20
             "B2": "=_xlfn.AGGREGATE(9,4,A1:A6)",  # the error: #DIV/0!
             "B3": "=_xlfn.AGGREGATE(14,6,A1:A6,2)",  # LARGE k=2: 6
             "B4": "=_xlfn.AGGREGATE(15,6,A1:A6/(A1:A6>3),1)",  # SMALL of 4, 8, 6 (the rest errors): 4
             "B5": "=_xlfn.AGGREGATE(1,6,A1:A6)", "B6": "=_xlfn.AGGREGATE(2,6,A1:A6)",  # AVERAGE 5, COUNT 4
             "B7": "=_xlfn.AGGREGATE(3,6,A1:A6)", "B8": "=_xlfn.AGGREGATE(12,6,A1:A6)",  # COUNTA 5 ("t" counts), MEDIAN 5
             "B9": "=_xlfn.AGGREGATE(4,2,A1:A6)", "B10": "=_xlfn.AGGREGATE(16,6,A1:A6,0.5)",  # MAX 8, PERCENTILE.INC 5
             "B11": "=_xlfn.AGGREGATE(17,6,A1:A6,1)",  # QUARTILE.INC: 2 + 0.75 * (4 - 2) = 3.5
             "B12": "=_xlfn.AGGREGATE(20,6,A1:A6)", "B13": "=_xlfn.AGGREGATE(9,8,A1:A6)",  # no such function / option
             "B14": "=_xlfn.AGGREGATE(5,3,A1:A6)",  # MIN 2 (no hidden row, no nested cell to skip)
             "C1": "=SUBTOTAL(9,A1:A2)", "C2": 100,
             "C3": "=_xlfn.AGGREGATE(9,4,C1:C2)",  # option 4 keeps the nested SUBTOTAL: 112
             "C4": "=_xlfn.AGGREGATE(9,6,C1:C2)",  # so does 6: 112
             "C5": "=_xlfn.AGGREGATE(9,0,C1:C2)",  # 0 skips it (Excel: 100): reported
             "D10": 1, "D11": 2, "D12": 3,
             "E1": "=_xlfn.AGGREGATE(9,6,D10:D12)",  # hidden row 11 counted with option 6: 6
             "E2": "=_xlfn.AGGREGATE(9,5,D10:D12)"}  # option 5 skips it (Excel: 4): reported
    for ref, v in cells.items():
        ws[ref] = v
    ws.row_dimensions[11].hidden = True
    wb.save(tmp_path / "g.xlsx")
    v = _values(tmp_path / "g.xlsx")
    assert (v["B1"], v["B2"], v["B3"], v["B4"]) == (20, "#DIV/0!", 6, 4)
    assert (v["B5"], v["B6"], v["B7"], v["B8"], v["B9"], v["B10"]) == (5, 4, 5, 5, 8, 5)
    assert v["B11"] == 3.5 and v["B12"] == "#VALUE!" and v["B13"] == "#VALUE!" and v["B14"] == 2
    assert v["C3"] == 112 and v["C4"] == 112 and v["E1"] == 6
    res = recalc(tmp_path / "g.xlsx", tmp_path / "o.xlsx")
    flags = {i.address: i.reason for i in res.flagged}
    assert set(flags) == {"S!C5", "S!E2"}
    assert "SUBTOTAL or AGGREGATE" in flags["S!C5"] and "hidden" in flags["S!E2"]


def test_data_table_keeps_its_saved_values_and_goes_stale(tmp_path: Path) -> None:
    # a one-input data table (What-If Analysis): B2:B4 = B1 = A1*C1 with A1 taken from A2:A4, so 3, 6, 9
    # with C1 = 3, as Excel saves it (the formula in B2 only, the other cells plain values)
    from openpyxl.workbook.defined_name import DefinedName
    from openpyxl.worksheet.formula import DataTableFormula

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "S"
    ws["A1"], ws["C1"], ws["B1"] = 0.1, 3, "=A1*C1"
    for r in (2, 3, 4):
        ws[f"A{r}"] = r - 1
    ws["B2"] = DataTableFormula(ref="B2:B4", r1="A1")
    ws["B3"], ws["B4"] = 6, 9
    ws["D1"] = "=SUM(B2:B4)"
    wb.defined_names["k"] = DefinedName("k", attr_text="S!$C$1")
    wb.save(tmp_path / "a.xlsx")
    _patch(tmp_path / "a.xlsx", tmp_path / "t.xlsx", {'<f t="dataTable" ref="B2:B4" r1="A1" /><v />':
                                                      '<f t="dataTable" ref="B2:B4" r1="A1" /><v>3</v>',
                                                      "<f>SUM(B2:B4)</f><v />": "<f>SUM(B2:B4)</f><v>18</v>",
                                                      "<f>A1*C1</f><v />": "<f>A1*C1</f><v>0.3</v>"})
    res = recalc(tmp_path / "t.xlsx", tmp_path / "o.xlsx")
    flags = {i.address: i for i in res.flagged}
    assert set(flags) == {"S!B2", "S!B3", "S!B4"}
    assert all(i.kind == "kept saved value" and "data table" in i.reason for i in flags.values())
    out = openpyxl.load_workbook(tmp_path / "o.xlsx", data_only=True)["S"]
    assert [out[f"B{r}"].value for r in (2, 3, 4)] == [3, 6, 9] and out["D1"].value == 18
    # C1 changes what the table holds (4, 8, 12 in Excel): its cells and what reads them are stale
    res = recalc(tmp_path / "t.xlsx", tmp_path / "o2.xlsx", sets={"k": 4})
    flags = {i.address: i.kind for i in res.flagged}
    assert flags == {"S!B2": "stale", "S!B3": "stale", "S!B4": "stale", "S!D1": "stale"}
