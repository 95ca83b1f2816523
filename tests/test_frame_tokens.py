"""Batch columns for tokens and decisions: each row against the engine functions called for that row alone,
the seed's figures, and errors per row in the `error` column."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from gpuecon.cli.main import app
from gpuecon.engine import model
from gpuecon.engine.decisions import breakeven_utilization
from gpuecon.engine.frame import BREAKEVEN_COLUMNS, TOKEN_MARGIN_COLUMNS, TOKEN_RESULT_COLUMNS, evaluate
from gpuecon.engine.tokens import token_cost_usd_per_mtok, token_margin

ROOT = Path(__file__).resolve().parents[1]
G, B, H = "GB300 NVL72", "B300", "H100 SXM"

ROWS = [  # system, rent, prepay, utilization, tps, price
    (G, 3.50, None, None, 14000.0, 0.99),
    (B, 3.25, 0.20, None, 1000.0, 0.99),
    (B, 3.06, 1.00, None, 14000.0, 1.25),
    (G, 3.50, None, 0.9, 8000.0, 0.99),
    (H, 2.35, 0.0, 0.8, 1000.0, 0.50),
    (G, 2.00, None, None, 14000.0, 0.99),  # break-even above 100%
    ("VR NVL72", 12.25, None, None, 30000.0, 0.05),  # the margin below zero at the rent
]


def _frame() -> pd.DataFrame:
    return pd.DataFrame(ROWS, columns=["system", "rent", "prepay", "utilization", "tps", "price_per_mtok"])


def _kw(prepay, util) -> dict:
    kw = {}
    if prepay is not None:
        kw["prepay_frac_contract"] = prepay
    if util is not None:
        kw["utilization_frac"] = util
    return kw


def test_each_row_equals_the_engine_called_for_that_row():
    res = evaluate(_frame())
    assert (res["error"] == "").all()
    for i, (system, rent, prepay, util, tps, price) in enumerate(ROWS):
        kw = _kw(prepay, util)
        row = res.iloc[i]
        assert row["token_cost_at_tco_usd_per_mtok"] == pytest.approx(float(token_cost_usd_per_mtok(system, tps, **kw)), rel=1e-12)
        assert row["token_cost_at_rent_usd_per_mtok"] == pytest.approx(float(token_cost_usd_per_mtok(system, tps, rent, **kw)),
                                                                      rel=1e-12)
        assert row["token_margin_at_tco_frac"] == pytest.approx(float(token_margin(system, tps, price, **kw)), rel=1e-12)
        assert row["token_margin_at_rent_frac"] == pytest.approx(float(token_margin(system, tps, price, rent, **kw)),
                                                                rel=1e-12)
        want = float(breakeven_utilization(system, rent, **kw))
        got = row["breakeven_utilization_frac"]
        assert (math.isnan(got) and math.isnan(want)) or got == pytest.approx(want, rel=1e-12)


def test_rows_against_hand_arithmetic_and_the_seed():
    res = evaluate(_frame())
    # renting at $3.50 and 14,000 tokens/s: 3.50 / 50.4M tokens an hour x 1e6 = $0.0694; at 90% and 8k: / (8000 x 3600 x 0.9)
    assert res["token_cost_at_rent_usd_per_mtok"][0] == pytest.approx(3.50 / (14000 * 3600) * 1e6, rel=1e-12)
    assert res["token_cost_at_rent_usd_per_mtok"][3] == pytest.approx(3.50 / (8000 * 3600 * 0.9) * 1e6, rel=1e-12)
    assert res["token_margin_at_rent_frac"][4] == pytest.approx(1 - 2.35 / (1000 * 3600 * 0.8) * 1e6 / 0.50, rel=1e-12)
    # seed 001 / issue 13: GB300 at 14,000 tokens/s costs TCO / 50.4M x 1e6 ~ $0.053; break-even at $3.50 ~ 90.5%
    tco = float(res["tco_usd_per_gpu_hour"][0])
    assert res["token_cost_at_tco_usd_per_mtok"][0] == pytest.approx(tco / (14000 * 3600) * 1e6, rel=1e-12)
    assert round(res["token_cost_at_tco_usd_per_mtok"][0], 3) == 0.053
    assert round(res["breakeven_utilization_frac"][0], 3) == 0.905
    # ... which round-trips: the floor rent at that utilization is $3.50, for B300 at 100% prepay too
    for i in (0, 2):
        system, rent, prepay, *_ = ROWS[i]
        u = res["breakeven_utilization_frac"][i]
        assert float(model.floor_rent(system, utilization_frac=u, **_kw(prepay, None))) == pytest.approx(rent, rel=1e-9)
    assert np.isnan(res["breakeven_utilization_frac"][5])
    assert "break-even utilization: needs more than 100% utilization" in res["note"][5]
    assert res["token_margin_at_rent_frac"][6] < 0  # $12.25 for 30,000 tokens/s: $0.113 per MTok > $0.05


def test_columns_appear_only_with_their_inputs():
    base = evaluate(pd.DataFrame({"system": [G]}))
    assert not set(TOKEN_RESULT_COLUMNS + TOKEN_MARGIN_COLUMNS + BREAKEVEN_COLUMNS) & set(base.columns)
    tps_only = evaluate(pd.DataFrame({"system": [G], "tokens_per_sec_per_gpu": [14000]}))
    assert set(TOKEN_RESULT_COLUMNS) <= set(tps_only.columns)
    assert not set(TOKEN_MARGIN_COLUMNS + BREAKEVEN_COLUMNS) & set(tps_only.columns)
    # GB300's public market rent ($3.50) is the rent where no rent column is given
    assert tps_only["token_cost_at_rent_usd_per_mtok"][0] == pytest.approx(3.50 / (14000 * 3600) * 1e6, rel=1e-12)
    rent_only = evaluate(pd.DataFrame({"system": [G], "rent": [3.5]}))
    assert set(BREAKEVEN_COLUMNS) <= set(rent_only.columns)


def test_errors_and_blanks_per_row():
    df = pd.DataFrame({"system": [G, G, G, G, G, "H100"], "rent": [3.5] * 5 + [None],
                       "tps": [14000, "14k", 0, -5, None, 1000], "price_per_mtok": [0.99, 0.99, 0.99, 0.99, 0.99, "x"]})
    res = evaluate(df)
    assert res["error"].tolist() == [
        "", "tokens_per_sec_per_gpu must be a number > 0, got '14k'", "tokens_per_sec_per_gpu must be a number > 0, got 0",
        "tokens_per_sec_per_gpu must be a number > 0, got -5", "", "price_usd_per_mtok must be a number > 0, got 'x'"]
    assert res.loc[1:3, "token_cost_at_tco_usd_per_mtok"].isna().all() and res.loc[1:3, "floor_rent_usd_per_gpu_hour"].isna().all()
    assert np.isnan(res["token_cost_at_tco_usd_per_mtok"][4]) and res["note"][4] == "no tokens_per_sec_per_gpu: no token cost"
    assert res["floor_rent_usd_per_gpu_hour"][4] == pytest.approx(float(model.floor_rent(G)), rel=1e-12)


def test_example_file_through_the_cli(tmp_path):
    out = tmp_path / "r.csv"
    res = CliRunner().invoke(app, ["batch", str(ROOT / "examples" / "token_scenarios.csv"), "-o", str(out)])
    assert res.exit_code == 0, res.output
    r = pd.read_csv(out, keep_default_na=False, na_values=[""]).set_index("scenario")
    b300 = r.loc[[s for s in r.index if s.startswith("B300") and "100%" not in s], "token_cost_at_tco_usd_per_mtok"]
    tco_b300 = float(model.tco_usd_per_gpu_hour(B))
    np.testing.assert_allclose(b300.to_numpy(), [tco_b300 / (t * 3600) * 1e6 for t in (1000, 8000, 14000)], rtol=1e-9)
    assert r.loc["typo: throughput as text", "error"] == "tokens_per_sec_per_gpu must be a number > 0, got '14k'"
    h100 = r.loc["H100 at $2.35 (no public absolute throughput: give yours)"]
    assert math.isnan(h100["token_cost_at_rent_usd_per_mtok"]) and "no tokens_per_sec_per_gpu" in h100["note"]
