"""The command line, run as a user would (subprocess), on the embedded catalog."""

import json
import subprocess
import sys

import pytest


def run(*args, check=True):
    proc = subprocess.run([sys.executable, "-m", "gpuecon.cli", *args], capture_output=True, text=True, timeout=120)
    if check:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


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


def test_bad_input_is_one_line_and_exit_2():
    proc = run("floor", "VR NVL72", "--set", "hurdle_irr=-2", check=False)
    assert proc.returncode == 2 and "hurdle_irr_annual must be in (-1, 10], got -2" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr
    proc = run("tco", "Rubin Ultra", check=False)
    assert proc.returncode == 2 and "unknown system" in proc.stdout
    proc = run("socamm", "GB300 NVL72", check=False)
    assert proc.returncode == 2 and "no socketed SOCAMM" in proc.stdout


def test_chart(tmp_path):
    out = tmp_path / "c.png"
    run("chart", "GB300 NVL72", "-o", str(out))
    assert out.read_bytes()[:4] == b"\x89PNG"


def test_unreachable_dask_scheduler_fails_fast_with_one_line(tmp_path):
    from gpuecon.batch import BatchError, run_batch

    src = tmp_path / "s.csv"
    src.write_text("system,rent\nVR NVL72,8\n")
    with pytest.raises(BatchError) as err:
        run_batch(src, tmp_path / "r.csv", engine="dask", scheduler="tcp://127.0.0.1:1", progress=False)
    assert str(err.value) == ("cannot reach the Dask scheduler at tcp://127.0.0.1:1 within 5 s; check --scheduler, "
                              "or leave it out to start a local cluster")
    assert not (tmp_path / "r.csv").exists()
