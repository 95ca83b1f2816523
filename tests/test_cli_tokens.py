"""gpuecon tokens / token-price / breakeven / tornado / trend: the engine's numbers, the charts, clear errors."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from gpuecon.cli import app
from gpuecon.engine import model

GB300 = "GB300 NVL72"


def _json(*args: str) -> dict:
    res = CliRunner().invoke(app, [*args, "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def _fails(*args: str) -> str:
    res = CliRunner().invoke(app, list(args))
    assert res.exit_code == 2, res.output
    assert res.stdout == ""
    assert res.stderr.startswith("error:") and res.stderr.count("\n") == 1
    return res.stderr


def test_tokens_owner_and_renter_views():
    d = _json("tokens", GB300, "--tps", "14000", "--price", "0.99")
    tco = float(model.tco_usd_per_gpu_hour(GB300))
    assert d["cost_usd_per_mtok"] == pytest.approx(tco / (14000 * 3600) * 1e6, rel=1e-12)
    assert d["gross_margin_frac"] == pytest.approx(1 - tco / 50.4 / 0.99, rel=1e-12)
    d = _json("tokens", GB300, "--tps", "14,000", "--rent", "3.5", "--set", "utilization=50%")
    assert d["cost_usd_per_mtok"] == pytest.approx(3.5 / 25.2, rel=1e-12)
    assert d["cost_basis"] == "rent (renter)"


def test_tokens_table_shows_cents_per_mtok():
    res = CliRunner().invoke(app, ["tokens", GB300, "--tps", "14000"], env={"COLUMNS": "100"})
    assert res.exit_code == 0 and "$0.0535" in res.stdout


def test_token_price_seed_figures():
    d = _json("token-price", "--input", "5", "--output", "25", "--cached", "0.5", "--ratio", "300", "--hit", "0.9",
              "--target", "0.99")
    assert d["blended_usd_per_mtok"] == pytest.approx(310 / 301, abs=1e-12)
    assert d["cache_hit_for_target_frac"] == pytest.approx(1227.01 / 1350, abs=1e-12)
    res = CliRunner().invoke(app, ["token-price", "--input", "5", "--output", "25", "--cached", "0.5", "--ratio", "300",
                                   "--hit", "90%"], env={"COLUMNS": "100"})
    assert res.exit_code == 0 and "$1.0299" in res.stdout


def test_breakeven():
    d = _json("breakeven", GB300, "3.50")
    assert float(model.floor_rent(GB300, utilization_frac=d["breakeven_utilization_frac"])) == pytest.approx(3.5, abs=1e-9)
    d = _json("breakeven", GB300, "2")
    assert d["breakeven_utilization_frac"] is None and d["note"].startswith("needs more than 100% utilization")


def test_tornado_table_json_and_chart(tmp_path):
    out = tmp_path / "charts" / "tornado"
    res = CliRunner().invoke(app, ["tornado", "VR NVL72", "-o", str(out), "--json"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    assert d["output"] == "floor" and d["base"] == pytest.approx(float(model.floor_rent("VR NVL72")))
    first = d["rows"][0]
    moved = float(model.floor_rent("VR NVL72", **{first["input"]: first["low"]}))
    assert first["output_at_low"] == pytest.approx(moved, rel=1e-9)
    png = out.with_suffix(".png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    d = _json("tornado", GB300, "--output", "irr", "--rent", "3.5", "--swing", "10%", "--set", "prepay=0.2")
    assert d["base"] == pytest.approx(float(model.project_irr(GB300, 3.5, prepay_frac_contract=0.2)), rel=1e-12)
    assert d["swing_frac"] == 0.1
    res = CliRunner().invoke(app, ["tornado", GB300], env={"COLUMNS": "120"})
    assert res.exit_code == 0 and "capex_compute_usd_per_gpu" in res.stdout


def test_trend_json_and_chart(tmp_path):
    d = _json("trend")
    assert d["basis"] == "FP8" and d["year"] == 2026
    assert 0.10 < d["annual_decline_frac"] < 0.20
    vr = next(s for s in d["systems"] if s["system"] == "VR NVL72")
    assert vr["floor_usd_per_pflop_hour"] == pytest.approx(float(model.floor_rent("VR NVL72")) / 17.5)
    res = CliRunner().invoke(app, ["trend", "-o", str(tmp_path / "trend.svg")], env={"COLUMNS": "120"})
    assert res.exit_code == 0, res.output
    assert (tmp_path / "trend.svg").read_text().lstrip().startswith("<?xml")
    assert "VR NVL72" in res.stdout


@pytest.mark.parametrize("args", [
    ("tokens", GB300, "--tps", "0"),
    ("tokens", GB300, "--tps", "abc"),
    ("tokens", "nosuch", "--tps", "10"),
    ("token-price", "--input", "5", "--output", "25", "--hit", "2"),
    ("breakeven", GB300, "--", "-1"),
    ("tornado", GB300, "--output", "irr"),
    ("tornado", GB300, "--output", "npv"),
    ("tornado", GB300, "--swing", "0"),
    ("tornado", GB300, "-o", "t.gif"),
    ("trend", "--basis", "FP16"),
    ("tokens", GB300, "--tps", "10", "--set", "pue=9"),
])
def test_errors_are_one_line_exit_2(args):
    _fails(*args)
