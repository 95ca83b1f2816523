"""gpuecon debt / value / payback: the engine's numbers through the CLI, the schedule file, clear errors."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from gpuecon.cli import app
from gpuecon.engine import financing, model, valuation

GB300 = "GB300 NVL72"


def _json(*args: str) -> dict:
    res = CliRunner().invoke(app, [*args, "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_debt_defaults_and_options(tmp_path):
    d = _json("debt", GB300, "3.5")
    assert d["equity_irr_annual"] == pytest.approx(float(financing.equity_irr(GB300, 3.5)), rel=1e-12)
    assert d["project_irr_annual"] == pytest.approx(float(model.project_irr(GB300, 3.5)), rel=1e-12)
    assert d["payback_months"] == 36.0
    out = tmp_path / "schedule.csv"
    d2 = _json("debt", GB300, "3.5", "--ltv", "50%", "--rate", "0.12", "--tenor", "3", "--schedule", str(out))
    assert d2["min_dscr"] == pytest.approx(float(financing.min_dscr(GB300, 3.5, debt_ltv_frac=0.5, debt_rate_annual=0.12,
                                                                    debt_tenor_years=3)), rel=1e-12)
    sched = pd.read_csv(out)
    loan = 0.5 * float(model.capex_usd_per_gpu(GB300))
    assert sched.loc[1, "interest_usd"] == pytest.approx(loan * 0.12 / 12, rel=1e-12)  # month 1: balance x rate/12
    assert sched["principal_usd"].sum() == pytest.approx(loan, rel=1e-9)  # repaid within the 36-month tenor
    assert sched.loc[36:, "closing_balance_usd"].abs().max() < 1e-6


def test_value_and_implied_rate():
    d = _json("value", "H100 SXM", "--age", "3", "--rent", "2", "--price", "30000")
    assert d["market_value_usd_per_gpu"] == pytest.approx(float(valuation.gpu_value("H100 SXM", 3.0, 2.0)), rel=1e-12)
    assert d["book_value_sl_usd_per_gpu"] == pytest.approx(float(model.capex_usd_per_gpu("H100 SXM")) * (1 - 3 / 6))
    assert float(valuation.gpu_value("H100 SXM", 3.0, 2.0, d["implied_discount_rate_annual"])) == pytest.approx(30000, rel=1e-9)


def test_payback_discounted_is_later():
    simple = _json("payback", "VR NVL72", "8")["payback_months"]
    discounted = _json("payback", "VR NVL72", "8", "--rate", "15.6%")["payback_months"]
    assert simple == float(financing.payback_months("VR NVL72", 8.0)) and discounted > simple


@pytest.mark.parametrize(("args", "message"), [
    (["debt", "VR NVL72", "8", "--rate", "10"], "debt_rate_annual must be in [0, 1], got 10 (10 means 1000%; for 10% write 0.1 or 10%)"),
    (["debt", "VR NVL72", "8", "--amortization", "balloon"], "debt_amortization"),
    (["value", "VR NVL72", "--age", "abc"], "--age"),
])
def test_bad_input_is_one_line_and_exit_2(args, message):
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 2 and message in res.output and "Traceback" not in res.output


def test_debt_fields_are_assumptions_everywhere():
    """debt_ltv_frac is one field: --ltv, --set debt_ltv_frac and the engine's keyword give the same result."""
    by_option = _json("debt", GB300, "3.5", "--ltv", "0.5")
    by_set = _json("debt", GB300, "3.5", "--set", "debt_ltv_frac=50%")
    assert by_option["equity_irr_annual"] == pytest.approx(by_set["equity_irr_annual"], rel=1e-15)
    assert by_set["equity_irr_annual"] == pytest.approx(float(financing.equity_irr(GB300, 3.5, debt_ltv_frac=0.5)), rel=1e-12)
    from gpuecon.engine.assumptions import Assumptions

    a = Assumptions(GB300, debt_ltv_frac=0.5)  # the one assumptions object carries it
    assert float(financing.equity_irr(a, 3.5)) == pytest.approx(by_set["equity_irr_annual"], rel=1e-12)


def test_lender_chart(tmp_path):
    from PIL import Image

    out = tmp_path / "lender.png"
    res = CliRunner().invoke(app, ["debt", GB300, "3.5", "--chart", str(out), "--covenant-ltv", "0.7"])
    assert res.exit_code == 0, res.output
    with Image.open(out) as im:
        assert im.format == "PNG" and im.size[0] > 600
    bad = CliRunner().invoke(app, ["debt", GB300, "3.5", "--chart", str(tmp_path / "x.txt")])
    assert bad.exit_code == 2 and "the chart is a PNG" in bad.output
