"""Template workbook: structure (openpyxl), cached values, determinism, and the committed file.

LibreOffice recalculation of the template is in tests/test_template_libreoffice.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from typer.testing import CliRunner

from gpuecon import FIELDS, catalog_frame, ceiling_rent, floor_rent, project_irr, tco_breakdown
from gpuecon.excel import functions as excel
from gpuecon.template.calc import CONSTANTS
from gpuecon.template.exporter import (
    MODEL_FILE,
    SHEETS,
    export_model,
    model_cached_values,
)
from gpuecon.xlsx.package import open_package

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "workbooks" / MODEL_FILE
NATIVE_SHEETS = ("Inputs", "Model (native)", "One Chart", "Checks", "Cover", "Financing", "Asset value")
SCENARIO_ADDIN_COLS = set("KLMNO")


@pytest.fixture(scope="module")
def path(tmp_path_factory) -> Path:
    return export_model(tmp_path_factory.mktemp("wb") / MODEL_FILE)


@pytest.fixture(scope="module")
def wb(path: Path):
    return openpyxl.load_workbook(path)


def _name_target(wb, name: str) -> str:
    return wb.defined_names[name].attr_text


def test_sheets(wb) -> None:
    assert tuple(wb.sheetnames) == SHEETS


def test_every_assumption_is_a_named_input_with_unit_default_range_source(wb) -> None:
    ws = wb["Inputs"]
    rows = {ws[f"A{r}"].value: r for r in range(1, ws.max_row + 1)}
    for name, f in FIELDS.items():
        r = rows[name]
        assert _name_target(wb, name) == f"Inputs!$C${r}"
        assert ws[f"D{r}"].value == f.unit
        assert ws[f"F{r}"].value == f.lo and ws[f"G{r}"].value == f.hi
        assert ws[f"H{r}"].value == f.allowed
        if f.default is not None:
            assert ws[f"B{r}"].value == f.default == ws[f"E{r}"].value
        else:  # system figure: default looked up in the Catalog, input blank
            assert ws[f"B{r}"].value is None
            assert "INDEX(Catalog!" in ws[f"E{r}"].value
            assert ws[f"J{r}"].value.startswith("Catalog:")
        # blue font on pale yellow: an input cell
        assert ws[f"B{r}"].font.color.rgb.endswith("0000FF")
        assert ws[f"B{r}"].fill.fgColor.rgb.endswith("FFF2CC")
        assert ws[f"C{r}"].value == f"=IF(ISBLANK(B{r}),E{r},B{r})"
    for name in CONSTANTS:
        assert _name_target(wb, name) == f"Inputs!$C${rows[name]}"
    for name in ("system_name", "catalog_row", "rent_usd_per_gpu_hour", "ceiling_usd_per_pflop_hour",
                 "ceiling_basis", "floor_rent_usd_per_gpu_hour", "chart_rents", "checks_summary"):
        assert name in wb.defined_names
    # the add-in's name/value range covers every engine field, in columns A:B
    first, last = rows[next(iter(n for n in FIELDS if FIELDS[n].default is not None))], max(rows[n] for n in FIELDS)
    assert _name_target(wb, "assumptions") == f"Inputs!$A${first}:$B${last}"
    names = [ws[f"A{r}"].value for r in range(first, last + 1)]
    assert sorted(names) == sorted(FIELDS)


def test_data_validation_uses_the_engine_ranges(wb) -> None:
    ws = wb["Inputs"]
    rows = {ws[f"A{r}"].value: r for r in range(1, ws.max_row + 1)}
    dvs = {str(c): dv for dv in ws.data_validations.dataValidation for c in dv.sqref.ranges}
    system = dvs[f"B{rows['system_name']}"]
    n = len(catalog_frame())
    assert system.type == "list" and system.formula1 == f"=Catalog!$A$2:$A${n + 1}"
    assert dvs[f"B{rows['ceiling_basis']}"].formula1 == '"BF16,FP8,FP4,FP4_SPARSE,MEM_BW"'
    for name, f in FIELDS.items():
        r = rows[name]
        dv = dvs[f"B{r}"]
        assert dv.showErrorMessage and name in dv.error
        if dv.type == "custom":  # open bounds or whole months: compares with the Min/Max cells
            lo = ">" if f.lo_open else ">="
            hi = "<" if f.hi_open else "<="
            assert f"B{r}{lo}$F${r}" in dv.formula1 and f"B{r}{hi}$G${r}" in dv.formula1, dv.formula1
        else:
            assert not (f.lo_open or f.hi_open)
            assert (float(dv.formula1), float(dv.formula2)) == (f.lo, f.hi)
            assert dv.type == ("whole" if f.whole else "decimal")


def test_catalog_is_an_excel_table(wb) -> None:
    ws = wb["Catalog"]
    cat = catalog_frame()
    table = ws.tables["tblCatalog"]
    assert table.ref == f"A1:{openpyxl.utils.get_column_letter(len(cat.columns))}{len(cat) + 1}"
    assert [ws.cell(1, j + 1).value for j in range(len(cat.columns))] == list(cat.columns)
    assert [ws[f"A{r}"].value for r in range(2, len(cat) + 2)] == list(cat["name"])


def test_one_chart_is_a_native_scatter_fed_by_the_model(wb) -> None:
    ws = wb["One Chart"]
    assert len(ws._charts) == 1
    chart = ws._charts[0]
    assert chart.tagname == "scatterChart"
    refs = [(s.xVal.numRef.f, s.yVal.numRef.f) for s in chart.series]
    assert refs[0] == ("'One Chart'!$B$5:$B$45", "'One Chart'!$C$5:$C$45")
    assert refs[1] == ("'One Chart'!$F$14:$F$15", "'One Chart'!$G$14:$G$15")  # floor
    assert refs[2] == ("'One Chart'!$F$16:$F$17", "'One Chart'!$G$16:$G$17")  # ceiling
    assert ws["F14"].value == "=floor_rent_usd_per_gpu_hour"
    assert ws["F16"].value == "=ceiling_rent_usd_per_gpu_hour"
    titles = [s.tx.strRef.f if s.tx.strRef else s.tx.v for s in chart.series]
    assert titles == ["Project IRR", "Floor rent", "Ceiling rent", "Hurdle IRR", "Floor at hurdle"]
    assert ws["C5"].value.text.startswith("=IF(INDEX(cash_flow_excl_rent,1)+B5*INDEX(cash_flow_per_rent,1)>0,#N/A,IF((1+IRR(cash_flow_excl_rent+B5*cash_flow_per_rent")


def _formulas(wb, sheets):
    for title in sheets:
        for row in wb[title].iter_rows():
            for cell in row:
                v = cell.value
                text = getattr(v, "text", v)
                if isinstance(text, str) and text.startswith("=") and cell.data_type in ("f", "s") \
                        and not cell.quotePrefix:
                    yield title, cell.coordinate, text


def test_native_formulas_have_no_typed_numbers_and_no_365_only_functions(wb) -> None:
    native = [*NATIVE_SHEETS, "Scenarios"]
    seen = 0
    for title, ref, f in _formulas(wb, native):
        if title == "Scenarios" and re.sub(r"\d", "", ref) in SCENARIO_ADDIN_COLS:
            continue
        if title == "Checks" and ("Model (add-in)" in f or re.search(r"Scenarios![K-O]", f)):
            continue  # the add-in comparisons
        seen += 1
        body = re.sub(r'"[^"]*"', '""', f)  # string literals
        body = re.sub(r"(?:'[^']+'|[A-Za-z]+)!\$?[A-Z]{1,3}\$?\d+(?::\$?[A-Z]{1,3}\$?\d+)?", "R", body)
        body = re.sub(r"\$?\b[A-Z]{1,3}\$?\d+\b", "R", body)  # cell refs
        body = re.sub(r"\b[A-Za-z_][A-Za-z0-9_.]*", "N", body)  # names, functions
        numbers = set(re.findall(r"\d+(?:\.\d+)?(?:E[-+]?\d+)?", body))
        assert numbers <= {"0", "1"}, (title, ref, f, numbers)
        for fn in ("LET(", "LAMBDA(", "XLOOKUP(", "XMATCH(", "FILTER(", "SEQUENCE(", "UNIQUE(", "SORT(",
                   "IFS(", "MAXIFS(", "MINIFS(", "SWITCH(", "CONCAT(", "TEXTJOIN("):
            assert fn not in f.upper().replace("IFERROR(", ""), (title, ref, f)
        for udf in ("GPU_TCO(", "FLOOR_RENT(", "CEILING_RENT(", "SOCAMM_COST(", "PROJECT_IRR(", "ONE_CHART(",
                    "RENT_PER_PFLOP("):
            assert udf not in f, (title, ref, f)
    assert seen > 6000


def test_addin_sheet_calls_the_udfs_with_defined_names(wb) -> None:
    ws = wb["Model (add-in)"]
    formulas = [getattr(c.value, "text", c.value) for row in ws.iter_rows(min_col=2, max_col=2) for c in row]
    text = "\n".join(f for f in formulas if isinstance(f, str))
    assert '=GPU_TCO(system_name,"total",assumptions)' in text
    assert "=FLOOR_RENT(system_name,hurdle_irr_annual,contract_term_years,prepay_frac_contract,assumptions)" in text
    assert "=CEILING_RENT(system_name,ceiling_usd_per_pflop_hour,ceiling_basis,assumptions)" in text
    assert "=SOCAMM_COST(" in text and "=PROJECT_IRR(" in text and "=RENT_PER_PFLOP(" in text
    sc = wb["Scenarios"]
    assert sc["L6"].value.text.startswith("=FLOOR_RENT(B6:B15,D6:D15,E6:E15,F6:F15,global_assumptions)")
    assert sc["L6"].value.ref == "L6:L15"


def test_every_formula_cell_has_its_cached_value(path: Path) -> None:
    pkg = open_package(path)
    cached = model_cached_values()
    stored = {}
    for sheet in SHEETS:
        for cell in pkg.iter_cells(sheet):
            if cell.formula is not None or (sheet, cell.ref) in cached:
                stored[(sheet, cell.ref)] = cell.value
    assert set(stored) == set(cached)
    for key, value in cached.items():
        got = stored[key]
        if value == "":
            assert got in ("", None), key
        elif isinstance(value, float):
            assert got == pytest.approx(value, rel=1e-15, abs=1e-300), key
        else:
            assert got == value, key
    assert stored[("Checks", "B4")] == "OK"


def test_cached_values_are_the_engines(path: Path) -> None:
    wb = openpyxl.load_workbook(path, data_only=True)
    names = {n: wb.defined_names[n].attr_text for n in ("floor_rent_usd_per_gpu_hour", "tco_total",
                                                         "ceiling_rent_usd_per_gpu_hour", "project_irr")}

    def val(name):
        sheet, ref = names[name].rsplit("!", 1)
        return wb[sheet.strip("'")][ref.replace("$", "")].value

    assert val("floor_rent_usd_per_gpu_hour") == pytest.approx(float(floor_rent("VR NVL72")), rel=1e-12)
    assert val("floor_rent_usd_per_gpu_hour") == pytest.approx(4.92, rel=0.01)
    assert val("tco_total") == pytest.approx(float(tco_breakdown("VR NVL72")["total"]), rel=1e-12)
    assert val("ceiling_rent_usd_per_gpu_hour") == 12.25 == float(ceiling_rent("VR NVL72", 0.70))
    floor = float(floor_rent("VR NVL72"))  # the default rent of a system without a public rent
    assert val("project_irr") == pytest.approx(float(project_irr("VR NVL72", floor)), rel=1e-12)
    addin = wb["Model (add-in)"]
    assert addin["B5"].value == val("tco_total")


def test_formula_injection_is_written_as_text(tmp_path: Path) -> None:
    evil = '=HYPERLINK("http://x","y")'
    scen = [(evil, "VR NVL72", 8.0, 0.156, 5, 0.15, 10.0, 0.6, 0.7, "FP8"),
            ("@SUM(1)", "GB300 NVL72", 3.5, 0.156, 5, 0.15, 10.0, 0.6, 0.7, "FP8")]
    out = export_model(tmp_path / "x.xlsx", scenarios=scen)
    ws = openpyxl.load_workbook(out)["Scenarios"]
    assert ws["A6"].value == evil and ws["A6"].data_type == "s" and ws["A6"].quotePrefix
    assert ws["A7"].value == "@SUM(1)" and ws["A7"].data_type == "s"
    pkg = open_package(out)
    cells = {c.ref: c for c in pkg.iter_cells("Scenarios")}
    assert cells["A6"].formula is None and cells["A6"].value == evil


def test_deterministic_bytes(tmp_path: Path) -> None:
    a = export_model(tmp_path / "a" / MODEL_FILE).read_bytes()
    b = export_model(tmp_path / "b" / MODEL_FILE).read_bytes()
    assert a == b


def _content(path: Path) -> dict:
    wb = openpyxl.load_workbook(path)
    out: dict = {"names": {n: d.attr_text for n, d in wb.defined_names.items()}, "sheets": wb.sheetnames}
    for ws in wb.worksheets:
        cells = {}
        for row in ws.iter_rows():
            for c in row:
                v = c.value
                v = (v.ref, v.text) if hasattr(v, "text") else v
                if v is None and not c.has_style:
                    continue
                cells[c.coordinate] = (v, c.number_format, c.font.color.rgb if c.font.color else None, c.font.b,
                                       c.fill.fgColor.rgb)
        out[ws.title] = cells
        out[ws.title + "/dv"] = sorted(str((dv.type, dv.formula1, dv.formula2, str(dv.sqref)))
                                       for dv in ws.data_validations.dataValidation)
        out[ws.title + "/charts"] = [[_series_refs(s) for s in ch.series] for ch in ws._charts]
    pkg = open_package(path)
    out["cached"] = {(s, c.ref): c.value for s in pkg.sheets for c in pkg.iter_cells(s)}
    return out


def _series_refs(s) -> tuple[str, str]:
    """(x or categories, y or values) of a scatter or bar series."""
    if s.xVal is not None:
        return s.xVal.numRef.f, s.yVal.numRef.f
    return (s.cat.numRef or s.cat.strRef).f, s.val.numRef.f


NUMBER_REL = 1e-12  # cached numbers: 15 significant digits, so platforms may differ in the last one


def _same(a, b) -> bool:
    """Equal, numbers within NUMBER_REL (recursively through tuples, lists and dicts)."""
    if isinstance(a, float | int) and isinstance(b, float | int) and not isinstance(a, bool) and not isinstance(b, bool):
        return a == b or abs(a - b) <= NUMBER_REL * max(abs(a), abs(b)) + 1e-12  # absolute part: values near 0
    if isinstance(a, tuple | list) and isinstance(b, tuple | list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a == b


def assert_same_workbook(fresh_path: Path, committed_path: Path) -> None:
    """Formulas, text, styles, names, validation, charts exact; cached numbers to NUMBER_REL."""
    fresh, committed = _content(fresh_path), _content(committed_path)
    assert fresh.keys() == committed.keys()
    for key in fresh:
        if _same(fresh[key], committed[key]):
            continue
        diff = [k for k in fresh[key] if not _same(fresh[key][k], committed[key].get(k))] \
            if isinstance(fresh[key], dict) else []
        raise AssertionError(
            f"workbooks/{MODEL_FILE} differs from a fresh export in {key} (first cells: {diff[:5]}). Numbers are "
            f"compared to a relative {NUMBER_REL:g}, so this is not last-digit platform noise: the workbook is "
            "stale; run `gpuecon export` and commit workbooks/")


def test_committed_workbook_equals_a_fresh_export(path: Path) -> None:
    assert COMMITTED.is_file(), "run `gpuecon export` and commit workbooks/"
    assert_same_workbook(path, COMMITTED)


def test_cli_export(tmp_path: Path) -> None:
    from gpuecon.cli.main import app

    result = CliRunner().invoke(app, ["export", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert_same_workbook(tmp_path / MODEL_FILE, COMMITTED)


def test_cached_numbers_have_at_most_15_significant_digits(path: Path) -> None:
    pkg = open_package(path)
    numbers = [c.value for s in pkg.sheets for c in pkg.iter_cells(s) if c.formula and isinstance(c.value, float)]
    assert len(numbers) > 5000
    assert all(v == float(f"{v:.15g}") for v in numbers)


@pytest.mark.slow
def test_platform_noise_is_tolerated_and_a_real_change_is_not(tmp_path: Path) -> None:
    """A last-bit change in every engine number leaves the comparison green; a changed input does not."""
    import gpuecon.template.book as ex

    real = ex._cached
    try:
        ex._cached = lambda x: real(np.nextafter(float(x), np.inf)) if isinstance(x, float | np.floating) else real(x)
        noisy = export_model(tmp_path / "noisy" / MODEL_FILE)
    finally:
        ex._cached = real
    assert_same_workbook(noisy, COMMITTED)
    changed = export_model(tmp_path / "changed" / MODEL_FILE, inputs={"pue_ratio": 1.31})
    with pytest.raises(AssertionError, match="is stale"):
        assert_same_workbook(changed, COMMITTED)


def test_udf_cached_values_equal_what_the_add_in_returns(path: Path) -> None:
    """Call the add-in's adapter (gpuecon.excel.functions, shared by the xlwings and Lite editions) with the
    arguments each UDF cell would receive, and compare with the cached values, shapes included."""

    wbf = openpyxl.load_workbook(path)
    wbv = openpyxl.load_workbook(path, data_only=True)

    def grid(sheet: str, rng: str):
        block = wbv[sheet][rng.replace("$", "")]
        if not isinstance(block, tuple):
            return [[block.value]]
        return [[c.value for c in row] for row in block]

    def arg(text: str, sheet: str):
        text = text.strip()
        if text.startswith('"'):
            return [[text.strip('"')]]
        if text in wbf.defined_names:
            (dest_sheet, rng), = wbf.defined_names[text].destinations
            return grid(dest_sheet, rng)
        return grid(sheet, text)

    calls = 0
    for ws in wbf.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                v = cell.value
                text = getattr(v, "text", v)
                m = re.fullmatch(r"=(GPU_TCO|FLOOR_RENT|CEILING_RENT|SOCAMM_COST|PROJECT_IRR|RENT_PER_PFLOP|ONE_CHART"
                                 r"|EQUITY_IRR|MIN_DSCR|MAX_LTV|PAYBACK_MONTHS|DEBT_SCHEDULE|GPU_VALUE|BOOK_VALUE"
                                 r"|IMPLIED_DISCOUNT_RATE)\((.*)\)", text) if isinstance(text, str) else None
                if not m or cell.data_type != "f":
                    continue
                calls += 1
                result = excel.FUNCTIONS[m.group(1)](*(arg(a, ws.title) for a in m.group(2).split(",")))
                want = result if isinstance(result, list) else [[result]]
                got = grid(ws.title, v.ref if hasattr(v, "ref") else cell.coordinate)
                assert len(got) == len(want) and len(got[0]) == len(want[0]), (ws.title, cell.coordinate)
                for gr, wr in zip(got, want, strict=True):
                    for g, w in zip(gr, wr, strict=True):
                        if isinstance(w, float):
                            assert g == pytest.approx(w, rel=1e-12), (ws.title, cell.coordinate, g, w)
                        else:  # an empty-text result ("" in DEBT_SCHEDULE: no DSCR) reads back as an empty cell
                            assert g == w or (w == "" and g is None), (ws.title, cell.coordinate, g, w)
    # 11 single results, the breakdown, ONE_CHART, 5 scenario columns; Financing: 4 results and DEBT_SCHEDULE;
    # Asset value: the GPU_VALUE and BOOK_VALUE columns and 4 implied discount rates
    assert calls == 18 + 5 + 6
