"""Properties (hypothesis): IRR monotone in rent, floor reproduces the hurdle, NPV at IRR ~ 0, ceiling linear."""

import numpy as np
import numpy_financial as npf
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import gpuecon as ge

systems = st.sampled_from(["VR NVL72", "GB300 NVL72", "H100 SXM", "MI355X", "B200", "H20"])
hurdles = st.floats(0.0, 0.6)
prepays = st.floats(0.0, 0.5)
terms = st.integers(12, 96).map(lambda m: m / 12)
lags = st.integers(0, 6)
taxes = st.floats(0.0, 0.35)
residuals = st.floats(0.0, 0.3)


@settings(max_examples=60, deadline=None)
@given(systems, st.floats(0.5, 20), st.floats(0.01, 5), prepays, terms, lags, taxes)
def test_irr_increases_with_rent(system, rent, step, prepay, term, lag, tax):
    kw = dict(prepay_frac_contract=prepay, contract_term_years=term, deployment_lag_months=lag, tax_rate_frac=tax)
    lo, hi = ge.project_irr(system, np.array([rent, rent + step]), **kw)
    assume(np.isfinite(lo) and np.isfinite(hi))
    assert hi >= lo
    if lo > -1 + 1e-9:  # near -100% a year (monthly -90%) the annual figure saturates at -1.0
        assert hi > lo


@settings(max_examples=60, deadline=None)
@given(systems, hurdles, prepays, terms, lags, taxes, residuals)
def test_floor_rent_reproduces_hurdle(system, hurdle, prepay, term, lag, tax, residual):
    kw = dict(hurdle_irr_annual=hurdle, prepay_frac_contract=prepay, contract_term_years=term,
              deployment_lag_months=lag, tax_rate_frac=tax, residual_value_frac_capex=residual)
    floor = ge.floor_rent(system, **kw)
    assume(floor > 0)
    assert abs(float(ge.project_irr(system, floor, **kw)) - hurdle) <= 1e-9
    assert abs(float(ge.project_npv(system, floor, **kw))) <= 1e-6 * float(ge.capex_usd_per_gpu(system))


@settings(max_examples=60, deadline=None)
@given(systems, st.floats(0.5, 25), prepays, terms, lags, taxes, residuals)
def test_npv_at_irr_is_zero_and_matches_numpy_financial(system, rent, prepay, term, lag, tax, residual):
    kw = dict(prepay_frac_contract=prepay, contract_term_years=term, deployment_lag_months=lag,
              tax_rate_frac=tax, residual_value_frac_capex=residual)
    irr = float(ge.project_irr(system, rent, **kw))
    assume(np.isfinite(irr))
    flows = ge.cash_flows(system, rent, **kw)
    m = (1 + irr) ** (1 / 12) - 1
    if irr > -1 + 1e-6:  # near -100% a year the annual figure cannot carry the monthly rate's digits
        scale = np.sum(np.abs(flows) * (1 + m) ** -np.arange(len(flows)))  # size of the discounted terms
        assert abs(npf.npv(m, flows)) <= 1e-9 * scale
    ref = npf.irr(flows)
    if np.isfinite(ref):
        assert abs((1 + ref) ** 12 - 1 - irr) <= 1e-8 * max(1.0, abs(irr))


@settings(max_examples=40, deadline=None)
@given(systems, st.floats(0.0, 5.0), st.floats(0.0, 5.0), st.sampled_from(["BF16", "FP8", "MEM_BW"]))
def test_ceiling_linear_in_price(system, p1, p2, basis):
    c = lambda p: float(ge.ceiling_rent(system, p, basis))  # noqa: E731
    assert np.isclose(c(p1 + p2), c(p1) + c(p2), rtol=1e-12, atol=1e-12)
    assert np.isclose(c(2 * p1), 2 * c(p1), rtol=1e-12, atol=1e-12)


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(-1e5, 1e5).filter(lambda v: v == 0 or abs(v) >= 1e-3), min_size=2, max_size=40))
def test_vectorized_irr_agrees_with_numpy_financial(flows):
    cf = np.array(flows)
    res = ge.irr(cf[None, :])
    ref = npf.irr(cf)
    if res.reason[0] == 0:  # NPV at the IRR is ~0 relative to the size of the discounted terms
        scale = np.sum(np.abs(cf) * (1 + res.rate[0]) ** -np.arange(len(cf), dtype=float))
        assert abs(npf.npv(res.rate[0], cf)) <= 1e-9 * scale
    if res.reason[0] == 0 and np.isfinite(ref) and ref > -0.999999:
        # one root where ours reports one: numpy-financial finds the same (ours searches above -99.9999%)
        assert abs(res.rate[0] - ref) <= 1e-8 * max(1.0, abs(ref))
    if res.reason[0] == 1:
        assert np.all(cf >= 0) or np.all(cf <= 0)
