"""gpuecon batch: CSV / Parquet / XLSX round trips checked against hand calculations and numpy-financial."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import numpy_financial as npf
import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from gpuecon.batch import BatchError, evaluate_local, read_scenarios, run_batch, write_results
from gpuecon.cli.main import app

# A system described entirely by parameters (no catalog defaults), so every result can be
# worked out by hand from docs/model.md's formulas.
CUSTOM = dict(
    capex_compute_usd_per_gpu=40_000.0, capex_networking_usd_per_gpu=5_000.0, capex_storage_usd_per_gpu=1_000.0,
    capex_other_usd_per_gpu=500.0, socamm_gb_per_gpu=0.0, it_w_per_gpu=1_500.0, pue_ratio=1.25,
    power_usd_per_kwh=0.10, colocation_usd_per_kw_month=150.0, maintenance_frac_capex_per_year=0.03,
    other_opex_usd_per_gpu_hour=0.05, useful_life_years=5.0, cost_of_capital_annual=0.08, hurdle_irr_annual=0.15,
    contract_term_years=4.0, prepay_frac_contract=0.2, utilization_frac=0.9, deployment_lag_months=0.0,
    residual_value_frac_capex=0.0, tax_rate_frac=0.0, tflops_bf16_dense=1000.0, tflops_fp8_dense=2000.0,
    tflops_fp4_dense=4000.0,
)
CASES = [(3.0, 1.25, 4.0), (4.5, 1.10, 5.0), (5.5, 1.40, 3.0)]  # rent, PUE, contract years
H = 730.0  # hours per month (8760 / 12)


def hand(s: dict, rent: float, price_pflop: float = 0.70) -> dict:
    """Independent arithmetic (and numpy-financial's IRR) for one custom scenario."""
    capex = (s["capex_compute_usd_per_gpu"] + s["capex_networking_usd_per_gpu"] + s["capex_storage_usd_per_gpu"]
             + s["capex_other_usd_per_gpu"])
    i = (1 + s["cost_of_capital_annual"]) ** (1 / 12) - 1
    n = s["useful_life_years"] * 12
    crf = i / (1 - (1 + i) ** -n)
    kw = s["it_w_per_gpu"] / 1000
    tco = (capex * crf / H + kw * s["pue_ratio"] * s["power_usd_per_kwh"] + kw * s["colocation_usd_per_kw_month"] / H
           + s["maintenance_frac_capex_per_year"] * capex / 8760 + s["other_opex_usd_per_gpu_hour"])
    opex_month = (tco - capex * crf / H) * H
    T = int(s["contract_term_years"] * 12)
    hours = H * s["utilization_frac"]
    cf = [-capex + s["prepay_frac_contract"] * rent * hours * T] + [(1 - s["prepay_frac_contract"]) * rent * hours - opex_month] * T
    irr = (1 + npf.irr(cf)) ** 12 - 1
    # floor: NPV at the hurdle is linear in rent; two points give it exactly
    j = (1 + s["hurdle_irr_annual"]) ** (1 / 12) - 1

    def npv(r):
        flows = [-capex + s["prepay_frac_contract"] * r * hours * T] + [(1 - s["prepay_frac_contract"]) * r * hours - opex_month] * T
        return npf.npv(j, flows)

    floor = -npv(0.0) / (npv(1.0) - npv(0.0))
    pflops = s["tflops_fp8_dense"] / 1000
    return {"capex_usd_per_gpu": capex, "tco_usd_per_gpu_hour": tco, "irr_at_rent_annual": irr,
            "floor_rent_usd_per_gpu_hour": floor, "ceiling_rent_usd_per_gpu_hour": price_pflop * pflops,
            "rent_usd_per_pflop_hour": rent / pflops, "tco_usd_per_pflop_hour": tco / pflops,
            "socamm_price_usd_per_gpu": 0.0}


def scenario_table() -> pd.DataFrame:
    rows = []
    for rent, pue, term in CASES:
        rows.append({"system": "", **CUSTOM, "pue_ratio": pue, "rent_usd_per_gpu_hour": rent,
                     "contract_term_years": term})
    rows.append({"system": "VR NVL72", "rent_usd_per_gpu_hour": 8.0, "socamm_usd_per_gb": 13.0})  # catalog system, SOCAMM price
    rows.append({"system": "No Such GPU", "rent_usd_per_gpu_hour": 3.0})  # bad row: unknown system
    rows.append({"system": "", **CUSTOM, "pue_ratio": 0.5})  # bad row: out of range
    rows.append({"system": "H100 SXM", "rent_usd_per_gpu_hour": "abc"})  # bad row: text for a number
    return pd.DataFrame(rows)


def check(res: pd.DataFrame) -> None:
    assert len(res) == 7
    for k, (rent, pue, term) in enumerate(CASES):
        want = hand({**CUSTOM, "pue_ratio": pue, "contract_term_years": term}, rent)
        row = res.iloc[k]
        assert row["error"] in ("", None) or (isinstance(row["error"], float) and math.isnan(row["error"]))
        for key, value in want.items():
            assert float(row[key]) == pytest.approx(value, rel=1e-9, abs=1e-9), (k, key)
    vr = res.iloc[3]
    # SOCAMM price for VR NVL72: catalog GB per GPU x $13/GB / (1 - 60% default margin)
    from gpuecon.engine.catalog import get_system

    gb = get_system("VR NVL72").figures["cpu_mem_gb_per_gpu"]
    assert float(vr["socamm_price_usd_per_gpu"]) == pytest.approx(gb * 13.0 / (1 - 0.6))
    assert float(vr["rent_usd_per_pflop_hour"]) == pytest.approx(8.0 / 17.5)  # source: $8.00 -> $0.46
    assert float(vr["ceiling_rent_usd_per_gpu_hour"]) == pytest.approx(12.25)  # source: 0.70 x 17.5
    errors = [str(e) for e in res["error"].iloc[4:]]
    assert "unknown system" in errors[0]
    assert "pue_ratio" in errors[1] and "0.5" in errors[1]
    assert "abc" in errors[2]
    assert res.iloc[4:]["tco_usd_per_gpu_hour"].isna().all()


@pytest.mark.parametrize("ext", [".csv", ".parquet", ".xlsx", ".tsv"])
def test_round_trip_formats(tmp_path: Path, ext: str) -> None:
    src = tmp_path / f"scenarios{ext}"
    table = scenario_table()
    if ext == ".csv":
        table.to_csv(src, index=False)
    elif ext == ".tsv":
        table.to_csv(src, index=False, sep="\t")
    elif ext == ".parquet":
        table.astype({"rent_usd_per_gpu_hour": str}).to_parquet(src)  # mixed column stored as text
    else:
        table.to_excel(src, index=False)
    for out_ext in (".csv", ".parquet", ".xlsx", ".jsonl"):
        out = tmp_path / f"results{out_ext}"
        summary = run_batch(src, out, progress=False)
        assert summary.rows == 7 and summary.errors == 3
        if out_ext == ".jsonl":
            res = pd.read_json(out, lines=True)
        else:
            res = read_scenarios(out)
        res["error"] = res["error"].fillna("")
        check(res)


def test_csv_inputs_pass_through_verbatim(tmp_path: Path) -> None:
    src = tmp_path / "s.csv"
    src.write_text("system,rent,pue_ratio\nVR NVL72,8.00,1.30\nH100 SXM, 2.5 ,\n", "utf-8")
    run_batch(src, tmp_path / "o.csv", progress=False)
    out = pd.read_csv(tmp_path / "o.csv", dtype=str, keep_default_na=False)
    assert list(out["rent"]) == ["8.00", " 2.5 "] and list(out["pue_ratio"]) == ["1.30", ""]
    assert list(out["error"]) == ["", ""]


def test_chunked_and_parallel_equal_single(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    n = 2_000
    df = pd.DataFrame({"system": rng.choice(["VR NVL72", "GB300 NVL72", "H100 SXM", "nope"], n),
                       "rent": rng.uniform(0.5, 12, n), "pue_ratio": rng.uniform(0.9, 1.6, n)})
    whole = evaluate_local(df, chunk_rows=n, workers=1, progress=False)
    split = evaluate_local(df, chunk_rows=300, workers=2, progress=False)
    pd.testing.assert_frame_equal(whole.reset_index(drop=True), split.reset_index(drop=True))
    assert (split["error"] != "").sum() == ((df["system"] == "nope") | (df["pue_ratio"] < 1)).sum()


def test_nothing_written_on_failure(tmp_path: Path) -> None:
    src = tmp_path / "s.csv"
    scenario_table().to_csv(src, index=False)
    with pytest.raises(BatchError, match="extension"):
        run_batch(src, tmp_path / "out.doc")
    with pytest.raises(BatchError, match="no such file"):
        run_batch(tmp_path / "missing.csv", tmp_path / "o.csv")
    with pytest.raises(BatchError, match="overwrite"):
        run_batch(src, src)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.csv"]


def test_write_results_refuses_too_many_rows_for_xlsx(tmp_path: Path, monkeypatch) -> None:
    import gpuecon.batch as batch

    monkeypatch.setattr(batch, "XLSX_MAX_ROWS", 3)
    with pytest.raises(BatchError, match="do not fit"):
        write_results(pd.DataFrame({"a": range(5)}), tmp_path / "x.xlsx")
    assert not (tmp_path / "x.xlsx").exists()


def test_workbook_mode_runs_named_inputs_to_outputs(tmp_path: Path) -> None:
    from openpyxl.workbook.defined_name import DefinedName

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Model"
    ws["A1"], ws["B1"] = "system", "VR NVL72"
    ws["A2"], ws["B2"] = "rent", 5.0
    ws["A3"], ws["B3"] = "floor", "=FLOOR_RENT(B1)"
    ws["A4"], ws["B4"] = "margin", "=B2-B3"
    ws["A5"], ws["B5"] = "per pflop", "=RENT_PER_PFLOP(B1,B2)"
    for name, ref in (("System", "$B$1"), ("Rent", "$B$2"), ("Floor", "$B$3"), ("Margin", "$B$4"), ("PerPflop", "$B$5")):
        wb.defined_names[name] = DefinedName(name, attr_text=f"Model!{ref}")
    book = tmp_path / "model.xlsx"
    wb.save(book)
    src = tmp_path / "s.csv"
    pd.DataFrame({"System": ["VR NVL72", "GB300 NVL72", "Nope"], "rent": [8.0, 3.5, 1.0]}).to_csv(src, index=False)
    out = tmp_path / "o.csv"
    summary = run_batch(src, out, workbook=book, inputs=["System", "Rent=rent"], outputs=["Floor", "Margin", "PerPflop"],
                        progress=False)
    res = pd.read_csv(out)
    res["error"] = res["error"].fillna("")
    from gpuecon.engine import model

    for i, (system, rent) in enumerate([("VR NVL72", 8.0), ("GB300 NVL72", 3.5)]):
        floor = float(model.floor_rent(system))
        assert res.loc[i, "Floor"] == pytest.approx(floor)
        assert res.loc[i, "Margin"] == pytest.approx(rent - floor)
        assert res.loc[i, "error"] == ""
    assert res.loc[0, "PerPflop"] == pytest.approx(8.0 / 17.5)
    assert "unknown system" in res.loc[2, "error"] and math.isnan(res.loc[2, "Floor"])
    assert summary.errors == 1


def test_cli_batch(tmp_path: Path) -> None:
    src = tmp_path / "s.csv"
    scenario_table().to_csv(src, index=False)
    out = tmp_path / "r.parquet"
    result = CliRunner().invoke(app, ["batch", str(src), "-o", str(out), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "7 rows" in result.output and "3 with an error" in result.output
    check(pd.read_parquet(out).assign(error=lambda d: d["error"].fillna("")))
    bad = CliRunner().invoke(app, ["batch", str(src), "-o", str(tmp_path / "r.doc")])
    assert bad.exit_code == 2 and "extension" in bad.output


# --- issue 9 §4: batch never guesses ----------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]


def _csv(tmp_path: Path, text: str, name: str = "s.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _batch(*args: str):
    return CliRunner().invoke(app, ["batch", *args])


@pytest.mark.parametrize(("column", "hint"), [
    ("hurdel_irr", "did you mean hurdle_irr, hurdle_irr_annual, hurdle?"),
    ("utilisation", "did you mean utilization, utilization_frac?"),
])
def test_unknown_column_is_refused_with_the_closest_names(tmp_path, column, hint):
    src = _csv(tmp_path, f"system,rent,{column}\nVR NVL72,8,0.2\n")
    out = tmp_path / "r.csv"
    res = _batch(str(src), "-o", str(out))
    assert res.exit_code == 2
    assert res.stderr.strip() == (f"error: unknown column '{column}': {hint} (to copy it through unchanged, pass it "
                                  "with --pass-through or allow extra columns with --allow-extra-columns)")
    assert not out.exists() and not list(tmp_path.glob(".r.csv*"))  # nothing written, no temp file left


def test_extra_columns_pass_through_only_when_asked(tmp_path):
    src = _csv(tmp_path, "system,rent,desk,scenario\nVR NVL72,8,rates,base\n")
    for flags in (["--pass-through", "desk"], ["--allow-extra-columns"]):
        out = tmp_path / "r.csv"
        res = _batch(str(src), "-o", str(out), *flags)
        assert res.exit_code == 0, res.output
        got = pd.read_csv(out)
        assert got.loc[0, "desk"] == "rates" and got.loc[0, "scenario"] == "base"  # label columns always pass
        assert got.loc[0, "floor_rent_usd_per_gpu_hour"] == pytest.approx(4.925, abs=5e-4)  # seed 001's VR floor


def test_two_columns_meaning_one_field_are_an_error(tmp_path):
    for header in ("system,rent,Rent", "system,hurdle_irr,hurdle_irr_annual"):
        res = _batch(str(_csv(tmp_path, f"{header}\nVR NVL72,8,0.2\n")), "-o", str(tmp_path / "r.csv"))
        a, b = header.split(",")[1:]
        assert res.exit_code == 2
        assert res.stderr.strip().startswith(f"error: columns '{a}' and '{b}' both mean ")


def test_a_results_file_fed_back_in_is_recomputed(tmp_path):
    first, second = tmp_path / "res.xlsx", tmp_path / "res2.csv"
    assert _batch(str(ROOT / "examples" / "scenarios.csv"), "-o", str(first)).exit_code == 0
    res = _batch(str(first), "-o", str(second))
    assert res.exit_code == 0, res.output
    a, b = pd.read_excel(first), pd.read_csv(second)
    assert list(a.columns) == list(b.columns)  # the old result columns were replaced, not duplicated
    np.testing.assert_allclose(a["floor_rent_usd_per_gpu_hour"], b["floor_rent_usd_per_gpu_hour"], rtol=1e-12)
    # an input column named like an output is recognised the same way (no traceback)
    src = _csv(tmp_path, "system,rent,floor_rent_usd_per_gpu_hour,error\nVR NVL72,8,999,old\n")
    got = pd.read_csv(_run(src, tmp_path))
    assert got.loc[0, "floor_rent_usd_per_gpu_hour"] == pytest.approx(4.925, abs=5e-4)
    assert pd.isna(got.loc[0, "error"])


def _run(src: Path, tmp_path: Path) -> Path:
    out = tmp_path / "out.csv"
    res = _batch(str(src), "-o", str(out))
    assert res.exit_code == 0, res.output
    return out


def test_numbers_read_as_on_every_surface(tmp_path):
    src = _csv(tmp_path, 'system,rent,hurdle_irr\nVR NVL72,8,20%\nVR NVL72,8,0.2\nVR NVL72,8,8\nVR NVL72,8,800%\n'
                         'VR NVL72,"1,000",0.2\nVR NVL72,8,TRUE\n')
    got = pd.read_csv(_run(src, tmp_path))
    assert got.loc[0, "floor_rent_usd_per_gpu_hour"] == got.loc[1, "floor_rent_usd_per_gpu_hour"]
    assert got.loc[2, "error"] == ("hurdle_irr_annual = 8 looks like a percent typed as a whole number: 8 means 800%; "
                                   "for 8% write 0.08 or 8% (to mean 800%, write 800%)")
    assert pd.isna(got.loc[3, "error"])  # 800% typed as meant: the floor earns 800% a year
    import pyxirr
    from test_trust import reference_flows

    flows = reference_flows("VR NVL72", got.loc[3, "floor_rent_usd_per_gpu_hour"], hurdle_irr_annual="800%")
    assert (1 + pyxirr.irr(flows)) ** 12 - 1 == pytest.approx(8.0, rel=1e-9)
    assert pd.isna(got.loc[4, "error"]) and got.loc[4, "rent_usd_per_pflop_hour"] == pytest.approx(1000 / 17.5)  # VR: 17.5 PFLOPS FP8
    assert got.loc[5, "error"] == "hurdle_irr_annual must be a number (e.g. 0.15 or 15%), got 'TRUE'"


@pytest.mark.parametrize(("flags", "message"), [
    (["--workers", "0"], "error: --workers must be a whole number >= 1, got 0"),
    (["--chunk-rows", "0"], "error: --chunk-rows must be a whole number >= 1, got 0"),
    (["--chunk-rows", "-5"], "error: --chunk-rows must be a whole number >= 1, got -5"),
    (["--scheduler", "tcp://10.0.0.5:8786"], "error: --scheduler needs --engine dask (the local engine has no scheduler)"),
    (["--engine", "spark"], "error: --engine must be local or dask, got 'spark'"),
])
def test_bad_options_are_refused_before_anything_is_read(tmp_path, flags, message):
    out = tmp_path / "r.csv"
    res = _batch(str(ROOT / "examples" / "scenarios.csv"), "-o", str(out), *flags)
    assert res.exit_code == 2 and res.stderr.strip() == message
    assert not out.exists()


def test_directories_are_named_as_such(tmp_path):
    res = _batch(".", "-o", str(tmp_path / "x.csv"))
    assert res.exit_code == 2
    assert res.stderr.strip() == "error: . is a directory; give a scenario file (.csv, .tsv, .xlsx or .parquet)"
    res = _batch(str(ROOT / "examples" / "scenarios.csv"), "-o", str(tmp_path))
    assert res.stderr.strip() == f"error: -o {tmp_path} is a directory; give a results file name such as {tmp_path / 'results.csv'}"


def test_error_summary_says_how_many_more(tmp_path):
    rows = "\n".join(f"VR NVL72,8,{bad}" for bad in ("x", "y", "z", "9", "1.5", "-3", "q"))
    res = _batch(str(_csv(tmp_path, "system,rent,prepay\n" + rows + "\n")), "-o", str(tmp_path / "r.csv"))
    assert res.exit_code == 0
    assert "7 with an error" in res.stdout
    assert res.stdout.count("  row ") == 5 and "... and 2 more (see the error column of" in res.stdout


def test_json_output_keeps_numbers_numbers(tmp_path):
    import json

    out = tmp_path / "r.json"
    res = _batch(str(_csv(tmp_path, "system,rent,hurdle_irr\nVR NVL72,8,0.2\nVR NVL72,,\n")), "-o", str(out))
    assert res.exit_code == 0, res.output
    rows = json.loads(out.read_text())
    assert rows[0]["rent"] == 8 and rows[0]["hurdle_irr"] == 0.2 and rows[1]["rent"] is None
    assert rows[0]["system"] == "VR NVL72"


def test_example_scenarios_file(tmp_path):
    """examples/scenarios.csv, as the README runs it, against independent figures."""
    import pyxirr
    from test_trust import reference_flows

    out = tmp_path / "results.csv"
    res = _batch(str(ROOT / "examples" / "scenarios.csv"), "-o", str(out))
    assert res.exit_code == 0, res.output
    got = pd.read_csv(out).set_index("scenario")
    assert got.loc["VR base case", "floor_rent_usd_per_gpu_hour"] == pytest.approx(4.925, abs=5e-4)  # seed 001
    floor20 = got.loc["VR at 20% hurdle (typed as a percent)", "floor_rent_usd_per_gpu_hour"]
    flows = reference_flows("VR NVL72", floor20, hurdle_irr_annual=0.2)  # month by month, from docs/model.md
    assert (1 + pyxirr.irr(flows)) ** 12 - 1 == pytest.approx(0.20, abs=1e-9)
    assert got.loc["B300 at $3.06 with 100% prepay", "note"].startswith("no IRR as a return: the flows are financing")
    assert got.loc["typo row: hurdle 8 means 800%", "error"].startswith("hurdle_irr_annual = 8 looks like a percent")
    assert "1 with an error" in res.stdout


def test_option_errors_speak_the_library_terms_and_the_cli_words_them(tmp_path):
    """run_batch(workers=0) names its keyword; `gpuecon batch --workers 0` names the flag."""
    from typer.testing import CliRunner

    from gpuecon.batch import BatchError, run_batch
    from gpuecon.cli import app

    src = tmp_path / "s.csv"
    src.write_text("system,rent\nVR NVL72,8\n")
    with pytest.raises(BatchError, match=r"^workers must be a whole number >= 1, got 0$"):
        run_batch(src, tmp_path / "r.csv", workers=0)
    res = CliRunner().invoke(app, ["batch", str(src), "-o", str(tmp_path / "r.csv"), "--workers", "0"])
    assert res.exit_code == 2 and "--workers must be a whole number >= 1, got 0" in res.output
    assert not (tmp_path / "r.csv").exists()
