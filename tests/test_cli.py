"""The command line, run as a user would: in-process (typer's CliRunner, stdout and stderr apart)
and as a real process, on the embedded catalog. Expected messages and figures are written out by hand."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gpuecon.cli import app

ROOT = Path(__file__).resolve().parents[1]
MODEL_BOOK = ROOT / "workbooks" / "gpuecon_model.xlsx"


def run(*args, check=True):
    proc = subprocess.run([sys.executable, "-m", "gpuecon.cli", *args], capture_output=True, text=True, timeout=120)
    if check:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def cli(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(app, list(args), env=env)


def ok(*args: str, env: dict[str, str] | None = None):
    res = cli(*args, env=env)
    assert res.exit_code == 0, res.output
    return res


def mistake(*args: str, message: str) -> None:
    """An ordinary mistake: exactly one line ``error: ...`` on stderr, nothing on stdout, exit 2."""
    res = cli(*args)
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert (res.exit_code, res.stdout, res.stderr) == (2, "", f"error: {message}\n")


# --- as a real process ------------------------------------------------------------------------

def test_report_main_job(tmp_path):
    proc = run("report", "-o", str(tmp_path))
    assert "VR NVL72" in proc.stdout and "GB300" in proc.stdout
    assert (tmp_path / "report.csv").stat().st_size > 500
    png = tmp_path / "one_chart_VR_NVL72.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_floor_json_with_override():
    data = json.loads(run("floor", "vr-nvl72", "--json").stdout)
    assert data["floor_rent_usd_per_gpu_hour"] == pytest.approx(4.925, abs=0.001)
    assert data["irr_at_floor_annual"] == pytest.approx(0.156, abs=1e-12)
    higher = json.loads(run("floor", "VR NVL72", "--set", "hurdle_irr=20%", "--json").stdout)
    assert higher["floor_rent_usd_per_gpu_hour"] > data["floor_rent_usd_per_gpu_hour"]


def test_ceiling_irr_socamm_tco():
    assert json.loads(run("ceiling", "VR NVL72", "--price", "0.55", "--json").stdout)["ceiling_rent_usd_per_gpu_hour"] == pytest.approx(9.625)
    assert json.loads(run("irr", "VR NVL72", "8", "--json").stdout)["project_irr_annual"] > 0.8
    soc = json.loads(run("socamm", "VR NVL72", "--gross-margin", "0.6", "--json").stdout)
    assert soc["socamm_cost_usd"] == 7680 and soc["socamm_price_usd"] == pytest.approx(19200)
    tco = json.loads(run("tco", "GB300 NVL72", "--json").stdout)
    assert tco["tco_total_usd_per_gpu_hour"] == pytest.approx(2.69, rel=0.01)
    assert "VR NVL72" in run("systems").stdout


def test_bad_input_is_one_line_on_stderr_and_exit_2():
    cases = [
        (["floor", "VR NVL72", "--set", "hurdle_irr=-2"], "error: hurdle_irr_annual must be in (-1, 10], got -2\n"),
        (["tco", "Rubin Ultra"], "error: unknown system 'Rubin Ultra'; closest: VR NVL72\n"),
        (["socamm", "GB300 NVL72"], "error: GB300 NVL72 has no socketed SOCAMM memory (its CPU memory is soldered); give a capacity in GB\n"),
        # with --json too: `| jq` never sees prose
        (["tco", "VR NVL72", "--set", "hurdel_irr=0.2", "--json"], "error: unknown field 'hurdel_irr': did you mean hurdle_irr, hurdle_irr_annual, hurdle?\n"),
    ]
    for args, stderr in cases:
        proc = run(*args, check=False)
        assert (proc.returncode, proc.stdout, proc.stderr) == (2, "", stderr)


def test_chart(tmp_path):
    out = tmp_path / "c.png"
    run("chart", "GB300 NVL72", "-o", str(out))
    assert out.read_bytes()[:4] == b"\x89PNG"


# --- 2. errors on stderr, in every module ------------------------------------------------------

def test_errors_go_to_stderr_in_every_command(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("afile").write_text("x")
    mistake("floor", "VR NVL72", "--set", "hurdle_irr=-2", "--json", message="hurdle_irr_annual must be in (-1, 10], got -2")
    mistake("irr", "VR NVL72", "8", "--set", "pue=0.5", "--json", message="pue_ratio must be in [1, 5], got 0.5")
    mistake("ceiling", "H100", "--basis", "FP3", "--json", message="basis must be one of BF16, FP8, FP4, FP4_SPARSE, MEM_BW, got 'FP3'")
    mistake("batch", "nope.csv", "-o", "r.csv", message="no such file: nope.csv")
    mistake("recalc", "nope.xlsx", "-o", "o.xlsx", "--json", message="no such workbook: nope.xlsx")
    mistake("export", "-o", "afile", message="--out afile is a file; give a folder or a path ending in .xlsx")
    mistake("addin", "lite", "-o", "afile", message="--output-dir afile is a file; give a directory for the Lite kit")


# --- 5. ordinary mistakes: one line, exit 2, no traceback -----------------------------------

def test_recalc_directory_mistakes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("adir").mkdir()
    mistake("recalc", str(MODEL_BOOK), "-o", "adir",
            message="--output adir is a directory; give a file name such as adir/gpuecon_model.xlsx")
    mistake("recalc", "adir", message="adir is a directory, not a workbook; give an .xlsx or .xlsm file")
    mistake("recalc", "adir", "-o", "o.xlsx", message="adir is a directory, not a workbook; give an .xlsx or .xlsm file")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["adir"] and list(Path("adir").iterdir()) == []


def test_unreachable_dask_scheduler_is_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("s.csv").write_text("system,rent\nVR NVL72,8\n")
    mistake("batch", "s.csv", "-o", "r.csv", "--engine", "dask", "--scheduler", "tcp://127.0.0.1:1",
            message="cannot reach the Dask scheduler at tcp://127.0.0.1:1 within 5 s; check --scheduler, "
                    "or leave it out to start a local cluster")
    assert not Path("r.csv").exists()


# --- 7. export to a file or a folder -----------------------------------------------------------

def test_export_to_an_xlsx_file_or_a_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert ok("export", "-o", "model.xlsx").stdout == "model.xlsx\n"
    assert Path("model.xlsx").is_file() and Path("model.xlsx").read_bytes()[:2] == b"PK"
    assert ok("export", "-o", "books").stdout == "books/gpuecon_model.xlsx\n"
    assert Path("books/gpuecon_model.xlsx").is_file()
