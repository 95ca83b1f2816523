"""Tokens (issue 13): blended price, cost per million tokens, margin; seed 001's figures pinned."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gpuecon.engine import model
from gpuecon.engine.errors import GpueconError
from gpuecon.engine.tokens import cache_hit_for_price, token_cost_usd_per_mtok, token_margin, token_price

# seed 001: Opus 4.7 on agentic tasks, $5 input / $25 output, cached input $0.50, ~300:1, 90%+ cache hits
SEED = dict(input_usd_per_mtok=5.0, output_usd_per_mtok=25.0, cached_input_usd_per_mtok=0.5, input_output_ratio=300.0)


def test_seed_blended_price_at_exactly_90_percent_hit_is_310_over_301():
    # 300 input tokens: 270 cached at $0.50 = 135, 30 uncached at $5 = 150; 1 output at $25; 301 tokens
    assert float(token_price(**SEED, cache_hit_frac=0.9)) == pytest.approx(310 / 301, abs=1e-12)
    assert round(310 / 301, 4) == 1.0299


def test_seed_099_sits_at_about_91_percent_cache_hit():
    hit = float(cache_hit_for_price(0.99, 5.0, 25.0, 0.5, 300.0))
    # by hand: (300*5 + 25 - 0.99*301) / (300 * 4.5) = 1227.01 / 1350
    assert hit == pytest.approx(1227.01 / 1350, abs=1e-12)
    assert 0.905 < hit < 0.915
    assert float(token_price(**SEED, cache_hit_frac=hit)) == pytest.approx(0.99, abs=1e-12)


def test_defaults_cached_is_input_ratio_one_no_hits():
    assert float(token_price(5, 25)) == 15.0  # (1 x 5 + 25) / 2
    assert float(token_price(5, 25, None, 3.0, 0.5)) == pytest.approx((3 * 5 + 25) / 4)  # cached = input
    assert float(token_price(5, 25, input_output_ratio=0)) == 25.0  # output only


def test_token_price_broadcasts():
    out = token_price(5, 25, 0.5, 300, np.array([[0.0], [0.9], [1.0]]))
    assert out.shape == (3, 1)
    assert out.ravel() == pytest.approx([(1500 + 25) / 301, 310 / 301, (150 + 25) / 301])


@pytest.mark.parametrize(("kwargs", "field"), [
    (dict(input_usd_per_mtok=-1), "input_usd_per_mtok"),
    (dict(output_usd_per_mtok=float("nan")), "output_usd_per_mtok"),
    (dict(cached_input_usd_per_mtok="x"), "cached_input_usd_per_mtok"),
    (dict(input_output_ratio=-2), "input_output_ratio"),
    (dict(cache_hit_frac=1.01), "cache_hit_frac"),
    (dict(cache_hit_frac=True), "cache_hit_frac"),
    (dict(input_usd_per_mtok=None), "input_usd_per_mtok"),
])
def test_token_price_bad_input_names_the_field(kwargs, field):
    args = {**SEED, "cache_hit_frac": 0.5, **kwargs}
    with pytest.raises(GpueconError) as err:
        token_price(**args)
    assert err.value.field == field


def test_token_price_reads_text_and_percent():
    assert float(token_price("5", "25", "0.5", "300", "90%")) == pytest.approx(310 / 301)


def test_cache_hit_none_outside_the_tiers_and_refuses_a_cache_that_does_not_discount():
    assert np.isnan(cache_hit_for_price(0.1, 5, 25, 0.5, 300))  # below the all-cached price (175/301)
    assert np.isnan(cache_hit_for_price(6.0, 5, 25, 0.5, 300))  # above the uncached price (1525/301)
    assert float(cache_hit_for_price(175 / 301, 5, 25, 0.5, 300)) == pytest.approx(1.0)
    with pytest.raises(GpueconError) as err:
        cache_hit_for_price(1.0, 5, 25, 5, 300)
    assert err.value.field == "cached_input_usd_per_mtok"


@settings(max_examples=200, deadline=None)
@given(st.floats(0, 100), st.floats(0, 100), st.floats(0, 100), st.floats(0, 1000), st.floats(0, 1))
def test_blended_price_lies_between_the_cheapest_and_dearest_tier(inp, out, cached, ratio, hit):
    p = float(token_price(inp, out, cached, ratio, hit))
    lo, hi = min(inp, out, cached), max(inp, out, cached)
    assert lo - 1e-9 * max(1, hi) <= p <= hi + 1e-9 * max(1, hi)


@settings(max_examples=200, deadline=None)
@given(st.floats(0.01, 100), st.floats(0, 100), st.floats(0, 0.99), st.floats(0.01, 1000), st.floats(0, 1))
def test_cache_hit_round_trips_through_the_price(inp, out, cached_share, ratio, hit):
    cached = inp * cached_share
    p = float(token_price(inp, out, cached, ratio, hit))
    got = float(cache_hit_for_price(p, inp, out, cached, ratio))
    assert got == pytest.approx(hit, abs=1e-6 * (1 + out / (ratio * (inp - cached))))


def test_seed_gb300_at_14000_tokens_per_second():
    tco = float(model.tco_usd_per_gpu_hour("GB300 NVL72"))
    expected = tco / (14_000 * 3600) * 1e6  # issue 13's formula, TCO per GPU-hour $2.69 (seed 001)
    got = float(token_cost_usd_per_mtok("GB300 NVL72", 14_000))
    assert got == pytest.approx(expected, rel=1e-12)
    assert round(got, 3) == 0.053


def test_token_cost_renter_view_and_utilization():
    assert float(token_cost_usd_per_mtok("GB300 NVL72", 14_000, 3.5)) == pytest.approx(3.5 / 50.4)
    # half the hours producing: twice the cost of each token
    assert float(token_cost_usd_per_mtok("GB300 NVL72", 1000, 3.6, utilization_frac=0.5)) == pytest.approx(2.0)
    out = token_cost_usd_per_mtok("B300", [1000, 8000, 14000], 3.25)  # seed 001: software alone, 1k -> 14k
    assert out == pytest.approx([3.25 / 3.6, 3.25 / 28.8, 3.25 / 50.4])


def test_token_margin_is_one_minus_cost_over_price():
    cost = float(model.tco_usd_per_gpu_hour("GB300 NVL72")) / 50.4
    assert float(token_margin("GB300 NVL72", 14_000, 0.99)) == pytest.approx(1 - cost / 0.99)
    assert float(token_margin("H100", 1000, 1.0, 3.6)) == pytest.approx(0.0)  # $3.60 for 3.6M tokens
    assert float(token_margin("H100", 1000, 0.5, 3.6)) == pytest.approx(-1.0)


@pytest.mark.parametrize(("call", "field"), [
    (lambda: token_cost_usd_per_mtok("GB300 NVL72", 0), "tokens_per_sec_per_gpu"),
    (lambda: token_cost_usd_per_mtok("GB300 NVL72", None), "tokens_per_sec_per_gpu"),
    (lambda: token_cost_usd_per_mtok("GB300 NVL72", 1000, -3), "rent_usd_per_gpu_hour"),
    (lambda: token_cost_usd_per_mtok("GB300 NVL72", 1000, pue_ratio=0.5), "pue_ratio"),
    (lambda: token_margin("GB300 NVL72", 1000, 0), "price_usd_per_mtok"),
])
def test_cost_and_margin_bad_input(call, field):
    with pytest.raises(GpueconError) as err:
        call()
    assert err.value.field == field


def test_cache_hit_of_one_survives_cancellation():
    """Hypothesis's case: $64 output against a half-cent cache discount; (64.01 - 64.005) / 0.005 rounds to 1 + 2e-12."""
    price = (1 * 0.005 + 64.0) / 2  # all input cached: (ratio x cached + output) / (ratio + 1)
    assert float(cache_hit_for_price(price, 0.01, 64.0, 0.005, 1.0)) == pytest.approx(1.0, abs=1e-9)
    assert np.isnan(cache_hit_for_price(price - 1e-6, 0.01, 64.0, 0.005, 1.0))  # below the all-cached price: none
