"""The Model (add-in) and Checks sheets: the results through the gpuecon functions (``GPU_TCO``,
``FLOOR_RENT``, ... and the ``ONE_CHART`` table) with the engine's values cached, and the checks:
add-in against native for every output and scenario column, native consistency checks, and the
``checks_summary`` that reads OK when no row reads ERROR. The row writers (``addin_check``, ``range_check``,
``native_check``) serve the checks of further sheets, passed to ``write_checks`` as ``extra``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from openpyxl.styles import Alignment, Font

from ..engine.model import TCO_ITEMS, project_irr_detail, project_terms
from ..excel.errors import ERR_NUM, cell_error
from .book import Book, header, widths
from .calc import CONSTANTS, SCHEDULE_MONTHS, Calc, scalar
from .styles import BOLD, NOTE, PCT1, PCT3, SECTION, TITLE, USD0, USD2


def _irr_cell(c: Calc, irr: float) -> object:
    """What PROJECT_IRR shows: the IRR, or ``#NUM! <reason>`` where there is none as a return (e.g. 100% prepay)."""
    return irr if np.isfinite(irr) else cell_error(str(project_irr_detail(c.a, c.rent).reason), ERR_NUM)


def write_addin(book: Book, c: Calc, res: dict, chart_rents: np.ndarray, chart_irr: np.ndarray) -> dict[str, str]:
    ws = book.ws("Model (add-in)")
    widths(ws, {"A": 34, "B": 15, "C": 14, "D": 96, "E": 3, "F": 12, "G": 12, "H": 12, "I": 12})
    book.text(ws, "A1", "Model (add-in)", TITLE)
    book.text(ws, "A2", "These cells call the gpuecon functions (xlwings add-in or xlwings Lite). Without the "
                        "add-in they show #NAME? after a recalculation; the values saved in the file are the "
                        "engine's. Native equivalents: Model (native).", NOTE)
    header(ws, 4, ["Output", "Value", "Unit", "Formula"])
    refs: dict[str, str] = {}
    r = 5
    tco = res["tco"]
    rows = [("tco_total", "TCO per GPU-hour", '=GPU_TCO(system_name,"total",assumptions)', tco["total"], "USD/GPU-hr")]
    rows += [(f"tco_{k}", f"TCO: {k}", f'=GPU_TCO(system_name,"{k}",assumptions)', tco[k], "USD/GPU-hr")
             for k in TCO_ITEMS]
    rows += [
        ("floor", "Floor rent", "=FLOOR_RENT(system_name,hurdle_irr_annual,contract_term_years,prepay_frac_contract,"
                                "assumptions)", res["floor"], "USD/GPU-hr"),
        ("ceiling", "Ceiling rent", "=CEILING_RENT(system_name,ceiling_usd_per_pflop_hour,ceiling_basis,assumptions)",
         res["ceiling"], "USD/GPU-hr"),
        ("socamm", "SOCAMM price per GPU", "=SOCAMM_COST(socamm_gb_per_gpu,socamm_usd_per_gb,socamm_gross_margin_frac)",
         res["socamm"], "USD/GPU"),
        ("irr", "Project IRR at the model rent", "=PROJECT_IRR(system_name,rent_usd_per_gpu_hour,contract_term_years,"
                                                 "prepay_frac_contract,assumptions)", _irr_cell(c, res["irr"]), "annual rate"),
        ("rpp", "Model rent per PFLOP-hour", "=RENT_PER_PFLOP(system_name,rent_usd_per_gpu_hour,ceiling_basis,assumptions)",
         res["rpp"], "USD/PFLOP-hr"),
    ]
    for key, label, formula, value, unit in rows:
        book.text(ws, f"A{r}", label)
        fmt = PCT1 if unit == "annual rate" else (USD0 if unit == "USD/GPU" else USD2)
        book.formula(ws, f"B{r}", formula, value, fmt)
        book.text(ws, f"C{r}", unit)
        book.text(ws, f"D{r}", formula)
        refs[key] = f"B{r}"
        r += 1
    r += 1
    book.text(ws, f"A{r}", "TCO breakdown (one array formula)", SECTION)
    r += 1
    formula = '=GPU_TCO(system_name,"breakdown",assumptions)'
    # the UDF's table has a header row (gpuecon.excel): item, usd_per_gpu_hour
    vals = [["item", "usd_per_gpu_hour"]] + [[k, tco[k]] for k in TCO_ITEMS] + [["total", tco["total"]]]
    book.array(ws, f"A{r}", len(vals), 2, formula, vals, USD2)
    book.text(ws, f"D{r}", formula)
    r = 3
    formula = "=ONE_CHART(system_name,chart_rents,assumptions)"
    book.text(ws, f"F{r}", "One Chart data: " + formula, SECTION)
    r += 1
    vals = [["rent_usd_per_gpu_hour", "irr_annual", "floor_usd_per_gpu_hour", "ceiling_usd_per_gpu_hour"]]
    why = project_irr_detail(c.a, chart_rents).reason  # a point with no IRR shows the add-in's reason
    vals += [[float(x), float(y) if np.isfinite(y) else "#NUM! " + " ".join(str(w).split()), res["floor"], res["ceiling"]]
             for x, y, w in zip(chart_rents, chart_irr, why, strict=True)]
    book.array(ws, f"F{r}", len(vals), 4, formula, vals)
    for i in range(1, len(vals)):
        for col, fmt in zip("FGHI", (USD2, PCT1, USD2, USD2), strict=True):
            ws[f"{col}{r + i}"].number_format = fmt
    refs["one_chart_irr"] = f"G{r + 1}:G{r + len(vals) - 1}"
    ws.freeze_panes = "A5"
    return refs


ADDIN_HEADS = ["Check", "Add-in", "Native", "Difference (to 1e-9)", "Status"]
NATIVE_HEADS = ["Check", "Value", "Target", "Difference (to 1e-9)", "Status"]


def check_section(book: Book, ws, r: int, title: str, heads: list[str]) -> int:
    """A section title on row ``r + 1`` and the column header below it; returns the first row of the checks."""
    book.text(ws, f"A{r + 1}", title, SECTION)
    header(ws, r + 2, heads)
    return r + 3


def _compare_row(book: Book, ws, r: int, label: str, b: str, c: str, value: object, fmt: str, status: str) -> None:
    number = not isinstance(value, str)  # text: the add-in's reason (or #N/A), and the native cell is #N/A
    book.text(ws, f"A{r}", label)
    book.formula(ws, f"B{r}", b, value, fmt)
    book.formula(ws, f"C{r}", c, value if number else "#N/A", fmt)
    book.formula(ws, f"D{r}", f'=IF(ISNUMBER(B{r}),ROUND(B{r}-C{r},difference_decimals),"")', 0.0 if number else "",
                 "0.0E+00")
    book.formula(ws, f"E{r}", status, "OK")


def addin_check(book: Book, ws, r: int, label: str, aref: str, native: str, value: object, fmt: str) -> None:
    """A Checks row: the add-in cell ``aref`` against the native expression ``native`` (a name or formula body)."""
    # both give a number and agree, or neither gives one (add-in reason text, native #N/A)
    _compare_row(book, ws, r, label, f'=IF(ISERROR({aref}),"add-in not loaded",{aref})', f"={native}", value, fmt,
                 f'=IF(ISERROR({aref}),"add-in not loaded",IF(ISNUMBER({aref}),'
                 f'IF(ISNUMBER(C{r}),IF(ABS({aref}-C{r})<=check_tolerance*ABS(C{r}),"OK","ERROR"),'
                 f'"ERROR"),IF(ISNUMBER(C{r}),"ERROR","OK")))')


def range_check(book: Book, ws, r: int, label: str, ar: str, nr: str, total: float, fmt: str) -> None:
    """A Checks row: every cell of the add-in range ``ar`` against the native range ``nr``, row by row."""
    _compare_row(book, ws, r, label, f'=IF(SUMPRODUCT(ISERROR({ar})*1)>0,"add-in not loaded",SUM({ar}))',
                 f"=SUM({nr})", total, fmt,
                 f'=IFERROR(IF(SUMPRODUCT(ISERROR({ar})*1)>0,"add-in not loaded",'
                 f'IF(SUMPRODUCT((ABS({ar}-{nr})>check_tolerance*ABS({nr}))*1)=0,"OK","ERROR")),"ERROR")')


def native_check(book: Book, ws, r: int, label: str, fa: str, fb: str, va: float, vb: float, fmt: str,
                 kind: str = "rel") -> None:
    """A native consistency row: ``fa`` against ``fb``; ``kind`` rel (relative), le, npv or irr (absolute)."""
    book.text(ws, f"A{r}", label)
    book.formula(ws, f"B{r}", fa, va, fmt)
    book.formula(ws, f"C{r}", fb, vb, fmt)
    book.formula(ws, f"D{r}", f"=ROUND(B{r}-C{r},difference_decimals)", round(va - vb, int(CONSTANTS["difference_decimals"][0])) + 0.0, "0.0E+00")
    if kind == "le":
        status = f'=IF(B{r}<=C{r},"OK","ERROR")'
    elif kind == "npv":  # NPV is a difference of large flows: tolerance relative to capex
        status = f'=IF(ABS(B{r}-C{r})<=check_tolerance*capex_total,"OK","ERROR")'
    elif kind == "irr":  # IRR is iterative: absolute tolerance on the rate
        status = f'=IF(ABS(B{r}-C{r})<=irr_check_tolerance,"OK","ERROR")'
    else:
        status = f'=IF(ABS(B{r}-C{r})<=check_tolerance*ABS(C{r}),"OK","ERROR")'
    book.formula(ws, f"E{r}", status, "OK")


#: writes further Checks rows from row ``r`` and returns the next free row
MoreChecks = Callable[[Book, object, int], int]


def write_checks(book: Book, c: Calc, res: dict, addin_refs: dict[str, str], sc: dict,
                 extra: Sequence[MoreChecks] = ()) -> None:
    ws = book.ws("Checks")
    widths(ws, {"A": 46, "B": 15, "C": 15, "D": 14, "E": 20})
    book.text(ws, "A1", "Checks", TITLE)
    book.text(ws, "A2", "Add-in vs native for each output (relative difference <= check_tolerance), and native "
                        "consistency checks. Without the add-in its rows read \"add-in not loaded\", not an error.",
              NOTE)
    book.text(ws, "A4", "Summary", BOLD)
    header(ws, 6, ADDIN_HEADS)
    ma = "'Model (add-in)'"
    r = 7
    tco = res["tco"]
    pairs = [("TCO per GPU-hour", "tco_total", "tco_total", tco["total"], USD2)]
    pairs += [(f"TCO: {k}", f"tco_{k}", f"tco_{k}", tco[k], USD2) for k in TCO_ITEMS]
    pairs += [("Floor rent", "floor", "floor_rent_usd_per_gpu_hour", res["floor"], USD2),
              ("Ceiling rent", "ceiling", "ceiling_rent_usd_per_gpu_hour", res["ceiling"], USD2),
              ("SOCAMM price per GPU", "socamm", "socamm_price_usd_per_gpu", res["socamm"], USD0),
              ("Project IRR at the model rent", "irr", "project_irr", _irr_cell(c, res["irr"]), PCT1),
              ("Rent per PFLOP-hour", "rpp", "rent_per_unit_hour", res["rpp"], USD2)]
    for label, akey, nname, value, fmt in pairs:
        addin_check(book, ws, r, label, f"{ma}!{addin_refs[akey]}", nname, value, fmt)
        r += 1
    top, bot = sc["top"], sc["bot"]
    for label, acol, ncol, fmt, key in [("Scenarios: TCO", "K", "P", USD2, "tco"),
                                        ("Scenarios: floor rent", "L", "Q", USD2, "floor"),
                                        ("Scenarios: IRR at rent", "M", "R", PCT1, "irr"),
                                        ("Scenarios: ceiling", "N", "S", USD2, "ceil"),
                                        ("Scenarios: SOCAMM", "O", "T", USD0, "socamm")]:
        range_check(book, ws, r, label + " (all rows)", f"Scenarios!{acol}{top}:{acol}{bot}",
                    f"Scenarios!{ncol}{top}:{ncol}{bot}", sc[key], fmt)
        r += 1
    r = check_section(book, ws, r, "Native consistency", NATIVE_HEADS)
    native = [
        ("Capex parts add up", "=capex_compute+capex_socamm+capex_networking+capex_storage+capex_other",
         "=capex_total", res["capex"], res["capex"], USD0, "rel"),
        ("IRR at the floor rent = hurdle", "=irr_at_floor", "=hurdle_irr_annual", res["irr_floor"],
         float(c.a.hurdle_irr_annual), PCT3, "irr"),
        ("Schedule NPV = closed-form NPV", "=project_npv", "=project_npv_closed_form", res["npv"],
         res["k0"] + c.rent * res["k1"], USD2, "npv"),
        ("Schedule covers the horizon", "=horizon_months", "=schedule_last_month", None, float(SCHEDULE_MONTHS),
         "0", "le"),
    ]
    first_native = r
    for label, fa, fb, va, vb, fmt, kind in native:
        if va is None:
            va = float(scalar(project_terms(c.a).N))
        native_check(book, ws, r, label, fa, fb, va, vb, fmt, kind)
        r += 1
    for more in extra:  # the checks of further sheets (Tokens, Sensitivity, ...)
        r = more(book, ws, r)
    book.formula(ws, "B4", f'=IF(COUNTIF(E7:E{r - 1},"ERROR")=0,"OK","ERROR")', "OK", font=Font(name="Calibri", bold=True, size=14))
    book.name("checks_summary", "Checks", "B4")
    book.text(ws, "C4", "OK when no row reads ERROR (\"add-in not loaded\" rows do not count)", NOTE)
    del first_native
    for rr in range(7, r):
        ws[f"E{rr}"].alignment = Alignment(horizontal="center")
    ws.freeze_panes = "A7"


