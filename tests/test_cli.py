"""The command line, run as a user would: in-process (typer's CliRunner, stdout and stderr apart)
and as a real process, on the embedded catalog. Expected messages and figures are written out by hand."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from gpuecon.cli.main import app
from gpuecon.engine.assumptions import FIELDS

ROOT = Path(__file__).resolve().parents[1]
MODEL_BOOK = ROOT / "workbooks" / "gpuecon_model.xlsx"
CUSTOM_HINT = "--set capex_compute_usd_per_gpu=... and --set it_w_per_gpu=..."


def run(*args, check=True):
    proc = subprocess.run([sys.executable, "-m", "gpuecon", *args], capture_output=True, text=True, timeout=120)
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


@pytest.mark.slow
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
        (["tco", "Rubin Ultra"], f"error: unknown system 'Rubin Ultra'; closest: VR NVL72; or describe a new system with {CUSTOM_HINT}\n"),
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


def test_version_flag_as_a_process():
    proc = run("--version")
    assert (proc.stdout, proc.stderr) == (f"gpuecon {version('gpuecon')}\n", "")


# --- 1. version --------------------------------------------------------------------------------

def test_version_flag_and_command():
    assert ok("--version").stdout == f"gpuecon {version('gpuecon')}\n"
    assert ok("version").stdout == f"{version('gpuecon')}\n"


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


# --- 3. report --json --------------------------------------------------------------------------

def test_report_json(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = ok("report", "-o", "out", "--json")
    rows = {r["system"]: r for r in json.loads(res.stdout)}
    assert len(rows) == 10
    vr = rows["VR NVL72"]
    # 85,596 compute + 19,200 SOCAMM price (768 GB x $10 / 0.4) + 12,924 + 1,800 + 2,400
    assert vr["capex_usd_per_gpu"] == pytest.approx(121_920)
    assert vr["ceiling_rent_usd_per_gpu_hour"] == pytest.approx(12.25)  # 17,500 TFLOPS FP8 x $0.70 / 1000
    assert vr["irr_at_rent_annual"] is None and vr["note"] == "no rent given and no public market rent"
    assert res.stderr == "wrote out/report.csv and out/one_chart_VR_NVL72.png\n"
    assert Path("out/report.csv").is_file()


# --- 4. help ----------------------------------------------------------------------------------

def _commands(group, path: tuple[str, ...] = ()):
    """Every command and sub-command (typer's own click: groups have ``commands``)."""
    for name, cmd in group.commands.items():
        yield (*path, name), cmd
        if hasattr(cmd, "commands"):
            yield from _commands(cmd, (*path, name))


def test_every_option_has_help_and_no_type_labels():
    root = typer.main.get_command(app)
    assert all(p.help for p in root.params)
    seen = []
    for path, cmd in _commands(root):
        for param in cmd.params:
            assert param.help, f"gpuecon {' '.join(path)}: {param.name} has no help text"
        out = ok(*path, "--help", env={"COLUMNS": "100"}).stdout
        assert "list[" not in out, f"gpuecon {' '.join(path)} --help:\n{out}"
        seen.append(" ".join(path))
    assert {"socamm", "chart", "report", "assumptions", "batch", "recalc", "export", "addin lite"} <= set(seen)
    socamm = ok("socamm", "--help", env={"COLUMNS": "200"}).stdout
    assert "Vendor's SOCAMM cost per GB (default 10); same as --set socamm_usd_per_gb=..." in socamm
    assert "Vendor's gross margin, 0.6 or 60% (default 0.6); the price is cost / (1 - margin)" in socamm
    assert re.search(r"--set +-s +NAME=VALUE ", socamm)


# --- 5. ordinary mistakes: one line, exit 2, no traceback -----------------------------------

def test_output_path_mistakes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("afile").write_text("x")
    Path("adir").mkdir()
    mistake("report", "-o", "afile", message="--output-dir afile is a file; give a directory for report.csv and the chart")
    mistake("report", "-o", "/proc/nope", message="cannot create directory /proc/nope: No such file or directory")
    mistake("export", "-o", "model.xlsm",
            message="--out model.xlsm: the workbook is written as .xlsx; give a path ending in .xlsx or a folder")
    mistake("chart", "VR NVL72", "-o", "x.txt", message="--output x.txt: unsupported extension .txt; use .png, .svg or .pdf")
    mistake("chart", "VR NVL72", "-o", "adir", message="--output adir is a directory; give a file name such as adir/one_chart.png")
    mistake("chart", "VR NVL72", "-o", "afile/x.png", message="cannot write afile/x.png: afile is a file, not a directory")
    mistake("recalc", str(MODEL_BOOK), "-o", "adir",
            message="--output adir is a directory; give a file name such as adir/gpuecon_model.xlsx")
    mistake("recalc", "adir", message="adir is a directory, not a workbook; give an .xlsx or .xlsm file")
    mistake("recalc", "adir", "-o", "o.xlsx", message="adir is a directory, not a workbook; give an .xlsx or .xlsm file")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["adir", "afile"]  # nothing written
    assert list(Path("adir").iterdir()) == []


@pytest.mark.slow
def test_unreachable_dask_scheduler_is_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("s.csv").write_text("system,rent\nVR NVL72,8\n")
    mistake("batch", "s.csv", "-o", "r.csv", "--engine", "dask", "--scheduler", "tcp://127.0.0.1:1",
            message="cannot reach the Dask scheduler at tcp://127.0.0.1:1 within 5 s; check --scheduler, "
                    "or leave it out to start a local cluster")
    assert not Path("r.csv").exists()


# --- 6. chart prints the path it wrote ---------------------------------------------------------

def test_chart_prints_the_path_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert ok("chart", "VR NVL72", "-o", "x").stdout == "wrote x.png\n"
    assert Path("x.png").read_bytes()[:4] == b"\x89PNG" and not Path("x").exists()
    assert ok("chart", "VR NVL72", "-o", "nodir/y.png").stdout == "wrote nodir/y.png\n"  # the folder is created
    assert Path("nodir/y.png").read_bytes()[:4] == b"\x89PNG"
    assert ok("chart", "VR NVL72", "-o", "z.svg").stdout == "wrote z.svg\n"
    assert b"<svg" in Path("z.svg").read_bytes()[:500]


# --- 7. export to a file or a folder -----------------------------------------------------------

def test_export_to_an_xlsx_file_or_a_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert ok("export", "-o", "model.xlsx").stdout == "model.xlsx\n"
    assert Path("model.xlsx").is_file() and Path("model.xlsx").read_bytes()[:2] == b"PK"
    assert ok("export", "-o", "books").stdout == "books/gpuecon_model.xlsx\n"
    assert Path("books/gpuecon_model.xlsx").is_file()


# --- 8. report checks every input before writing ------------------------------------------------

def test_report_writes_nothing_on_bad_input(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    mistake("report", "-o", "out", "--chart-system", "XYZ",
            message=f"unknown system 'XYZ'; closest: H100 SXM, H200, H20; or describe a new system with {CUSTOM_HINT}")
    mistake("report", "-o", "out", "--set", "pue=0.9", message="pue_ratio must be in [1, 5], got 0.9")
    assert not Path("out").exists()


# --- 9. socamm: one default, --set honoured ----------------------------------------------------

def test_socamm_defaults_are_the_assumptions_capex_uses():
    soc = json.loads(ok("socamm", "VR NVL72", "--json").stdout)
    assert soc == {"socamm_gb": 768, "usd_per_gb": 10, "gross_margin_frac": 0.6, "socamm_cost_usd": 7680,
                   "socamm_price_usd": pytest.approx(19200), "note": "capex (tco, floor, report) uses the price, not the cost"}
    table = ok("socamm", "VR NVL72").stdout
    assert "$7,680" in table and "$19,200" in table and "capex (tco, floor, report) uses the price, not the cost" in table
    tco = json.loads(ok("tco", "VR NVL72", "--json").stdout)
    assert tco["capex_usd_per_gpu"] == pytest.approx(85_596 + 19_200 + 12_924 + 1_800 + 2_400)


@pytest.mark.parametrize("args, cost, price", [
    (["--set", "socamm_usd_per_gb=13"], 9984, 24960),  # 768 x 13; / 0.4
    (["--set", "usd_per_gb=13", "--usd-per-gb", "13"], 9984, 24960),  # shortcut agrees with --set
    (["--set", "gross_margin=0.5"], 7680, 15360),
    (["--gross-margin", "50%"], 7680, 15360),
])
def test_socamm_set_is_honoured(args, cost, price):
    soc = json.loads(ok("socamm", "VR NVL72", *args, "--json").stdout)
    assert (soc["socamm_cost_usd"], soc["socamm_price_usd"]) == (pytest.approx(cost), pytest.approx(price))


def test_socamm_capacity_and_refusals():
    soc = json.loads(ok("socamm", "1024", "--set", "usd_per_gb=8", "--json").stdout)
    assert (soc["socamm_cost_usd"], soc["socamm_price_usd"]) == (8192, pytest.approx(20480))  # 1024 x 8; / 0.4
    mistake("socamm", "VR NVL72", "--gross-margin", "60%", "--set", "gross_margin=0.5",
            message="--gross-margin 60% and --set gross_margin=0.5 disagree; give one of them")
    mistake("socamm", "VR NVL72", "--set", "pue=1.2",
            message="socamm uses only socamm_gb_per_gpu, socamm_usd_per_gb and socamm_gross_margin_frac; "
                    "--set pue=1.2 does not change it")
    mistake("socamm", "1024", "--set", "socamm_gb_per_gpu=5",
            message="socamm uses only socamm_usd_per_gb and socamm_gross_margin_frac; --set socamm_gb_per_gpu=5 does not change it")
    mistake("socamm", "VR NVL72", "--set", "gross_margin=1", message="socamm_gross_margin_frac must be in [0, 1), got 1")


# --- 10. assumptions ---------------------------------------------------------------------------

def test_assumptions_command():
    rows = json.loads(ok("assumptions", "--json").stdout)
    assert [r["field"] for r in rows] == list(FIELDS)
    by = {r["field"]: r for r in rows}
    assert by["hurdle_irr_annual"] == {
        "field": "hurdle_irr_annual", "unit": "annual rate", "default": 0.156, "allowed": "(-1, 10]",
        "source": "seed 001: 15.6%", "aliases": ["hurdle_irr", "hurdle"],
        "meaning": "Hurdle project IRR for the floor rent (annual effective)"}
    assert by["capex_compute_usd_per_gpu"]["default"] == "catalog"
    assert by["capex_compute_usd_per_gpu"]["source"] == "catalog row"
    assert by["utilization_frac"]["source"] == "gpuecon default"
    assert by["contract_term_years"]["allowed"] == "[0.0833333, 30] and whole months"

    vr = {r["field"]: r for r in json.loads(ok("assumptions", "VR NVL72", "--json").stdout)}
    assert (vr["capex_compute_usd_per_gpu"]["default"], vr["socamm_gb_per_gpu"]["default"], vr["it_w_per_gpu"]["default"]) == (85596, 768, 3200)
    assert vr["socamm_usd_per_gb"]["default"] == 10 and vr["socamm_gross_margin_frac"]["default"] == 0.6
    h100 = {r["field"]: r for r in json.loads(ok("assumptions", "H100", "--json").stdout)}
    assert h100["tflops_fp4_dense"]["default"] is None  # not marketed
    custom = {r["field"]: r for r in json.loads(ok("assumptions", "custom", "--json").stdout)}
    assert custom["capex_compute_usd_per_gpu"]["default"] == "required" and custom["capex_storage_usd_per_gpu"]["default"] == 0

    for width in ("80", "160"):
        table = ok("assumptions", "VR NVL72", env={"COLUMNS": width}).stdout
        assert "…" not in table and max(map(len, table.splitlines())) <= int(width)
        for text in ("maintenance_frac_capex_per_year", "85,596", "hurdle_irr, hurdle", "seed 001: 15.6%", "(-1, 10]"):
            assert text in table, (width, text)
    mistake("assumptions", "XYZ", message="unknown system 'XYZ'; closest: H100 SXM, H200, H20")


def test_unknown_field_suggests_closest_names():
    mistake("tco", "VR NVL72", "--set", "hurdel_irr=0.2",
            message="unknown field 'hurdel_irr': did you mean hurdle_irr, hurdle_irr_annual, hurdle?")
    mistake("report", "--set", "hurdel_irr=0.2",
            message="unknown field 'hurdel_irr': did you mean hurdle_irr, hurdle_irr_annual, hurdle?")


# --- 11. the report on an 80-column terminal -------------------------------------------------

@pytest.mark.parametrize("width", ["80", "160"])
def test_report_table_readable(tmp_path, monkeypatch, width):
    monkeypatch.chdir(tmp_path)
    out = ok("report", "-o", "out", env={"COLUMNS": width}).stdout
    assert "…" not in out and max(map(len, out.splitlines())) <= int(width)
    # whole values: VR capex (85,596 + 19,200 + 12,924 + 1,800 + 2,400), VR ceiling (17,500 x 0.70 / 1000),
    # H100 ceiling (1,979 x 0.70 / 1000 = 1.3853), H100 capex (38,000 + 4,000 + 800 + 1,200)
    for text in ("$121,920", "$12.25", "$1.39", "$44,000"):
        assert text in out, text
    # nine systems have no public market rent (all but GB300 NVL72): the IRR cell says so
    assert out.count("n/a: no") == 9 and out.count("public") == 9
    if width == "160":
        assert out.count("n/a: no public rent") == 9


# --- 12. --set goes through the number parser and the aliases ---------------------------------

def test_set_values_use_the_number_parser():
    def floor(*sets: str) -> float:
        args = [a for s in sets for a in ("--set", s)]
        return json.loads(ok("floor", "VR NVL72", *args, "--json").stdout)["floor_rent_usd_per_gpu_hour"]

    assert floor("hurdle_irr=20%") == floor("hurdle_irr_annual=0.2") == floor("Hurdle IRR=0.2") == floor("hurdle=0.20")
    assert floor("hurdle_irr=150%") > floor("hurdle_irr=0.2")  # '%' typed: taken as meant
    tco = json.loads(ok("tco", "VR NVL72", "--set", "colocation_usd_per_kw_month=1,250", "--json").stdout)
    assert tco["tco_colocation_usd_per_gpu_hour"] == pytest.approx(3.2 * 1250 / 730)  # 3,200 W x $1,250/kW-month / 730 h
    mistake("floor", "VR NVL72", "--set", "hurdle_irr=1.5",
            message="hurdle_irr_annual = 1.5 looks like a percent typed as a whole number: 1.5 means 150%; "
                    "for 1.5% write 0.015 or 1.5% (to mean 150%, write 150%)")
    mistake("tco", "VR NVL72", "--set", "pue=abc", message="pue must be a number (e.g. 0.15 or 15%), got 'abc'")
    mistake("tco", "VR NVL72", "--set", "pue", message="--set needs NAME=VALUE, got 'pue'")
    mistake("tco", "VR NVL72", "--set", "pue=1.2", "--set", "pue_ratio=1.3",
            message="--set pue=1.2 and --set pue_ratio=1.3 disagree; give pue_ratio once")


# --- 13. custom and new systems -----------------------------------------------------------------

@pytest.mark.parametrize("name", ["custom", "My Rack"])
def test_custom_and_new_system(name):
    tco = json.loads(ok("tco", name, "--set", "capex_compute_usd_per_gpu=50000", "--set", "it_w_per_gpu=1500",
                        "--json").stdout)
    assert tco["capex_usd_per_gpu"] == 50_000  # no networking, storage, other or SOCAMM unless given
    assert tco["capex_usd_per_w_it"] == pytest.approx(50_000 / 1500)
    assert tco["tco_power_usd_per_gpu_hour"] == pytest.approx(1.5 * 1.3 * 0.08)  # kW x PUE x $/kWh
    assert tco["tco_colocation_usd_per_gpu_hour"] == pytest.approx(1.5 * 140 / 730)
    assert tco["tco_usd_per_pflop_hour_fp8"] is None  # no marketed FLOPS given


def test_custom_system_mistakes():
    mistake("tco", "custom", message=f"a custom system needs {CUSTOM_HINT}")
    mistake("floor", "custom", "--set", "it_w_per_gpu=1500", message="a custom system needs --set capex_compute_usd_per_gpu=...")
    mistake("tco", "Rubin Ultra", "--set", "it_w_per_gpu=1500",
            message=f"unknown system 'Rubin Ultra'; closest: VR NVL72; or describe a new system with {CUSTOM_HINT}")


def test_floor_and_irr_say_why_instead_of_a_bare_number():
    """Issue 9 §2 through the CLI: a negative floor, a contract past the life, IRRs that are not returns."""
    neg = cli(*["floor", "VR NVL72", "--set", "residual_value_frac_capex=300%", "--json"])
    assert neg.exit_code == 0, neg.output
    data = json.loads(neg.stdout)
    assert round(data["floor_rent_usd_per_gpu_hour"], 2) == -0.46 and data["irr_at_floor_annual"] is None
    assert data["note"].startswith("floor rent below zero (-0.46 USD/GPU-hr): at the hurdle the residual value")
    long = json.loads(cli(*["floor", "VR NVL72", "--set", "contract_term_years=30", "--json"]).stdout)
    assert long["note"] == ("contract runs 288 months past the 6-year useful life: the GPUs serve it to the end "
                            "with no re-buy; depreciation stops at the life")
    high = json.loads(cli(*["irr", "VR NVL72", "18", "--json"]).stdout)
    assert high["project_irr_annual"] is None
    assert high["note"].startswith("IRR above 1,000% a year: not meaningful as a return")
    fin = json.loads(cli(*["irr", "VR NVL72", "3", "--set", "prepay=0.95", "--json"]).stdout)
    assert fin["note"].startswith("no IRR as a return: the flows are financing-type")
    assert fin["note"].endswith(f"NPV at the 15.6% hurdle: -${-fin['npv_at_hurdle_usd_per_gpu']:,.0f} per GPU")
    none = json.loads(cli(*["irr", "VR NVL72", "18.60", "--json"]).stdout)
    assert none["note"].startswith("no IRR: the prepay covers the investment")
