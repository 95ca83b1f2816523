"""Published throughput (seed 001) and contract terms with prepay up to 100% on every surface.

Expected values: the seed's own figures (B300 on DeepSeek R1 8k/1k ~1k, ~8k, ~14k tokens/s/GPU; GB300
NVL72 ~17x H100 at FP8, ~32x at FP4), and for the contract terms an independent monthly cash-flow
model written here (numpy-financial for the IRR), fed the catalog's input figures only.
"""

from __future__ import annotations

import json

import numpy as np
import numpy_financial as npf
import pandas as pd
import pytest
from typer.testing import CliRunner

from gpuecon.cli.main import app
from gpuecon.engine import model
from gpuecon.engine.assumptions import defaults
from gpuecon.engine.errors import GpueconError
from gpuecon.engine.throughput import (
    throughput_detail,
    throughput_ratio,
    throughput_ratio_detail,
    throughput_ratios,
    throughput_table,
    throughput_tokens_per_sec_per_gpu,
)
from gpuecon.engine.tokens import token_cost_usd_per_mtok
from gpuecon.engine.trend import market_rents
from gpuecon.excel.functions import FUNCTIONS

R1 = "DeepSeek R1"
H = 730.0  # hours per month (8760 / 12)


# --- the seed's figures ----------------------------------------------------------------------------

def test_table_holds_the_seeds_b300_figures_with_their_labels():
    t = throughput_table()
    b300 = t[(t["system"] == "B300") & (t["model"] == R1) & (t["workload"] == "8k/1k")]
    assert b300["tokens_per_sec_per_gpu"].tolist() == [1000.0, 8000.0, 14000.0]
    assert b300["configuration"].tolist() == ["baseline (no wideEP, disagg or MTP)", "wideEP + disagg",
                                              "wideEP + disagg + MTP"]
    assert b300["precision"].isna().all()  # the seed does not state one
    assert b300["tokens_per_sec_per_gpu"].max() / b300["tokens_per_sec_per_gpu"].min() == 14.0  # "14x ... software alone"
    assert all(s.startswith("seed 001") for s in b300["source"])


def test_ratios_are_stored_as_ratios_not_invented_figures():
    r = throughput_ratios()
    got = {(x.system, x.reference_system, x.precision, x.reference_precision): x.ratio for x in r.itertuples()}
    assert got == {("GB300 NVL72", "H100 SXM", "FP8", "FP8"): 17.0, ("GB300 NVL72", "H100 SXM", "FP4", "FP8"): 32.0}
    assert not (throughput_table()["system"].isin(["GB300 NVL72", "H100 SXM"])).any()


def test_lookup_default_is_the_best_published_and_configuration_selects():
    assert float(throughput_tokens_per_sec_per_gpu("B300", R1)) == 14000.0
    assert float(throughput_tokens_per_sec_per_gpu("b300", "deepseek-r1", "8K/1K")) == 14000.0
    got = throughput_tokens_per_sec_per_gpu("B300", R1, "8k/1k", None,
                                            np.array([["baseline"], ["wideEP + disagg"], ["WIDEEP+DISAGG+MTP"]]))
    assert got.shape == (3, 1) and got.ravel().tolist() == [1000.0, 8000.0, 14000.0]


def test_lookup_broadcasts_and_says_why_where_none_is_public():
    d = throughput_detail(["B300", "GB300 NVL72", "H100", "B300", "B300"], [R1, R1, R1, "Llama 3", R1],
                          precision=["", "", "", "", "FP4"])
    assert d.tokens_per_sec_per_gpu[0] == 14000.0 and np.isnan(d.tokens_per_sec_per_gpu[1:]).all()
    assert d.reason[0] == ""
    assert "GB300 NVL72 17x H100 SXM (FP8 vs FP8)" in d.reason[1] and "32x" in d.reason[1]
    assert d.reason[2].startswith("no public throughput figure for H100 SXM")
    assert "B300 Llama 3" in d.reason[3] and "14,000" in d.reason[3]
    assert "do not state a precision" in d.reason[4]
    ambiguous = throughput_detail("B300", R1, configuration="wideEP")
    assert np.isnan(ambiguous.tokens_per_sec_per_gpu) and "more than one" in str(ambiguous.reason)


def test_lookup_bad_input_raises_naming_the_argument():
    with pytest.raises(GpueconError, match="unknown system"):
        throughput_detail("No Such GPU", R1)
    with pytest.raises(GpueconError, match="model is required"):
        throughput_detail("B300", "")


def test_ratio_lookup():
    assert float(throughput_ratio("GB300 NVL72", "H100")) == 17.0  # like for like: FP8
    assert float(throughput_ratio("GB300", "H100 SXM", "FP4")) == 32.0
    assert float(throughput_ratio("H100", "GB300 NVL72")) == pytest.approx(1 / 17, rel=1e-15)
    ratio, reason = throughput_ratio_detail(["B300", "GB300"], "H100", ["", "BF16"])
    assert np.isnan(ratio).all() and "no public throughput ratio of B300" in reason[0] and "17x" in reason[1]


def test_seed_cost_per_token_figures():
    """B300 at ~1k/~8k/~14k: TCO / (tps x 3600) x 1e6; GB300 vs H100: TCO ratio / 17 (seed: ~1.70 / 17)."""
    tco = float(model.tco_usd_per_gpu_hour("B300"))
    for tps in (1000.0, 8000.0, 14000.0):
        assert float(token_cost_usd_per_mtok("B300", tps)) == pytest.approx(tco / (tps * 3600) * 1e6, rel=1e-12)
    tco_ratio = float(model.tco_usd_per_gpu_hour("GB300 NVL72")) / float(model.tco_usd_per_gpu_hour("H100"))
    assert tco_ratio == pytest.approx(1.70, abs=0.01)  # seed 001: "only ~70% higher"
    per_token = tco_ratio / float(throughput_ratio("GB300 NVL72", "H100"))
    assert per_token == pytest.approx(1.70 / 17, abs=0.002)


def test_excel_functions():
    T, R = FUNCTIONS["THROUGHPUT"], FUNCTIONS["THROUGHPUT_RATIO"]
    assert T("B300", R1) == 14000.0
    assert T("B300", R1, "8k/1k", None, [["baseline"], ["wideEP + disagg"]]) == [[1000.0], [8000.0]]
    na = T("GB300 NVL72", R1)
    assert na.startswith("#N/A no public throughput figure for GB300 NVL72") and "17x" in na
    assert T("B300", R1, "8k/1k", "FP4").startswith("#N/A ")
    assert T("No Such GPU", R1).startswith("#VALUE! system: unknown system")
    assert T("B300", None).startswith("#VALUE! model is required")
    assert T("B300", R1, 8).startswith("#VALUE! workload must be text")
    assert R("GB300 NVL72", "H100") == 17.0 and R("GB300 NVL72", "H100", "FP4") == 32.0
    assert R([["GB300 NVL72"], ["B300"]], "H100") [1][0].startswith("#N/A no public throughput ratio of B300")
    # chained into TOKEN_COST: a B300 token at 14k tokens/s and its TCO
    cost = FUNCTIONS["TOKEN_COST"]("B300", T("B300", R1))
    assert cost == pytest.approx(float(model.tco_usd_per_gpu_hour("B300")) / (14000 * 3600) * 1e6, rel=1e-12)


def test_cli_lists_and_looks_up():
    runner = CliRunner()
    res = runner.invoke(app, ["throughput", "--json"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    assert [r["tokens_per_sec_per_gpu"] for r in d["figures"]] == [1000.0, 8000.0, 14000.0]
    assert [r["ratio"] for r in d["ratios"]] == [17.0, 32.0]
    res = runner.invoke(app, ["throughput", "B300", "--model", R1, "--configuration", "baseline", "--json"])
    assert res.exit_code == 0, res.output
    one = json.loads(res.stdout)
    assert one["tokens_per_sec_per_gpu"] == 1000.0
    assert one["token_cost_at_tco_usd_per_mtok"] == pytest.approx(float(model.tco_usd_per_gpu_hour("B300")) / 3.6, rel=1e-12)
    res = runner.invoke(app, ["throughput", "GB300 NVL72", "--model", R1])
    assert res.exit_code == 2 and "only ratios are public" in res.output


# --- contract terms: prepay 0..1 on every surface ----------------------------------------------------

def _hand(fields: dict, rent: float, prepay: float, term_years: float) -> dict:
    """Independent monthly model (docs/model.md; tax 0, lag 0, residual 0): capex at month 0 with the
    prepay of the whole contract, then (1 - prepay) of the rent less opex each month."""
    capex = sum(fields[k] for k in ("capex_compute_usd_per_gpu", "capex_networking_usd_per_gpu",
                                    "capex_storage_usd_per_gpu", "capex_other_usd_per_gpu"))
    kw = fields["it_w_per_gpu"] / 1000
    opex_month = (kw * fields["pue_ratio"] * fields["power_usd_per_kwh"] + kw * fields["colocation_usd_per_kw_month"] / H
                  + fields["maintenance_frac_capex_per_year"] * capex / 8760 + fields["other_opex_usd_per_gpu_hour"]) * H
    T = round(term_years * 12)
    hours = H * fields["utilization_frac"]

    def flows(r):
        return [-capex + prepay * r * hours * T] + [(1 - prepay) * r * hours - opex_month] * T

    j = (1 + fields["hurdle_irr_annual"]) ** (1 / 12) - 1
    floor = -npf.npv(j, flows(0.0)) / (npf.npv(j, flows(1.0)) - npf.npv(j, flows(0.0)))
    cf = flows(rent)
    first = next(x for x in cf if x != 0)
    irr = (1 + npf.irr(cf)) ** 12 - 1 if first < 0 else np.nan  # an inflow first: financing, no IRR as a return
    return {"floor": floor, "irr": irr, "capex": capex, "opex_month": opex_month, "T": T, "hours": hours}


def test_market_rents_keep_their_terms():
    r = market_rents()
    b300 = r[r["system"] == "B300"][["rent_usd_per_gpu_hour", "term_years", "prepay_frac_contract"]]
    assert b300.values.tolist() == [[3.25, 5.0, 0.2], [3.06, 5.0, 1.0]]
    assert r[r["system"] == "H100 SXM"]["term_years"].tolist() == [1.0]


@pytest.mark.parametrize("prepay", [0.0, 0.2, 0.999, 1.0])
def test_floor_at_the_b300_published_terms_against_the_hand_model(prepay):
    fields = defaults("B300")
    h = _hand(fields, 3.25, prepay, 5.0)
    assert float(model.floor_rent("B300", prepay_frac_contract=prepay)) == pytest.approx(h["floor"], rel=1e-9)
    assert FUNCTIONS["FLOOR_RENT"]("B300", None, 5, prepay) == pytest.approx(h["floor"], rel=1e-9)


def test_floor_at_full_prepay_in_closed_form():
    """All rent at signing: NPV = -capex + R x hours x T - opex x annuity(T) = 0 at the hurdle."""
    fields = defaults("B300")
    h = _hand(fields, 3.06, 1.0, 5.0)
    j = (1 + fields["hurdle_irr_annual"]) ** (1 / 12) - 1
    annuity = (1 - (1 + j) ** -60) / j
    closed = (h["capex"] + h["opex_month"] * annuity) / (h["hours"] * 60)
    assert float(model.floor_rent("B300", prepay_frac_contract=1.0)) == pytest.approx(closed, rel=1e-10)


@pytest.mark.parametrize(("rent", "prepay"), [(3.25, 0.2), (3.25, 0.0), (3.06, 0.1)])
def test_irr_at_published_terms_against_numpy_financial(rent, prepay):
    h = _hand(defaults("B300"), rent, prepay, 5.0)
    assert np.isfinite(h["irr"])  # month 0 is an outlay at these terms
    assert float(model.project_irr("B300", rent, prepay_frac_contract=prepay)) == pytest.approx(h["irr"], abs=1e-9)
    assert FUNCTIONS["PROJECT_IRR"]("B300", rent, 5, prepay) == pytest.approx(h["irr"], abs=1e-9)


def test_irr_at_full_prepay_is_a_reason_on_every_surface():
    """$3.06 with 100% prepay: month 0 is an inflow (the whole contract > capex), so no IRR as a return."""
    h = _hand(defaults("B300"), 3.06, 1.0, 5.0)
    assert 3.06 * h["hours"] * 60 > h["capex"] and np.isnan(h["irr"])
    d = model.project_irr_detail("B300", 3.06, prepay_frac_contract=1.0)
    assert np.isnan(d.annual) and str(d.reason).startswith("no IRR as a return")
    cell = FUNCTIONS["PROJECT_IRR"]("B300", 3.06, 5, 1.0)
    assert isinstance(cell, str) and cell.startswith("#NUM! no IRR as a return")
    res = CliRunner().invoke(app, ["irr", "B300", "3.06", "--set", "prepay=100%", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["project_irr_annual"] is None and out["note"].startswith("no IRR as a return")


@pytest.mark.parametrize("prepay", [0.0, 0.2, 1.0])
def test_token_cost_does_not_depend_on_prepay(prepay):
    """Cost per MTok = rent / (tps x 3600 x utilization) x 1e6 (renter) or TCO / ... (owner): no prepay in it."""
    a = dict(prepay_frac_contract=prepay, utilization_frac=0.9)
    assert float(token_cost_usd_per_mtok("B300", 14000, 3.06, **a)) == pytest.approx(3.06 / (14000 * 3600 * 0.9) * 1e6,
                                                                                     rel=1e-12)
    cell = FUNCTIONS["TOKEN_COST"]("B300", 14000, 3.06, [["prepay", prepay], ["utilization", 0.9]])
    assert cell == pytest.approx(3.06 / (14000 * 3600 * 0.9) * 1e6, rel=1e-12)


def test_batch_at_full_prepay():
    df = pd.DataFrame({"system": ["B300", "B300"], "rent": [3.25, 3.06], "prepay": [0.2, 1.0]})
    from gpuecon.engine.frame import evaluate

    res = evaluate(df)
    for i, (rent, prepay) in enumerate([(3.25, 0.2), (3.06, 1.0)]):
        h = _hand(defaults("B300"), rent, prepay, 5.0)
        assert res["floor_rent_usd_per_gpu_hour"][i] == pytest.approx(h["floor"], rel=1e-9)
    assert res["irr_at_rent_annual"][0] == pytest.approx(_hand(defaults("B300"), 3.25, 0.2, 5.0)["irr"], abs=1e-9)
    assert np.isnan(res["irr_at_rent_annual"][1]) and res["note"][1].startswith("no IRR as a return")


def test_template_at_full_prepay(tmp_path):
    """The shipped template recalculated (gpuecon recalc) at B300 $3.06 with 100% prepay: the floor as the
    hand model, no IRR as a return (#N/A), the floor's own rate the hurdle, and every check OK."""
    from pathlib import Path

    book = Path(__file__).resolve().parents[1] / "workbooks" / "gpuecon_model.xlsx"
    res = CliRunner().invoke(app, ["recalc", str(book), "-o", str(tmp_path / "o.xlsx"), "--set", "system=B300",
                                   "--set", "prepay=1", "--set", "rent=3.06", "--json"])
    assert res.exit_code == 0, res.output
    named = json.loads(res.output)["named"]
    assert named["floor_rent_usd_per_gpu_hour"] == pytest.approx(_hand(defaults("B300"), 3.06, 1.0, 5.0)["floor"], rel=1e-9)
    assert named["project_irr"] == "#N/A"
    assert named["irr_at_floor"] == pytest.approx(0.156, abs=1e-9)
    assert named["checks_summary"] == "OK"
