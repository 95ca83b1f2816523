"""Issue 11: OFFSET computed as the reference it returns, spill references (``E22#``), AGGREGATE and data
tables, each on a minimal book built here with the value Excel gives, worked out by hand from
Microsoft's function reference next to the cell."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from test_recalc_excel import _book, _values

from gpuecon.recalc.workbook import Workbook, recalc


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


def test_range_from_an_offset_is_reported(tmp_path: Path) -> None:
    book = _book(tmp_path, {"A1": 1, "B1": 2, "C1": "=SUM(OFFSET(A1,0,1):B1)"})
    res = recalc(book, tmp_path / "o.xlsx")
    flags = {i.address: i for i in res.flagged}
    assert set(flags) == {"S!C1"} and "reference a function returns" in flags["S!C1"].reason


def test_empty_formula_inside_an_array_range_is_a_member(tmp_path: Path) -> None:
    # Excel writes the cells of an array formula over volatile functions as <f ca="1"/> (no text): they
    # are members of the array formula A1:A2 = B1:B2*2, not formulas of their own
    import zipfile

    from openpyxl.worksheet.formula import ArrayFormula

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "S"
    ws["B1"], ws["B2"] = 5, 7
    ws["A1"] = ArrayFormula("A1:A2", "=B1:B2*2")
    ws["A2"] = 14
    wb.save(tmp_path / "a.xlsx")
    with zipfile.ZipFile(tmp_path / "a.xlsx") as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    assert '<c r="A2" t="n"><v>14</v></c>' in sheet
    parts["xl/worksheets/sheet1.xml"] = sheet.replace('<c r="A2" t="n"><v>14</v></c>',
                                                      '<c r="A2"><f ca="1"/><v>14</v></c>').encode()
    with zipfile.ZipFile(tmp_path / "b.xlsx", "w") as z:
        for n, data in parts.items():
            z.writestr(n, data)
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
