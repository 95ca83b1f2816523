"""The Excel functions of tokens, decisions and the $/PFLOP trend (issue 13): the engine's numbers and the
seed's figures in cells, ranges broadcast like single cells, errors as text, the tornado row by row."""

from __future__ import annotations

import math

import pytest

from gpuecon.engine import decisions, model, tokens, trend
from gpuecon.engine.assumptions import as_assumptions
from gpuecon.excel.functions import ARG_DOCS, FUNCTION_DOCS, FUNCTIONS, cache_clear

G, VR, H = "GB300 NVL72", "VR NVL72", "H100 SXM"
NEW = ("TOKEN_PRICE", "TOKEN_COST", "TOKEN_MARGIN", "BREAKEVEN_UTILIZATION", "SENSITIVITY", "COMPETITIVE_RENT",
       "PFLOP_TREND")


def test_registered_with_descriptions():
    for name in NEW:
        assert name in FUNCTIONS and name in FUNCTION_DOCS
        assert FUNCTIONS[name].__name__ == name.lower()
    for arg in ("input_usd_per_mtok", "output_usd_per_mtok", "cached_input_usd_per_mtok", "input_output_ratio",
                "cache_hit_frac", "tokens_per_sec_per_gpu", "price_usd_per_mtok", "output", "swing_frac",
                "old_system", "new_system", "new_rent_usd_per_gpu_hour", "year"):
        assert arg in ARG_DOCS and len(ARG_DOCS[arg]) <= 255


# --- the seed's figures ---------------------------------------------------------------------------

def test_token_price_seed_figure():
    """$5 input, $25 output, $0.50 cached, 300:1, 90% hit: 310 / 301 = $1.0299 per million tokens."""
    assert FUNCTIONS["TOKEN_PRICE"](5, 25, 0.5, 300, 0.9) == pytest.approx(310 / 301, rel=1e-12)
    assert FUNCTIONS["TOKEN_PRICE"](5, 25, 0.5, 300, "90%") == pytest.approx(1.0299, abs=5e-5)
    assert FUNCTIONS["TOKEN_PRICE"](5, 25) == 15.0  # defaults: cached = input, ratio 1, hit 0
    assert FUNCTIONS["TOKEN_PRICE"](5, 25, None, 300) == pytest.approx((300 * 5 + 25) / 301, rel=1e-12)
    hit = float(tokens.cache_hit_for_price(0.99, 5, 25, 0.5, 300))  # the seed's $0.99 at about 91%
    assert FUNCTIONS["TOKEN_PRICE"](5, 25, 0.5, 300, hit) == pytest.approx(0.99, rel=1e-12)


def test_token_cost_seed_figure():
    """GB300 at 14,000 tokens/s/GPU: TCO / (14,000 x 3600) x 10^6 (utilization 100%) ~ $0.0535/MTok."""
    tco = float(model.tco_usd_per_gpu_hour(G))
    by_hand = tco / (14000 * 3600 * float(as_assumptions(G).utilization_frac)) * 1e6
    assert FUNCTIONS["TOKEN_COST"](G, 14000) == pytest.approx(by_hand, rel=1e-12)
    assert FUNCTIONS["TOKEN_COST"](G, 14000) == pytest.approx(0.0535, abs=5e-5)
    assert FUNCTIONS["TOKEN_COST"](G, 14000, 3.5) == pytest.approx(3.5 / (14000 * 3600) * 1e6, rel=1e-12)


def test_breakeven_utilization_seed_figure_round_trips_through_the_floor():
    u = FUNCTIONS["BREAKEVEN_UTILIZATION"](G, 3.5)
    assert u == pytest.approx(0.9053, abs=5e-5)
    assert float(model.floor_rent(G, utilization_frac=u)) == pytest.approx(3.5, rel=1e-9)
    u30 = FUNCTIONS["BREAKEVEN_UTILIZATION"](VR, 8.0, 0.3)
    assert float(model.floor_rent(VR, utilization_frac=u30, hurdle_irr_annual=0.3)) == pytest.approx(8.0, rel=1e-9)


def test_competitive_rent_seed_figure():
    """COMPETITIVE_RENT(GB300, VR) = VR floor / 17.5 x 5 (FP8 PFLOPS)."""
    vr_floor = float(model.floor_rent(VR))
    assert FUNCTIONS["COMPETITIVE_RENT"](G, VR) == pytest.approx(vr_floor / 17.5 * 5, rel=1e-12)
    assert FUNCTIONS["COMPETITIVE_RENT"](G, VR, "FP8", 12.25) == pytest.approx(3.5, rel=1e-12)


# --- the engine's numbers -------------------------------------------------------------------------

def test_values_are_the_engines():
    assert FUNCTIONS["TOKEN_PRICE"](3, 15, 0.3, 50, 0.6) == pytest.approx(
        float(tokens.token_price(3, 15, 0.3, 50, 0.6)), rel=1e-15)
    assert FUNCTIONS["TOKEN_COST"](H, 1000, 2.35) == pytest.approx(
        float(tokens.token_cost_usd_per_mtok(H, 1000, 2.35)), rel=1e-15)
    assert FUNCTIONS["TOKEN_MARGIN"](G, 14000, 0.99) == pytest.approx(float(tokens.token_margin(G, 14000, 0.99)),
                                                                     rel=1e-15)
    assert FUNCTIONS["TOKEN_MARGIN"](H, 1000, 0.99, 2.35) == pytest.approx(0.3406, abs=5e-5)
    assert FUNCTIONS["BREAKEVEN_UTILIZATION"](VR, 8.0) == pytest.approx(
        float(decisions.breakeven_utilization(VR, 8.0)), rel=1e-15)
    assert FUNCTIONS["COMPETITIVE_RENT"](H, VR, "BF16", 9.0) == pytest.approx(
        float(decisions.competitive_rent(H, VR, "BF16", 9.0)), rel=1e-15)
    t = trend.pflop_trend()
    assert FUNCTIONS["PFLOP_TREND"]() == pytest.approx(t.fitted_usd_per_pflop_hour, rel=1e-15)
    assert FUNCTIONS["PFLOP_TREND"]("fp8", 2025) == pytest.approx(trend.pflop_trend("FP8", 2025).fitted_usd_per_pflop_hour,
                                                                  rel=1e-12)
    assert FUNCTIONS["PFLOP_TREND"]("MEM_BW", 2024) == pytest.approx(
        trend.pflop_trend("MEM_BW", 2024).fitted_usd_per_pflop_hour, rel=1e-12)
    decline = 1 - FUNCTIONS["PFLOP_TREND"](None, 2026) / FUNCTIONS["PFLOP_TREND"](None, 2025)
    assert decline == pytest.approx(t.annual_decline_frac, rel=1e-12)


def test_the_assumptions_range_and_arguments():
    low_util = [["utilization_frac", 0.5]]
    assert FUNCTIONS["TOKEN_COST"](G, 14000, None, low_util) == pytest.approx(
        float(tokens.token_cost_usd_per_mtok(G, 14000, utilization_frac=0.5)), rel=1e-15)
    assert FUNCTIONS["TOKEN_MARGIN"](G, 14000, 0.99, 3.5, low_util) == pytest.approx(
        float(tokens.token_margin(G, 14000, 0.99, 3.5, utilization_frac=0.5)), rel=1e-15)
    # the hurdle from the cell wins over the range; utilization in the range is what is solved for
    assert FUNCTIONS["BREAKEVEN_UTILIZATION"](VR, 8.0, 0.3, [["hurdle_irr", 0.2], ["utilization_frac", 0.5]]) == \
        pytest.approx(float(decisions.breakeven_utilization(VR, 8.0, hurdle_irr_annual=0.3)), rel=1e-15)
    # the range applies to the new system only (its floor), the old one gives its PFLOPS
    assert FUNCTIONS["COMPETITIVE_RENT"](G, VR, None, None, [["pue_ratio", 1.5]]) == pytest.approx(
        float(decisions.competitive_rent(G, VR, pue_ratio=1.5)), rel=1e-15)


def test_a_blank_rent_is_the_tco_cell_by_cell():
    mixed = FUNCTIONS["TOKEN_COST"](G, 14000, [[3.5], [None]])
    assert mixed == [[pytest.approx(FUNCTIONS["TOKEN_COST"](G, 14000, 3.5), rel=1e-15)],
                     [pytest.approx(FUNCTIONS["TOKEN_COST"](G, 14000), rel=1e-15)]]
    floors = FUNCTIONS["COMPETITIVE_RENT"](G, VR, "FP8", [[12.25, None]])
    assert floors == [[pytest.approx(3.5), pytest.approx(FUNCTIONS["COMPETITIVE_RENT"](G, VR), rel=1e-15)]]


# --- ranges equal single cells --------------------------------------------------------------------

RANGE_CASES = [
    ("TOKEN_PRICE", [[[5], [3], [-1]], 25, [[0.5, None]], 300, [[0.9], [0.5], [0.9]]]),
    ("TOKEN_PRICE", [5, 25, 0.5, [[1, 300, 0]], [[0.0], [0.9], [1.5]]]),
    ("TOKEN_COST", [[[G], [H], ["nope"]], [[14000, 0, 1000]], [[None], [2.0], [3.0]]]),
    ("TOKEN_MARGIN", [[[G], [VR]], 14000, [[0.99, 0.05, 0]], [[None], [4.0]]]),
    ("BREAKEVEN_UTILIZATION", [[[G], [VR], [H]], [[2.0, 3.5, 8.0, 0]], [[None], [0.3], [20]]]),
    ("COMPETITIVE_RENT", [[[G], [H], ["xyz"]], [[VR, G]], [["FP8"], ["FP4"], ["BF16"]], None]),
    ("COMPETITIVE_RENT", [H, [[VR], [G]], "MEM_BW", [[None, 4.0, -1]]]),
    ("PFLOP_TREND", [[["FP8"], ["BF16"], ["FP4"], ["pf8"]], [[2022, 2026, None]]]),
]


def _cell(arg, i, j):
    if not isinstance(arg, list):
        return arg
    row = arg[i if len(arg) > 1 else 0]
    return row[j if len(row) > 1 else 0]


@pytest.mark.parametrize(("name", "args"), RANGE_CASES, ids=[c[0] for c in RANGE_CASES])
def test_a_range_call_equals_the_single_cell_calls(name, args):
    cache_clear()
    grid = FUNCTIONS[name](*args)
    assert isinstance(grid, list)
    for i, row in enumerate(grid):
        for j, got in enumerate(row):
            cache_clear()
            alone = FUNCTIONS[name](*(_cell(a, i, j) for a in args))
            if isinstance(alone, float):
                assert got == pytest.approx(alone, rel=1e-12), (i, j)
            else:
                assert got == alone, (i, j)
    assert any(isinstance(v, float) for r in grid for v in r)
    assert any(isinstance(v, str) for r in grid for v in r)  # each case holds a bad cell that fails alone


# --- error texts ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "args", "text"), [
    ("TOKEN_PRICE", (5, 25, 0.5, 300, 1.5), "#VALUE! cache_hit_frac must be in [0, 1], got 1.5"),
    ("TOKEN_PRICE", (None, 25), "#VALUE! input_usd_per_mtok is required (USD per million tokens)"),
    ("TOKEN_PRICE", (-5, 25), "#VALUE! input_usd_per_mtok must be a number >= 0, got -5"),
    ("TOKEN_PRICE", (5, "abc"), "#VALUE! output_usd_per_mtok must be a number, got 'abc'"),
    ("TOKEN_COST", (G, 0), "#VALUE! tokens_per_sec_per_gpu must be a number > 0, got 0"),
    ("TOKEN_COST", (G, None), "#VALUE! tokens_per_sec_per_gpu is required"),
    ("TOKEN_COST", (G, 14000, -1), "#VALUE! rent_usd_per_gpu_hour must be a number >= 0, got -1"),
    ("TOKEN_MARGIN", (G, 14000, 0), "#VALUE! price_usd_per_mtok must be a number > 0, got 0"),
    ("BREAKEVEN_UTILIZATION", (G, 2.0), "#NUM! needs more than 100% utilization (158.4%): the floor rent at 100% "
                                        "utilization, 3.17 USD/GPU-hr, is above the rent 2.00"),
    ("BREAKEVEN_UTILIZATION", (G, 0), "#NUM! needs more than 100% utilization: a rent of 0 never earns the hurdle"),
    ("BREAKEVEN_UTILIZATION", (G, None), "#VALUE! rent_usd_per_gpu_hour is required"),
    ("SENSITIVITY", (VR, "bogus"), "#VALUE! output must be one of floor, tco, irr, equity_irr, got 'bogus'"),
    ("SENSITIVITY", (VR, "irr"), "#VALUE! output 'irr' needs a rent (rent_usd_per_gpu_hour)"),
    ("SENSITIVITY", (VR, None, 2), "#VALUE! swing_frac must be in (0, 1], got 2"),
    ("SENSITIVITY", ([[VR], [H]],), "#VALUE! SENSITIVITY takes single values (one table)"),
    ("COMPETITIVE_RENT", (H, VR, "FP4"), "#N/A old_system H100 SXM has no marketed FP4 figure (tflops_fp4_dense)"),
    ("COMPETITIVE_RENT", (VR, H, "FP4"), "#N/A H100 SXM has no marketed FP4 figure (tflops_fp4_dense)"),
    ("COMPETITIVE_RENT", ("xyz", VR), "#VALUE! old_system: unknown system 'xyz'; closest:"),
    ("COMPETITIVE_RENT", (H, "xyz"), "#VALUE! new_system: unknown system 'xyz'; closest:"),
    ("COMPETITIVE_RENT", (None, VR), "#VALUE! old_system is required: a catalog name"),
    ("PFLOP_TREND", ("FP4",), "#N/A no FP4 trend: the trend needs points in at least two distinct launch years, got 1"),
    ("PFLOP_TREND", (None, 1e9), "#NUM! the trend is out of floating-point range at year 1e+09"),
    ("PFLOP_TREND", ("XX",), "#VALUE! basis must be one of"),
])
def test_errors_are_cell_text(name, args, text):
    cache_clear()
    assert str(FUNCTIONS[name](*args)).startswith(text)


# --- the tornado ----------------------------------------------------------------------------------

HEADER = ["input", "low", "high", "output_at_low", "output_at_high", "swing"]


def _recomputed(output, system, rent, **fields):
    if output == "floor":
        return float(model.floor_rent(system, **fields))
    if output == "tco":
        return float(model.tco_usd_per_gpu_hour(system, **fields))
    return float(model.project_irr(system, rent, **fields))


@pytest.mark.parametrize(("system", "output", "swing", "rent"), [
    (VR, None, None, None), (G, "tco", 0.1, None), (G, "irr", 0.3, 3.5), (H, "floor", 0.5, None),
])
def test_sensitivity_rows_are_the_engine_with_one_input_moved(system, output, swing, rent):
    table = FUNCTIONS["SENSITIVITY"](system, output, swing, rent)
    assert table[0] == HEADER
    rows = table[1:]
    assert rows and all(len(r) == 6 for r in rows)
    swings = [r[5] for r in rows]
    assert swings[0] == max(swings) and swings == sorted(swings, reverse=True)  # largest first
    base = as_assumptions(system)
    key = output or "floor"
    for name, low, high, at_low, at_high, sw in rows:
        v = float(base[name])
        s = 0.2 if swing is None else swing
        assert low <= v <= high and (low != v or high != v)
        assert low >= v - s * abs(v) - 1e-9 and high <= v + s * abs(v) + 1e-9  # moved by at most swing_frac
        assert at_low == pytest.approx(_recomputed(key, system, rent, **{name: low}), rel=1e-9, abs=1e-12), name
        assert at_high == pytest.approx(_recomputed(key, system, rent, **{name: high}), rel=1e-9, abs=1e-12), name
        assert sw == pytest.approx(abs(at_high - at_low), rel=1e-12)
    engine = decisions.sensitivity(system, key, 0.2 if swing is None else swing, rent)
    assert [r[0] for r in rows] == list(engine["input"])


def test_sensitivity_seed_rows_and_clipping():
    rows = {r[0]: r for r in FUNCTIONS["SENSITIVITY"](VR)[1:]}
    assert [round(x, 4) for x in rows["hurdle_irr_annual"][1:]] == [0.1248, 0.1872, 4.7593, 5.0887, 0.3295]
    util = FUNCTIONS["SENSITIVITY"](VR)[1]
    assert util[0] == "utilization_frac" and util[1:3] == [0.8, 1.0]  # 120% clipped to the range's bound
    assert "tflops_fp8_dense" not in rows  # does not move the floor: no row


def test_sensitivity_missing_outputs_are_num_with_the_reason():
    table = FUNCTIONS["SENSITIVITY"](G, "equity_irr", 0.2, 2.0)
    term = next(r for r in table[1:] if r[0] == "contract_term_years")
    assert term[3] == "#NUM! no equity_irr to show at the low or high value"
    assert isinstance(term[4], float) and term[5] == term[3]
    custom = FUNCTIONS["SENSITIVITY"]("custom", None, None, None,
                                      [["capex_compute_usd_per_gpu", 30000], ["it_w_per_gpu", 1200]])
    assert custom[0] == HEADER and len(custom) > 5


def test_sensitivity_assumptions_range_is_the_base():
    rows = FUNCTIONS["SENSITIVITY"](VR, "floor", 0.2, None, [["capex_compute_usd_per_gpu", 50000]])[1:]
    capex = next(r for r in rows if r[0] == "capex_compute_usd_per_gpu")
    assert capex[1:3] == [pytest.approx(40000), pytest.approx(60000)]
    assert capex[3] == pytest.approx(float(model.floor_rent(VR, capex_compute_usd_per_gpu=40000)), rel=1e-9)


def test_no_cell_is_ever_a_non_finite_number():
    for name in NEW:
        doc = FUNCTION_DOCS[name]
        assert 20 < len(doc) <= 255 and "\n" not in doc
    for v in (FUNCTIONS["PFLOP_TREND"](None, [[-1e9, 0, 2026, 1e9]]), FUNCTIONS["TOKEN_PRICE"](1e308, 1e308, None, 1e308)):
        cells = v if isinstance(v, list) else [[v]]
        for r in cells:
            for x in r:
                assert isinstance(x, str) or math.isfinite(x)


@pytest.mark.parametrize(("hit", "text"), [
    (91, "#VALUE! cache_hit_frac must be in [0, 1], got 91 (91 means 9100%; for 91% write 0.91 or 91%)"),
    (-0.1, "#VALUE! cache_hit_frac must be in [0, 1], got -0.1"),
])
def test_token_price_cache_hit_typed_as_a_percent_says_so(hit, text):
    assert FUNCTIONS["TOKEN_PRICE"](5, 25, 0.5, 300, hit) == text
    assert FUNCTIONS["TOKEN_PRICE"](5, 25, 0.5, 300, "91%") == pytest.approx((300 * (0.91 * 0.5 + 0.09 * 5) + 25) / 301)
