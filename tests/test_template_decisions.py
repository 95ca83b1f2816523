"""Template: the Tokens and Sensitivity sheets (issue 13).

Cached values against values derived here (the seed's figures by hand, the engine's TCO and floor at
each moved input called one by one, not through the tornado function), the add-in cells against the
add-in's adapter, the native formulas' hygiene and the tornado chart; under LibreOffice (marked
``libreoffice``) every native cell of the two sheets and of the Checks recomputes to the cached value,
which equals the engine, and every native Checks row reads OK, in cases that reach the clip, whole-month,
no-break-even and no-cache-rate branches.
"""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest

from gpuecon import floor_rent, tco_breakdown
from gpuecon.engine.decisions import sensitivity
from gpuecon.excel import token_functions
from gpuecon.template.exporter import MODEL_FILE, export_model, model_cached_values
from gpuecon.template.sensitivity import CHAIN_FIELDS, SENSITIVITY_ADDIN_COLUMNS, TOP
from gpuecon.template.tokens import DECISION_INPUTS
from gpuecon.xlsx.package import open_package

REL = 1e-9


@pytest.fixture(scope="module")
def gb300(tmp_path_factory) -> Path:
    return export_model(tmp_path_factory.mktemp("gb") / MODEL_FILE, "GB300 NVL72")


def _names(path: Path) -> dict[str, tuple[str, str]]:
    out = {}
    for d in open_package(path).defined_names:
        sheet, ref = d.text.rsplit("!", 1)
        out[d.name] = (sheet.strip("'"), ref.replace("$", ""))
    return out


def _cached(path: Path, system: str, inputs: dict | None = None):
    cached = model_cached_values(system, inputs or {})
    names = _names(path)
    return lambda name: cached[names[name]]


def _approx(x: float) -> object:
    return pytest.approx(x, rel=REL, abs=1e-12)


def test_seed_figures_for_gb300(gb300: Path) -> None:
    val = _cached(gb300, "GB300 NVL72")
    # seed 001: $5 / $25 / $0.50 cached, 300:1, 91% hit: (300 x (0.91 x 0.5 + 0.09 x 5) + 25) / 301
    assert val("token_price_usd_per_mtok") == _approx((300 * (0.91 * 0.5 + 0.09 * 5) + 25) / 301)
    assert abs(val("token_price_usd_per_mtok") - 0.99) < 0.006  # $0.985: about $0.99
    # the hit rate for $0.99: (300 x 5 + 25 - 0.99 x 301) / (300 x 4.5)
    assert val("cache_hit_for_target_frac") == _approx((1500 + 25 - 0.99 * 301) / 1350)
    assert 0.905 < val("cache_hit_for_target_frac") < 0.915
    # GB300 at 14,000 tokens/s: TCO / (14,000 x 3600) x 10^6 (utilization 100%) ~ $0.053
    tco = float(tco_breakdown("GB300 NVL72")["total"])
    assert val("token_cost_owner_usd_per_mtok") == _approx(tco / (14000 * 3600) * 1e6)
    assert 0.052 < val("token_cost_owner_usd_per_mtok") < 0.054
    assert val("token_cost_renter_usd_per_mtok") == _approx(3.50 / (14000 * 3600) * 1e6)  # GB300's market rent
    assert val("token_margin_owner_frac") == _approx(1 - tco / (14000 * 3600) * 1e6 / val("token_price_usd_per_mtok"))
    # break-even at $3.50: about 90.5%, and the floor there is $3.50 again
    be = val("breakeven_utilization_frac")
    assert 0.904 < be < 0.906
    assert float(floor_rent("GB300 NVL72", utilization_frac=be)) == _approx(3.50)
    assert val("floor_at_full_utilization_usd_per_gpu_hour") == _approx(float(floor_rent("GB300 NVL72")))
    assert val("breakeven_utilization_frac") == _approx(float(floor_rent("GB300 NVL72")) / 3.50)


def test_seed_exact_90_percent(tmp_path: Path) -> None:
    path = export_model(tmp_path / MODEL_FILE, "GB300 NVL72", {"cache_hit_frac": 0.90})
    val = _cached(path, "GB300 NVL72", {"cache_hit_frac": 0.90})
    assert val("token_price_usd_per_mtok") == _approx(310 / 301)  # $1.0299 at exactly 90%


@pytest.mark.parametrize("system", ["VR NVL72", "GB300 NVL72"])
def test_tornado_rows_are_the_floor_with_one_input_moved(system: str) -> None:
    from gpuecon.engine.numbers import explicit

    cached = model_cached_values(system)
    rows = []
    r = TOP
    while ("Sensitivity", f"E{r}") in cached:
        rows.append(r)
        r += 1
    assert len(rows) == len(CHAIN_FIELDS)
    base = float(floor_rent(system))
    moving = [r for r in rows if cached[("Sensitivity", f"G{r}")] > 0]
    swings = []
    for r in rows:
        name = cached[("Sensitivity", f"A{r}")]
        lo, hi = cached[("Sensitivity", f"C{r}")], cached[("Sensitivity", f"D{r}")]
        v = _field(system, name)
        # -/+20%, except utilization (100% + 20% is clipped to 1)
        assert lo == _approx(0.8 * v)
        assert hi == _approx(min(1.2 * v, 1.0) if name == "utilization_frac" else 1.2 * v)
        assert cached[("Sensitivity", f"E{r}")] == _approx(float(floor_rent(system, **{name: explicit(lo)})))
        assert cached[("Sensitivity", f"F{r}")] == _approx(float(floor_rent(system, **{name: explicit(hi)})))
        assert cached[("Sensitivity", f"H{r}")] == _approx(cached[("Sensitivity", f"E{r}")] - base)
        swings.append(cached[("Sensitivity", f"G{r}")])
        if r not in moving:  # an input the floor does not read at these values (0, or e.g. the life without tax)
            assert cached[("Sensitivity", f"E{r}")] == cached[("Sensitivity", f"F{r}")] == _approx(base)
    assert swings == sorted(swings, reverse=True)
    # the moving rows are the engine's tornado, in its order; the add-in spill (K:P) lists the same
    t = sensitivity(system)
    assert [cached[("Sensitivity", f"A{r}")] for r in moving] == list(t["input"])
    assert [cached[("Sensitivity", f"K{r}")] for r in moving] == list(t["input"])
    assert cached[("Sensitivity", f"K{TOP - 1}")] == "input"
    assert cached[("Sensitivity", f"K{TOP + len(moving)}")] == "#N/A"  # the spill range is sized for every input
    for r in moving:
        assert cached[("Sensitivity", f"T{r}")] == cached[("Sensitivity", f"E{r}")]


def _field(system: str, name: str) -> float:
    from gpuecon import Assumptions
    return float(Assumptions(system)[name])


def test_add_in_cells_equal_what_the_add_in_returns(gb300: Path) -> None:
    """The add-in's adapter called with the arguments each new UDF cell receives, against the cached values."""
    wbf = openpyxl.load_workbook(gb300)
    wbv = openpyxl.load_workbook(gb300, data_only=True)
    names = _names(gb300)

    def grid(sheet: str, rng: str):
        block = wbv[sheet][rng]
        if not isinstance(block, tuple):
            return [[block.value]]
        return [[c.value for c in row] for row in block]

    def arg(text: str, sheet: str):
        if text.startswith('"'):
            return text.strip('"')
        if text in names:
            return grid(*names[text])
        return grid(sheet, text)

    calls = set()
    for title in ("Tokens", "Sensitivity"):
        for row in wbf[title].iter_rows():
            for cell in row:
                v = cell.value
                text = getattr(v, "text", v)
                m = re.fullmatch(r"=(TOKEN_PRICE|TOKEN_COST|TOKEN_MARGIN|SENSITIVITY|BREAKEVEN_UTILIZATION)\((.*)\)",
                                 text) if isinstance(text, str) and cell.data_type == "f" else None
                if not m:
                    continue
                calls.add(m.group(1))
                result = getattr(token_functions, m.group(1).lower())(*(arg(a, title) for a in m.group(2).split(",")))
                want = result if isinstance(result, list) else [[result]]
                got = grid(title, v.ref if hasattr(v, "ref") else cell.coordinate)
                if m.group(1) == "SENSITIVITY":  # the range is sized for every input: #N/A below the result
                    assert all(x == "#N/A" for row in got[len(want):] for x in row) and len(got) > len(want)
                    got = got[:len(want)]
                assert len(got) == len(want) and len(got[0]) == len(want[0]), (title, cell.coordinate)
                for gr, wr in zip(got, want, strict=True):
                    for g, w in zip(gr, wr, strict=True):
                        assert g == (pytest.approx(w, rel=1e-12) if isinstance(w, float) else w), (cell.coordinate, g, w)
    assert calls == {"TOKEN_PRICE", "TOKEN_COST", "TOKEN_MARGIN", "SENSITIVITY", "BREAKEVEN_UTILIZATION"}
    # the owner's view passes a blank rent (the TCO): the cell it reads is empty
    owner = next(c for c in wbf["Tokens"]["E"] if "TOKEN_COST(" in str(c.value))
    blank = re.fullmatch(r"=TOKEN_COST\(system_name,tokens_per_sec_per_gpu,(E\d+),assumptions\)", owner.value).group(1)
    assert wbf["Tokens"][blank].value is None


def test_native_formulas_have_no_typed_numbers_or_udfs(gb300: Path) -> None:
    wb = openpyxl.load_workbook(gb300)
    seen = 0
    for title, skip in (("Tokens", "EF"), ("Sensitivity", SENSITIVITY_ADDIN_COLUMNS)):
        for row in wb[title].iter_rows():
            for cell in row:
                text = getattr(cell.value, "text", cell.value)
                if not (isinstance(text, str) and text.startswith("=") and cell.data_type == "f"):
                    continue
                if len(cell.column_letter) == 1 and cell.column_letter in skip:
                    continue
                seen += 1
                body = re.sub(r'"[^"]*"', '""', text)
                body = re.sub(r"(?:'[^']+'|[A-Za-z]+)!\$?[A-Z]{1,3}\$?\d+(?::\$?[A-Z]{1,3}\$?\d+)?", "R", body)
                body = re.sub(r"\$?\b[A-Z]{1,3}\$?\d+\b", "R", body)
                body = re.sub(r"\b[A-Za-z_][A-Za-z0-9_.]*", "N", body)
                assert set(re.findall(r"\d+(?:\.\d+)?", body)) <= {"0", "1"}, (title, cell.coordinate, text)
                assert not re.search(r"(TOKEN_PRICE|TOKEN_COST|TOKEN_MARGIN|SENSITIVITY|BREAKEVEN_UTILIZATION|LET|LAMBDA|"
                                     r"XLOOKUP)\(", text.upper()), (title, cell.coordinate, text)
    assert seen > 500


def test_tornado_chart_is_a_native_horizontal_bar_chart(gb300: Path) -> None:
    ws = openpyxl.load_workbook(gb300)["Sensitivity"]
    (chart,) = ws._charts
    assert chart.tagname == "barChart" and chart.type == "bar" and chart.overlap == 100
    n = len(CHAIN_FIELDS)
    refs = [s.val.numRef.f for s in chart.series]
    assert refs == [f"'Sensitivity'!$H${TOP}:$H${TOP + n - 1}", f"'Sensitivity'!$I${TOP}:$I${TOP + n - 1}"]
    assert chart.series[0].cat.numRef.f == f"'Sensitivity'!$A${TOP}:$A${TOP + n - 1}" or \
        chart.series[0].cat.strRef.f == f"'Sensitivity'!$A${TOP}:$A${TOP + n - 1}"


def test_token_inputs_are_named_inputs_with_defaults(gb300: Path) -> None:
    wb = openpyxl.load_workbook(gb300)
    names = _names(gb300)
    ws = wb["Inputs"]
    for name, (default, unit, *_rest) in DECISION_INPUTS.items():
        sheet, ref = names[name]
        r = int(ref[1:])
        assert (sheet, ref[0]) == ("Inputs", "C") and names[name + "_input"] == ("Inputs", f"B{r}")
        assert ws[f"B{r}"].value == default == ws[f"E{r}"].value and ws[f"D{r}"].value == unit
        assert ws[f"B{r}"].font.color.rgb.endswith("0000FF")
    with pytest.raises(ValueError, match="unknown inputs"):
        export_model(Path("/nonexistent/x.xlsx"), inputs={"cache_hit": 0.5})


# --- LibreOffice ------------------------------------------------------------------------------------------

LO_CASES = {
    "vr-defaults": ("VR NVL72", {}),
    "gb300-defaults": ("GB300 NVL72", {}),
    # clips (utilization 1.2 x 0.85 > 1, prepay), whole months (lag 3 -> 2 and 4, term 2.5 y -> 2 and 3), tax, and
    # no break-even at $2.00, no cache rate for $0.10
    "gb300-branches": ("GB300 NVL72", {"deployment_lag_months": 3, "contract_term_years": 2.5, "tax_rate_frac": 0.21,
                                       "utilization_frac": 0.85, "residual_value_frac_capex": 0.1,
                                       "rent_usd_per_gpu_hour": 2.0, "target_price_usd_per_mtok": 0.10,
                                       "sensitivity_swing_frac": 0.3}),
}


@pytest.mark.libreoffice
@pytest.mark.parametrize("case", list(LO_CASES))
def test_libreoffice_recomputes_tokens_and_sensitivity(case: str, tmp_path: Path) -> None:
    from test_template_libreoffice import compare_native, native_check_rows, recalculated, rel_diff

    from gpuecon.engine.decisions import breakeven_utilization
    from gpuecon.engine.tokens import token_cost_usd_per_mtok, token_price
    system, inputs = LO_CASES[case]
    src, out, fcells, cached = recalculated(system, inputs, tmp_path)
    # every native cell of the two sheets and of Checks: LibreOffice's value = the cached (engine) value
    ours = {k: v for k, v in cached.items() if k[0] in ("Tokens", "Sensitivity", "Checks")}
    n, _ = compare_native(out, ours, fcells)
    wb = openpyxl.load_workbook(out, data_only=True)
    assert n > 700
    names = _names(src)

    def lo(name: str):
        sheet, ref = names[name]
        return wb[sheet][ref].value

    fields = {k: v for k, v in inputs.items() if k not in DECISION_INPUTS and k != "rent_usd_per_gpu_hour"}
    tok = {k: inputs.get(k, d[0]) for k, d in DECISION_INPUTS.items()}
    rent = inputs.get("rent_usd_per_gpu_hour", 3.50 if system == "GB300 NVL72" else float(floor_rent(system)))
    # native (LibreOffice) = engine
    price = float(token_price(tok["input_usd_per_mtok"], tok["output_usd_per_mtok"], tok["cached_input_usd_per_mtok"],
                              tok["input_output_ratio"], tok["cache_hit_frac"]))
    assert rel_diff(lo("token_price_usd_per_mtok"), price) <= REL
    owner = float(token_cost_usd_per_mtok(system, tok["tokens_per_sec_per_gpu"], **fields))
    assert rel_diff(lo("token_cost_owner_usd_per_mtok"), owner) <= REL
    renter = float(token_cost_usd_per_mtok(system, tok["tokens_per_sec_per_gpu"], rent, **fields))
    assert rel_diff(lo("token_cost_renter_usd_per_mtok"), renter) <= REL
    be = float(breakeven_utilization(system, rent, **fields))
    t = sensitivity(system, "floor", tok["sensitivity_swing_frac"], **fields)
    ws = wb["Sensitivity"]
    for k, rec in enumerate(t.itertuples(index=False)):
        r = TOP + k
        assert ws[f"A{r}"].value == rec.input
        for col, x in zip("CDEF", (rec.low, rec.high, rec.output_at_low, rec.output_at_high), strict=True):
            assert rel_diff(ws[f"{col}{r}"].value, float(x)) <= REL, (rec.input, col)
    if case == "gb300-branches":
        assert be != be and lo("breakeven_utilization_frac") == "#N/A"  # no break-even at $2.00
        assert lo("breakeven_utilization_note") == "needs more than 100% utilization"
        assert lo("cache_hit_for_target_frac") == "#N/A" and lo("cache_hit_for_target_note")
        notes = dict(zip(t["input"], t["note"], strict=True))
        assert "clipped" in notes["utilization_frac"] and "rounded" in notes["deployment_lag_months"]
    else:
        assert rel_diff(lo("breakeven_utilization_frac"), be) <= REL
        assert rel_diff(lo("floor_at_breakeven_usd_per_gpu_hour"), rent) <= REL
    # Checks: every native row OK, the add-in rows say the add-in is not loaded, summary OK
    checks = wb["Checks"]
    statuses = [checks[f"E{r}"].value for r in range(7, checks.max_row + 1) if checks[f"A{r}"].value]
    assert "ERROR" not in statuses and statuses.count("OK") == native_check_rows(fcells)
    assert statuses.count("add-in not loaded") == 16 + 8 + 12  # model, Tokens and Sensitivity, Financing and Asset value
    assert lo("checks_summary") == "OK"
