"""Every Excel function with Excel-shaped values, against the engine, hand calculations and the
source's published figures. On Linux ``xw.func`` and friends are no-ops, so the UDFs are plain
Python functions here; their registration is tested in test_xlwings_registration.py."""

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest

import gpuecon
from gpuecon.engine import model
from gpuecon.excel import functions as excel

ADDIN = Path(__file__).resolve().parent.parent / "addin"
VR, GB = "VR NVL72", "GB300 NVL72"


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


U = _load(ADDIN / "gpuecon_udfs.py", "gpuecon_udfs_under_test")


@pytest.fixture(autouse=True)
def _fresh_cache():
    excel.cache_clear()
    yield


def hand_tco(capex, it_w, coc=0.078, life_years=6, pue=1.3, kwh=0.08, colo=140.0, maint=0.025):
    """docs/model.md TCO in plain Python (level monthly payment that repays capex over the life)."""
    i = (1 + coc) ** (1 / 12) - 1
    n = life_years * 12
    pmt = capex * i / (1 - (1 + i) ** -n)
    parts = {"capital": pmt / 730, "power": it_w / 1000 * pue * kwh, "colocation": it_w / 1000 * colo / 730,
             "maintenance": maint * capex / 8760, "other": 0.0}
    parts["total"] = sum(parts.values())
    return parts


# --- the source's published figures -------------------------------------------------------------

def test_floor_rent_reference():
    assert U.FLOOR_RENT(VR) == pytest.approx(4.92, abs=0.01)  # source: $4.92 at 15.6%, 5 years, 15% prepay
    assert round(U.FLOOR_RENT(VR), 1) == 4.9  # "$4.90 at 15%"


def test_ceiling_rent_reference_exact():
    # VR NVL72 FP8 dense 17,500 TFLOPS = 17.5 PFLOPS
    assert U.CEILING_RENT(VR, 0.70) == pytest.approx(0.70 * 17.5, abs=1e-12) == pytest.approx(12.25)
    assert U.CEILING_RENT(VR, 0.55) == pytest.approx(0.55 * 17.5) == pytest.approx(9.625)  # source: $9.63
    assert U.CEILING_RENT(VR) == pytest.approx(12.25)  # defaults 0.70 and FP8
    assert U.CEILING_RENT(VR, 0.70, "fp4 sparse") == pytest.approx(0.70 * 50.0)
    assert U.CEILING_RENT(VR, 0.1, "mem_bw") == pytest.approx(0.1 * 22.0)  # USD per TB/s-hour x 22 TB/s


def test_tco_reference():
    assert U.GPU_TCO(GB) == pytest.approx(2.69, rel=0.01)
    assert U.GPU_TCO(VR) == pytest.approx(4.18, rel=0.01)


def test_socamm_reference():
    assert U.SOCAMM_COST(768.0) == 7680.0  # 768 GB x $10/GB
    assert U.SOCAMM_COST(768.0, 10.0, 0.6) == pytest.approx(19200.0)  # / (1 - 0.6)
    assert U.SOCAMM_COST("vr nvl72") == pytest.approx(7680.0)  # per GPU from the catalog
    assert U.SOCAMM_COST(" VR NVL72 ", None, 0.6) == pytest.approx(19200.0)
    assert U.SOCAMM_COST(100.0, 8.0) == pytest.approx(800.0)
    assert U.SOCAMM_COST(GB).startswith("#VALUE! GB300 NVL72 has no socketed SOCAMM")


def test_rent_per_pflop_reference_exact_to_the_cent():
    assert round(U.RENT_PER_PFLOP(VR, 4.90), 2) == 0.28  # 4.90 / 17.5
    assert round(U.RENT_PER_PFLOP(VR, 8.00), 2) == 0.46
    assert U.RENT_PER_PFLOP(VR, 4.90) == pytest.approx(4.90 / 17.5)
    assert U.RENT_PER_PFLOP(VR, 4.0, "BF16") == pytest.approx(1.0)  # 4,000 TFLOPS BF16


def test_project_irr_at_floor_is_hurdle():
    floor = U.FLOOR_RENT(VR)
    assert U.PROJECT_IRR(VR, floor) == pytest.approx(0.156, abs=1e-9)
    assert U.PROJECT_IRR(VR, U.FLOOR_RENT(VR, 0.20, 3.0, 0.0), 3.0, 0.0) == pytest.approx(0.20, abs=1e-9)
    assert U.PROJECT_IRR(VR, 8.0) == pytest.approx(float(model.project_irr(VR, 8.0)))


def test_gpu_spec_and_systems():
    assert U.GPU_SPEC(VR, "tflops_fp8_dense") == 17500.0
    assert U.GPU_SPEC("h20", "HBM GB") == 96.0
    assert U.GPU_SPEC("H20", "mem_bw_tb_per_s") == 4.0
    assert U.GPU_SPEC("H20", "tflops_fp8_dense") == 296.0
    assert U.GPU_SPEC(GB, "chip_tdp_w") == 1400.0 and U.GPU_SPEC(VR, "chip_tdp_w") == 2300.0
    assert U.GPU_SPEC(VR, "cpu_mem_socamm") is True
    assert U.GPU_SPEC("vera rubin nvl72", "name") == VR
    assert U.GPU_SPEC("H100", "tflops_fp4_dense").startswith("#N/A H100 SXM has no public tflops_fp4_dense")
    assert U.GPU_SPEC(VR, "nope").startswith("#VALUE! field must be a catalog column")
    names = U.GPU_SYSTEMS()
    assert [r[0] for r in names] == gpuecon.system_names()
    assert len(names) >= 10 and all(len(r) == 1 for r in names)
    assert {"H100 SXM", "H200", "H20", "B200", "B300", "GB200 NVL72", GB, VR, "MI300X", "MI355X"} <= {r[0] for r in names}
    assert U.GPUECON_VERSION() == gpuecon.__version__


def test_gpu_tco_items_and_breakdown_match_hand_calculation():
    capex = float(model.capex_usd_per_gpu(VR))
    it_w = U.GPU_SPEC(VR, "it_w_per_gpu")
    hand = hand_tco(capex, it_w)
    for item in ("capital", "power", "colocation", "maintenance", "other", "total"):
        assert U.GPU_TCO(VR, item.upper()) == pytest.approx(hand[item], rel=1e-12, abs=1e-15)
    table = U.GPU_TCO(VR, " Breakdown ")
    assert table[0] == ["item", "usd_per_gpu_hour"]
    body = dict(table[1:])
    assert sum(v for k, v in body.items() if k != "total") == pytest.approx(body["total"])
    assert body["total"] == pytest.approx(hand["total"])


def test_custom_system_described_in_assumptions():
    rng = [["name", "value"], ["capex_compute_usd_per_gpu", 50000.0], ["IT W per GPU", 2000.0], [None, None]]
    hand = hand_tco(50000.0, 2000.0)
    assert U.GPU_TCO("custom", None, rng) == pytest.approx(hand["total"])
    assert U.GPU_TCO(None, "power", rng) == pytest.approx(2.0 * 1.3 * 0.08)
    assert U.GPU_TCO("My New GPU", None, rng) == pytest.approx(hand["total"])  # unknown name, fully described
    assert U.GPU_TCO("custom").startswith("#VALUE! system is blank or custom: the assumptions range must give")


def test_assumptions_range_aliases_and_precedence():
    it_w = U.GPU_SPEC(VR, "it_w_per_gpu")
    rng = [["PUE", 1.2], ["power usd per kwh", 0.10], ["Hurdle IRR", 0.20]]
    assert U.GPU_TCO(VR, "power", rng) == pytest.approx(it_w / 1000 * 1.2 * 0.10)
    # hurdle from the range; an explicit argument wins over the range
    assert U.FLOOR_RENT(VR, None, None, None, rng) == pytest.approx(float(model.floor_rent(VR, hurdle_irr_annual=0.2, pue_ratio=1.2, power_usd_per_kwh=0.1)))
    assert U.FLOOR_RENT(VR, 0.156, None, None, rng) == pytest.approx(float(model.floor_rent(VR, pue_ratio=1.2, power_usd_per_kwh=0.1)))
    # two rows (names across) are read too; a 2x2 range is read as two columns
    across = [["pue", "power_usd_per_kwh", "utilization"], [1.2, 0.1, 1.0]]
    assert U.GPU_TCO(VR, "power", across) == pytest.approx(it_w / 1000 * 0.12)
    bad = U.FLOOR_RENT(VR, None, None, None, [["bogus", 1.0]])
    assert bad == "#VALUE! unknown field 'bogus': see `gpuecon assumptions` for the fields"
    near = U.FLOOR_RENT(VR, None, None, None, [["hurdel_irr", 0.2]])
    assert near == "#VALUE! unknown field 'hurdel_irr': did you mean hurdle_irr, hurdle_irr_annual, hurdle?"
    assert U.FLOOR_RENT(VR, None, None, None, [["pue", 0.5]]) == "#VALUE! pue_ratio must be in [1, 5], got 0.5"
    assert U.FLOOR_RENT(VR, None, None, None, [[1.0, 2.0, 3.0]]).startswith("#VALUE! assumptions must be a two-column")


def test_excel_shaped_scalars():
    ref = float(model.floor_rent(VR))
    assert U.FLOOR_RENT(" vr-NVL72 ", 0.156, 5.0, 0.15) == pytest.approx(ref)  # floats for ints, odd case
    assert U.FLOOR_RENT([[VR]], [[0.156]], [[5.0]], [[None]]) == pytest.approx(ref)  # 1x1 ranges, blank
    assert U.FLOOR_RENT(VR, "15.6%", " 5 ", "") == pytest.approx(ref)  # numeric text, percent text, empty text
    assert U.CEILING_RENT("Vera Rubin NVL72", 0.7, " fp8 ") == pytest.approx(12.25)
    assert U.FLOOR_RENT(VR, None, 0.5) == pytest.approx(float(model.floor_rent(VR, contract_term_years=0.5)))


def test_error_texts():
    assert U.FLOOR_RENT(VR, -2.0) == "#VALUE! hurdle_irr must be in (-1, 10], got -2"
    assert U.FLOOR_RENT(VR, None, 5.05) == "#VALUE! term_years must be in [0.0833333, 30] and whole months, got 5.05"
    assert U.FLOOR_RENT(VR, None, None, 1.5) == "#VALUE! prepay must be in [0, 1], got 1.5 (1.5 means 150%; for 1.5% write 0.015 or 1.5%)"
    assert U.FLOOR_RENT(VR, "abc") == "#VALUE! hurdle_irr must be a number, got 'abc'"
    assert U.FLOOR_RENT(VR, True) == "#VALUE! hurdle_irr must be a number, got TRUE"
    assert U.FLOOR_RENT(VR, "#DIV/0!") == "#VALUE! hurdle_irr must be a number, got '#DIV/0!'"  # err_to_str input
    assert U.FLOOR_RENT("nope").startswith("#VALUE! unknown system 'nope'; closest:")
    assert U.PROJECT_IRR(VR, None) == "#VALUE! rent_usd_per_gpu_hour is required (USD per GPU-hour)"
    assert U.PROJECT_IRR(VR, -1.0) == "#VALUE! rent_usd_per_gpu_hour must be a number >= 0, got -1"
    assert U.PROJECT_IRR(VR, 0.0).startswith(
        "#NUM! no IRR: the cash flows never turn positive (the rent does not cover the operating costs); "
        "NPV at the 15.6% hurdle: -$")
    # a floor below zero is not a rent to quote: the cell says why (issue 9: residual 3x capex gives -0.46)
    assert U.FLOOR_RENT(VR, None, None, None, [["residual_value_frac_capex", "300%"]]) == (
        "#NUM! floor rent below zero (-0.46 USD/GPU-hr): at the hurdle the residual value and depreciation tax "
        "shield alone cover the capex and costs, so any rent >= 0 earns the hurdle")
    col = U.FLOOR_RENT(VR, [[0.156], [0.156]], None, None, [["residual_value_frac_capex", "300%"]])
    assert col[0][0].startswith("#NUM! floor rent below zero (-0.46 USD/GPU-hr)") and col[1] == col[0]
    # financing-type flows: no rate shown as a return, NPV at the hurdle in the text
    assert U.PROJECT_IRR(VR, 3.0, None, 0.95).startswith(
        "#NUM! no IRR as a return: the flows are financing-type (the prepay exceeds the capex, then net outflows)")
    assert U.CEILING_RENT("H100", 0.7, "FP4") == "#N/A H100 SXM has no marketed FP4 figure (tflops_fp4_dense)"
    assert U.CEILING_RENT(VR, 0.7, "FP7").startswith("#VALUE! basis must be one of BF16, FP8, FP4, FP4_SPARSE, MEM_BW")
    assert U.GPU_TCO(VR, "capex").startswith("#VALUE! item must be one of total, capital")
    assert U.SOCAMM_COST(768.0, 10.0, 1.0) == "#VALUE! gross_margin must be in [0, 1), got 1"
    for value in (U.FLOOR_RENT(VR, -2.0), U.PROJECT_IRR(VR, 0.0), U.FLOOR_RENT("nope")):
        assert "Traceback" not in value and "\n" not in value


# --- arrays ---------------------------------------------------------------------------------------

def test_column_of_hurdles_matches_engine_and_bad_row_errors_alone():
    hurdles = [[0.10], [-2.0], [0.156], [None], ["x"], [0.30]]
    out = U.FLOOR_RENT(VR, hurdles)
    assert len(out) == 6 and all(len(r) == 1 for r in out)
    good = [0.10, None, 0.156, 0.156, None, 0.30]
    for row, h in zip(out, good, strict=True):
        if h is None:
            assert row[0].startswith("#VALUE! hurdle_irr must be")
        else:
            assert row[0] == pytest.approx(float(model.floor_rent(VR, hurdle_irr_annual=h)), rel=1e-12)
    # the same bad value gives the same text as a scalar call
    assert out[1][0] == U.FLOOR_RENT(VR, -2.0)
    assert out[4][0] == U.FLOOR_RENT(VR, "x")


def test_broadcast_column_and_row_make_a_grid():
    out = U.FLOOR_RENT(VR, [[0.10], [0.20]], [[3.0, 5.0, 7.0]])
    assert np.shape(out) == (2, 3)
    for i, h in enumerate((0.10, 0.20)):
        for j, t in enumerate((3.0, 5.0, 7.0)):
            assert out[i][j] == pytest.approx(float(model.floor_rent(VR, hurdle_irr_annual=h, contract_term_years=t)))
    assert U.FLOOR_RENT(VR, [[0.1], [0.2]], [[3.0], [5.0], [7.0]]).startswith("#VALUE! ranges have incompatible shapes")
    # a 1-D list (what xlwings gives without ndim=2) is read as a column
    assert np.shape(U.FLOOR_RENT(VR, [0.1, 0.2, 0.3])) == (3, 1)


def test_system_column_and_basis_row():
    out = U.CEILING_RENT([[VR], ["h100"], ["nope"]], 0.70, [["FP8", "fp4"]])
    assert out[0] == [pytest.approx(12.25), pytest.approx(24.5)]  # 17.5 and 35 PFLOPS x 0.70
    assert out[1][0] == pytest.approx(0.70 * 1.979)
    assert out[1][1] == "#N/A H100 SXM has no marketed FP4 figure (tflops_fp4_dense)"
    assert out[2][0].startswith("#VALUE! unknown system 'nope'") and out[2][1] == out[2][0]
    tco = U.GPU_TCO([[GB], [VR]], [["total", "power"]])
    assert tco[0][0] == pytest.approx(U.GPU_TCO(GB)) and tco[1][1] == pytest.approx(U.GPU_TCO(VR, "power"))
    assert U.GPU_TCO([[GB], [VR]], "breakdown")[0][0].startswith("#VALUE! item \"breakdown\" needs a single system")
    spec = U.GPU_SPEC([["H20"], [VR]], [["hbm_gb", "mem_bw_tb_per_s"]])
    assert spec == [[96.0, 4.0], [288.0, 22.0]]


def test_irr_and_rent_arrays_match_engine():
    rents = [[3.0], [4.925], [8.0], [0.0], [-1.0]]
    out = U.PROJECT_IRR(VR, rents)
    expect = model.project_irr(VR, [3.0, 4.925, 8.0])
    for k in range(3):
        assert out[k][0] == pytest.approx(float(expect[k]), rel=1e-10)
    assert out[3][0].startswith("#NUM! no IRR: the cash flows never turn positive")
    assert out[4][0] == "#VALUE! rent_usd_per_gpu_hour must be a number >= 0, got -1"
    per = U.RENT_PER_PFLOP(VR, [[4.90, 8.00]])
    assert [round(v, 2) for v in per[0]] == [0.28, 0.46]
    soc = U.SOCAMM_COST([[768.0], ["VR NVL72"], [None]], 10.0, [[0.0, 0.6]])
    assert soc[0] == [7680.0, pytest.approx(19200.0)] and soc[1] == soc[0]
    assert soc[2][0].startswith("#VALUE! capacity_gb_or_system is required")


def test_array_call_is_one_engine_call(monkeypatch):
    calls = []
    real = model.floor_rent

    def spy(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(model, "floor_rent", spy)
    col = [[0.05 + 0.25 * i / 9999] for i in range(10_000)]
    col[17][0] = -5.0
    out = U.FLOOR_RENT(VR, col)
    assert len(calls) == 1
    assert out[17][0].startswith("#VALUE!") and isinstance(out[18][0], float)
    expect = real(VR, hurdle_irr_annual=np.array([r[0] for r in col[:17]]))
    assert np.allclose([r[0] for r in out[:17]], expect, rtol=1e-12)


def test_one_chart_table():
    table = U.ONE_CHART(VR)
    assert table[0] == ["rent_usd_per_gpu_hour", "irr_annual", "floor_usd_per_gpu_hour", "ceiling_usd_per_gpu_hour"]
    chart = model.one_chart(VR)
    assert len(table) == 1 + len(chart.rents_usd_per_gpu_hour)
    floor, ceiling = table[1][2], table[1][3]
    assert floor == pytest.approx(4.92, abs=0.01) and ceiling == pytest.approx(12.25)
    for row, r, irr in zip(table[1:], chart.rents_usd_per_gpu_hour, chart.irr_annual, strict=True):
        assert row[0] == pytest.approx(r)
        if np.isfinite(irr):
            assert row[1] == pytest.approx(irr)
        else:  # the top of the default grid passes the 1,000% cap: the cell says so
            assert row[1].startswith("#NUM! IRR above 1,000% a year")
    custom = U.ONE_CHART(VR, [[4.0], [None], [floor], [-1.0]])
    assert len(custom) == 4  # header + 3 (the blank cell is skipped)
    assert custom[2][1] == pytest.approx(0.156, abs=1e-9)
    assert custom[3][0].startswith("#VALUE! rents must be a number >= 0")
    assert U.ONE_CHART([[VR], [GB]]).startswith("#VALUE! system must be a single name")


def test_scalar_results_are_plain_python_values():
    for value in (U.FLOOR_RENT(VR), U.GPU_TCO(VR), U.CEILING_RENT(VR), U.SOCAMM_COST(768.0), U.PROJECT_IRR(VR, 8.0)):
        assert type(value) is float and math.isfinite(value)
    out = U.FLOOR_RENT(VR, [[0.1], [0.2]])
    assert all(type(r[0]) is float for r in out)


def test_memo_returns_identical_results():
    first = U.FLOOR_RENT(VR, 0.2)
    assert U.FLOOR_RENT(VR, 0.2) == first
    assert U.FLOOR_RENT(VR, "abc") == U.FLOOR_RENT(VR, "abc")
    excel.cache_clear()
    assert U.FLOOR_RENT(VR, 0.2) == first
