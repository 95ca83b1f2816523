"""Vectorized finance primitives against numpy-financial and closed forms."""

import numpy as np
import numpy_financial as npf
import pytest

from gpuecon import annual_rate, annuity_factor, capital_recovery_factor, irr, monthly_rate, npv
from gpuecon.engine.finance import IRR_MULTIPLE, IRR_NO_SIGN_CHANGE, IRR_OK, IRR_REASONS


def test_rate_conversions():
    assert float(monthly_rate(0.156)) == pytest.approx(1.156 ** (1 / 12) - 1)
    assert float(annual_rate(monthly_rate(0.156))) == pytest.approx(0.156)


def test_annuity_and_crf_against_numpy_financial():
    assert float(annuity_factor(0.01, 60)) == pytest.approx(npf.pv(0.01, 60, -1))
    assert float(annuity_factor(0.0, 60)) == 60
    assert float(capital_recovery_factor(0.01, 60)) == pytest.approx(npf.pmt(0.01, 60, -1))


def test_npv_rows():
    cf = np.array([[-100, 60, 60], [-50, 10, 80]], float)
    np.testing.assert_allclose(npv(np.array([0.1, 0.05]), cf), [npf.npv(0.1, cf[0]), npf.npv(0.05, cf[1])])


def test_irr_many_rows_against_numpy_financial():
    rng = np.random.default_rng(7)
    n = 500
    cf = np.empty((n, 61))
    cf[:, 0] = -rng.uniform(20e3, 300e3, n)
    cf[:, 1:] = rng.uniform(500, 6000, (n, 1)) + rng.normal(0, 200, (n, 60))
    res = irr(cf)
    ref = np.array([npf.irr(row) for row in cf])
    ok = np.isfinite(ref)
    assert ok.sum() > 400
    np.testing.assert_allclose(res.rate[ok], ref[ok], rtol=0, atol=1e-10)
    assert np.all(res.reason[ok] == IRR_OK)


def test_irr_no_solution_and_multiple_roots():
    cf = np.array([
        [100, 50, 20, 0],           # no sign change
        [-100, -5, -1, 0],          # no sign change
        [-100, 230, -132, 0],       # two roots: 10% and 20%
        [-100, 110, 0, 0],          # 10%
    ], float)
    res = irr(cf)
    assert list(res.reason) == [IRR_NO_SIGN_CHANGE, IRR_NO_SIGN_CHANGE, IRR_MULTIPLE, IRR_OK]
    assert np.isnan(res.rate[:3]).all()
    assert res.rate[3] == pytest.approx(0.10)
    assert "several roots" in IRR_REASONS[IRR_MULTIPLE] and res.reasons()[0].startswith("no IRR")


def test_irr_uneven_rows_agree_with_pyxirr_and_numpy_financial():
    """Uneven 61-flow rows (the benchmark's shape), zeros and signs mixed in, against both peers."""
    import pyxirr
    rng = np.random.default_rng(11)
    n = 3000
    cf = np.empty((n, 61))
    cf[:, 0] = -rng.uniform(20e3, 300e3, n)
    cf[:, 1:] = rng.uniform(300, 9000, (n, 1)) * rng.uniform(0.3, 1.7, (n, 60))
    cf[::7, 5:9] = 0.0  # zero flows inside the series
    cf[::11, -1] = -rng.uniform(1e3, 5e4, n)[::11]  # a final outflow (two sign changes)
    cf[::13, 0] = rng.uniform(1e3, 5e4, n)[::13]  # inflow first (one change, borrowing-type)
    res = irr(cf)
    for i in range(n):
        peer = pyxirr.irr(cf[i], silent=True)
        ref = npf.irr(cf[i])
        if res.reason[i] == IRR_OK:
            scale = np.sum(np.abs(cf[i]) * (1 + res.rate[i]) ** -np.arange(61.0))  # size of the discounted terms
            assert abs(npf.npv(res.rate[i], cf[i])) <= 1e-9 * scale
            for other in (peer, ref):
                if other is not None and np.isfinite(other) and other > -0.99:
                    # several roots are reported as such, so an OK rate is the only root both can find
                    assert res.rate[i] == pytest.approx(other, rel=1e-7, abs=1e-9)
        else:
            assert np.isnan(res.rate[i])


def test_irr_as_array_is_the_rates_alone():
    cf = np.array([[-100.0, 60, 60], [100.0, 100, 100]])
    res = irr(cf)
    np.testing.assert_array_equal(np.asarray(res), res.rate)  # no reason codes mixed in
    rate, reason = res  # unpacking gives both
    assert rate[0] == pytest.approx(npf.irr(cf[0])) and np.isnan(rate[1])
    assert list(reason) == [IRR_OK, IRR_NO_SIGN_CHANGE]


def test_irr_one_row_at_a_time_against_pyxirr_and_numpy_financial():
    """A single row (the one-row path: Python floats and numpy scalars) against both peers."""
    import pyxirr
    rng = np.random.default_rng(23)
    n_ok = 0
    for i in range(300):
        m = int(rng.integers(3, 122))
        cf = rng.uniform(300, 9000) * rng.uniform(0.3, 1.7, m)
        cf[0] = -rng.uniform(1, 80) * cf[1:].mean()
        if i % 9 == 0:
            cf[2:5] = 0.0  # zeros inside the series
        res = irr(cf)
        peer, ref = pyxirr.irr(cf, silent=True), npf.irr(cf)
        assert res.reason[0] == IRR_OK  # one sign change, an outflow first: one root (Descartes)
        for other in (peer, ref):
            if other is not None and np.isfinite(other) and other > -0.99:
                assert res.rate[0] == pytest.approx(other, rel=1e-7, abs=1e-9)
                n_ok += 1
    assert n_ok > 500
    deep = irr([-100.0, 0.5])  # the root at -99.5% a period: outside the start's grid
    assert deep.rate[0] == pytest.approx(-0.995) and deep.reason[0] == IRR_OK


def test_solve_bracketed_does_not_creep_down_a_steep_convex_side():
    # f = x^400 - 2 from x0 = 2: Newton alone steps only x/400 a time and stopped far off after its 100 steps
    from gpuecon.engine.finance import solve_bracketed

    def fun(x, rows=None):
        return x ** 400 - 2.0, 400.0 * x ** 399

    root = 2.0 ** (1 / 400)
    one = solve_bracketed(fun, 0.0, 2.0, 2.0, -1.0)
    rows = solve_bracketed(fun, np.array([0.0, 0.0]), np.array([2.0, 1.5]), np.array([2.0, 1.5]), np.array([-1.0, -1.0]))
    assert one == pytest.approx(root, rel=1e-13)
    np.testing.assert_allclose(rows, [root, root], rtol=1e-13)
