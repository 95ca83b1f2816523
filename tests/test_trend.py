"""$/PFLOP trend (issue 13): launch years, public rents, the log-linear fit, VR against the trend."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from gpuecon.engine import model
from gpuecon.engine.catalog import get_system, system_names
from gpuecon.engine.errors import GpueconError
from gpuecon.engine.trend import launch_years, market_rents, pflop_trend, trend_points


def test_every_catalog_system_has_a_sourced_launch_year():
    y = launch_years()
    assert sorted(y["system"]) == sorted(system_names())
    assert y["launch_year"].between(2020, 2030).all()
    assert y["source"].str.len().gt(20).all()


def test_market_rents_are_sourced_and_carry_their_terms():
    r = market_rents()
    assert r["source"].str.len().gt(20).all()
    b300 = r[r["system"] == "B300"]
    assert b300["rent_usd_per_gpu_hour"].tolist() == [3.25, 3.06]  # iforels: 20% and 100% prepay
    assert b300["prepay_frac_contract"].tolist() == [0.2, 1.0]
    gb300 = r[r["system"] == "GB300 NVL72"]["rent_usd_per_gpu_hour"].iloc[0]
    catalog = get_system("GB300 NVL72")["market_rent_usd_per_gpu_hour"]
    assert gb300 == catalog == 3.5  # the catalog's one public rent


def test_points_are_rent_over_marketed_pflops():
    p = trend_points().set_index("system")
    assert p.loc["GB300 NVL72", "usd_per_pflop_hour"] == pytest.approx(3.50 / 5.0)
    assert p.loc["B300", "usd_per_pflop_hour"] == pytest.approx(3.25 / 4.5)  # the first (20% prepay) row
    assert p.loc["H100 SXM", "usd_per_pflop_hour"] == pytest.approx(2.35 / 1.979)
    assert trend_points("FP4").index.size == 2  # H100 markets no FP4


def test_fit_matches_an_independent_least_squares():
    years = np.array([2025.0, 2025.0, 2022.0])
    prices = np.array([3.50 / 5.0, 3.25 / 4.5, 2.35 / 1.979])
    slope, intercept = np.polyfit(years, np.log(prices), 1)
    t = pflop_trend()
    assert t.slope_ln_per_year == pytest.approx(slope, rel=1e-9)
    assert t.annual_decline_frac == pytest.approx(1 - math.exp(slope), rel=1e-9)
    assert t.year == 2026
    assert t.fitted_usd_per_pflop_hour == pytest.approx(math.exp(intercept + slope * 2026), rel=1e-9)
    assert float(t.at(2022)) == pytest.approx(math.exp(intercept + slope * 2022), rel=1e-9)
    assert 0.10 < t.annual_decline_frac < 0.20


def test_vr_floor_sits_well_below_the_trend():
    t = pflop_trend()
    vr = t.systems.set_index("system").loc["VR NVL72"]
    floor_per_pflop = float(model.floor_rent("VR NVL72")) / 17.5
    assert vr["floor_usd_per_pflop_hour"] == pytest.approx(floor_per_pflop)
    assert round(floor_per_pflop, 2) == 0.28  # seed 001: "$0.28/PFLOP"
    assert 1 - floor_per_pflop / 0.70 == pytest.approx(0.598, abs=1e-3)  # seed 001: "a 60% drop" vs GB300
    assert vr["floor_vs_trend_frac"] == pytest.approx(floor_per_pflop / t.fitted_usd_per_pflop_hour - 1)
    assert vr["floor_vs_trend_frac"] < -0.5  # "well below trend"
    assert vr["ceiling_usd_per_pflop_hour"] == pytest.approx(0.70)


def test_user_table_with_prices_or_rents():
    table = pd.DataFrame({"launch_year": [2020, 2022, 2024], "usd_per_pflop_hour": [4.0, 2.0, 1.0]})
    t = pflop_trend(table=table, year=2026)
    assert t.annual_decline_frac == pytest.approx(1 - math.sqrt(0.5))  # halves every two years
    assert t.fitted_usd_per_pflop_hour == pytest.approx(0.5)
    rents = pd.DataFrame({"system": ["H100", "VR NVL72"], "launch_year": [2022, 2026], "rent_usd_per_gpu_hour": [2.0, 7.0]})
    t = pflop_trend(table=rents)
    assert math.exp(t.slope_ln_per_year * 4) == pytest.approx((7.0 / 17.5) / (2.0 / 1.979))


@pytest.mark.parametrize(("table", "field"), [
    (pd.DataFrame({"launch_year": [2024, 2024], "usd_per_pflop_hour": [1.0, 2.0]}), "table"),
    (pd.DataFrame({"usd_per_pflop_hour": [1.0, 2.0]}), "table"),
    (pd.DataFrame({"launch_year": [2022, 2024], "usd_per_pflop_hour": [1.0, -2.0]}), "usd_per_pflop_hour"),
    (pd.DataFrame({"launch_year": [2022, 2024], "price": [1.0, 2.0]}), "table"),
    ([1, 2], "table"),
])
def test_bad_tables(table, field):
    with pytest.raises(GpueconError) as err:
        pflop_trend(table=table)
    assert err.value.field == field


def test_bad_basis_and_year():
    with pytest.raises(GpueconError):
        pflop_trend("FP16")
    with pytest.raises(GpueconError):
        pflop_trend(year="soon")
