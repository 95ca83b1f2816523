"""GPU-backed debt: schedules against numpy-financial, equity IRR against independently built flows,
DSCR, max LTV and payback by hand, hypothesis properties, and the exact error messages."""

from __future__ import annotations

import doctest
import math

import numpy as np
import numpy_financial as npf
import pytest
import pyxirr
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import gpuecon.engine.financing as fin
import gpuecon.engine.financing_inputs as fin_inputs
import gpuecon.engine.financing_sizing as fin_sizing
from gpuecon.engine.errors import GpueconError
from gpuecon.engine.model import cash_flows, project_irr

# H100 SXM at the catalog defaults, derived by hand (docs/model.md): all-in capex 38,000 + 4,000 + 800
# + 1,200 = 44,000; opex per GPU-hour = power 1.4 kW x 1.3 x 0.08 + colocation 1.4 x 140 / 730
# + maintenance 0.025 x 44,000 / 8,760.
H100_CAPEX = 44_000.0
H100_OPEX_HOUR = 1.4 * 1.3 * 0.08 + 1.4 * 140 / 730 + 0.025 * 44_000 / 8_760
RENT = 2.0
# month 0: -capex + 15% prepay of 60 months of rent; months 1..60: 85% of the rent less opex (tax 0)
H100_CF0 = -H100_CAPEX + 0.15 * RENT * 730 * 60
H100_CF_MONTH = 0.85 * RENT * 730 - H100_OPEX_HOUR * 730
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_doctests():
    for mod in (fin, fin_sizing, fin_inputs):
        res = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert res.failed == 0, mod.__name__


# --- schedules ------------------------------------------------------------------------------------

def test_level_loan_matches_numpy_financial_and_excel_pmt():
    loan = 0.6 * H100_CAPEX
    rate, n = 0.10 / 12, 48
    df = fin.debt_schedule("H100", RENT)
    per = np.arange(1, n + 1)
    assert df.loc[0, "drawdown_usd"] == pytest.approx(26_400.0)
    assert df.loc[1:n, "debt_service_usd"].to_numpy() == pytest.approx(np.full(n, npf.pmt(rate, n, -loan)), rel=1e-12)
    assert df.loc[1:n, "interest_usd"].to_numpy() == pytest.approx(npf.ipmt(rate, per, n, -loan), rel=1e-10)
    assert df.loc[1:n, "principal_usd"].to_numpy() == pytest.approx(npf.ppmt(rate, per, n, -loan), rel=1e-10)
    # =PMT(10%/12, 48, -26400) = 669.57 by hand: 26400 x (0.1/12) / (1 - (1 + 0.1/12)^-48)
    assert df.loc[1, "debt_service_usd"] == pytest.approx(669.57, abs=0.005)
    assert df.loc[1, "interest_usd"] == pytest.approx(220.0)  # 26,400 x 10% / 12
    assert df.loc[n, "closing_balance_usd"] == pytest.approx(0.0, abs=1e-9)
    assert (df.loc[n + 1:, "debt_service_usd"] == 0).all()
    assert list(df.columns) == ["month", "opening_balance_usd", "drawdown_usd", "interest_usd",
                                "capitalised_interest_usd", "principal_usd", "debt_service_usd",
                                "closing_balance_usd", "cfads_usd", "dscr", "interest_tax_shield_usd",
                                "equity_cash_flow_usd"]


def test_straight_and_bullet_by_hand():
    loan, i, n = 0.5 * H100_CAPEX, 0.08 / 12, 36
    s = fin.debt_schedule("H100", RENT, debt_ltv_frac=0.5, debt_rate_annual=0.08, debt_tenor_years=3,
                          debt_amortization="straight")
    t = np.arange(1, n + 1)
    assert s.loc[1:n, "principal_usd"].to_numpy() == pytest.approx(np.full(n, loan / n))
    assert s.loc[1:n, "interest_usd"].to_numpy() == pytest.approx(i * loan * (1 - (t - 1) / n))
    b = fin.debt_schedule("H100", RENT, debt_ltv_frac=0.5, debt_rate_annual=0.08, debt_tenor_years=3,
                          debt_amortization="bullet")
    assert b.loc[1:n, "interest_usd"].to_numpy() == pytest.approx(np.full(n, loan * i))
    assert b.loc[1:n - 1, "principal_usd"].to_numpy() == pytest.approx(np.zeros(n - 1))
    assert b.loc[n, "debt_service_usd"] == pytest.approx(loan * (1 + i))


def test_dscr_of_one_month_by_hand():
    # month 1: CFADS = 0.85 x 2.00 x 730 - opex x 730 = 847.05; level payment on 26,400 = 669.57
    df = fin.debt_schedule("H100", RENT)
    assert df.loc[1, "cfads_usd"] == pytest.approx(H100_CF_MONTH, rel=1e-12)
    assert H100_CF_MONTH == pytest.approx(847.045, abs=0.001)
    pmt = 26_400 * (0.1 / 12) / (1 - (1 + 0.1 / 12) ** -48)
    assert df.loc[1, "dscr"] == pytest.approx(H100_CF_MONTH / pmt, rel=1e-12)
    assert float(fin.min_dscr("H100", RENT)) == pytest.approx(H100_CF_MONTH / pmt, rel=1e-12)
    assert np.isnan(df.loc[0, "dscr"]) and np.isnan(df.loc[49, "dscr"])
    assert np.isnan(fin.min_dscr("H100", RENT, debt_ltv_frac=0.0))


def test_sculpted_keeps_dscr_at_target_and_balloons_when_cfads_is_too_small():
    s = fin.debt_schedule("H100", RENT, debt_ltv_frac=0.3, debt_amortization="sculpted", debt_min_dscr=1.5)
    paying = s[s.debt_service_usd > 0]
    # constant CFADS: service = CFADS / 1.5 every month until repaid, the last payment smaller
    assert paying.dscr.iloc[:-1].to_numpy() == pytest.approx(np.full(len(paying) - 1, 1.5), rel=1e-12)
    assert paying.dscr.iloc[-1] >= 1.5 and len(paying) < 48
    assert s.closing_balance_usd.iloc[-1] == pytest.approx(0.0, abs=1e-9)
    # a 0.9 LTV cannot be sculpted to 1.5 over 48 months: the balance left is paid at month 48
    big = fin.debt_schedule("H100", RENT, debt_ltv_frac=0.9, debt_amortization="sculpted", debt_min_dscr=1.5,
                            prepay_frac_contract=0.0)
    assert big.loc[47, "closing_balance_usd"] > 0
    assert big.loc[48, "principal_usd"] == pytest.approx(big.loc[47, "closing_balance_usd"])
    assert big.loc[48, "dscr"] < 1.5
    # interest above CFADS / target: principal floored at 0, interest paid in full
    tiny = fin.debt_schedule("H100", 0.6, debt_ltv_frac=0.9, debt_amortization="sculpted", prepay_frac_contract=0.0)
    assert tiny.loc[1, "principal_usd"] == 0.0 and tiny.loc[1, "interest_usd"] == pytest.approx(0.9 * 44_000 * 0.1 / 12)


def test_capitalised_lag_interest_by_hand():
    i = 0.1 / 12
    s = fin.debt_schedule("H100", RENT, deployment_lag_months=3, debt_lag_interest="capitalised")
    loan = 26_400.0
    assert s.loc[1:3, "debt_service_usd"].tolist() == [0.0, 0.0, 0.0]
    assert s.loc[3, "closing_balance_usd"] == pytest.approx(loan * (1 + i) ** 3)
    assert s.loc[4, "debt_service_usd"] == pytest.approx(npf.pmt(i, 45, -loan * (1 + i) ** 3))
    paid = fin.debt_schedule("H100", RENT, deployment_lag_months=3)
    assert paid.loc[1, "debt_service_usd"] == pytest.approx(npf.pmt(i, 48, -loan))
    assert paid.loc[1, "dscr"] < 0  # the lag's colocation is CFADS < 0


def _loan_by_hand(loan, i, n, s, method):
    """Month-by-month loan of a given amortization, written here in plain Python (months 0..n):
    interest capitalised in months 1..s, then k = n - s payments; returns opening, interest, principal, closing."""
    k = n - s
    rows, b = [(0.0, 0.0, 0.0, loan)], loan
    for t in range(1, n + 1):
        interest = i * b
        if t <= s:
            p, close = 0.0, b + interest
        else:
            if method == "level":
                p = npf.pmt(i, n - t + 1, -b) - interest if i else b / (n - t + 1)  # the annuity on what is left
            elif method == "straight":
                p = loan * (1 + i) ** s / k
            else:
                p = 0.0
            p = b if t == n else p
            close = b - p
        rows.append((b, interest, p, close))
        b = close
    return np.array(rows)


@pytest.mark.parametrize("method", ["level", "straight", "bullet"])
@pytest.mark.parametrize(("rate", "lag", "lag_interest", "years"), [
    (0.10, 0, "paid", 4), (0.0, 0, "paid", 3), (0.24, 3, "capitalised", 5), (0.07, 2, "paid", 6), (0.0, 4, "capitalised", 2),
])
def test_level_straight_bullet_schedules_equal_a_month_loop_by_hand(method, rate, lag, lag_interest, years):
    s = fin.debt_schedule("H100", RENT, debt_ltv_frac=0.55, debt_rate_annual=rate, debt_tenor_years=years,
                          debt_amortization=method, debt_lag_interest=lag_interest, deployment_lag_months=lag)
    n, i = 12 * years, rate / 12
    lag_months = lag if lag_interest == "capitalised" else 0
    hand = _loan_by_hand(0.55 * H100_CAPEX, i, n, lag_months, method)
    cols = ["opening_balance_usd", "interest_usd", "principal_usd", "closing_balance_usd"]
    got = s.loc[:n, cols].to_numpy()
    assert got == pytest.approx(hand, rel=1e-12, abs=1e-9)
    assert s.loc[1:lag_months, "capitalised_interest_usd"].to_numpy() == pytest.approx(hand[1:lag_months + 1, 1])
    paying = np.arange(s.shape[0]) > lag_months
    service = np.where(paying[:n + 1], hand[:, 1] + hand[:, 2], 0.0)
    assert s.loc[:n, "debt_service_usd"].to_numpy() == pytest.approx(service, rel=1e-12, abs=1e-9)
    assert (s.loc[n + 1:, ["debt_service_usd", "closing_balance_usd"]].to_numpy() == 0).all()  # repaid at n
    if method == "level" and rate:  # Excel =IPMT / =PPMT on the balance after the lag
        per = np.arange(1, n - lag_months + 1)
        b_s = 0.55 * H100_CAPEX * (1 + i) ** lag_months
        assert s.loc[lag_months + 1:n, "interest_usd"].to_numpy() == pytest.approx(
            npf.ipmt(i, per, n - lag_months, -b_s), rel=1e-12)
        assert s.loc[lag_months + 1:n, "principal_usd"].to_numpy() == pytest.approx(
            npf.ppmt(i, per, n - lag_months, -b_s), rel=1e-12)


# --- equity ---------------------------------------------------------------------------------------

def _equity_by_hand(rent, ltv, rate, years, tax, **kw):
    """Equity flows built here: the project flows of gpuecon.engine.model.cash_flows plus a numpy-financial loan."""
    cf = cash_flows("H100", rent, tax_rate_frac=tax, **kw)
    capex = 44_000.0
    n = int(round(years * 12))
    loan, i = ltv * capex, rate / 12
    out = np.zeros(max(cf.size, n + 1))
    out[:cf.size] = cf
    per = np.arange(1, n + 1)
    out[0] += loan
    out[1:n + 1] -= npf.pmt(i, n, -loan)
    out[1:n + 1] += tax * npf.ipmt(i, per, n, -loan)
    return out


@pytest.mark.parametrize(("rent", "ltv", "rate", "years", "tax", "kw"), [
    (2.0, 0.6, 0.10, 4, 0.0, {}),
    (2.2, 0.5, 0.12, 3, 0.21, {"deployment_lag_months": 2, "prepay_frac_contract": 0.05}),
    (1.9, 0.4, 0.09, 6, 0.25, {"contract_term_years": 6, "residual_value_frac_capex": 0.2}),
    (2.5, 0.7, 0.10, 5, 0.21, {"prepay_frac_contract": 0.0, "useful_life_years": 4.3}),
])
def test_equity_irr_against_numpy_financial_and_pyxirr(rent, ltv, rate, years, tax, kw):
    flows = _equity_by_hand(rent, ltv, rate, years, tax, **kw)
    got = fin.equity_cash_flows("H100", rent, debt_ltv_frac=ltv, debt_rate_annual=rate, debt_tenor_years=years,
                                tax_rate_frac=tax, **kw)
    assert got == pytest.approx(flows, rel=1e-10, abs=1e-8)
    expected = (1 + npf.irr(flows)) ** 12 - 1
    assert expected == pytest.approx((1 + pyxirr.irr(flows)) ** 12 - 1, abs=1e-9)
    eq = fin.equity_irr("H100", rent, debt_ltv_frac=ltv, debt_rate_annual=rate, debt_tenor_years=years,
                        tax_rate_frac=tax, **kw)
    assert float(eq) == pytest.approx(expected, abs=1e-9)


def test_loan_outlasting_the_contract_gives_two_roots_and_no_irr():
    kw = dict(debt_ltv_frac=0.4, debt_rate_annual=0.09, debt_tenor_years=6, tax_rate_frac=0.25, contract_term_years=4,
              residual_value_frac_capex=0.2)
    flows = _equity_by_hand(1.9, 0.4, 0.09, 6, 0.25, contract_term_years=4, residual_value_frac_capex=0.2)
    assert fin.equity_cash_flows("H100", 1.9, **kw) == pytest.approx(flows, rel=1e-10, abs=1e-8)
    assert flows.size == 73 and (flows[49:] < 0).all()  # debt service after the contract ends at month 48
    roots = [npf.irr(flows), pyxirr.irr(flows)]
    assert abs(roots[0] - roots[1]) > 0.01  # two different rates both zero the NPV
    for r in roots:
        assert abs(npf.npv(r, flows)) < 1e-6
    d = fin.equity_irr_detail("H100", 1.9, **kw)
    assert np.isnan(d.annual) and str(d.reason) == "no unique IRR: NPV has several roots"


def test_vectorized_equals_one_by_one():
    ltv = np.array([0.0, 0.2, 0.5, 0.6])
    rent = np.array([[1.8], [2.4]])
    many = fin.equity_irr("H100", rent, debt_ltv_frac=ltv, tax_rate_frac=0.21, debt_amortization="straight")
    assert many.shape == (2, 4)
    for r in range(2):
        for k in range(4):
            one = fin.equity_irr("H100", float(rent[r, 0]), debt_ltv_frac=float(ltv[k]), tax_rate_frac=0.21,
                                 debt_amortization="straight")
            assert float(one) == pytest.approx(many[r, k], abs=1e-12)


def test_large_batches_in_blocks_give_the_same_answers(monkeypatch):
    rng = np.random.default_rng(3)
    rent = rng.uniform(0.5, 4, 40)
    kw = dict(debt_ltv_frac=rng.uniform(0, 0.95, 40), debt_rate_annual=rng.uniform(0, 0.2, 40),
              prepay_frac_contract=np.array([[0.0], [0.15]]), tax_rate_frac=0.21, hurdle_irr_annual="800%",
              tflops_fp8_dense=[1000.0, 2000.0, 3000.0],  # a spec array that does not shape the flows
              debt_tenor_years=np.where(np.arange(40) % 5 == 0, 6.0, 4.0), contract_term_years=5)  # 6 > 5: 2 roots
    whole = fin.equity_irr_detail("H100", rent, **kw)
    monkeypatch.setattr(fin, "_BLOCK_ROWS", 7)
    blocks = fin.equity_irr_detail("H100", rent, **kw)
    assert blocks.annual.shape == whole.annual.shape == (2, 40)
    ok = ~np.isnan(whole.annual)
    assert 20 < ok.sum() < 80 and np.array_equal(np.isnan(blocks.annual), ~ok)
    assert blocks.annual[ok] == pytest.approx(whole.annual[ok], abs=1e-12)
    assert blocks.reason.tolist() == whole.reason.tolist()
    assert "no unique IRR: NPV has several roots" in whole.reason.ravel().tolist()


def test_equity_irr_reasons():
    d = fin.equity_irr_detail("H100", RENT, debt_ltv_frac=[0.9, 0.7])
    assert d.reason[0] == ("no equity IRR as a return: the loan and prepay cover the purchase (no equity outlay at "
                           "month 0), so the rate would be a borrowing cost or unbounded")
    assert d.reason[1] == "IRR above 1,000% a year: not meaningful as a return (the net outlay is nearly nil)"
    assert np.isnan(d.annual).all()
    low = fin.equity_irr_detail("H100", 0.5, debt_ltv_frac=0.5)
    assert str(low.reason) == ("no equity IRR: the equity cash flows never turn positive (the rent does not cover "
                               "the costs and the debt service)")


_rents = st.floats(1.2, 4.0)
_fracs = st.floats(0.0, 0.3)


@SETTINGS
@given(rent=_rents, prepay=_fracs, tax=st.floats(0.0, 0.4), lag=st.integers(0, 3), term=st.integers(2, 7),
       life=st.floats(3.0, 8.0), util=st.floats(0.6, 1.0))
def test_zero_ltv_is_the_project_irr(rent, prepay, tax, lag, term, life, util):
    kw = dict(prepay_frac_contract=prepay, tax_rate_frac=tax, deployment_lag_months=lag, contract_term_years=term,
              useful_life_years=life, utilization_frac=util)
    p = float(project_irr("H100", rent, **kw))
    assume(np.isfinite(p))
    assert float(fin.equity_irr("H100", rent, debt_ltv_frac=0.0, **kw)) == pytest.approx(p, abs=1e-9)


def _one_sign_change(x: np.ndarray) -> bool:
    s = np.sign(x[x != 0])
    return s[0] < 0 and int(np.count_nonzero(s[1:] != s[:-1])) == 1


@SETTINGS
@given(rent=st.floats(1.0, 3.5), tax=st.floats(0.0, 0.35), rate=st.floats(0.02, 0.4), years=st.integers(1, 5),
       amort=st.sampled_from(["level", "straight", "bullet"]), ltv1=st.floats(0.0, 0.35), step=st.floats(0.02, 0.3))
def test_leverage_raises_equity_irr_above_the_after_tax_cost_of_debt_and_lowers_it_below(rent, tax, rate, years, amort,
                                                                                        ltv1, step):
    kw = dict(tax_rate_frac=tax, prepay_frac_contract=0.0, debt_rate_annual=rate, debt_tenor_years=years,
              debt_amortization=amort)
    ltv2 = ltv1 + step
    p = float(project_irr("H100", rent, tax_rate_frac=tax, prepay_frac_contract=0.0))
    k = (1 + (1 - tax) * rate / 12) ** 12 - 1  # after-tax cost of debt, annual effective
    assume(np.isfinite(p) and abs(p - k) > 1e-4)
    for ltv in (ltv1, ltv2):
        assume(_one_sign_change(fin.equity_cash_flows("H100", rent, debt_ltv_frac=ltv, **kw)))
    e1, e2 = (float(fin.equity_irr("H100", rent, debt_ltv_frac=x, **kw)) for x in (ltv1, ltv2))
    assume(np.isfinite(e1) and np.isfinite(e2))
    if p > k:
        assert e2 > e1 >= p - 1e-9
    else:
        assert e2 < e1 <= p + 1e-9


# --- max LTV ----------------------------------------------------------------------------------------

def test_max_ltv_level_closed_form_by_hand():
    i, n = 0.1 / 12, 48
    annuity = (1 - (1 + i) ** -n) / i  # =PV(10%/12, 48, -1)
    expected = annuity * H100_CF_MONTH / 1.2 / H100_CAPEX
    d = fin.max_ltv_detail("H100", RENT)
    assert float(d.frac) == pytest.approx(expected, rel=1e-12)
    assert float(d.loan_usd) == pytest.approx(expected * H100_CAPEX, rel=1e-12)
    assert float(fin.min_dscr("H100", RENT, debt_ltv_frac=float(d.frac))) == pytest.approx(1.2, abs=1e-12)
    # straight: the first month's payment (loan/n + i x loan) binds
    st_frac = float(fin.max_ltv("H100", RENT, debt_amortization="straight"))
    assert st_frac == pytest.approx(H100_CF_MONTH / 1.2 / (1 / n + i) / H100_CAPEX, rel=1e-12)


def test_max_ltv_zero_with_its_reason_when_cfads_is_negative_in_a_month_with_debt_service():
    d = fin.max_ltv_detail("H100", RENT, deployment_lag_months=2)
    assert float(d.frac) == 0.0 and int(d.binding_month) == 1
    assert str(d.reason) == ("no loan meets DSCR >= 1.2: CFADS is -196 USD in month 1, a month with debt service "
                             "(deployment lag: interest is paid from month 1; debt_lag_interest='capitalised' defers it)")
    cap = fin.max_ltv_detail("H100", RENT, deployment_lag_months=2, debt_lag_interest="capitalised")
    assert 0 < float(cap.frac) < 1 and str(cap.reason) == ""


@SETTINGS
@given(rent=st.floats(1.3, 5.0), prepay=_fracs, tax=st.floats(0.0, 0.35), rate=st.floats(0.0, 0.3),
       years=st.sampled_from([1, 2, 3.5, 4, 5, 7]), amort=st.sampled_from(fin_inputs.AMORTIZATIONS),
       target=st.floats(1.0, 2.5), lag=st.integers(0, 3), term=st.integers(3, 6),
       residual=st.floats(0.0, 0.3))
def test_max_ltv_gives_min_dscr_at_the_target(rent, prepay, tax, rate, years, amort, target, lag, term, residual):
    kw = dict(prepay_frac_contract=prepay, tax_rate_frac=tax, debt_rate_annual=rate, debt_tenor_years=years,
              debt_amortization=amort, debt_min_dscr=target, deployment_lag_months=lag, contract_term_years=term,
              residual_value_frac_capex=residual, debt_lag_interest="capitalised")
    assume(years * 12 > lag)
    frac = float(fin.max_ltv("H100", rent, **kw))
    assume(1e-6 < frac < 1)
    assert float(fin.min_dscr("H100", rent, debt_ltv_frac=frac, **kw)) == pytest.approx(target, abs=1e-9)
    over = float(fin.min_dscr("H100", rent, debt_ltv_frac=min(frac * 1.001, 0.999999), **kw))
    assert over < target or frac * 1.001 >= 0.999999


# --- payback ------------------------------------------------------------------------------------------

def test_payback_by_hand():
    # simple: -30,860 recovered at 847.05 a month -> 36.43 months -> month 37
    assert -H100_CF0 / H100_CF_MONTH == pytest.approx(36.43, abs=0.01)
    assert float(fin.payback_months("H100", RENT)) == math.ceil(-H100_CF0 / H100_CF_MONTH) == 37
    # discounted at 15.6%: smallest t with A(m, t) >= 30,860 / 847.05
    m = 1.156 ** (1 / 12) - 1
    t = math.ceil(-math.log(1 - m * (-H100_CF0 / H100_CF_MONTH)) / math.log(1 + m))
    assert float(fin.payback_months("H100", RENT, 0.156)) == t == 49
    d = fin.payback_detail("H100", [1.0, 2.0])
    assert np.isnan(d.months[0]) and d.months[1] == 37
    loss = H100_CAPEX - 0.15 * 730 * 60 - 60 * (0.85 * 730 - H100_OPEX_HOUR * 730)
    assert d.reason[0] == (f"no payback within the 60-month horizon: the cumulative cash flow is -${loss:,.0f} per GPU "
                           "at month 60")
    assert d.reason[1] == ""


def test_payback_with_prepay_covering_the_capex_is_month_0():
    assert float(fin.payback_months("H100", 3.0, prepay_frac_contract=1.0)) == 0.0


# --- input errors -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("kw", "message"), [
    ({"debt_rate_annual": 10}, "debt_rate_annual must be in [0, 1], got 10 (10 means 1000%; for 10% write 0.1 or 10%)"),
    ({"debt_ltv_frac": 1.0}, "debt_ltv_frac must be in [0, 1), got 1"),
    ({"debt_ltv_frac": 60}, "debt_ltv_frac must be in [0, 1), got 60 (60 means 6000%; for 60% write 0.6 or 60%)"),
    ({"debt_ltv_frac": -0.1}, "debt_ltv_frac must be in [0, 1), got -0.1"),
    ({"debt_tenor_years": 4.05}, "debt_tenor_years must be in (0, 30] and whole months, got 4.05"),
    ({"debt_tenor_years": 0}, "debt_tenor_years must be in (0, 30] and whole months, got 0"),
    ({"debt_tenor_years": 31}, "debt_tenor_years must be in (0, 30] and whole months, got 31"),
    ({"debt_amortization": "balloon"},
     "debt_amortization must be one of 'level', 'straight', 'bullet', 'sculpted', got 'balloon'"),
    ({"debt_lag_interest": "deferred"}, "debt_lag_interest must be one of 'paid', 'capitalised', got 'deferred'"),
    ({"debt_min_dscr": 0}, "debt_min_dscr must be in (0, 100], got 0"),
    ({"debt_ltv_frac": True}, "debt_ltv_frac must be a number, got True"),
    ({"debt_tenor_years": 0.25, "deployment_lag_months": 3, "debt_lag_interest": "capitalised"},
     "debt_tenor_years (0.25 years) must be longer than the deployment lag (3 months) when interest during the lag "
     "is capitalised"),
])
def test_bad_inputs_raise_with_the_exact_message(kw, message):
    with pytest.raises(GpueconError) as err:
        fin.equity_irr("H100", RENT, **kw)
    assert str(err.value) == message
    assert err.value.field == next(iter(kw)) if "deployment_lag_months" not in kw else err.value.field == "debt_tenor_years"


def test_inputs_typed_as_text_and_percent():
    a = fin.equity_irr("H100", RENT, debt_rate_annual="10%", debt_ltv_frac="60%", debt_amortization=" Level ")
    assert float(a) == pytest.approx(float(fin.equity_irr("H100", RENT)), abs=1e-15)
    with pytest.raises(GpueconError, match=r"^debt_rate_annual must be in \[0, 1\], got 1.5 "):
        fin.equity_irr("H100", RENT, debt_rate_annual="150%")
    with pytest.raises(GpueconError, match="^rent_usd_per_gpu_hour must be a number >= 0, got -1$"):
        fin.equity_irr("H100", -1.0)
    with pytest.raises(GpueconError, match="^debt_schedule shows one scenario, got 2"):
        fin.debt_schedule("H100", [1.0, 2.0])
