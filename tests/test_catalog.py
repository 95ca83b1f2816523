"""Catalog: figures from the source, look-up rules, sources present."""

import math

import pytest

from gpuecon import GpueconError, catalog_frame, get_system, system_names

REQUIRED = ["H100 SXM", "H200", "H20", "B200", "B300", "GB200 NVL72", "GB300 NVL72", "VR NVL72", "MI300X", "MI355X"]


def test_required_systems_present():
    assert set(REQUIRED) <= set(system_names())


@pytest.mark.parametrize(
    "name, field, value",
    [
        # seed 001: GB300 NVL72 -> VR NVL72
        ("GB300 NVL72", "tflops_bf16_dense", 2500), ("VR NVL72", "tflops_bf16_dense", 4000),
        ("GB300 NVL72", "tflops_fp8_dense", 5000), ("VR NVL72", "tflops_fp8_dense", 17500),
        ("GB300 NVL72", "tflops_fp4_dense", 15000), ("VR NVL72", "tflops_fp4_dense", 35000),
        ("VR NVL72", "tflops_fp4_sparse", 50000),
        ("GB300 NVL72", "mem_bw_tb_per_s", 8), ("VR NVL72", "mem_bw_tb_per_s", 22),
        ("GB300 NVL72", "chip_tdp_w", 1400), ("VR NVL72", "chip_tdp_w", 2300),
        # seed 004: H20
        ("H20", "hbm_gb", 96), ("H20", "mem_bw_tb_per_s", 4.0), ("H20", "tflops_fp8_dense", 296),
        # seed 001: $0.70/PFLOP FP8 x 5 PFLOPS = $3.50 GB300 rent
        ("GB300 NVL72", "market_rent_usd_per_gpu_hour", 3.50),
    ],
)
def test_source_figures(name, field, value):
    assert get_system(name)[field] == value


def test_h100_capex_calibrated_within_seed_000_range():
    """H100 compute capex: calibrated to seed 001's "~70%" (see test_model), inside seed 000's $25k-40k."""
    h100 = get_system("H100 SXM")
    assert h100["capex_compute_usd_per_gpu"] == 38_000
    assert 25_000 <= h100["capex_compute_usd_per_gpu"] <= 40_000
    source = h100.sources["source_capex"]
    assert "seed 001" in source and "seed 000" in source and "calibrated" in source
    assert "gpuecon estimate" in source and "gpuecon estimate" in h100.sources["source_power"]


def test_every_row_has_sources_and_core_figures():
    frame = catalog_frame()
    for col in ("source_specs", "source_power", "source_capex", "source_rent"):
        assert frame[col].fillna("").str.len().gt(10).all(), col
    for col in ("tflops_bf16_dense", "tflops_fp8_dense", "hbm_gb", "mem_bw_tb_per_s", "chip_tdp_w", "it_w_per_gpu",
                "capex_compute_usd_per_gpu", "capex_networking_usd_per_gpu"):
        assert (frame[col] > 0).all(), col


def test_socamm_flag():
    assert get_system("VR NVL72").cpu_mem_socamm
    assert not get_system("GB300 NVL72").cpu_mem_socamm  # seed 001: GB300 LPDDR5X is soldered


@pytest.mark.parametrize("alias", ["VR NVL72", "vr-nvl72", "Vera Rubin NVL72", " vr_nvl72 ", "VERA RUBIN nvl-72", "VR"])
def test_lookup_aliases(alias):
    assert get_system(alias).name == "VR NVL72"


def test_unknown_system_lists_closest():
    with pytest.raises(GpueconError) as err:
        get_system("VR NLV72")
    assert "VR NVL72" in str(err.value)
    assert err.value.field == "system"


def test_blank_means_not_marketed():
    assert math.isnan(get_system("H100 SXM")["tflops_fp4_dense"])


def test_catalog_rows_read_as_pandas_reads_them() -> None:
    """The catalog is parsed with the csv module (so that `import gpuecon` needs no pandas); the frame
    and the systems equal what pandas.read_csv makes of the same file, exactly."""
    import io
    from importlib import resources

    import pandas as pd

    from gpuecon.engine.catalog import SYSTEM_NUMERIC_FIELDS, catalog_frame, get_system

    text = resources.files("gpuecon.engine").joinpath("data/catalog.csv").read_text(encoding="utf-8")
    want = pd.read_csv(io.StringIO(text), dtype={"aliases": str}, keep_default_na=False, na_values=[""])
    for field in SYSTEM_NUMERIC_FIELDS:
        want[field] = want[field].astype(float)
    want["cpu_mem_socamm"] = want["cpu_mem_socamm"].astype(str).str.lower().eq("true")
    pd.testing.assert_frame_equal(catalog_frame(), want, check_exact=True)
    for row in want.to_dict("records"):
        system = get_system(row["name"])
        for field in SYSTEM_NUMERIC_FIELDS:
            assert system.figures[field] == row[field] or (math.isnan(row[field]) and math.isnan(system.figures[field]))
        assert system.cpu_mem_socamm == row["cpu_mem_socamm"]


def test_import_gpuecon_needs_no_pandas() -> None:
    import subprocess
    import sys

    code = "import sys, gpuecon, gpuecon.recalc.workbook; print('pandas' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() \
        == "False"
