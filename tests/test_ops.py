"""One formula, two speeds: ``engine/ops`` on Python floats gives numpy's answer, and one scenario on
Python floats agrees with the vectorized path (to the last bits: ``math`` against numpy's loops)."""

from __future__ import annotations

import math
import pickle
import warnings

import numpy as np
import pytest

from gpuecon.engine import decisions, model, ops, trend
from gpuecon.engine.assumptions import Assumptions

EDGES = [0.0, -0.0, 1.0, -1.0, -1.5, 0.5, 1e-300, -1e-300, 700.0, 710.0, 1e308, -1e308, math.inf, -math.inf, math.nan]


@pytest.mark.parametrize("name", ["log1p", "expm1", "floor", "rint", "sign", "isfinite"])
def test_unary_on_a_float_is_numpys_answer(name: str) -> None:
    """Where math raises (log1p(-1), expm1(710)) or differs in kind (floor of inf), numpy's value."""
    for x in EDGES:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            got, want = getattr(ops, name)(x), getattr(np, name)(np.float64(x))
        assert (math.isnan(got) and math.isnan(want)) if want != want else float(got) == pytest.approx(float(want), rel=1e-15), (name, x)


@pytest.mark.parametrize("name", ["power", "maximum", "minimum", "div"])
def test_binary_on_floats_is_numpys_answer(name: str) -> None:
    ref = {"power": np.power, "maximum": np.maximum, "minimum": np.minimum, "div": np.divide}[name]
    for x in EDGES:
        for y in EDGES:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                got, want = getattr(ops, name)(x, y), ref(np.float64(x), np.float64(y))
            if want != want:
                assert got != got, (name, x, y, got)
            else:
                assert float(got) == pytest.approx(float(want), rel=1e-15), (name, x, y)


def test_arrays_go_to_numpy_unchanged() -> None:
    x = np.array([-1.0, 0.5, 3.0])
    with np.errstate(divide="ignore"):
        assert np.array_equal(ops.log1p(x), np.log1p(x))
    assert np.array_equal(ops.maximum(1.0, x), np.maximum(1.0, x))
    assert ops.not_(np.array([True, False])).tolist() == [False, True]
    assert ops.not_(True) is False  # not ~True (-2)


def test_scalar_fields_are_the_validated_values() -> None:
    a = Assumptions("VR NVL72", hurdle_irr_annual="20%", pue_ratio=1.25)
    s = a.scalar
    assert type(s.hurdle_irr_annual) is float and s.hurdle_irr_annual == 0.2 and s.pue_ratio == 1.25
    assert s.capex_compute_usd_per_gpu == 85596.0 and s["it_w_per_gpu"] == 3200.0 and s.system.name == "VR NVL72"
    assert math.isnan(Assumptions("H100 SXM").scalar.tflops_fp4_dense)  # not marketed: NaN, as the field
    assert Assumptions("VR NVL72", pue_ratio=[1.2, 1.3]).scalar is None  # several scenarios
    assert a.replace(tax_rate_frac=0.21).scalar.tax_rate_frac == 0.21
    assert pickle.loads(pickle.dumps(a)).scalar.pue_ratio == 1.25


def _scenarios(n: int, seed: int = 7):
    rng = np.random.default_rng(seed)
    for _ in range(n):
        yield rng.choice(["VR NVL72", "GB300 NVL72", "H100 SXM"]), float(rng.uniform(0.5, 30)), dict(
            hurdle_irr_annual=float(rng.uniform(-0.2, 0.6)), prepay_frac_contract=float(rng.uniform(0, 0.6)),
            tax_rate_frac=float(rng.uniform(0, 0.4)), deployment_lag_months=float(rng.integers(0, 7)),
            useful_life_years=float(rng.uniform(2, 8)), residual_value_frac_capex=float(rng.uniform(0, 0.5)),
            contract_term_years=float(rng.integers(1, 97)) / 12, utilization_frac=float(rng.uniform(0.3, 1)))


def _same(one, many, i: int) -> None:
    one, other = float(one), float(np.asarray(many).reshape(-1)[i])
    assert (math.isnan(one) and math.isnan(other)) or one == pytest.approx(other, rel=1e-13, abs=1e-12)


def test_one_scenario_agrees_with_the_vectorized_path() -> None:
    """The same formulas on floats (one scenario) and on arrays (the scenario as row 1 of 2)."""
    for system, rent, ov in _scenarios(150):
        rows = {k: [v, v] for k, v in ov.items()}
        d1, d2 = model.project_irr_detail(system, rent, **ov), model.project_irr_detail(system, [rent, rent], **rows)
        _same(d1.annual, d2.annual, 1)
        assert str(d1.reason) == str(d2.reason[1])
        assert type(d1.annual) is np.ndarray and d1.annual.shape == ()  # one scenario: a 0-d array, as before
        _same(model.floor_rent(system, **ov), model.floor_rent(system, **rows), 1)
        _same(model.tco_usd_per_gpu_hour(system, **ov), model.tco_usd_per_gpu_hour(system, **rows), 1)
        _same(model.project_npv(system, rent, **ov), model.project_npv(system, [rent, rent], **rows), 1)
        b1, b2 = decisions.breakeven_utilization_detail(system, rent, **ov), decisions.breakeven_utilization_detail(
            system, [rent, rent], **rows)
        _same(b1.frac, b2.frac, 1)
        assert str(b1.reason) == str(b2.reason[1])
        assert type(model.floor_rent(system, **ov)) is np.float64


def test_npv_at_the_floor_rent_is_zero_on_one_scenario() -> None:
    for system, _, ov in _scenarios(50, seed=3):
        floor = model.floor_rent(system, **ov)
        capex = float(model.capex_usd_per_gpu(system, **ov))
        assert abs(float(model.project_npv(system, floor, **ov))) <= 1e-12 * capex


def test_trend_tables_are_each_objects_own() -> None:
    t = trend.pflop_trend("FP8")
    t.points.loc[:, "usd_per_pflop_hour"] = -1.0
    t.systems["floor_usd_per_pflop_hour"] = -1.0
    fresh = trend.pflop_trend("FP8", 2024)
    assert (fresh.points["usd_per_pflop_hour"] > 0).all() and (fresh.systems["floor_usd_per_pflop_hour"] > 0).all()
    assert fresh.fitted_usd_per_pflop_hour == pytest.approx(math.exp(fresh.intercept_ln + fresh.slope_ln_per_year * 2024),
                                                           rel=1e-15)
