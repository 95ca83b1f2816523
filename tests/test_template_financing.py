"""The template's Financing and Asset value sheets: cached values against the engine and by hand.

Every expected value is computed here, independently of the template code: by direct engine calls
(``debt_schedule``, ``equity_irr``, ``min_dscr``, ``max_ltv``, ``payback_months``, ``gpu_value``,
``book_value``, ``implied_discount_rate``), by numpy-financial (the level loan: pmt/ipmt/ppmt) and
by the H100 calibration table of docs/financing.md (seed 000). LibreOffice's recalculation of the
same cells is in tests/test_template_libreoffice.py.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import numpy_financial as npf
import openpyxl
import pytest

from gpuecon.engine import financing, valuation
from gpuecon.engine.assumptions import Assumptions
from gpuecon.engine.model import capex_usd_per_gpu, floor_rent
from gpuecon.template.exporter import MODEL_FILE, export_model, model_cached_values

REL = 1e-9
CASES = {
    "vr-defaults": ("VR NVL72", {}),
    "vr-tax-lag-residual": ("VR NVL72", {"tax_rate_frac": 0.21, "deployment_lag_months": 3,
                                         "residual_value_frac_capex": 0.15, "rent_usd_per_gpu_hour": 8.0,
                                         "debt_ltv_frac": 0.4, "debt_rate_annual": 0.08, "debt_tenor_years": 3}),
    "h100-loan-outlasts-life": ("H100 SXM", {"useful_life_years": 5.5, "contract_term_years": 3, "debt_tenor_years": 4.5,
                                             "utilization_frac": 0.8, "tax_rate_frac": 0.25}),
}


def _case(name: str):
    system, inputs = CASES[name]
    fields = {k: v for k, v in inputs.items() if k != "rent_usd_per_gpu_hour"}
    a = Assumptions(system, **fields)
    rent = inputs.get("rent_usd_per_gpu_hour") or float(floor_rent(a))  # neither system has a public rent
    return system, inputs, a, rent


def _names(path: Path) -> dict[str, tuple[str, str]]:
    wb = openpyxl.load_workbook(path)
    out = {}
    for name, d in wb.defined_names.items():
        (sheet, ref), = d.destinations
        out[name] = (sheet, ref.replace("$", ""))
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = {}
    for name, (system, inputs) in CASES.items():
        path = export_model(tmp_path_factory.mktemp(name) / MODEL_FILE, system, inputs)
        out[name] = (path, model_cached_values(system, inputs), _names(path))
    return out


def _close(got, want, rel=REL) -> bool:
    if isinstance(want, float) and math.isnan(want):
        return isinstance(got, str) and got.startswith("#")
    return isinstance(got, float | int) and abs(got - want) <= rel * max(abs(want), 1e-300) + 1e-12


def _column(cached, sheet: str, col: str, top: int, n: int) -> np.ndarray:
    return np.array([cached[(sheet, f"{col}{top + k}")] if (sheet, f"{col}{top + k}") in cached else 0.0
                     for k in range(n)], dtype=object)


@pytest.mark.parametrize("case", list(CASES))
def test_financing_cached_values_are_the_engines(built, case: str) -> None:
    system, inputs, a, rent = _case(case)
    path, cached, names = built[case]

    def val(name: str):
        return cached[names[name]]

    df = financing.debt_schedule(a, rent)
    H = len(df)
    fin = "Financing"
    for col, field in (("G", "opening_balance_usd"), ("H", "interest_usd"), ("I", "principal_usd"),
                       ("J", "debt_service_usd"), ("K", "closing_balance_usd"), ("L", "cfads_usd"),
                       ("N", "interest_tax_shield_usd"), ("O", "equity_cash_flow_usd")):
        got = _column(cached, fin, col, 5, 481).astype(float)
        want = np.concatenate([df[field].to_numpy(), np.zeros(481 - H)])
        assert np.allclose(got, want, rtol=REL, atol=1e-9 * float(capex_usd_per_gpu(a))), (case, col)
    dscr = _column(cached, fin, "M", 5, H)
    for got, want in zip(dscr, df["dscr"], strict=True):
        assert (got == "") if math.isnan(want) else _close(got, want), (case, got, want)
    assert _close(val("equity_irr_annual"), float(financing.equity_irr(a, rent)))
    assert _close(val("dscr_min_ratio"), float(financing.min_dscr(a, rent)))
    assert _close(val("ltv_max_frac"), float(financing.max_ltv(a, rent)))
    assert val("payback_month") == float(financing.payback_months(a, rent))
    assert _close(val("loan_usd"), float(a.debt_ltv_frac) * float(capex_usd_per_gpu(a)))
    # the add-in cells hold the same engine values
    wb = openpyxl.load_workbook(path)
    rows = {wb[fin][f"A{r}"].value: r for r in range(1, 40)}
    for udf, want in (("EQUITY_IRR", financing.equity_irr(a, rent)), ("MIN_DSCR", financing.min_dscr(a, rent)),
                      ("MAX_LTV", financing.max_ltv(a, rent)), ("PAYBACK_MONTHS", financing.payback_months(a, rent))):
        assert _close(cached[(fin, f"B{rows[udf]}")], float(want)), (case, udf)


def test_level_loan_in_the_template_by_numpy_financial(built) -> None:
    """The template's level loan (VR defaults: 60% of capex at 10%/12 over 48 months) against npf."""
    _, _, a, rent = _case("vr-defaults")
    _, cached, names = built["vr-defaults"]
    loan = 0.6 * float(capex_usd_per_gpu(a))
    i, n = 0.10 / 12, 48
    per = np.arange(1, n + 1)
    fin = "Financing"
    assert _close(cached[names["debt_payment"]], float(npf.pmt(i, n, -loan)))
    interest = _column(cached, fin, "H", 6, n).astype(float)
    principal = _column(cached, fin, "I", 6, n).astype(float)
    closing = _column(cached, fin, "K", 5, n + 1).astype(float)
    assert interest == pytest.approx(npf.ipmt(i, per, n, -loan), rel=1e-10)
    assert principal == pytest.approx(npf.ppmt(i, per, n, -loan), rel=1e-10)
    assert closing[:-1] == pytest.approx(loan - np.concatenate([[0.0], np.cumsum(npf.ppmt(i, per, n, -loan))[:-1]]),
                                         rel=1e-10)
    assert closing[-1] == 0.0 and cached[(fin, f"J{6 + n}")] == 0.0  # repaid at month 48, nothing after
    # equity IRR of flows built here: project flows + loan at 0 - payment (no tax by default)
    cf = np.asarray(__import__("gpuecon").cash_flows(a, rent), float).reshape(-1)
    eq = cf.copy()
    eq[0] += loan
    eq[1:n + 1] -= npf.pmt(i, n, -loan)
    assert _close(cached[names["equity_irr_annual"]], (1 + npf.irr(eq)) ** 12 - 1, rel=1e-8)


@pytest.mark.parametrize("case", list(CASES))
def test_asset_value_cached_values_are_the_engines(built, case: str) -> None:
    system, inputs, a, rent = _case(case)
    _, cached, names = built[case]
    ages = np.arange(41) * 0.25
    sheet = "Asset value"
    market = valuation.gpu_value(a, ages, rent)
    book = valuation.book_value(a, ages, "SL")
    df = financing.debt_schedule(a, rent)
    balance = np.array([df["closing_balance_usd"].iloc[int(round(x * 12))] if round(x * 12) < len(df) else 0.0
                        for x in ages])
    for k in range(41):
        r = 6 + k
        assert _close(cached[(sheet, f"A{r}")] if k else 0.0, ages[k])
        for col, want in (("F", market[k]), ("G", market[k]), ("H", book[k]), ("I", book[k]), ("J", balance[k])):
            assert _close(cached[(sheet, f"{col}{r}")], float(want)), (case, col, r)
    # the end of the useful life: the market value is the residual
    end = int(round(float(a.useful_life_years) / 0.25))
    assert _close(cached[(sheet, f"F{6 + end}")], float(a.residual_value_frac_capex) * float(capex_usd_per_gpu(a)))


def test_implied_discount_rate_of_a_traded_h100_is_the_calibration_table(built) -> None:
    """docs/financing.md, H100 calibration, 6-year life, 'floor +10%' row ($2.03): 37.1%, -1.3%, 4.3%, -32.0%."""
    _, cached, _ = built["vr-defaults"]
    table = {(3, 25000): 0.371, (3, 40000): -0.013, (4, 25000): 0.043, (4, 40000): -0.320}
    sheet = "Asset value"
    for j, age in enumerate((3, 4)):
        for p, price in enumerate((25000, 40000)):
            col = "PQ"[p]
            native, addin = cached[(sheet, f"{col}{39 + j}")], cached[(sheet, f"{col}{41 + j}")]
            want = float(valuation.implied_discount_rate("H100 SXM", price, age, 2.03))
            assert _close(native, want) and _close(addin, want)
            assert native == pytest.approx(table[(age, price)], abs=1e-3)  # the table's rent is $2.0303, 1.1 x floor
            # round trip: GPU_VALUE at that rate is the price
            assert float(valuation.gpu_value("H100 SXM", age, 2.03, native)) == pytest.approx(price, rel=1e-9)


def test_new_sheets_use_the_level_loan_functions_and_a_native_chart(built) -> None:
    path = built["vr-defaults"][0]
    wb = openpyxl.load_workbook(path)
    fin = wb["Financing"]
    assert fin["H6"].value == "=IF(AND(F6>=1,F6<=debt_tenor_months),-IPMT(debt_rate_monthly,F6,debt_tenor_months,loan_usd),0)"
    assert "PPMT(debt_rate_monthly,F6,debt_tenor_months,-loan_usd)" in fin["I6"].value
    assert fin["B8"].value == "=PMT(debt_rate_monthly,debt_tenor_months,-loan_usd)"
    assert fin["B15"].value == ("=IF(OR(equity_sign_changes<=1,AND(equity_cumulative_sign_changes<=1,equity_last_flow>0)),"
                                "(1+IRR(O5:O485,hurdle_monthly))^months_per_year-1,NA())")
    assert fin["B12"].value == "=SUMPRODUCT(((O5:O484<0)<>(O6:O485<0))*1)"
    assert fin["B13"].value == "=SUMPRODUCT(((Q5:Q484<0)<>(Q6:Q485<0))*1)"
    assert fin["S4"].value.text.startswith("=DEBT_SCHEDULE(") and fin["S4"].value.ref.startswith("S4:AB")
    av = wb["Asset value"]
    (chart,) = av._charts
    refs = [(s.xVal.numRef.f, s.yVal.numRef.f) for s in chart.series]
    assert refs == [("'Asset value'!$A$6:$A$46", f"'Asset value'!${c}$6:${c}$46") for c in "FHJL"]
    titles = [s.tx.strRef.f if s.tx.strRef else s.tx.v for s in chart.series]
    assert titles == ["Market value", "Book value (straight-line)", "Loan balance", "Covenant (LTV at origination)"]
    checks = wb["Checks"]
    labels = [checks[f"A{r}"].value for r in range(1, checks.max_row + 1)]
    for label in ("Equity IRR", "Minimum DSCR", "Max LTV at debt_min_dscr", "Payback month",
                  "DEBT_SCHEDULE: closing balance by month", "GPU_VALUE by age (all rows)",
                  "BOOK_VALUE by age (all rows)", "Implied discount rate, 3 y at $25,000", "Principal repaid = loan"):
        assert label in labels
