"""Issue 12's properties through the Excel functions themselves (what a cell shows), with hypothesis.

The engine-level versions are in tests/test_financing.py and tests/test_valuation.py; here the same
properties hold for the add-in's cells, arguments and ``assumptions`` ranges included:
EQUITY_IRR at ltv 0 is PROJECT_IRR; more leverage raises EQUITY_IRR while the project IRR is above
the after-tax cost of debt and lowers it below; GPU_VALUE is linear in rent with slope
``730 x utilization x annuity factor``; GPU_VALUE at the end of the useful life is the residual;
IMPLIED_DISCOUNT_RATE round-trips through GPU_VALUE; MIN_DSCR at MAX_LTV is the target.
Expected values are written here by hand (the annuity factor, the residual, the after-tax cost of debt).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from gpuecon.excel.functions import FUNCTIONS as F

H = "H100 SXM"
CAPEX = 44_000.0  # catalog: 38,000 + 4,000 + 800 + 1,200
OPEX_HOUR = 1.4 * 1.3 * 0.08 + 1.4 * 140 / 730 + 0.025 * CAPEX / 8_760  # power + colocation + maintenance
# rates above 1 (100%) are typed with "%" in a cell (the percent-typo rule), so the draws stay within 1
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _number(x) -> bool:
    return isinstance(x, float)


@SETTINGS
@given(rent=st.floats(1.2, 4.0), prepay=st.floats(0.0, 0.3), tax=st.floats(0.0, 0.4), term=st.integers(2, 7))
def test_equity_irr_at_zero_ltv_is_project_irr(rent, prepay, tax, term):
    a = [["tax_rate_frac", tax]]
    p = F["PROJECT_IRR"](H, rent, term, prepay, a)
    assume(_number(p))
    e = F["EQUITY_IRR"](H, rent, 0, None, None, a + [["contract_term_years", term], ["prepay_frac_contract", prepay]])
    assert e == pytest.approx(p, abs=1e-9)


@SETTINGS
@given(rent=st.floats(1.0, 3.5), tax=st.floats(0.0, 0.35), rate=st.floats(0.02, 0.4), years=st.integers(1, 5),
       ltv=st.floats(0.0, 0.35), step=st.floats(0.02, 0.3))
def test_leverage_moves_equity_irr_away_from_the_after_tax_cost_of_debt(rent, tax, rate, years, ltv, step):
    a = [["tax_rate_frac", tax], ["prepay_frac_contract", 0.0]]
    p = F["PROJECT_IRR"](H, rent, None, None, a)
    cost = (1 + (1 - tax) * rate / 12) ** 12 - 1  # after-tax cost of debt, annual effective
    assume(_number(p) and abs(p - cost) > 1e-4)
    e1, e2 = (F["EQUITY_IRR"](H, rent, x, rate, years, a) for x in (ltv, ltv + step))
    assume(_number(e1) and _number(e2))  # a cell with a reason (several roots, loan covers the purchase) is no return
    if p > cost:
        assert e2 > e1 >= p - 1e-9
    else:
        assert e2 < e1 <= p + 1e-9


@SETTINGS
@given(age_months=st.integers(0, 71), util=st.floats(0.3, 1.0), d=st.floats(-0.5, 1.0), r1=st.floats(0.0, 5.0),
       dr=st.floats(0.1, 5.0))
def test_gpu_value_is_linear_in_rent_with_slope_730_utilization_annuity(age_months, util, d, r1, dr):
    a = [["utilization_frac", util]]
    v1, v2 = (F["GPU_VALUE"](H, age_months / 12, r, d, a) for r in (r1, r1 + dr))
    m = (1 + d) ** (1 / 12) - 1
    n = 72 - age_months  # 6-year life in months, whole
    annuity = n if abs(m) < 1e-15 else (1 - (1 + m) ** -n) / m
    assert (v2 - v1) / dr == pytest.approx(730 * util * annuity, rel=1e-8)


@SETTINGS
@given(life=st.floats(0.5, 12.0), extra=st.floats(0.0, 5.0), residual=st.floats(0.0, 1.0), d=st.floats(-0.5, 1.0),
       rent=st.floats(0.0, 10.0))
def test_gpu_value_at_the_end_of_life_is_the_residual(life, extra, residual, d, rent):
    a = [["useful_life_years", life], ["residual_value_frac_capex", residual]]
    assume(life + extra <= 50)
    assert F["GPU_VALUE"](H, life + extra, rent, d, a) == pytest.approx(residual * CAPEX, rel=1e-12, abs=1e-9)


@SETTINGS
@given(d=st.floats(-0.4, 1.0), age=st.floats(0.0, 5.5), spread=st.floats(0.05, 3.0), residual=st.floats(0.0, 0.5))
def test_implied_discount_rate_round_trips_through_gpu_value(d, age, spread, residual):
    a = [["residual_value_frac_capex", residual]]
    rent = OPEX_HOUR + spread  # every remaining flow positive: one root
    price = F["GPU_VALUE"](H, age, rent, d, a)
    assume(0 < price <= 1e8)
    assert F["IMPLIED_DISCOUNT_RATE"](H, price, age, rent, a) == pytest.approx(d, abs=1e-9)


@SETTINGS
@given(rent=st.floats(1.3, 5.0), prepay=st.floats(0.0, 0.3), rate=st.floats(0.0, 0.3),
       years=st.sampled_from([1, 2, 3.5, 4, 5]), target=st.floats(1.0, 2.5))
def test_min_dscr_at_max_ltv_is_the_target(rent, prepay, rate, years, target):
    a = [["prepay_frac_contract", prepay]]
    frac = F["MAX_LTV"](H, rent, target, rate, years, a)
    assume(_number(frac) and 1e-6 < frac < 1)
    assert F["MIN_DSCR"](H, rent, frac, rate, years, a) == pytest.approx(target, abs=1e-9)
