"""The DataFrame entry point: one row per scenario, bad rows fail alone, values match scalar calls."""

import numpy as np
import pandas as pd
import pytest

import gpuecon as ge
from gpuecon.engine.frame import RESULT_COLUMNS, evaluate


def test_rows_match_scalar_engine_and_bad_rows_fail_alone():
    df = pd.DataFrame({
        "system": ["VR NVL72", "gb300 nvl72", "nope", "VR NVL72", "", "H100 SXM"],
        "rent": [8.0, None, 3.0, 5.0, 4.0, 2.0],
        "hurdle_irr": [0.156, 0.20, 0.1, -3, 0.1, None],
        "capex_compute_usd_per_gpu": [None, None, None, None, 50_000, None],
        "it_w_per_gpu": [None, None, None, None, 1500, None],
        "basis": ["fp8", "FP8", "FP8", "FP8", "FP8", "FP4"],
    })
    out = evaluate(df)
    assert set(RESULT_COLUMNS) <= set(out.columns) and len(out) == len(df)
    assert out.loc[0, "floor_rent_usd_per_gpu_hour"] == pytest.approx(float(ge.floor_rent("VR NVL72")))
    assert out.loc[0, "irr_at_rent_annual"] == pytest.approx(float(ge.project_irr("VR NVL72", 8.0)))
    assert out.loc[0, "ceiling_rent_usd_per_gpu_hour"] == pytest.approx(12.25)
    # blank rent -> the catalog's public market rent ($3.50 for GB300), hurdle override applied
    assert out.loc[1, "irr_at_rent_annual"] == pytest.approx(float(ge.project_irr("GB300 NVL72", 3.5)))
    assert out.loc[1, "floor_rent_usd_per_gpu_hour"] == pytest.approx(float(ge.floor_rent("GB300 NVL72", hurdle_irr_annual=0.2)))
    assert "unknown system 'nope'" in out.loc[2, "error"]
    assert out.loc[3, "error"] == "hurdle_irr_annual must be in (-1, 10], got -3"
    assert np.isnan(out.loc[3, "floor_rent_usd_per_gpu_hour"])
    # custom system described by parameters: TCO and floor computed, ceiling blank with a note
    custom = ge.Assumptions(None, capex_compute_usd_per_gpu=50_000, it_w_per_gpu=1500, hurdle_irr_annual=0.1)
    assert out.loc[4, "error"] == ""
    assert out.loc[4, "floor_rent_usd_per_gpu_hour"] == pytest.approx(float(ge.floor_rent(custom)))
    assert np.isnan(out.loc[4, "ceiling_rent_usd_per_gpu_hour"]) and "no marketed FP8" in out.loc[4, "note"]
    assert "no marketed FP4" in out.loc[5, "note"] and out.loc[5, "error"] == ""


def test_text_in_numeric_column_is_a_row_error():
    out = evaluate(pd.DataFrame({"system": ["VR NVL72", "VR NVL72"], "pue": [1.2, "high"]}))
    assert out.loc[0, "error"] == "" and out.loc[1, "error"] == "pue_ratio must be a number (e.g. 0.15 or 15%), got 'high'"
    assert out.loc[0, "tco_usd_per_gpu_hour"] == pytest.approx(float(ge.tco_usd_per_gpu_hour("VR NVL72", pue_ratio=1.2)))


def test_vectorized_equals_scalar_over_a_grid():
    rng = np.random.default_rng(3)
    n = 200
    df = pd.DataFrame({"system": rng.choice(["VR NVL72", "GB300 NVL72", "MI355X"], n),
                       "rent": rng.uniform(2, 12, n), "prepay": rng.uniform(0, 0.5, n),
                       "socamm_usd_per_gb": rng.uniform(6, 14, n)})
    out = evaluate(df)
    for i in rng.choice(n, 10, replace=False):
        kw = dict(prepay_frac_contract=df.prepay[i], socamm_usd_per_gb=df.socamm_usd_per_gb[i])
        assert out.floor_rent_usd_per_gpu_hour[i] == pytest.approx(float(ge.floor_rent(df.system[i], **kw)), rel=1e-12)
        assert out.irr_at_rent_annual[i] == pytest.approx(float(ge.project_irr(df.system[i], df.rent[i], **kw)), abs=1e-12, nan_ok=True)


def test_series_and_arrays_broadcast():
    hurdles = pd.Series([0.10, 0.156, 0.20])
    rents = np.array([[4.0], [8.0]])  # (2, 1) against (3,) -> (2, 3)
    floors = ge.floor_rent("VR NVL72", hurdle_irr_annual=hurdles)
    assert floors.shape == (3,) and floors[1] == pytest.approx(float(ge.floor_rent("VR NVL72")))
    assert np.all(np.diff(floors) > 0)
    irr = ge.project_irr("VR NVL72", rents, prepay_frac_contract=np.array([0.0, 0.15, 0.3]))
    assert irr.shape == (2, 3)
    assert irr[1, 2] == pytest.approx(float(ge.project_irr("VR NVL72", 8.0, prepay_frac_contract=0.3)), abs=1e-12)


def test_debt_columns_bring_equity_returns():
    """A scenario table with debt fields gets equity_irr_annual and min_dscr; without them it does not."""
    import pandas as pd

    from gpuecon.engine import financing
    from gpuecon.engine.frame import evaluate

    df = pd.DataFrame({"system": ["GB300 NVL72", "GB300 NVL72"], "rent": [3.5, 3.5],
                       "debt_ltv_frac": [0.5, "60%"], "debt_rate_annual": [0.12, None]})
    res = evaluate(df)
    assert res.equity_irr_annual[0] == pytest.approx(float(financing.equity_irr(
        "GB300 NVL72", 3.5, debt_ltv_frac=0.5, debt_rate_annual=0.12)), rel=1e-12)
    assert res.min_dscr[1] == pytest.approx(float(financing.min_dscr("GB300 NVL72", 3.5, debt_ltv_frac=0.6)), rel=1e-12)
    again = evaluate(res)  # a results file fed back in is recomputed, not refused
    assert again.equity_irr_annual.tolist() == pytest.approx(res.equity_irr_annual.tolist())
    assert "equity_irr_annual" not in evaluate(df[["system", "rent"]]).columns
    bad = evaluate(pd.DataFrame({"system": ["GB300 NVL72"], "rent": [3.5], "debt_rate_annual": [10]}))
    assert "10 means 1000%" in bad.error[0]
