"""Fuzz every Excel function with bad and odd Excel-shaped input: nothing raises, no internal
error, every failure is a short readable reason with an Excel error code."""

import datetime as dt
import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gpuecon.excel import functions as excel

ADDIN = Path(__file__).resolve().parent.parent / "addin"
_spec = importlib.util.spec_from_file_location("gpuecon_udfs_fuzz", ADDIN / "gpuecon_udfs.py")
U = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(U)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-10**30, max_value=10**30),
    st.text(max_size=20),
    st.sampled_from(["", "  ", "VR NVL72", "h100", "custom", "FP8", "mem bw", "breakdown", "15%", "-2", "1e400",
                     "#DIV/0!", "#N/A", "#VALUE! x", "hurdle_irr", "pue", "tflops_fp8_dense", "nan", "inf"]),
    st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2100, 1, 1)),
    st.just(b"bytes"),
    st.just({"a": 1}),
)
rows = st.lists(scalars, min_size=1, max_size=4)
ranges = st.one_of(
    rows,  # 1-D
    st.integers(1, 4).flatmap(lambda w: st.lists(st.lists(scalars, min_size=w, max_size=w), min_size=1, max_size=4)),
    st.lists(rows, min_size=1, max_size=3),  # possibly ragged
    st.just([]),
    st.just([[]]),
    st.just([[[1.0]]]),  # nested too deep
    st.builds(lambda n: np.full((n, 1), 0.2), st.integers(1, 3)),
)
values = st.one_of(scalars, ranges)
assumption_ranges = st.one_of(
    st.none(),
    values,
    st.lists(st.tuples(st.sampled_from(["pue", "PUE ratio", "hurdle", "bogus", "", None, 3.0, "it_w_per_gpu",
                                        "capex_compute_usd_per_gpu", "tax_rate", "contract_term_years"]),
                       scalars).map(list), min_size=1, max_size=4),
)

CODES = ("#VALUE! ", "#N/A ", "#NUM! ")


def check(result):
    """A number, a bool, a name, or an error text; lists of those; never an internal error."""
    if isinstance(result, list):
        assert result and all(isinstance(r, list) and len(r) == len(result[0]) for r in result)
        for r in result:
            for v in r:
                check_cell(v)
    else:
        check_cell(result)


def check_cell(v):
    assert isinstance(v, float | bool | str), type(v)
    if isinstance(v, float):
        assert math.isfinite(v)
    if isinstance(v, str) and v.startswith("#"):
        assert v.startswith(CODES), v
        assert "internal error" not in v, v
        assert "Traceback" not in v and "\n" not in v
        assert len(v) <= 1010


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(values, values, assumption_ranges)
def test_gpu_tco(system, item, assumptions):
    check(U.GPU_TCO(system, item, assumptions))


@SETTINGS
@given(st.one_of(st.just("VR NVL72"), values), values, values, values, assumption_ranges)
def test_floor_rent(system, hurdle, term, prepay, assumptions):
    check(U.FLOOR_RENT(system, hurdle, term, prepay, assumptions))


@SETTINGS
@given(st.one_of(st.just("VR NVL72"), values), values, values, assumption_ranges)
def test_ceiling_rent(system, price, basis, assumptions):
    check(U.CEILING_RENT(system, price, basis, assumptions))


@SETTINGS
@given(values, values, values)
def test_socamm_cost(cap, usd, margin):
    check(U.SOCAMM_COST(cap, usd, margin))


@SETTINGS
@given(st.one_of(st.just("GB300 NVL72"), values), values, values, values, assumption_ranges)
def test_project_irr(system, rent, term, prepay, assumptions):
    check(U.PROJECT_IRR(system, rent, term, prepay, assumptions))


@SETTINGS
@given(st.one_of(st.just("VR NVL72"), values), values, values)
def test_rent_per_pflop(system, rent, basis):
    check(U.RENT_PER_PFLOP(system, rent, basis))


@SETTINGS
@given(values, values)
def test_gpu_spec(system, field):
    check(U.GPU_SPEC(system, field))


@settings(max_examples=40, deadline=None)
@given(st.one_of(st.just("VR NVL72"), values), values, assumption_ranges)
def test_one_chart(system, rents, assumptions):
    check(U.ONE_CHART(system, rents, assumptions))


@SETTINGS
@given(values, values, values, values, values)
def test_token_price(inp, out, cached, ratio, hit):
    check(U.TOKEN_PRICE(inp, out, cached, ratio, hit))


@SETTINGS
@given(st.one_of(st.just("GB300 NVL72"), values), values, values, assumption_ranges)
def test_token_cost(system, tps, rent, assumptions):
    check(U.TOKEN_COST(system, tps, rent, assumptions))


@SETTINGS
@given(st.one_of(st.just("GB300 NVL72"), values), values, values, values, assumption_ranges)
def test_token_margin(system, tps, price, rent, assumptions):
    check(U.TOKEN_MARGIN(system, tps, price, rent, assumptions))


@SETTINGS
@given(st.one_of(st.just("GB300 NVL72"), values), values, values, assumption_ranges)
def test_breakeven_utilization(system, rent, hurdle, assumptions):
    check(U.BREAKEVEN_UTILIZATION(system, rent, hurdle, assumptions))


@settings(max_examples=40, deadline=None)
@given(st.one_of(st.just("VR NVL72"), values), st.one_of(st.sampled_from(["floor", "tco", "irr", "equity_irr"]), values),
       values, values, assumption_ranges)
def test_sensitivity(system, output, swing, rent, assumptions):
    check(U.SENSITIVITY(system, output, swing, rent, assumptions))


@SETTINGS
@given(st.one_of(st.just("GB300 NVL72"), values), st.one_of(st.just("VR NVL72"), values), values, values,
       assumption_ranges)
def test_competitive_rent(old, new, basis, rent, assumptions):
    check(U.COMPETITIVE_RENT(old, new, basis, rent, assumptions))


@SETTINGS
@given(values, values)
def test_pflop_trend(basis, year):
    check(U.PFLOP_TREND(basis, year))


@SETTINGS
@given(st.one_of(st.just("B300"), values), st.one_of(st.just("DeepSeek R1"), values), values, values, values)
def test_throughput(system, model, workload, precision, configuration):
    check(U.THROUGHPUT(system, model, workload, precision, configuration))


@SETTINGS
@given(st.one_of(st.just("GB300 NVL72"), values), st.one_of(st.just("H100"), values), values)
def test_throughput_ratio(system, reference, precision):
    check(U.THROUGHPUT_RATIO(system, reference, precision))


def test_no_argument_functions():
    check(U.GPU_SYSTEMS())
    check(U.GPUECON_VERSION())


@SETTINGS
@given(scalars)
def test_scalar_and_array_calls_agree(v):
    """The same value gives the same cell, alone or inside a column."""
    excel.cache_clear()
    alone = U.FLOOR_RENT("VR NVL72", v)
    excel.cache_clear()
    in_column = U.FLOOR_RENT("VR NVL72", [[v], [0.156]])
    cell = in_column[0][0] if isinstance(in_column, list) else in_column
    if isinstance(alone, float):
        assert cell == alone or math.isclose(cell, alone, rel_tol=1e-12)
    else:
        assert cell == alone


@SETTINGS
@given(st.floats(min_value=-5, max_value=15))
def test_hurdle_errors_name_the_field_value_and_range(h):
    out = U.FLOOR_RENT("VR NVL72", h)
    if -1 < h <= 1:
        assert isinstance(out, float)
    elif 1 < h <= 10:  # a likely percent typo: refused with the reading it would have
        assert out.startswith("#VALUE! hurdle_irr = ") and f"means {h * 100:g}%" in out
    else:
        assert out.startswith("#VALUE! hurdle_irr must be in (-1, 10], got ")


DEBT_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
debt_assumptions = st.one_of(assumption_ranges, st.lists(st.tuples(
    st.sampled_from(["debt_ltv_frac", "debt_rate_annual", "debt_tenor_years", "debt_min_dscr", "ltv"]), scalars
).map(list), min_size=1, max_size=3))


@DEBT_SETTINGS
@given(st.one_of(st.just("GB300 NVL72"), values), values, values, values, values, debt_assumptions)
def test_debt_functions(system, rent, a, b, c, assumptions):
    for fn in (U.EQUITY_IRR, U.MIN_DSCR, U.MAX_LTV, U.DEBT_SCHEDULE):
        check(fn(system, rent, a, b, c, assumptions))
    check(U.PAYBACK_MONTHS(system, rent, a, assumptions))


@DEBT_SETTINGS
@given(st.one_of(st.just("H100 SXM"), values), values, values, values, assumption_ranges)
def test_value_functions(system, age, x, y, assumptions):
    check(U.GPU_VALUE(system, age, x, y, assumptions))
    check(U.IMPLIED_DISCOUNT_RATE(system, x, age, y, assumptions))
    check(U.BOOK_VALUE(system, age, x, assumptions))


# --- bad input to the debt and value functions: each names the argument or field, the value and what is allowed ---
_G, _H = "GB300 NVL72", "H100 SXM"


@pytest.mark.parametrize(("name", "args", "text"), [
    ("MIN_DSCR", (_G, 3.5, 0.5, 1.5), "#VALUE! debt_rate must be in [0, 1], got 1.5 (1.5 means 150%; for 1.5% write "
                                      "0.015 or 1.5%)"),
    ("MAX_LTV", (_G, 3.5, 0), "#VALUE! min_dscr must be in (0, 100], got 0"),
    ("MAX_LTV", (_G, 3.5, None, None, 31), "#VALUE! tenor_years must be in (0, 30] and whole months, got 31"),
    ("DEBT_SCHEDULE", (_G, 3.5, 0.5, 0.1, 4.01), "#VALUE! tenor_years must be in (0, 30] and whole months, got 4.01"),
    ("DEBT_SCHEDULE", (_G, [[3.5], [4]]), "#VALUE! DEBT_SCHEDULE takes single values (one schedule)"),
    ("EQUITY_IRR", (_G, 3.5, 1.0), "#VALUE! ltv must be in [0, 1), got 1"),
    ("EQUITY_IRR", (_G, -1), "#VALUE! rent_usd_per_gpu_hour must be a number >= 0, got -1"),
    ("EQUITY_IRR", (_G, 3.5, None, None, None, [["debt_ltv_frac", 1.0]]), "#VALUE! debt_ltv_frac must be in [0, 1), got 1"),
    ("PAYBACK_MONTHS", (_G, 3.5, "abc"), "#VALUE! discount_rate must be a number, got 'abc'"),
    ("PAYBACK_MONTHS", (_G, 0.1), "#NUM! no payback within the 60-month horizon: the cumulative cash flow is -$110,633 "
                                  "per GPU at month 60"),
    ("GPU_VALUE", (_H, -1, 2.0), "#VALUE! age_years must be a number >= 0, got -1"),
    ("GPU_VALUE", (_H, 3, 2.0, -1.0), "#VALUE! discount_rate_annual must be in (-1, 10], got -1"),
    ("GPU_VALUE", (_H, 3, 2.0, 2.0), "#VALUE! discount_rate_annual = 2 looks like a percent typed as a whole number"),
    ("IMPLIED_DISCOUNT_RATE", (_H, 0, 3, 2.0), "#VALUE! price_usd_per_gpu must be in (0, 1e+08], got 0"),
    ("IMPLIED_DISCOUNT_RATE", (_H, 30000, 7, 2.0), "#NUM! no discount rate: at or past the end of the useful life the "
                                                  "value is the residual ($0) at any rate"),
    ("IMPLIED_DISCOUNT_RATE", (_H, 30000, 3, 0.1), "#NUM! no discount rate: the remaining net cash and residual are "
                                                  "never positive (rent below the operating cost)"),
    ("BOOK_VALUE", (_H, 3, [["SL", "DDB"]]), "#VALUE! method must be a single SL, DDB or MACRS5"),
    ("BOOK_VALUE", (_H, 51), "#VALUE! age_years must be in [0, 50], got 51"),
])
def test_debt_and_value_bad_inputs_say_why(name, args, text):
    out = getattr(U, name)(*args)
    check(out)
    assert str(out).startswith(text), out
