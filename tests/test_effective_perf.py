"""effective_perf_frac: delivered performance = marketed x the fraction, on every value-side surface.

Expected values are hand arithmetic on the catalog's marketed figures (VR NVL72: 17,500 TFLOPS FP8
dense, 22 TB/s; GB300 NVL72: 5,000 TFLOPS FP8; H20: 4 TB/s), never the code's own output.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from gpuecon.cli.main import app
from gpuecon.engine import model
from gpuecon.engine.assumptions import Assumptions
from gpuecon.engine.decisions import competitive_rent
from gpuecon.engine.errors import GpueconError
from gpuecon.engine.frame import evaluate
from gpuecon.excel.functions import FUNCTIONS

VR, GB300 = "VR NVL72", "GB300 NVL72"
VR_FP8, VR_BW, GB300_FP8 = 17.5, 22.0, 5.0
ROOT = Path(__file__).resolve().parents[1]


def test_default_is_the_marketed_figure():
    assert float(model.ceiling_rent(VR)) == pytest.approx(0.70 * VR_FP8, rel=1e-15)
    assert float(model.rent_per_pflop(VR, 4.90)) == pytest.approx(4.90 / VR_FP8, rel=1e-15)
    assert float(model.ceiling_rent("H20", 0.5, "MEM_BW")) == pytest.approx(0.5 * 4.0, rel=1e-15)
    assert float(Assumptions(VR).effective_perf_frac) == 1.0


@pytest.mark.parametrize("frac", [0.25, 0.6, 0.9, 1.0])
def test_ceiling_scales_exactly(frac):
    assert float(model.ceiling_rent(VR, effective_perf_frac=frac)) == pytest.approx(0.70 * VR_FP8 * frac, rel=1e-14)
    assert float(model.ceiling_rent(VR, 0.5, "MEM_BW", effective_perf_frac=frac)) == pytest.approx(
        0.5 * VR_BW * frac, rel=1e-14)
    assert float(model.rent_per_pflop(VR, 4.90, effective_perf_frac=frac)) == pytest.approx(
        4.90 / (VR_FP8 * frac), rel=1e-14)
    tco = float(model.tco_usd_per_gpu_hour(VR))
    assert float(model.tco_per_pflop_hour(VR, effective_perf_frac=frac)) == pytest.approx(tco / (VR_FP8 * frac), rel=1e-14)


def test_ceiling_broadcasts_over_an_array_of_fractions():
    got = model.ceiling_rent(VR, effective_perf_frac=np.array([0.5, 0.6, 0.8]))
    np.testing.assert_allclose(got, [0.70 * 17.5 * 0.5, 7.35, 0.70 * 17.5 * 0.8], rtol=1e-14)


def test_cost_side_does_not_read_it():
    """Floor, TCO and IRR are costs and cash flows: what the FLOPS deliver does not change them."""
    for out in (model.floor_rent, model.tco_usd_per_gpu_hour):
        assert float(out(VR, effective_perf_frac=0.4)) == float(out(VR))
    assert float(model.project_irr(VR, 8.0, effective_perf_frac=0.4)) == float(model.project_irr(VR, 8.0))


def test_competitive_rent_on_delivered_performance():
    floor_vr = float(model.floor_rent(VR))
    # the new system delivers half its marketed FP8: the old one competes against 8.75 PFLOPS
    assert float(competitive_rent(GB300, VR, effective_perf_frac=0.5)) == pytest.approx(
        floor_vr / (VR_FP8 * 0.5) * GB300_FP8, rel=1e-12)
    # the old system's own fraction comes with its Assumptions
    old = Assumptions(GB300, effective_perf_frac=0.8)
    assert float(competitive_rent(old, VR, new_rent_usd_per_gpu_hour=7.0)) == pytest.approx(
        7.0 / VR_FP8 * GB300_FP8 * 0.8, rel=1e-12)


def test_headroom_uses_the_delivered_ceiling():
    """Headroom = (ceiling - floor) / (floor at 2x capex - floor): only the ceiling term moves."""
    f0 = float(model.floor_rent(VR))
    f2 = float(model.floor_rent(VR, system_price_uplift_frac=1.0))
    assert float(model.headroom_frac(VR, effective_perf_frac=0.6)) == pytest.approx((7.35 - f0) / (f2 - f0), rel=1e-12)


@pytest.mark.parametrize("bad", [0.0, -0.1, 1.5, "abc"])
def test_bad_values_name_the_field(bad):
    with pytest.raises(GpueconError) as err:
        model.ceiling_rent(VR, effective_perf_frac=bad)
    assert "effective_perf_frac" in str(err.value)


def test_percent_forms():
    assert float(model.ceiling_rent(VR, effective_perf_frac="60%")) == pytest.approx(7.35, rel=1e-14)
    with pytest.raises(GpueconError, match=r"effective_perf_frac must be in \(0, 1\], got 60 \(60 means 6000%"):
        model.ceiling_rent(VR, effective_perf_frac=60)


def test_excel_functions_take_it_in_the_assumptions_range():
    U = type("U", (), {k: staticmethod(v) for k, v in FUNCTIONS.items()})
    rng = [["effective_perf_frac", 0.6]]
    assert U.CEILING_RENT(VR, 0.70, "FP8", rng) == pytest.approx(7.35, rel=1e-14)
    assert U.RENT_PER_PFLOP(VR, 4.90, "FP8", rng) == pytest.approx(4.90 / 10.5, rel=1e-14)
    col = U.RENT_PER_PFLOP(VR, [[4.90], [8.0]], "FP8", rng)
    np.testing.assert_allclose(np.asarray(col, float), [[4.90 / 10.5], [8.0 / 10.5]], rtol=1e-14)
    assert U.RENT_PER_PFLOP(VR, 4.90) == pytest.approx(4.90 / 17.5, rel=1e-14)  # no range: marketed
    floor_vr = float(model.floor_rent(VR))
    assert U.COMPETITIVE_RENT(GB300, VR, "FP8", None, rng) == pytest.approx(floor_vr / 10.5 * 5.0, rel=1e-12)
    bad = U.CEILING_RENT(VR, 0.70, "FP8", [["effective_perf_frac", 1.2]])
    assert isinstance(bad, str) and bad.startswith("#VALUE!") and "effective_perf_frac" in bad and "(0, 1]" in bad


def test_batch_ceiling_and_per_pflop_columns_read_it():
    df = pd.DataFrame({"system": [VR, VR, VR], "rent": [4.90, 4.90, 4.90], "effective_perf_frac": [None, 0.6, 2.0]})
    res = evaluate(df)
    assert res["error"].tolist()[:2] == ["", ""] and "effective_perf_frac" in res["error"][2]
    assert res["ceiling_rent_usd_per_gpu_hour"].tolist()[:2] == pytest.approx([12.25, 7.35], rel=1e-14)
    assert res["rent_usd_per_pflop_hour"].tolist()[:2] == pytest.approx([4.90 / 17.5, 4.90 / 10.5], rel=1e-14)
    assert np.isnan(res["ceiling_rent_usd_per_gpu_hour"][2])


def test_cli_set(tmp_path):
    res = CliRunner().invoke(app, ["ceiling", VR, "--set", "effective_perf_frac=0.6", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["ceiling_rent_usd_per_gpu_hour"] == pytest.approx(7.35, rel=1e-14)


def test_template_recalculates_it_by_name(tmp_path):
    """The shipped template: --set effective_perf_frac=0.6 moves the native ceiling; the add-in checks agree."""
    res = CliRunner().invoke(app, ["recalc", str(ROOT / "workbooks" / "gpuecon_model.xlsx"), "-o",
                                   str(tmp_path / "o.xlsx"), "--set", "effective_perf_frac=0.6", "--json"])
    assert res.exit_code == 0, res.output
    named = json.loads(res.output)["named"]
    assert named["ceiling_rent_usd_per_gpu_hour"] == pytest.approx(7.35, rel=1e-12)
    assert named["perf_at_basis"] == pytest.approx(10.5, rel=1e-12)
    assert named["checks_summary"] == "OK"


def test_calibration_doc_figures():
    """docs/calibration.md, "Effective performance": VR at 60% of marketed FP8, and where it meets the trend."""
    from gpuecon.engine.trend import pflop_trend

    floor_vr = float(model.floor_rent(VR))
    assert round(float(model.rent_per_pflop(VR, floor_vr, effective_perf_frac=0.6)), 3) == 0.469
    assert round(float(competitive_rent(GB300, VR, effective_perf_frac=0.6)), 2) == 2.35
    assert round(float(model.headroom_frac(VR, effective_perf_frac=0.6)), 2) == 0.60
    trend_2026 = pflop_trend().fitted_usd_per_pflop_hour
    meets = floor_vr / VR_FP8 / trend_2026
    assert round(meets, 3) == 0.470
    assert float(model.rent_per_pflop(VR, floor_vr, effective_perf_frac=meets)) == pytest.approx(trend_2026, rel=1e-12)
    assert round(floor_vr / VR_FP8 / 0.70, 3) == 0.402
