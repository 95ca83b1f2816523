"""The Excel functions of debt and GPU value: the engine's numbers in cells, ranges broadcast, errors as text."""

from __future__ import annotations

import numpy as np
import pytest

from gpuecon.engine import financing, model, valuation
from gpuecon.excel.functions import FUNCTIONS

G, H = "GB300 NVL72", "H100 SXM"


def test_values_are_the_engines():
    assert FUNCTIONS["EQUITY_IRR"](G, 3.5) == pytest.approx(float(financing.equity_irr(G, 3.5)), rel=1e-12)
    assert FUNCTIONS["EQUITY_IRR"](G, 3.5, 0.5, 0.12, 3) == pytest.approx(
        float(financing.equity_irr(G, 3.5, debt_ltv_frac=0.5, debt_rate_annual=0.12, debt_tenor_years=3)), rel=1e-12)
    assert FUNCTIONS["MIN_DSCR"](G, 3.5) == pytest.approx(float(financing.min_dscr(G, 3.5)), rel=1e-12)
    assert FUNCTIONS["MAX_LTV"](G, 3.5, 1.5) == pytest.approx(float(financing.max_ltv(G, 3.5, debt_min_dscr=1.5)), rel=1e-12)
    assert FUNCTIONS["PAYBACK_MONTHS"](G, 3.5) == float(financing.payback_months(G, 3.5))
    assert FUNCTIONS["GPU_VALUE"](H, 3, 2.0) == pytest.approx(float(valuation.gpu_value(H, 3.0, 2.0)), rel=1e-12)
    assert FUNCTIONS["BOOK_VALUE"](H, 3) == pytest.approx(float(model.capex_usd_per_gpu(H)) / 2)  # SL, 3 of 6 years
    rate = FUNCTIONS["IMPLIED_DISCOUNT_RATE"](H, 30000, 3, 2.0)
    assert float(valuation.gpu_value(H, 3.0, 2.0, rate)) == pytest.approx(30000, rel=1e-9)  # round trip


def test_the_assumptions_range_carries_the_debt_fields():
    by_arg = FUNCTIONS["EQUITY_IRR"](G, 3.5, 0.5)
    by_range = FUNCTIONS["EQUITY_IRR"](G, 3.5, None, None, None, [["debt_ltv_frac", 0.5]])
    assert by_arg == pytest.approx(by_range, rel=1e-15)
    assert FUNCTIONS["EQUITY_IRR"](G, 3.5, 0.4, None, None, [["debt_ltv_frac", 0.5]]) == pytest.approx(
        float(financing.equity_irr(G, 3.5, debt_ltv_frac=0.4)), rel=1e-12)  # the cell's argument wins


def test_ranges_broadcast_like_single_cells():
    grid = FUNCTIONS["EQUITY_IRR"](G, [[3.0], [3.5]], [[0.5, 0.6]])
    for i, rent in enumerate((3.0, 3.5)):
        for j, ltv in enumerate((0.5, 0.6)):
            assert grid[i][j] == pytest.approx(FUNCTIONS["EQUITY_IRR"](G, rent, ltv), rel=1e-12)
    values = FUNCTIONS["GPU_VALUE"]([[G], [H]], 2, [[None], [2.0]])
    assert values[0][0] == pytest.approx(float(valuation.gpu_value(G, 2.0, 3.5)), rel=1e-12)  # GB300's market rent
    assert values[1][0] == pytest.approx(float(valuation.gpu_value(H, 2.0, 2.0)), rel=1e-12)


@pytest.mark.parametrize(("name", "args", "text"), [
    ("EQUITY_IRR", (G, 3.5, 10), "#VALUE! ltv must be in [0, 1), got 10 (10 means 1000%; for 10% write 0.1 or 10%)"),
    ("EQUITY_IRR", (G, None), "#VALUE! rent_usd_per_gpu_hour is required"),
    ("GPU_VALUE", ("VR NVL72", 3), "#N/A VR NVL72 has no public market rent in the catalog: give rent_usd_per_gpu_hour"),
    ("BOOK_VALUE", (H, 3, "XYZ"), "#VALUE! depreciation_method must be one of 'SL', 'DDB', 'MACRS5', got 'XYZ'"),
    ("EQUITY_IRR", ("H100", 2.0, 0.9), "#NUM! no equity IRR as a return"),
])
def test_errors_are_cell_text(name, args, text):
    assert str(FUNCTIONS[name](*args)).startswith(text)


def test_debt_schedule_by_hand():
    table = FUNCTIONS["DEBT_SCHEDULE"](G, 3.5, 0.5, 0.12, 3)
    head, rows = table[0], table[1:]
    assert head == ["month", "opening_balance_usd", "interest_usd", "principal_usd", "debt_service_usd",
                    "closing_balance_usd", "cfads_usd", "dscr", "market_value_usd", "ltv"]
    loan = 0.5 * float(model.capex_usd_per_gpu(G))
    assert rows[0][5] == pytest.approx(loan)  # drawn at month 0
    assert rows[1][2] == pytest.approx(loan * 0.12 / 12, rel=1e-12)  # month 1 interest = balance x rate/12
    payment = loan * 0.01 / (1 - 1.01 ** -36)  # level: =PMT(12%/12, 36, -loan)
    assert rows[1][4] == pytest.approx(payment, rel=1e-12)
    assert rows[1][7] == pytest.approx(rows[1][6] / rows[1][4], rel=1e-12)  # DSCR = CFADS / debt service
    assert rows[1][9] == pytest.approx(rows[1][5] / rows[1][8], rel=1e-12)  # LTV = balance / market value
    assert abs(rows[36][5]) < 1e-6 and np.isfinite(rows[36][8])
