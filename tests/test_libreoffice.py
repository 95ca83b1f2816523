"""LibreOffice harness: a real soffice recalculates stale cached values and exports PDF.

Marked ``libreoffice``: without soffice they fail in CI and skip with the reason elsewhere (tests/conftest.py).
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from gpuecon.xlsx import libreoffice
from gpuecon.xlsx.libreoffice import LibreOfficeError
from gpuecon.xlsx.package import open_package

pytestmark = pytest.mark.libreoffice


@pytest.fixture
def stale(tmp_path: Path) -> Path:
    """A1=2, B1=A1*3 and B2..B4 a filled-down formula, all carrying wrong cached values."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Model"
    ws["A1"], ws["B1"], ws["C1"] = 2, "=A1*3", '=IF(B1>5,"ok","low")'
    for r in (2, 3, 4):
        ws[f"A{r}"], ws[f"B{r}"] = r, f"=A{r}^2+B{r - 1}"
    wb.save(tmp_path / "fresh.xlsx")
    wrong = {("Model", "B1"): 999, ("Model", "C1"): "stale"} | {("Model", f"B{r}"): -1 for r in (2, 3, 4)}
    return open_package(tmp_path / "fresh.xlsx").write(tmp_path / "stale.xlsx", wrong)


def values(path: Path) -> dict[str, object]:
    ws = openpyxl.load_workbook(path, data_only=True)["Model"]
    return {ref: ws[ref].value for ref in ("B1", "C1", "B2", "B3", "B4")}


def test_recalculate_replaces_stale_cached_values(stale: Path, tmp_path: Path) -> None:
    # Control: LibreOffice trusting cached values shows the stale ones (so they really were written) ...
    trusted = libreoffice.recalculate(stale, tmp_path / "trusted", force_recalc=False)
    assert values(trusted) == {"B1": 999, "C1": "stale", "B2": -1, "B3": -1, "B4": -1}
    # ... and the harness's profile forces a full recalculation.
    out = libreoffice.recalculate(stale, tmp_path / "recalc")
    assert out == tmp_path / "recalc" / "stale.xlsx"
    assert values(out) == {"B1": 6, "C1": "ok", "B2": 10, "B3": 19, "B4": 35}
    assert openpyxl.load_workbook(out)["Model"]["B4"].value == "=A4^2+B3"  # formulas survive


def test_convert_to_pdf(stale: Path, tmp_path: Path) -> None:
    pdf = libreoffice.convert_to_pdf(stale, tmp_path / "pdf")
    assert pdf == tmp_path / "pdf" / "stale.pdf"
    assert pdf.read_bytes().startswith(b"%PDF-")


def test_failures_are_clear(stale: Path, tmp_path: Path) -> None:
    with pytest.raises(LibreOfficeError, match="no such file"):
        libreoffice.recalculate(tmp_path / "missing.xlsx", tmp_path)
    with pytest.raises(LibreOfficeError, match="would overwrite the source"):
        libreoffice.recalculate(stale, stale.parent)
    with pytest.raises(LibreOfficeError, match=r"(?s)failed to convert stale.xlsx to nope \(exit 0\).*stderr: .*no export filter"):
        libreoffice.recalculate(stale, tmp_path / "bad", fmt="nope")
    with pytest.raises(LibreOfficeError, match="timed out after 0.01s"):
        libreoffice.recalculate(stale, tmp_path / "slow", timeout=0.01)
    assert not (tmp_path / "slow" / "stale.xlsx").exists()
