"""Issue 11: structured references to Excel tables and SUBTOTAL, on a small table written with openpyxl;
every expected value is worked out by hand next to the cell (Microsoft, "Using structured references
with Excel tables": a column is its data rows, ``[#This Row]``/``@`` the cell on the formula's row)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from openpyxl.worksheet.table import Table

from gpuecon.recalc.bridge import plain
from gpuecon.recalc.refs import a1
from gpuecon.recalc.workbook import Workbook, recalc


def _table_book(tmp_path: Path, extra: dict[str, str], hidden_row: int | None = None) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    ws.append(["GPU", "Hours", "Rate", "Cost"])
    for gpu, hours, rate in [("H100", 10, 2.0), ("B200", 20, 3.5), ("GB300", 5, 6.0)]:
        ws.append([gpu, hours, rate, "=Sales[[#This Row],[Hours]]*Sales[[#This Row],[Rate]]"])
    ws.append(["Total", "=SUBTOTAL(109,Sales[Hours])", None, "=SUM(Sales[Cost])"])
    ws.add_table(Table(displayName="Sales", ref="A1:D5", totalsRowCount=1))
    if hidden_row:
        ws.row_dimensions[hidden_row].hidden = True
    other = wb.create_sheet("S")
    for ref, formula in extra.items():
        other[ref] = formula
    path = tmp_path / "t.xlsx"
    wb.save(path)
    return path


def _values(path: Path) -> dict[str, object]:
    wb = Workbook.open(path)
    wb.calculate()
    return {f"{wb.sheet_names[si]}!{a1(r, c)}": plain(wb.values.get((si, r, c))) for (si, r, c) in wb.node_at}


def test_structured_references(tmp_path: Path) -> None:
    v = _values(_table_book(tmp_path, {
        "A1": "=SUM(Sales[Cost])", "A2": "=COUNTA(Sales[#Headers])", "A3": "=SUM(Sales[[Hours]:[Rate]])",
        "A4": "=ROWS(Sales[#All])", "A5": "=SUM(Sales[[#Data],[#Totals],[Hours]])", "A6": "=Sales[@Hours]",
        "A7": "=ROWS(Sales[])", "A8": "=INDEX(Sales[GPU],2)", "A9": "=SUMPRODUCT(Sales[hours],Sales[RATE])",
        "A10": "=Sales[[#Totals],[Hours]]"}))
    assert v["Data!D2"] == 20 and v["Data!D3"] == 70 and v["Data!D4"] == 30  # Hours * Rate on each row
    assert v["Data!D5"] == 120  # 20 + 70 + 30: the data rows, not the totals row
    assert v["S!A1"] == 120
    assert v["S!A2"] == 4  # four headers
    assert v["S!A3"] == 46.5  # hours 35 + rates 11.5
    assert v["S!A4"] == 5  # header, three rows, totals
    assert v["S!A5"] == 70  # 35 in the data rows and the 35 of the totals row
    assert v["S!A6"] == "#VALUE!"  # row 6 of another sheet is no row of the table
    assert v["S!A7"] == 3 and v["S!A8"] == "B200"
    assert v["S!A9"] == 120  # column names in any case
    assert v["S!A10"] == 35


def test_subtotal(tmp_path: Path) -> None:
    v = _values(_table_book(tmp_path, {"B1": "=SUBTOTAL(9,Data!B2:B4)", "B3": "=SUBTOTAL(2,Data!A1:D4)",
                                       "B4": "=SUBTOTAL(104,Data!C2:C4,Data!B2:B4)", "B5": "=SUBTOTAL(1,Data!C2:C4)",
                                       "B6": "=SUBTOTAL(12,Data!C2:C4)"}))
    assert v["Data!B5"] == 35  # the table's totals row: SUBTOTAL(109, Hours)
    assert v["S!B1"] == 35
    assert v["S!B3"] == 9  # COUNT: 3 hours, 3 rates, 3 costs (text ignored)
    assert v["S!B4"] == 20  # MAX over both references
    assert v["S!B5"] == 11.5 / 3
    assert v["S!B6"] == "#VALUE!"  # no function 12


def test_subtotal_cases_not_reproduced_are_reported(tmp_path: Path) -> None:
    # SUBTOTAL skips SUBTOTAL cells in its range and hidden rows: not reproduced, so reported
    book = _table_book(tmp_path, {"B1": "=SUBTOTAL(9,Data!B2:B5)", "B2": "=SUBTOTAL(9,Data!C2:C4)"}, hidden_row=3)
    res = recalc(book, tmp_path / "o.xlsx")
    flags = {i.address: i.reason for i in res.flagged}
    assert "holds SUBTOTAL" in flags["S!B1"] or "hold SUBTOTAL" in flags["S!B1"]
    assert "hidden" in flags["S!B2"] and "hidden" in flags["Data!B5"]
    assert set(flags) == {"S!B1", "S!B2", "Data!B5"}
