"""Decisions (issue 13): break-even utilization, the tornado table, competitive rent."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_docstrings import docstring_problems

from gpuecon.engine import decisions, model, tokens, trend
from gpuecon.engine.catalog import get_system
from gpuecon.engine.decisions import (
    breakeven_utilization,
    breakeven_utilization_detail,
    competitive_rent,
    sensitivity,
)
from gpuecon.engine.errors import GpueconError
from gpuecon.engine.financing import equity_irr


def _bisect_utilization(system: str, rent: float, **kw) -> float:
    """Independent: the utilization where floor_rent(u) = rent, by plain scalar bisection."""
    lo, hi = 1e-6, 1.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if float(model.floor_rent(system, utilization_frac=mid, **kw)) > rent:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def test_seed_gb300_breakeven_at_350_round_trips_through_the_floor():
    u = float(breakeven_utilization("GB300 NVL72", 3.5))
    assert 0.90 < u < 0.91  # about 90.5%
    assert float(model.floor_rent("GB300 NVL72", utilization_frac=u)) == pytest.approx(3.5, abs=1e-9)
    assert u == pytest.approx(_bisect_utilization("GB300 NVL72", 3.5), abs=1e-9)


@pytest.mark.parametrize(("system", "rent", "kw"), [
    ("VR NVL72", 8.0, {}), ("H100", 2.35, {}), ("VR NVL72", 6.0, dict(prepay_frac_contract=1.0)),
    ("B300", 3.25, dict(prepay_frac_contract=0.2, deployment_lag_months=3, tax_rate_frac=0.21)),
    ("GB300 NVL72", 4.0, dict(hurdle_irr_annual=0.25, residual_value_frac_capex=0.1)),
])
def test_breakeven_matches_a_root_find_on_the_floor(system, rent, kw):
    u = float(breakeven_utilization(system, rent, **kw))
    assert u == pytest.approx(_bisect_utilization(system, rent, **kw), abs=1e-9)
    assert float(model.floor_rent(system, utilization_frac=u, **kw)) == pytest.approx(rent, rel=1e-9)


def test_breakeven_above_full_utilization_is_nan_with_the_reason():
    d = breakeven_utilization_detail("GB300 NVL72", [2.0, 0.0, 3.5])
    assert np.isnan(d.frac[0]) and np.isnan(d.frac[1]) and d.frac[2] > 0
    assert d.reason[0].startswith("needs more than 100% utilization (158.4%)")  # 3.1684 / 2
    assert "rent of 0" in d.reason[1] and d.reason[2] == ""


def test_breakeven_ignores_a_given_utilization_and_broadcasts():
    a = float(breakeven_utilization("GB300 NVL72", 3.5))
    assert float(breakeven_utilization("GB300 NVL72", 3.5, utilization_frac=0.3)) == a
    out = breakeven_utilization("VR NVL72", [[6.0], [8.0]], hurdle_irr_annual=[0.1, 0.156])
    assert out.shape == (2, 2)
    assert out[1, 1] == pytest.approx(float(model.floor_rent("VR NVL72")) / 8.0)


def test_breakeven_with_a_floor_below_zero_earns_at_any_utilization():
    d = breakeven_utilization_detail("VR NVL72", 1.0, residual_value_frac_capex="200%", hurdle_irr_annual=0.05)
    assert np.isnan(d.frac) and "any utilization" in str(d.reason)


def test_breakeven_bad_rent():
    with pytest.raises(GpueconError) as err:
        breakeven_utilization("GB300 NVL72", -1)
    assert err.value.field == "rent_usd_per_gpu_hour"


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["H100", "B300", "GB300 NVL72", "VR NVL72", "MI355X"]), st.floats(0.5, 30), st.floats(0.5, 30),
       st.floats(0.0, 1.0), st.floats(0.02, 0.4))
def test_breakeven_falls_as_the_rent_rises(system, r1, r2, prepay, hurdle):
    lo, hi = sorted((r1, r2))
    u = breakeven_utilization(system, [lo, hi], prepay_frac_contract=prepay, hurdle_irr_annual=hurdle)
    if np.isfinite(u).all():
        assert u[1] <= u[0] * (1 + 1e-12)
    if np.isnan(u[1]):  # the dearer rent needs more than 100%: so does the cheaper one
        assert np.isnan(u[0])


def test_bisection_fallback_agrees_with_the_closed_form():
    a = decisions.as_assumptions("GB300 NVL72")
    got = decisions._breakeven_by_bisection(a, np.array([3.5, 8.0, 2.0]))
    assert got[:2] == pytest.approx(breakeven_utilization("GB300 NVL72", [3.5, 8.0]), abs=1e-12)
    assert np.isinf(got[2])


# --- tornado -----------------------------------------------------------------------------------

def _recompute(output: str, system: str, name: str, value: float, rent=None, **base) -> float:
    kw = {**base, name: value}
    if name in ("hurdle_irr_annual", "cost_of_capital_annual"):
        kw[name] = value  # small rates: no percent-typo issue at these values
    if output == "floor":
        return float(model.floor_rent(system, **kw))
    if output == "tco":
        return float(model.tco_usd_per_gpu_hour(system, **kw))
    if output == "irr":
        return float(model.project_irr(system, rent, **kw))
    return float(equity_irr(system, rent, **kw))


@pytest.mark.parametrize(("system", "output", "rent", "base"), [
    ("VR NVL72", "floor", None, {}),
    ("GB300 NVL72", "tco", None, {}),
    ("GB300 NVL72", "irr", 3.5, {}),
    ("H100", "equity_irr", 2.35, dict(prepay_frac_contract=0.0)),
    ("B300", "floor", None, dict(deployment_lag_months=3, tax_rate_frac=0.21, residual_value_frac_capex=0.1)),
])
def test_every_tornado_row_is_the_output_with_that_one_input_moved(system, output, rent, base):
    t = sensitivity(system, output, 0.2, rent, **base)
    assert list(t.columns) == ["input", "low", "high", "output_at_low", "output_at_high", "swing", "note"]
    assert len(t) >= 5
    for row in t.itertuples(index=False):
        for value, got in ((row.low, row.output_at_low), (row.high, row.output_at_high)):
            assert got == pytest.approx(_recompute(output, system, row.input, value, rent, **base), rel=1e-9, abs=1e-12)
        assert row.swing == pytest.approx(abs(row.output_at_high - row.output_at_low))
    assert list(t["swing"]) == sorted(t["swing"], reverse=True)
    assert t.attrs["base"] == pytest.approx(_recompute(output, system, "prepay_frac_contract",
                                                       float({**{"prepay_frac_contract": 0.15}, **base}["prepay_frac_contract"]),
                                                       rent, **base))


def test_tornado_moves_each_input_by_the_swing_of_its_value():
    t = sensitivity("VR NVL72", swing_frac=0.1).set_index("input")
    capex = get_system("VR NVL72")["capex_compute_usd_per_gpu"]
    assert t.loc["capex_compute_usd_per_gpu", "low"] == pytest.approx(0.9 * capex)
    assert t.loc["capex_compute_usd_per_gpu", "high"] == pytest.approx(1.1 * capex)
    assert t.loc["hurdle_irr_annual", "low"] == pytest.approx(0.156 * 0.9)


def test_tornado_rows_only_for_inputs_that_move_the_output():
    t = sensitivity("VR NVL72", "floor")
    names = set(t["input"])
    assert not names & {"tflops_fp8_dense", "tflops_bf16_dense", "hbm_gb", "mem_bw_tb_per_s"}  # specs: no cost
    assert "cost_of_capital_annual" not in names  # the floor discounts at the hurdle, not the cost of capital
    assert "tax_rate_frac" not in names and "deployment_lag_months" not in names  # 0 +/- 20% is 0
    assert "hurdle_irr_annual" in names and "capex_compute_usd_per_gpu" in names
    tco = set(sensitivity("VR NVL72", "tco")["input"])
    assert "cost_of_capital_annual" in tco and "hurdle_irr_annual" not in tco and "prepay_frac_contract" not in tco


def test_tornado_clips_to_the_range_and_rounds_whole_months():
    t = sensitivity("GB300 NVL72", deployment_lag_months=3).set_index("input")
    assert t.loc["utilization_frac", "high"] == 1.0 and "clipped to 1" in t.loc["utilization_frac", "note"]
    assert (t.loc["deployment_lag_months", "low"], t.loc["deployment_lag_months", "high"]) == (2.0, 4.0)
    assert "rounded" in t.loc["deployment_lag_months", "note"]
    # an open bound is never reached: a 90% tax moved up 20% stays at 90% (tax must be < 1)
    t = sensitivity("GB300 NVL72", tax_rate_frac=0.9).set_index("input")
    assert t.loc["tax_rate_frac", "high"] == 0.9 and "not moved" in t.loc["tax_rate_frac", "note"]


def test_tornado_large_rates_pass_the_percent_typo_guard():
    t = sensitivity("GB300 NVL72", hurdle_irr_annual=0.9).set_index("input")  # 108% is above the guard's 100%
    assert t.loc["hurdle_irr_annual", "high"] == pytest.approx(1.08)


@pytest.mark.parametrize(("kwargs", "field"), [
    (dict(output="npv"), "output"), (dict(swing_frac=0), "swing_frac"), (dict(swing_frac=1.5), "swing_frac"),
    (dict(output="irr"), "rent_usd_per_gpu_hour"), (dict(output="irr", rent_usd_per_gpu_hour=[3, 4]), "rent_usd_per_gpu_hour"),
    (dict(hurdle_irr_annual=[0.1, 0.2]), "hurdle_irr_annual"), (dict(pue_ratio=9), "pue_ratio"),
])
def test_tornado_bad_input(kwargs, field):
    with pytest.raises(GpueconError) as err:
        sensitivity("GB300 NVL72", **kwargs)
    assert err.value.field == field


# --- competitive rent --------------------------------------------------------------------------

def test_seed_competitive_rent_gb300_against_vr_floor():
    assert get_system("GB300 NVL72")["tflops_fp8_dense"] == 5000 and get_system("VR NVL72")["tflops_fp8_dense"] == 17500
    expected = float(model.floor_rent("VR NVL72")) / 17.5 * 5
    assert float(competitive_rent("GB300 NVL72", "VR NVL72")) == pytest.approx(expected, rel=1e-12)
    assert round(expected, 2) == 1.41  # $4.93 / 3.5


def test_competitive_rent_at_a_given_rent_and_basis():
    assert float(competitive_rent("GB300 NVL72", "VR NVL72", new_rent_usd_per_gpu_hour=12.25)) == pytest.approx(3.5)
    assert float(competitive_rent("GB300 NVL72", "VR NVL72", "BF16", 4.0)) == pytest.approx(4.0 / 4.0 * 2.5)
    got = competitive_rent("H100", "VR NVL72", hurdle_irr_annual=[0.1, 0.156])  # overrides move the new floor
    assert got == pytest.approx(model.floor_rent("VR NVL72", hurdle_irr_annual=[0.1, 0.156]) / 17.5 * 1.979)
    with pytest.raises(GpueconError):
        competitive_rent("H100", "VR NVL72", "FP4")  # H100 markets no FP4


# --- documentation standard ------------------------------------------------------------------

def _public(module):
    import inspect
    return [(n, f) for n, f in vars(module).items()
            if not n.startswith("_") and inspect.isfunction(f) and f.__module__ == module.__name__]


@pytest.mark.parametrize("module", [tokens, decisions, trend], ids=lambda m: m.__name__)
def test_new_engine_functions_are_documented_with_excel_equivalents(module):
    found = _public(module)
    assert found
    for name, fn in found:
        problems = docstring_problems("costs", fn)  # "costs": an Excel equivalent is required too
        assert not problems, f"{module.__name__}.{name}: {problems}"

