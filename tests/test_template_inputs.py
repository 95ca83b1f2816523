"""The shipped template is drivable by name: `recalc --set NAME=...` and `batch --workbook` (issue 9 §5).

Expected values come from the engine's own functions called directly (floor_rent, project_irr,
project_irr_detail), which the template's native formulas and add-in cells must reproduce.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from gpuecon.cli.main import app
from gpuecon.engine import model
from gpuecon.recalc.workbook import RecalcError, Workbook

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "workbooks" / "gpuecon_model.xlsx"


def _recalc_json(tmp_path: Path, *sets: str) -> dict:
    args = ["recalc", str(TEMPLATE), "-o", str(tmp_path / "out.xlsx"), "--json"]
    for s in sets:
        args += ["--set", s]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    return json.loads(res.output)


def test_set_hurdle_by_field_name(tmp_path: Path) -> None:
    """The issue's command: `gpuecon recalc workbooks/gpuecon_model.xlsx --set hurdle_irr_annual=0.2`."""
    data = _recalc_json(tmp_path, "hurdle_irr_annual=0.2")
    named = data["named"]
    assert named["hurdle_irr_annual"] == 0.2
    assert named["floor_rent_usd_per_gpu_hour"] == pytest.approx(float(model.floor_rent("VR NVL72", hurdle_irr_annual=0.2)),
                                                                 rel=1e-9)
    assert named["irr_at_floor"] == pytest.approx(0.2, abs=1e-9)
    assert named["checks_summary"] == "OK"
    inputs = openpyxl.load_workbook(tmp_path / "out.xlsx")["Inputs"]
    row = next(r for r in range(1, 80) if inputs[f"A{r}"].value == "hurdle_irr_annual")
    assert inputs[f"B{row}"].value == 0.2  # the input cell took the value; the formula in C is kept
    assert inputs[f"C{row}"].value == f"=IF(ISBLANK(B{row}),E{row},B{row})"


@pytest.mark.slow
def test_set_by_alias_and_any_case(tmp_path: Path) -> None:
    """docs/recalc.md: `--set rent=8 --set system="GB300 NVL72"` (Rent and System work too, as in Excel)."""
    for sets in (("rent=8", "system=GB300 NVL72"), ("Rent=8", "System=GB300 NVL72")):
        named = _recalc_json(tmp_path, *sets)["named"]
        assert named["system_name"] == "GB300 NVL72" and named["rent_usd_per_gpu_hour"] == 8.0
        assert named["project_irr"] == pytest.approx(float(model.project_irr("GB300 NVL72", 8.0)), abs=1e-9)
        assert named["floor_rent_usd_per_gpu_hour"] == pytest.approx(float(model.floor_rent("GB300 NVL72")), rel=1e-9)
        assert named["checks_summary"] == "OK"


@pytest.mark.parametrize(("sets", "message"), [
    ("hurdel=0.2", "--set hurdel: the workbook has no input named 'hurdel'; did you mean hurdle"),
    ("hurdle=8", "--set hurdle: hurdle_irr_annual = 8 looks like a percent typed as a whole number: 8 means 800%; "
                 "for 8% write 0.08 or 8%"),
    ("useful_life_years=abc", "--set useful_life_years: useful_life_years must be a number (in (0, 50]), got 'abc'"),
    ("floor_rent_usd_per_gpu_hour=5", "floor_rent_usd_per_gpu_hour is 'Model (native)'!B"),
])
def test_bad_set_is_refused_and_nothing_written(tmp_path: Path, sets: str, message: str) -> None:
    out = tmp_path / "out.xlsx"
    res = CliRunner().invoke(app, ["recalc", str(TEMPLATE), "-o", str(out), "--set", sets])
    assert res.exit_code == 2
    assert message in res.output
    assert not out.exists()


def test_percent_typed_with_sign_is_taken(tmp_path: Path) -> None:
    named = _recalc_json(tmp_path, "hurdle=20%")["named"]
    assert named["hurdle_irr_annual"] == pytest.approx(0.2)


def test_input_names_list_each_input_once() -> None:
    wb = Workbook.open(TEMPLATE)
    names = wb.input_names()
    assert "hurdle_irr_annual" in names and "system_name" in names and "rent_usd_per_gpu_hour" in names
    assert not any(n.endswith("_input") for n in names)
    assert "floor_rent_usd_per_gpu_hour" not in names  # a result, not an input
    with pytest.raises(RecalcError, match="did you mean project_irr"):
        wb.check_output("project_irr_annual")


def test_native_irr_is_not_shown_for_financing_flows() -> None:
    """B300 at $3.06 with 100% prepay: the engine has no IRR as a return; the native mirror shows #N/A and why."""
    wb = Workbook.open(TEMPLATE)
    got = wb.calculate_named({"system": "B300", "rent": 3.06, "prepay": 1.0},
                             ["project_irr", "project_irr_schedule", "project_irr_note", "checks_summary"])
    detail = model.project_irr_detail("B300", 3.06, prepay_frac_contract=1.0)
    assert math.isnan(float(detail.annual)) and "financing-type" in str(detail.reason)
    assert str(got["project_irr"]) == "#N/A"
    assert isinstance(got["project_irr_schedule"], float)  # the raw IRR exists: it is a borrowing cost
    assert got["project_irr_note"] == str(detail.reason).split("; NPV at the")[0]
    assert got["checks_summary"] == "OK"  # add-in and native agree that there is no IRR


@pytest.mark.slow
def test_batch_through_the_template(tmp_path: Path) -> None:
    """`gpuecon batch examples/scenarios.csv --workbook workbooks/gpuecon_model.xlsx`: the columns are found by name."""
    out = tmp_path / "res.csv"
    res = CliRunner().invoke(app, ["batch", str(ROOT / "examples" / "scenarios.csv"), "-o", str(out), "--workbook",
                                   str(TEMPLATE), "--outputs", "floor_rent_usd_per_gpu_hour,tco_total"])
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out)
    src = pd.read_csv(ROOT / "examples" / "scenarios.csv", dtype=str)
    for i, row in src.iterrows():
        if "typo" in row["scenario"]:
            assert "8 means 800%" in df.loc[i, "error"] and pd.isna(df.loc[i, "floor_rent_usd_per_gpu_hour"])
            continue
        hurdle = float(row["hurdle_irr_annual"].rstrip("%")) / (100 if row["hurdle_irr_annual"].endswith("%") else 1)
        want = model.floor_rent(row["system"], hurdle_irr_annual=hurdle, prepay_frac_contract=float(row["prepay_frac_contract"]),
                                contract_term_years=float(row["contract_term_years"]),
                                utilization_frac=float(row["utilization_frac"]), tax_rate_frac=float(row["tax_rate_frac"]))
        assert df.loc[i, "floor_rent_usd_per_gpu_hour"] == pytest.approx(float(want), rel=1e-9), row["scenario"]


def test_batch_workbook_refuses_unknown_columns(tmp_path: Path) -> None:
    src = tmp_path / "s.csv"
    src.write_text("scenario,system,hurdel_irr\nx,VR NVL72,0.2\n")
    res = CliRunner().invoke(app, ["batch", str(src), "-o", str(tmp_path / "r.csv"), "--workbook", str(TEMPLATE)])
    assert res.exit_code == 2 and "'hurdel_irr' name no input of gpuecon_model.xlsx" in res.output
    assert not (tmp_path / "r.csv").exists()
