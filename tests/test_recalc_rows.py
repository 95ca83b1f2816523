"""Columns of cells whose formula calls AND, OR or a financial function of single values (PV, FV, PMT,
PPMT, IPMT) are evaluated as one batch, those functions once per row (program.PER_ROW): the values are
numpy-financial's and Excel's, and the same as cell by cell, with text, blanks, errors and logicals."""

from __future__ import annotations

from pathlib import Path

import numpy_financial as npf
import openpyxl
import pytest

from gpuecon.recalc import workbook as rc
from gpuecon.recalc.workbook import Workbook

N = 30
FORMULAS = {
    "E": "=IF(AND(A{r}>=1,A{r}<=B{r}),PPMT(C{r},A{r},B{r},-D{r}),0)",
    "F": "=IF(AND(A{r}>=1,A{r}<=B{r}),-IPMT(C{r},A{r},B{r},D{r}),0)",
    "G": "=IF(A{r}<B{r},PV(C{r},B{r}-A{r},-D{r}),0)",
    "H": "=PMT(C{r},B{r},D{r})+FV(C{r},A{r},-1)",
    "I": "=IF(OR(A{r}>20,H{r}>0,K{r}),1,2)",
    "J": "=AND(A{r},K{r})",
}


def _book(path: Path, odd: bool) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "S"
    for i in range(N):
        r = i + 1
        ws[f"A{r}"] = i  # month 0..29
        ws[f"B{r}"] = 24
        ws[f"C{r}"] = 0.01 + i / 1000
        ws[f"D{r}"] = 1000.0
        ws[f"K{r}"] = bool(i % 2)
        for col, f in FORMULAS.items():
            ws[f"{col}{r}"] = f.format(r=r)
    if odd:
        ws["C3"] = "text"
        ws["D4"] = None
        ws["K5"] = "x"
        ws["A6"] = "=1/0"
        ws["B7"] = True
    wb.save(path)
    return path


def _values(book: Path, monkeypatch: pytest.MonkeyPatch, batches: bool) -> tuple[Workbook, list[int]]:
    calls: list[int] = []
    real = rc.Workbook._vector

    def vector(self, prog, nodes):
        ok = batches and real(self, prog, nodes)
        calls.append(len(nodes) if ok else 0)
        return ok

    monkeypatch.setattr(rc.Workbook, "_vector", vector)
    wb = Workbook.open(book)
    wb.calculate()
    return wb, calls


def test_per_row_functions_give_numpy_financial_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wb, calls = _values(_book(tmp_path / "rows.xlsx", odd=False), monkeypatch, batches=True)
    assert calls.count(N) == len(FORMULAS)  # every column in one batch
    v = {(col, r): wb.values[(0, r, openpyxl.utils.column_index_from_string(col))]
         for col in FORMULAS for r in range(1, N + 1)}
    for i in range(N):
        r, rate = i + 1, 0.01 + i / 1000
        ppmt = float(npf.ppmt(rate, i, 24, -1000.0)) if 1 <= i <= 24 else 0
        ipmt = -float(npf.ipmt(rate, i, 24, 1000.0)) if 1 <= i <= 24 else 0
        pv = float(npf.pv(rate, 24 - i, -1000.0)) if i < 24 else 0
        h = float(npf.pmt(rate, 24, 1000.0)) + float(npf.fv(rate, i, -1, 0))
        assert v["E", r] == pytest.approx(ppmt, rel=1e-12, abs=1e-12)
        assert v["F", r] == pytest.approx(ipmt, rel=1e-12, abs=1e-12)
        assert v["G", r] == pytest.approx(pv, rel=1e-12, abs=1e-12)
        assert v["H", r] == pytest.approx(h, rel=1e-12)
        assert v["I", r] == (1 if i > 20 or h > 0 or i % 2 else 2)
        assert v["J", r] == (i != 0 and bool(i % 2))  # AND(0, ...) is FALSE, as Excel


def test_batch_equals_cell_by_cell_with_odd_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    book = _book(tmp_path / "odd.xlsx", odd=True)
    fast, calls = _values(book, monkeypatch, batches=True)
    slow, none = _values(book, monkeypatch, batches=False)
    assert max(calls) == N and max(none) == 0
    for key in fast.node_at:
        a, b = fast.values[key], slow.values[key]
        assert type(a) is type(b) and (a == pytest.approx(b, rel=1e-15) if isinstance(a, float) else str(a) == str(b)), \
            (fast.address(key), a, b)
    assert [str(fast.values[(0, 3, c)]) for c in (5, 6, 7, 8)] == ["#VALUE!"] * 4  # a text rate
    assert fast.values[(0, 5, 10)] is True  # AND(A5, K5) with K5 "x": Excel ignores text in a reference
    assert str(fast.values[(0, 6, 5)]) == "#DIV/0!"  # the month is an error
