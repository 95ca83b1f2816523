"""LibreOffice (headless) independently recalculates the template; the native parts must equal the engine.

The harness (gpuecon.xlsx.libreoffice) loads with a profile whose registrymodifications.xcu sets
/org.openoffice.Office.Calc/Formula/Load OOXMLRecalcMode = 0, so every formula is recomputed on load
instead of trusting the cached values the exporter wrote. LibreOffice does not know the add-in's
functions (GPU_TCO, FLOOR_RENT, ...): those cells become errors there (#NAME? or #VALUE!), so this
test checks only the native parts: every other formula cell must equal the value the exporter cached
from the engine (relative difference <= 1e-9), the add-in checks must read "add-in not loaded" and the
Checks summary must read OK. Marked ``libreoffice`` (tests/conftest.py: fails in CI without soffice).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import openpyxl
import pytest

from gpuecon import (
    Assumptions,
    ceiling_rent,
    floor_rent,
    headroom_frac,
    project_irr,
    tco_breakdown,
)
from gpuecon.template.exporter import MODEL_FILE, export_model, model_cached_values
from gpuecon.template.sensitivity import SENSITIVITY_ADDIN_COLUMNS
from gpuecon.template.tokens import TOKENS_ADDIN_COLUMNS
from gpuecon.xlsx import libreoffice
from gpuecon.xlsx.package import open_package

ROOT = Path(__file__).resolve().parents[1]
REL = 1e-9
ABS = 1e-9  # below this two values are equal (an NPV of 7e-12 USD at the floor rent is 0)

CASES = {
    "vr-defaults": ("VR NVL72", {}),
    "gb300-defaults": ("GB300 NVL72", {}),
    "vr-tax-lag-residual": ("VR NVL72", {"tax_rate_frac": 0.21, "deployment_lag_months": 3,
                                         "residual_value_frac_capex": 0.15, "rent_usd_per_gpu_hour": 8.0}),
    "h100-life-shorter-than-horizon": ("H100 SXM", {"tax_rate_frac": 0.25, "deployment_lag_months": 6,
                                                   "residual_value_frac_capex": 0.3, "contract_term_years": 7,
                                                   "utilization_frac": 0.8, "useful_life_years": 5,
                                                   "ceiling_basis": "BF16"}),
    # delivered performance: the native basis_perf column and the Scenarios perf column read it
    "vr-effective-perf-mem-bw": ("VR NVL72", {"effective_perf_frac": 0.6, "ceiling_basis": "MEM_BW"}),
    # a published contract at 100% prepay (B300 $3.06, 5 years): the floor, and no IRR as a return
    "b300-full-prepay": ("B300", {"prepay_frac_contract": 1.0, "rent_usd_per_gpu_hour": 3.06}),
    "vr-debt-terms": ("VR NVL72", {"tax_rate_frac": 0.21, "deployment_lag_months": 3, "rent_usd_per_gpu_hour": 8.0,
                                   "debt_ltv_frac": 0.4, "debt_rate_annual": 0.08, "debt_tenor_years": 3}),
    "h100-loan-outlasts-the-contract": ("H100 SXM", {"useful_life_years": 5.5, "contract_term_years": 3,
                                                     "debt_tenor_years": 4.5, "utilization_frac": 0.8,
                                                     "tax_rate_frac": 0.25}),
}


pytestmark = pytest.mark.libreoffice


def addin_dependent(sheet: str, ref: str, formula_cells: dict) -> bool:
    """UDF cells, and the Checks cells that read them."""
    col = re.sub(r"\d", "", ref)
    if sheet == "Model (add-in)":
        return True
    if sheet == "Scenarios" and col in ("K", "L", "M", "N", "O"):
        return True
    if sheet == "Tokens" and col in TOKENS_ADDIN_COLUMNS:
        return True
    if sheet == "Sensitivity" and len(col) == 1 and col in SENSITIVITY_ADDIN_COLUMNS:
        return True
    if sheet == "Checks" and col in ("B", "D", "E"):
        f = formula_cells.get(("Checks", f"B{ref[1:]}"), "")
        return "add-in not loaded" in f  # the add-in comparisons
    return False


def native_check_rows(formula_cells: dict) -> int:
    """Checks rows that compare native quantities only (their status is OK under LibreOffice)."""
    return sum(1 for (sheet, ref), f in formula_cells.items() if sheet == "Checks" and ref.startswith("E")
               and ref != "E4" and "add-in not loaded" not in f)


def formulas(path: Path) -> dict[tuple[str, str], str]:
    pkg = open_package(path)
    return {(s, c.ref): c.formula for s in pkg.sheets for c in pkg.iter_cells(s) if c.formula}


def addin_cells(path: Path) -> set[tuple[str, str]]:
    """UDF cells and every cell that reads one, directly or not (the recalc engine's dependency graph)."""
    from openpyxl.utils import get_column_letter

    from gpuecon.recalc.workbook import Workbook

    wb = Workbook.open(path)
    tainted = wb.downstream(n for n in wb.nodes if n.udf)
    return {(wb.sheet_names[k[0]], f"{get_column_letter(k[2])}{k[1]}") for k, n in wb.node_at.items()
            if id(n) in tainted}


def rel_diff(a: float, b: float) -> float:
    return 0.0 if a == b else abs(a - b) / max(abs(a), abs(b))


def compare_native(recalculated: Path, expected: dict, fcells: dict, addin: set | None = None) -> tuple[int, float]:
    """Every native cell against its cached value; ``addin``: further cells that depend on a UDF (addin_cells)."""
    wb = openpyxl.load_workbook(recalculated, data_only=True)
    worst, n = 0.0, 0
    for (sheet, ref), want in expected.items():
        if addin_dependent(sheet, ref, fcells) or (addin is not None and (sheet, ref) in addin):
            continue
        got = wb[sheet][ref].value
        n += 1
        if isinstance(want, float | int) and not isinstance(want, bool):
            assert isinstance(got, float | int), (sheet, ref, want, got)
            d = rel_diff(float(got), float(want))
            if abs(float(got) - float(want)) <= ABS:  # a zero up to rounding (LibreOffice shows it as 0)
                d = 0.0
            worst = max(worst, d)
            assert d <= REL, (sheet, ref, want, got, d)
        elif want == "":
            assert got in ("", None), (sheet, ref, got)
        else:
            assert got == want, (sheet, ref, want, got)
    return n, worst


def recalculated(system: str, inputs: dict, tmp_path: Path) -> tuple[Path, Path, dict, dict]:
    """Export a case and have LibreOffice recalculate it: (source, recalculated, formulas, cached values)."""
    src = export_model(tmp_path / MODEL_FILE, system, inputs)
    return src, libreoffice.recalculate(src, tmp_path / "lo"), formulas(src), model_cached_values(system, inputs)


@pytest.mark.parametrize("case", list(CASES))
def test_libreoffice_recalculation_matches_the_engine(case: str, tmp_path: Path) -> None:
    system, inputs = CASES[case]
    src, out, fcells, cached = recalculated(system, inputs, tmp_path)
    n, worst = compare_native(out, cached, fcells, addin_cells(src))
    assert n > 14000
    print(f"{case}: {n} native cells, worst relative difference {worst:.2e}")

    wb = openpyxl.load_workbook(out, data_only=True)
    names = {d.name: d.text for d in open_package(src).defined_names}

    def val(name: str):
        sheet, ref = names[name].rsplit("!", 1)
        return wb[sheet.strip("'")][ref.replace("$", "")].value

    fields = {k: v for k, v in inputs.items() if k not in ("rent_usd_per_gpu_hour", "ceiling_basis")}
    a = Assumptions(system, **fields)
    basis = inputs.get("ceiling_basis", "FP8")
    rent = inputs.get("rent_usd_per_gpu_hour") or (3.50 if system == "GB300 NVL72" else float(floor_rent(a)))
    # the headline outputs, straight against engine calls
    assert rel_diff(val("floor_rent_usd_per_gpu_hour"), float(floor_rent(a))) <= REL
    assert rel_diff(val("tco_total"), float(tco_breakdown(a)["total"])) <= REL
    assert rel_diff(val("ceiling_rent_usd_per_gpu_hour"), float(ceiling_rent(a, 0.70, basis))) <= REL
    assert rel_diff(val("headroom_frac"), float(headroom_frac(a, 0.70, basis))) <= REL
    want_irr = float(project_irr(a, rent))
    if want_irr == want_irr:
        assert rel_diff(val("project_irr"), want_irr) <= REL
    else:  # 100% prepay above the capex: financing-type flows, no IRR as a return (the engine's NaN, the reason)
        assert val("project_irr") == "#N/A" and val("project_irr_note").startswith("no IRR as a return")
        assert rel_diff(val("irr_at_floor"), float(a.hurdle_irr_annual)) <= 1e-9  # the floor's rate is the hurdle
    # Checks: native rows OK, add-in rows say so (LibreOffice has no add-in), summary OK
    checks = wb["Checks"]
    statuses = [checks[f"E{r}"].value for r in range(7, checks.max_row + 1) if checks[f"A{r}"].value]
    assert "add-in not loaded" in statuses and "ERROR" not in statuses
    # 4 of the model, 3 of Tokens and Sensitivity, 1 of Financing (the principal repaid)
    assert statuses.count("OK") == native_check_rows(fcells) == 8
    assert val("checks_summary") == "OK"
    # the UDF cells are errors in LibreOffice (unknown functions)
    assert str(wb["Model (add-in)"]["B5"].value).startswith("#")
    check_financing(val, wb, cached, a, float(rent), fields)


def check_financing(val, wb, cached: dict, a, rent: float, fields: dict) -> None:
    """Financing and Asset value: LibreOffice's native results = the engine = the add-in cells' cached values."""
    from gpuecon.engine import financing, valuation

    fin = wb["Financing"]
    addin = {fin[f"A{r}"].value: f"B{r}" for r in range(1, 40)}
    for name, udf, want in [("equity_irr_annual", "EQUITY_IRR", financing.equity_irr_detail(a, rent)),
                            ("dscr_min_ratio", "MIN_DSCR", financing.min_dscr(a, rent)),
                            ("ltv_max_frac", "MAX_LTV", financing.max_ltv(a, rent)),
                            ("payback_month", "PAYBACK_MONTHS", financing.payback_months(a, rent))]:
        reason = str(want.reason) if hasattr(want, "reason") else ""
        want = float(want.annual if hasattr(want, "annual") else want)
        if math.isnan(want):  # no number: native #N/A, the add-in its reason
            assert str(val(name)).startswith("#N/A"), (name, val(name))
            assert cached[("Financing", addin[udf])] == "#NUM! " + reason, (name, cached[("Financing", addin[udf])])
            continue
        assert rel_diff(val(name), want) <= REL, (name, val(name), want)
        assert rel_diff(cached[("Financing", addin[udf])], want) <= REL, (name, udf)
    ages = [k * 0.25 for k in range(41)]
    market, book = valuation.gpu_value(a, ages, rent), valuation.book_value(a, ages, "SL")
    av = wb["Asset value"]
    for k in range(41):
        for col, addin_col, want in (("F", "G", market[k]), ("H", "I", book[k])):
            assert rel_diff(av[f"{col}{6 + k}"].value, float(want)) <= REL, (col, k)
            assert rel_diff(cached[("Asset value", f"{addin_col}{6 + k}")], float(want)) <= REL, (addin_col, k)
    from gpuecon.template.calc import GLOBAL_FIELDS

    h100 = Assumptions("H100 SXM", **{k: v for k, v in fields.items() if k in GLOBAL_FIELDS})
    for j, age in enumerate((3.0, 4.0)):
        for p, price in enumerate((25000.0, 40000.0)):
            want = float(valuation.implied_discount_rate(h100, price, age, 2.03))
            col = "PQ"[p]
            native, addin = av[f"{col}{39 + j}"].value, cached[("Asset value", f"{col}{41 + j}")]
            if math.isnan(want):  # no rate: native an error, the add-in its reason
                assert str(native).startswith("#") and str(addin).startswith("#NUM! no discount rate"), (native, addin)
                continue
            assert abs(native - want) <= 1e-9, (age, price)  # an iterated IRR: absolute
            assert rel_diff(addin, want) <= REL




def test_input_changed_in_the_committed_file_recalculates_to_the_engine(tmp_path: Path) -> None:
    """Select GB300 in the committed (VR) template by writing the input cell only; LibreOffice recomputes."""
    committed = ROOT / "workbooks" / MODEL_FILE
    pkg = open_package(committed)
    (sheet, ref), = pkg.resolve_name("system_name")
    assert (sheet, ref) == ("Inputs", "C5")
    changed = pkg.write(tmp_path / MODEL_FILE, {}, {("Inputs", "B5"): "GB300 NVL72"})
    out = libreoffice.recalculate(changed, tmp_path / "lo")
    n, worst = compare_native(out, model_cached_values("GB300 NVL72"), formulas(committed), addin_cells(committed))
    assert n > 14000
    wb = openpyxl.load_workbook(out, data_only=True)
    assert wb["Model (native)"]["B" + str(_row(wb, "Floor rent (IRR = hurdle)"))].value == pytest.approx(
        float(floor_rent("GB300 NVL72")), rel=REL)


def _row(wb, label: str) -> int:
    ws = wb["Model (native)"]
    return next(r for r in range(1, ws.max_row + 1) if ws[f"A{r}"].value == label)
