"""GPU value over time: market value against explicit month-by-month sums, the implied discount rate's
round trip, book value tables (SL, DDB as Excel's VDB, MACRS 5-year), the exact error messages, and the
H100 calibration table of docs/financing.md."""

from __future__ import annotations

import doctest
from pathlib import Path

import numpy as np
import numpy_financial as npf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gpuecon.engine.valuation as val
from gpuecon.engine.errors import GpueconError
from gpuecon.engine.model import ceiling_rent_from_reference, floor_rent
from gpuecon.engine.numbers import explicit

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# H100 SXM at the catalog defaults, by hand (docs/model.md): all-in capex and opex per GPU-hour
H100_CAPEX = 44_000.0
H100_OPEX_HOUR = 1.4 * 1.3 * 0.08 + 1.4 * 140 / 730 + 0.025 * 44_000 / 8_760


def test_doctests():
    assert doctest.testmod(val, optionflags=doctest.NORMALIZE_WHITESPACE).failed == 0


def _value_by_hand(rent, age, d, g=0.0, life=6.0, util=1.0, residual_frac=0.0):
    """Month-by-month present value, written out: net cash at each month end, stub pro-rated, residual at the end."""
    m = (1 + d) ** (1 / 12) - 1
    remaining = (life - age) * 12
    whole = int(np.floor(remaining + 1e-9))
    stub = remaining - whole if remaining - whole > 1e-9 else 0.0
    total = 0.0
    for k in range(1, whole + 2):
        w = 1.0 if k <= whole else stub
        total += w * (rent * (1 + g) ** (k / 12) * 730 * util - H100_OPEX_HOUR * 730) / (1 + m) ** k
    end = whole + (1 if stub else 0)
    return total + residual_frac * H100_CAPEX / (1 + m) ** end


def test_value_by_hand_and_as_excel_pv():
    # 3 years left of 6 at $2.00 and 10%: =PV(m, 36, -(2*730 - opex*730))
    m = 1.1 ** (1 / 12) - 1
    net = 2.0 * 730 - H100_OPEX_HOUR * 730
    assert net == pytest.approx(1066.045, abs=0.001)
    expected = npf.pv(m, 36, -net)
    assert float(val.gpu_value("H100", 3.0, 2.0, 0.10)) == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(_value_by_hand(2.0, 3.0, 0.10), rel=1e-12)


@pytest.mark.parametrize(("age", "life", "g", "d", "util", "residual"), [
    (1.25, 4.3, 0.10, 0.12, 0.9, 0.1),   # 36.6 months left: a 0.6 stub in month 37, residual at month 37
    (0.0, 6.0, -0.05, 0.156, 1.0, 0.0),
    (2.5, 7.25, 0.25, 0.30, 0.75, 0.3),
    (5.9, 6.0, 0.0, 0.08, 1.0, 0.05),    # 1.2 months left
])
def test_value_with_growth_and_stub_matches_the_explicit_sum(age, life, g, d, util, residual):
    got = val.gpu_value("H100", age, 2.2, d, rent_change_annual=g, useful_life_years=life, utilization_frac=util,
                        residual_value_frac_capex=residual)
    assert float(got) == pytest.approx(_value_by_hand(2.2, age, d, g, life, util, residual), rel=1e-11)
    flows = val.valuation_cash_flows("H100", age, 2.2, rent_change_annual=g, useful_life_years=life,
                                     utilization_frac=util, residual_value_frac_capex=residual)
    m = (1 + d) ** (1 / 12) - 1
    assert float(npf.npv(m, np.r_[0.0, flows])) == pytest.approx(float(got), rel=1e-11)


def test_default_rent_is_the_catalog_market_rent_and_discount_the_hurdle():
    assert float(val.gpu_value("GB300 NVL72", 2.0)) == float(val.gpu_value("GB300 NVL72", 2.0, 3.50, 0.156))
    with pytest.raises(GpueconError) as err:
        val.gpu_value("H100", 3.0)
    assert str(err.value) == ("H100 SXM has no market rent in the catalog (market_rent_usd_per_gpu_hour is blank): "
                              "give rent_usd_per_gpu_hour")
    assert err.value.field == "rent_usd_per_gpu_hour"


@SETTINGS
@given(age_months=st.integers(0, 71), util=st.floats(0.3, 1.0), d=st.floats(-0.5, 3.0), r1=st.floats(0.0, 5.0),
       dr=st.floats(0.1, 5.0), residual=st.floats(0.0, 0.5))
def test_value_is_linear_in_rent_with_slope_730_u_annuity(age_months, util, d, r1, dr, residual):
    kw = dict(utilization_frac=util, residual_value_frac_capex=residual)
    v1 = float(val.gpu_value("H100", age_months / 12, r1, explicit(d), **kw))
    v2 = float(val.gpu_value("H100", age_months / 12, r1 + dr, explicit(d), **kw))
    m = (1 + d) ** (1 / 12) - 1
    n = 72 - age_months
    annuity = n if m == 0 else -np.expm1(-n * np.log1p(m)) / m  # (1 - (1+m)^-n) / m without cancellation
    assert (v2 - v1) / dr == pytest.approx(730 * util * annuity, rel=1e-9)


@SETTINGS
@given(life=st.floats(0.5, 12.0), extra=st.floats(0.0, 5.0), residual=st.floats(0.0, 1.0), d=st.floats(-0.5, 5.0),
       rent=st.floats(0.0, 10.0))
def test_value_at_and_past_the_end_of_life_is_the_residual(life, extra, residual, d, rent):
    v = float(val.gpu_value("H100", life + extra, rent, explicit(d), useful_life_years=life,
                            residual_value_frac_capex=residual))
    assert v == pytest.approx(residual * H100_CAPEX, rel=1e-12, abs=1e-9)


@SETTINGS
@given(d=st.floats(-0.4, 2.0), age=st.floats(0.0, 5.5), spread=st.floats(0.05, 3.0), g=st.floats(-0.1, 0.3),
       residual=st.floats(0.0, 0.5), life=st.floats(5.6, 9.0))
def test_implied_discount_rate_round_trips_through_gpu_value(d, age, spread, g, residual, life):
    # the rent stays above the operating cost to the end of life, so every future flow is positive: one root
    rent = (H100_OPEX_HOUR + spread) / min(1.0, (1 + g) ** (life - age))
    kw = dict(rent_change_annual=g, useful_life_years=life, residual_value_frac_capex=residual)
    price = float(val.gpu_value("H100", age, rent, explicit(d), **kw))
    got = val.implied_discount_rate_detail("H100", price, age, rent, **kw)
    assert str(got.reason) == ""
    assert float(got.annual) == pytest.approx(d, abs=1e-9)


def test_implied_discount_rate_reasons():
    d = val.implied_discount_rate_detail("H100", 30_000, [6.0, 7.0, 3.0], [2.0, 2.0, 0.3])
    assert np.isnan(d.annual).all()
    past = "no discount rate: at or past the end of the useful life the value is the residual ($0) at any rate"
    assert d.reason.tolist() == [past, past, ("no discount rate: the remaining net cash and residual are never "
                                              "positive (rent below the operating cost), so the value is not "
                                              "positive at any rate")]
    # a price above the undiscounted remaining cash: a negative rate, shown
    cash = 36 * (2.0 * 730 - H100_OPEX_HOUR * 730)
    neg = val.implied_discount_rate("H100", cash * 1.2, 3.0, 2.0)
    assert float(neg) < 0 and float(val.gpu_value("H100", 3.0, 2.0, float(neg))) == pytest.approx(cash * 1.2)


# --- book value -----------------------------------------------------------------------------------

def test_macrs5_table():
    ages = np.arange(0, 8)
    expected = H100_CAPEX * np.array([1, 0.8, 0.48, 0.288, 0.1728, 0.0576, 0, 0])
    assert val.book_value("H100", ages, "MACRS5") == pytest.approx(expected, abs=1e-9)
    assert val.MACRS5_RATES == (0.20, 0.32, 0.192, 0.1152, 0.1152, 0.0576)
    # half way through year 2: 20% + half of 32%
    assert float(val.book_value("H100", 1.5, "MACRS5")) == pytest.approx(H100_CAPEX * (1 - 0.2 - 0.16))


def test_ddb_matches_excel_vdb_textbook_values():
    # =1000-VDB(1000,0,5,0,k): 400, 240, 144, then straight-line 108, 108
    custom = dict(capex_compute_usd_per_gpu=1000.0, it_w_per_gpu=1000.0)
    got = val.book_value(None, np.arange(6), "DDB", useful_life_years=5, **custom)
    assert got == pytest.approx([1000, 600, 360, 216, 108, 0], abs=1e-9)
    # 6-year life: 2/6 a year, straight-line from year 5 (=VDB switches when SL exceeds DDB)
    six = val.book_value("H100", np.arange(7), "ddb")
    assert six == pytest.approx(H100_CAPEX * np.array([1, 2 / 3, 4 / 9, 8 / 27, 16 / 81, 8 / 81, 0]), rel=1e-12)
    # fractional life 2.5: 2/2.5 = 80% a year: 1000 -> 200; year 2: DDB 160 > SL 200/1.5 = 133 -> 40;
    # the last half-year writes off the 40, linearly within it
    half = val.book_value(None, [1, 2, 2.25, 2.5], "DDB", useful_life_years=2.5, **custom)
    assert half == pytest.approx([200, 40, 20, 0], abs=1e-9)


def test_straight_line():
    got = val.book_value("H100", [0, 1.5, 3, 6, 9])
    assert got == pytest.approx(H100_CAPEX * np.array([1, 0.75, 0.5, 0, 0]))
    assert val.book_value("H100", 2.0, useful_life_years=4.3) == pytest.approx(H100_CAPEX * (1 - 2 / 4.3))


# --- input errors -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("call", "message"), [
    (lambda: val.gpu_value("H100", -1.0, 2.0), "age_years must be in [0, 50], got -1"),
    (lambda: val.gpu_value("H100", 1.0, 2.0, rent_change_annual=8),
     "rent_change_annual = 8 looks like a percent typed as a whole number: 8 means 800%; for 8% write 0.08 or 8% "
     "(to mean 800%, write 800%)"),
    (lambda: val.gpu_value("H100", 1.0, 2.0, 15), "discount_rate_annual must be in (-1, 10], got 15 "
                                                  "(15 means 1500%; for 15% write 0.15 or 15%)"),
    (lambda: val.book_value("H100", 1.0, "straight"),
     "depreciation_method must be one of 'SL', 'DDB', 'MACRS5', got 'straight'"),
    (lambda: val.implied_discount_rate("H100", 0, 3.0, 2.0), "price_usd_per_gpu must be in (0, 1e+08], got 0"),
    (lambda: val.implied_discount_rate("H100", None, 3.0, 2.0), "price_usd_per_gpu must be given, got None"),
    (lambda: val.gpu_value("H100", 1.0, "cheap"), "rent_usd_per_gpu_hour must be a number (e.g. 0.15 or 15%), got 'cheap'"),
])
def test_bad_inputs_raise_with_the_exact_message(call, message):
    with pytest.raises(GpueconError) as err:
        call()
    assert str(err.value) == message


def test_rates_typed_with_percent_are_taken_as_meant():
    assert float(val.gpu_value("H100", 1.0, 2.0, "10%", rent_change_annual="800%")) == pytest.approx(
        float(val.gpu_value("H100", 1.0, 2.0, 0.10, rent_change_annual=explicit(8.0))))


# --- the H100 calibration of docs/financing.md -----------------------------------------------------------

def calibration_table() -> str:
    """The implied discount rates docs/financing.md shows for seed 000's H100 prices."""
    floor = float(floor_rent("H100"))
    parity = float(ceiling_rent_from_reference("H100", "GB300 NVL72", 3.50))
    cases = [("H100 floor at the 15.6% hurdle", floor, 0.0), ("floor +10% (seed 000's jump)", floor * 1.1, 0.0),
             ("floor, then +10% a year", floor, 0.10), ("FP8 parity with GB300 at $3.50", parity, 0.0)]
    lines = ["| useful life | rent assumed | USD/GPU-hr | 3 y, $25k | 3 y, $40k | 4 y, $25k | 4 y, $40k |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for life in (6, 8):
        for name, rent, g in cases:
            rates = val.implied_discount_rate("H100", np.array([25_000, 40_000]), np.array([[3.0], [4.0]]), rent,
                                              rent_change_annual=g, useful_life_years=life).ravel()
            cells = " | ".join(f"{r:.1%}" for r in rates)
            lines.append(f"| {life} y | {name} | {rent:.2f} | {cells} |")
    return "\n".join(lines)


def test_calibration_table_in_the_doc_is_the_engine_output():
    assert calibration_table() in (ROOT / "docs" / "financing.md").read_text()
