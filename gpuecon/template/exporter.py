"""Template workbooks: a thin layer over openpyxl that writes the full GPU-economics model.

``export_model(path)`` writes ``gpuecon_model.xlsx`` (sheets: Cover, Inputs, Catalog, Model (add-in),
Model (native), Scenarios, One Chart, Checks). Every formula cell also gets its value as the cached
result (computed here with the engine, written with :mod:`gpuecon.xlsxpatch`), so the file opens with
numbers before any recalculation. The native sheets use Excel 2016 functions only; UDF cells
(``GPU_TCO`` ...) need the add-in. Output is deterministic: fixed document properties and zip times.

Conventions (FAST-style): inputs on one sheet in blue on pale yellow, every input a defined name,
units beside values, no numbers typed into formulas (constants such as 730 hours per month are named
inputs), data validation with the engine's allowed ranges, and a Checks sheet with an OK/ERROR summary.
"""

from __future__ import annotations

import io
import math
import re
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from openpyxl import Workbook
from openpyxl.chart import Reference, ScatterChart, Series
from openpyxl.chart.layout import Layout, ManualLayout
from openpyxl.chart.marker import Marker
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.formula import ArrayFormula
from openpyxl.worksheet.table import Table, TableStyleInfo

from .. import __version__
from ..engine.assumptions import FIELDS, HOURS_PER_MONTH, HOURS_PER_YEAR, Assumptions
from ..engine.catalog import catalog_frame, get_system
from ..engine.finance import (
    IRR_ABOVE_CAP,
    IRR_FINANCING,
    IRR_NEVER_RECOVERS,
    IRR_NO_OUTLAY,
    IRR_NO_SIGN_CHANGE,
    IRR_REASONS,
    annuity_factor,
    irr,
    monthly_rate,
)
from ..engine.model import (
    IRR_CAP_ANNUAL,
    capex_breakdown_usd_per_gpu,
    cash_flows,
    ceiling_rent,
    floor_rent,
    headroom_frac,
    normalize_basis,
    npv_coefficients,
    project_irr,
    project_irr_detail,
    project_npv,
    project_terms,
    socamm_cost,
    tco_breakdown,
)
from ..engine.numbers import explicit
from ..xlsx import package as xlsxpatch
from ..xlsx.names import INPUT_SUFFIX

__all__ = ["MODEL_FILE", "SHEETS", "export_all", "export_model", "model_cached_values"]

MODEL_FILE = "gpuecon_model.xlsx"
SHEETS = ("Cover", "Inputs", "Catalog", "Model (add-in)", "Model (native)", "Scenarios", "One Chart", "Checks")
SCHEDULE_MONTHS = 480  # 30-year term + 120-month lag: the engine's largest horizon
CHART_POINTS = 41
FIXED_TIME = "2026-01-01T00:00:00Z"
ZIP_TIME = (2026, 1, 1, 0, 0, 0)
BASIS_ORDER = ("BF16", "FP8", "FP4", "FP4_SPARSE", "MEM_BW")
BASIS_FIELD = {"BF16": "tflops_bf16_dense", "FP8": "tflops_fp8_dense", "FP4": "tflops_fp4_dense",
               "FP4_SPARSE": "tflops_fp4_sparse", "MEM_BW": "mem_bw_tb_per_s"}
TCO_ITEMS = ("capital", "power", "colocation", "maintenance", "other")

# --- styles ------------------------------------------------------------------------------------
BLUE = Font(name="Calibri", size=11, color="0000FF")
BOLD = Font(name="Calibri", size=11, bold=True)
TITLE = Font(name="Calibri", size=16, bold=True, color="1F3864")
SECTION = Font(name="Calibri", size=12, bold=True, color="1F3864")
NOTE = Font(name="Calibri", size=10, italic=True, color="595959")
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
CONST_FILL = PatternFill("solid", fgColor="EDEDED")
THIN = Border(bottom=Side(style="thin", color="8EA9DB"))
WRAP = Alignment(wrap_text=True, vertical="top")

USD0 = '"$"#,##0'
USD2 = '"$"#,##0.00'
USD4 = '"$"#,##0.0000'
PCT1 = "0.0%"
PCT3 = "0.000%"
NUM0 = "#,##0"
NUM2 = "#,##0.00"
NUM6 = "0.000000"
FORMATS = {"USD/GPU": USD0, "USD": USD0, "USD/GB": USD2, "USD/kWh": USD4, "USD/kW-month": USD2,
           "USD/GPU-hr": USD2, "fraction": PCT1, "fraction/yr": PCT1, "annual rate": PCT1, "years": "0.00",
           "months": "0", "ratio": "0.00", "W/GPU": NUM0, "W": NUM0, "GB/GPU": NUM0, "GB": NUM0,
           "TFLOPS": NUM0, "TB/s": NUM2}

_INJECTION = ("=", "+", "-", "@")



def _catalog_range(col: str) -> str:
    """Absolute reference to a Catalog column's data cells, e.g. ``Catalog!$B$2:$B$11``."""
    cat = catalog_frame()
    letter = get_column_letter(list(cat.columns).index(col) + 1)
    return f"Catalog!${letter}$2:${letter}${len(cat) + 1}"

def _q(sheet: str) -> str:
    return f"'{sheet}'" if re.search(r"[^A-Za-z0-9_]", sheet) else sheet


def _abs(ref: str) -> str:
    m = re.fullmatch(r"([A-Z]+)(\d+)", ref)
    assert m, ref
    return f"${m.group(1)}${m.group(2)}"


def _num(x: object) -> object:
    """Engine value -> cell value (NaN -> empty text, numpy -> float)."""
    if isinstance(x, np.ndarray):
        x = x.item()
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return ""
    return x


def _cached(x: object) -> object:
    """A formula's cached value: numbers to 15 significant digits, Excel's own precision, so the
    committed workbook is the same on every platform and library version (last-bit differences
    in the maths do not reach the file). Inputs are written as given."""
    x = _num(x)
    return float(f"{x:.15g}") if isinstance(x, float) else x


@dataclass
class _Book:
    """openpyxl workbook plus the cached value of every formula cell."""

    wb: Workbook
    cached: dict[tuple[str, str], object] = field(default_factory=dict)

    def ws(self, title: str):
        return self.wb[title]

    def text(self, ws, ref: str, s: object, font: Font | None = None, fmt: str | None = None) -> None:
        """A constant. Strings starting with = + - @ are stored as text (no formula injection)."""
        cell = ws[ref]
        if isinstance(s, str):
            cell.value = s
            if s.startswith(_INJECTION):
                cell.data_type = "s"
                cell.quotePrefix = True
        else:
            cell.value = _num(s) if s is not None else None
            if cell.value == "":
                cell.value = None
        if font is not None:
            cell.font = font
        if fmt:
            cell.number_format = fmt

    def formula(self, ws, ref: str, formula: str, value: object, fmt: str | None = None,
                array: str | None = None, font: Font | None = None) -> None:
        assert formula.startswith("="), formula
        cell = ws[ref]
        cell.value = ArrayFormula(array or ref, formula) if array is not None else formula
        if fmt:
            cell.number_format = fmt
        if font is not None:
            cell.font = font
        self.cached[(ws.title, ref)] = _cached(value)

    def array(self, ws, top_left: str, nrows: int, ncols: int, formula: str, values, fmt: str | None = None):
        """A multi-cell (CSE) array formula with its cached values (row-major ``values``)."""
        col0 = ws[top_left].column
        row0 = ws[top_left].row
        rng = f"{top_left}:{get_column_letter(col0 + ncols - 1)}{row0 + nrows - 1}"
        ws[top_left].value = ArrayFormula(rng, formula)
        for i in range(nrows):
            for j in range(ncols):
                ref = f"{get_column_letter(col0 + j)}{row0 + i}"
                v = values[i][j]
                self.cached[(ws.title, ref)] = _cached(v)
                if fmt and not isinstance(v, str):
                    ws[ref].number_format = fmt
        return rng

    def name(self, name: str, sheet: str, ref: str) -> None:
        if ":" in ref:
            a, b = ref.split(":")
            text = f"{_q(sheet)}!{_abs(a)}:{_abs(b)}"
        else:
            text = f"{_q(sheet)}!{_abs(ref)}"
        self.wb.defined_names[name] = DefinedName(name, attr_text=text)


def _header(ws, row: int, labels: list[str], col: int = 1) -> None:
    for j, label in enumerate(labels):
        c = ws.cell(row=row, column=col + j, value=label)
        c.font = BOLD
        c.fill = HEAD_FILL
        c.border = THIN
        c.alignment = Alignment(wrap_text=True, vertical="center")


def _widths(ws, widths: Mapping[str, float]) -> None:
    for col, w in widths.items():
        ws.column_dimensions[col].width = w


def _input_style(cell) -> None:
    cell.font = BLUE
    cell.fill = INPUT_FILL


# --- the values the model computes (engine) -----------------------------------------------------

#: Inputs that are not engine fields: the model's rent, the ceiling's reference price and basis.
MODEL_CHOICES = {
    "rent_usd_per_gpu_hour": ("USD/GPU-hr", None, "Rent for the project IRR and the schedule; blank = the system's "
                              "public market rent, or its floor rent where none is public"),
    "ceiling_usd_per_pflop_hour": ("USD/PFLOP-hr", 0.70, "Reference price per PFLOP-hour (per TB/s-hour for MEM_BW) for "
                                   "the value-based ceiling rent"),
    "ceiling_basis": ("basis", "FP8", "Precision basis for the ceiling and rent per PFLOP-hour: BF16, FP8, FP4, "
                      "FP4_SPARSE or MEM_BW"),
}
CONSTANTS = {
    "hours_per_month": (HOURS_PER_MONTH, "hours/month", "Hours per month (8,760 / 12), the engine's convention"),
    "hours_per_year": (HOURS_PER_YEAR, "hours/year", "Hours per year"),
    "months_per_year": (12.0, "months/year", "Months per year: monthly rate = (1+annual)^(1/12)-1"),
    "w_per_kw": (1000.0, "W/kW", "Watts per kilowatt"),
    "tflops_per_pflops": (1000.0, "TFLOPS/PFLOPS", "TFLOPS per PFLOPS"),
    "chart_rent_low_frac_floor": (0.6, "x floor", "One Chart: lowest rent as a multiple of the floor rent"),
    "chart_rent_high_frac_ceiling": (1.1, "x ceiling", "One Chart: highest rent as a multiple of max(ceiling, floor)"),
    "check_tolerance": (1e-9, "relative", "Checks: largest relative difference that reads OK"),
    "irr_cap_annual": (IRR_CAP_ANNUAL, "annual rate", "Largest IRR shown as a return; above it #N/A (docs/model.md)"),
}
GLOBAL_FIELDS = tuple(n for n, f in FIELDS.items() if f.default is not None)
SYSTEM_FIELDS = tuple(n for n, f in FIELDS.items() if f.default is None)
CATALOG_SOURCE = {
    **{n: "source_capex" for n in ("capex_compute_usd_per_gpu", "capex_networking_usd_per_gpu",
                                   "capex_storage_usd_per_gpu", "capex_other_usd_per_gpu")},
    "it_w_per_gpu": "source_power", "chip_tdp_w": "source_power",
}

DEFAULT_SCENARIOS = [
    # label, system, rent, hurdle, term years, prepay, SOCAMM $/GB, SOCAMM margin, $/PFLOP-hr, basis
    ("VR base at $8.00", "VR NVL72", 8.00, 0.156, 5, 0.15, 10.0, 0.60, 0.70, "FP8"),
    ("VR at the $4.90 floor", "VR NVL72", 4.90, 0.156, 5, 0.15, 10.0, 0.60, 0.70, "FP8"),
    ("VR, 20% hurdle", "VR NVL72", 8.00, 0.20, 5, 0.15, 10.0, 0.60, 0.70, "FP8"),
    ("VR, 3-year term, no prepay", "VR NVL72", 8.00, 0.156, 3, 0.0, 10.0, 0.60, 0.70, "FP8"),
    ("VR, SOCAMM at $13/GB", "VR NVL72", 8.00, 0.156, 5, 0.15, 13.0, 0.60, 0.55, "FP8"),
    ("GB300 at market rent", "GB300 NVL72", 3.50, 0.156, 5, 0.15, 10.0, 0.60, 0.70, "FP8"),
    ("GB200 NVL72", "GB200 NVL72", 3.00, 0.156, 5, 0.15, 10.0, 0.60, 0.70, "FP8"),
    ("B300 HGX", "B300", 3.00, 0.156, 5, 0.15, 10.0, 0.60, 0.70, "FP8"),
    ("H20, memory-bound", "H20", 1.20, 0.156, 4, 0.10, 10.0, 0.60, 0.30, "MEM_BW"),
    ("MI355X", "MI355X", 2.50, 0.156, 5, 0.15, 10.0, 0.60, 0.70, "BF16"),
]


@dataclass
class _Calc:
    """Engine results for one system and set of inputs (the cached values)."""

    system: str
    inputs: dict[str, object]
    a: Assumptions
    rent: float
    price: float
    basis: str
    v: dict[str, float] = field(default_factory=dict)


def _calc(system: str, inputs: Mapping[str, object]) -> _Calc:
    fields = {k: v for k, v in inputs.items() if k in FIELDS}
    a = Assumptions(system, **fields)
    price = float(inputs.get("ceiling_usd_per_pflop_hour", MODEL_CHOICES["ceiling_usd_per_pflop_hour"][1]))
    basis = normalize_basis(str(inputs.get("ceiling_basis", MODEL_CHOICES["ceiling_basis"][1])))
    floor = float(floor_rent(a))
    market = get_system(system).figures["market_rent_usd_per_gpu_hour"]
    default_rent = market if market > 0 else floor
    rent = inputs.get("rent_usd_per_gpu_hour")
    rent = default_rent if rent is None else float(rent)  # type: ignore[arg-type]
    c = _Calc(system, dict(inputs), a, rent, price, basis)
    c.v["default_rent"] = default_rent
    return c


def _irr_annual_any(flows) -> object:
    """Excel's ``=(1+IRR(flows))^12-1`` whatever the sign pattern (the native helper's cached value)."""
    m = float(np.asarray(irr(np.asarray(flows, float).reshape(-1))).reshape(-1)[0])
    return (1.0 + m) ** 12 - 1.0 if math.isfinite(m) else "#NUM!"


def _or_na(x: float) -> object:
    """A result the native formulas show as #N/A where the engine has none (NaN)."""
    return x if math.isfinite(x) else "#N/A"


def _irr_note_cached(detail) -> str:
    """The native note's value: the engine's reason without the NPV sentence the native note does not give."""
    reason = str(np.asarray(detail.reason).reshape(-1)[0]) if detail.reason is not None else ""
    return reason.split("; NPV at the")[0]


def _f(x) -> float:
    return float(np.asarray(x, float).reshape(-1)[0])


# --- sheets --------------------------------------------------------------------------------------

def _cover(book: _Book, c: _Calc) -> None:
    ws = book.ws("Cover")
    ws.sheet_view.showGridLines = False
    _widths(ws, {"A": 3, "B": 20, "C": 100})
    book.text(ws, "B2", "GPU economics model (gpuecon)", TITLE)
    rows = [
        ("What it is", "TCO per GPU-hour, floor rent (the rent at which the project IRR equals the hurdle), value-based "
                       "ceiling rent, SOCAMM memory cost and the One Chart (project IRR against rent) for a GPU system "
                       "from the catalog, with its monthly cash-flow schedule."),
        ("How to use", "1. On Inputs pick the system (drop-down) and change blue cells; a blank blue cell takes the "
                       "default in column E. 2. Read the results on Model (native), Scenarios and One Chart. "
                       "3. Checks must read OK."),
        ("Works everywhere", "Inputs, Catalog, Model (native), the native columns of Scenarios, One Chart and the "
                             "native checks use built-in functions only (Excel 2016+, LibreOffice, Google Sheets)."),
        ("Needs the add-in", "Model (add-in), the add-in columns of Scenarios and the add-in checks call the gpuecon "
                             "functions (GPU_TCO, FLOOR_RENT, CEILING_RENT, SOCAMM_COST, PROJECT_IRR, RENT_PER_PFLOP, "
                             "ONE_CHART): install the xlwings add-in (addin/README.md) or xlwings Lite. Without it "
                             "those cells show #NAME? after a recalculation and the checks read \"add-in not loaded\"."),
        ("Cached values", "The file is saved with every result already computed by the gpuecon engine, so it opens "
                          "with numbers showing."),
        ("Conventions", "Blue on yellow = input; black = formula; every input is a defined name (Inputs column A); "
                        "units in the Unit column; no numbers typed into formulas (constants are named on Inputs); "
                        "IRR is annual effective: =(1+IRR(monthly cash flows))^12-1. Formulas: docs/model.md."),
        ("Selected system", None),
        ("Engine version", f"gpuecon {__version__}"),
        ("Generated by", "gpuecon export (do not edit workbooks/ by hand: regenerate)"),
    ]
    r = 4
    for label, text in rows:
        book.text(ws, f"B{r}", label, BOLD)
        if text is None:
            book.formula(ws, f"C{r}", "=system_name", c.system)
        else:
            book.text(ws, f"C{r}", text)
        ws[f"C{r}"].alignment = WRAP
        ws[f"B{r}"].alignment = WRAP
        ws.row_dimensions[r].height = 15 * max(1, math.ceil(len(text or "") / 95))
        r += 1
    book.text(ws, f"B{r + 1}", "Sheets", SECTION)
    r += 2
    for sheet, what in [
        ("Inputs", "system, model choices, every assumption (default, unit, range, source), named constants"),
        ("Catalog", "the system table (Excel Table tblCatalog), every figure with its source"),
        ("Model (add-in)", "the results through the gpuecon functions (add-in)"),
        ("Model (native)", "the same model in built-in formulas: capex, TCO, floor (closed form), ceiling, SOCAMM, "
                           "and the monthly cash-flow schedule with IRR and NPV"),
        ("Scenarios", "a scenario table computed twice: array formulas of the add-in, and built-in formulas"),
        ("One Chart", "project IRR against rent, floor and ceiling marked (built-in chart)"),
        ("Checks", "add-in vs native for each output, native consistency checks, OK/ERROR summary"),
    ]:
        book.text(ws, f"B{r}", sheet, BOLD)
        book.text(ws, f"C{r}", what)
        ws[f"C{r}"].alignment = WRAP
        ws[f"B{r}"].alignment = WRAP
        ws.row_dimensions[r].height = 15 * max(1, math.ceil(len(what) / 95))
        r += 1
    book.text(ws, f"B{r + 1}", "Checks summary", BOLD)
    book.formula(ws, f"C{r + 1}", "=checks_summary", "OK", font=BOLD)


def _inputs(book: _Book, c: _Calc) -> dict[str, int]:
    """Inputs sheet; returns field -> row."""
    ws = book.ws("Inputs")
    ws.freeze_panes = "C5"
    _widths(ws, {"A": 32, "B": 13, "C": 13, "D": 15, "E": 13, "F": 11, "G": 13, "H": 34, "I": 96, "J": 70})
    book.text(ws, "A1", "Inputs", TITLE)
    book.text(ws, "A2", "Blue cells on yellow are inputs; a blank input takes the default (column E). Column C is "
                        "the value the model uses and column A its defined name; the input cell (column B) is named "
                        "<name>_input (`gpuecon recalc --set <name>=...` sets it). System figures default to the "
                        "Catalog row of the selected system.", NOTE)
    _header(ws, 4, ["Name (defined name)", "Input", "Value used", "Unit", "Default", "Min", "Max", "Allowed",
                    "Description", "Source"])
    rows: dict[str, int] = {}
    cat = catalog_frame()
    cat_rng = _catalog_range

    r = 5
    # system
    book.text(ws, f"A{r}", "system_name")
    book.text(ws, f"B{r}", c.system)
    _input_style(ws[f"B{r}"])
    book.formula(ws, f"C{r}", f"=IF(ISBLANK(B{r}),E{r},B{r})", c.system)
    book.text(ws, f"D{r}", "name")
    book.text(ws, f"E{r}", "VR NVL72")
    book.text(ws, f"H{r}", "a Catalog name")
    book.text(ws, f"I{r}", "The GPU system, picked from the Catalog (drop-down list)")
    book.text(ws, f"J{r}", "Catalog sheet")
    dv = DataValidation(type="list", formula1=f"={cat_rng('name')}", allow_blank=False, showErrorMessage=True,
                        errorTitle="Unknown system", error="Pick a system from the Catalog list")
    ws.add_data_validation(dv)
    dv.add(f"B{r}")
    book.name("system_name", "Inputs", f"C{r}")
    book.name("system_name" + INPUT_SUFFIX, "Inputs", f"B{r}")
    rows["system_name"] = r
    r += 1
    book.text(ws, f"A{r}", "catalog_row")
    row_idx = int(np.flatnonzero(cat["name"].to_numpy() == c.system)[0]) + 1
    book.formula(ws, f"C{r}", f"=MATCH(system_name,{cat_rng('name')},0)", row_idx)
    book.text(ws, f"D{r}", "row")
    book.text(ws, f"I{r}", "Row of the selected system in the Catalog table (calculation)")
    book.name("catalog_row", "Inputs", f"C{r}")
    rows["catalog_row"] = r
    r += 2

    # model choices (not engine fields)
    book.text(ws, f"A{r}", "Model choices", SECTION)
    r += 1
    for name, (unit, default, doc) in MODEL_CHOICES.items():
        book.text(ws, f"A{r}", name)
        given = c.inputs.get(name)
        book.text(ws, f"B{r}", given if given is not None else default)
        _input_style(ws[f"B{r}"])
        if name == "rent_usd_per_gpu_hour":
            mk = cat_rng("market_rent_usd_per_gpu_hour")
            book.formula(ws, f"E{r}", f"=IF(N(INDEX({mk},catalog_row))>0,INDEX({mk},catalog_row),"
                                      "floor_rent_usd_per_gpu_hour)", c.v["default_rent"], USD2)
            val: object = c.rent
            book.text(ws, f"F{r}", 0, fmt=USD2)
            book.text(ws, f"H{r}", ">= 0")
            dv = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                                showErrorMessage=True, error="rent must be a number >= 0")
            ws[f"B{r}"].number_format = USD2
        elif name == "ceiling_basis":
            book.text(ws, f"E{r}", default)
            val = c.basis
            book.text(ws, f"H{r}", ", ".join(BASIS_ORDER))
            dv = DataValidation(type="list", formula1=f'"{",".join(BASIS_ORDER)}"', allow_blank=True,
                                showErrorMessage=True, error="Pick a basis from the list")
        else:
            book.text(ws, f"E{r}", default, fmt=USD2)
            ws[f"B{r}"].number_format = USD2
            val = c.price
            book.text(ws, f"F{r}", 0, fmt=USD2)
            book.text(ws, f"H{r}", ">= 0")
            dv = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                                showErrorMessage=True, error="price must be a number >= 0")
        ws.add_data_validation(dv)
        dv.add(f"B{r}")
        book.formula(ws, f"C{r}", f"=IF(ISBLANK(B{r}),E{r},B{r})", val,
                     USD2 if name != "ceiling_basis" else None)
        book.text(ws, f"D{r}", unit)
        book.text(ws, f"I{r}", doc)
        book.text(ws, f"J{r}", "seed 001: $0.70 and $0.55 per PFLOP-hour FP8" if "pflop" in name else "")
        book.name(name, "Inputs", f"C{r}")
        book.name(name + INPUT_SUFFIX, "Inputs", f"B{r}")
        rows[name] = r
        r += 1
    r += 1

    # engine assumptions: global fields then system figures, contiguous (the UDFs' name/value range)
    book.text(ws, f"A{r}", "Assumptions (engine field names; columns A:B are the add-in's name/value range "
                           "'assumptions'; global ones 'global_assumptions')", SECTION)
    r += 1
    first = r
    for name in GLOBAL_FIELDS + SYSTEM_FIELDS:
        f = FIELDS[name]
        fmt = FORMATS.get(f.unit, "General")
        if name in ("cost_of_capital_annual", "hurdle_irr_annual"):
            fmt = PCT1
        given = c.inputs.get(name)
        book.text(ws, f"A{r}", name)
        if f.default is not None:
            book.text(ws, f"B{r}", given if given is not None else f.default, fmt=fmt)
            book.text(ws, f"E{r}", f.default, fmt=fmt)
            source = f.source
        else:
            if given is not None:
                book.text(ws, f"B{r}", given, fmt=fmt)
            ws[f"B{r}"].number_format = fmt
            sysfig = get_system(c.system)
            if name == "socamm_gb_per_gpu":
                formula = (f"=IF(INDEX({cat_rng('cpu_mem_socamm')},catalog_row),"
                           f"INDEX({cat_rng('cpu_mem_gb_per_gpu')},catalog_row),0)")
                dval = sysfig.figures["cpu_mem_gb_per_gpu"] if sysfig.cpu_mem_socamm else 0.0
                source = "Catalog: CPU-attached memory if socketed SOCAMM (cpu_mem_socamm), else 0"
            else:
                rng = cat_rng(name)
                formula = f'=IF(INDEX({rng},catalog_row)="","",INDEX({rng},catalog_row))'
                dval = sysfig.figures[name]
                source = "Catalog: " + CATALOG_SOURCE.get(name, "source_specs")
            book.formula(ws, f"E{r}", formula, dval, fmt)
        _input_style(ws[f"B{r}"])
        used = float(c.a[name]) if not (f.blank_ok and math.isnan(float(c.a[name]))) else ""
        book.formula(ws, f"C{r}", f"=IF(ISBLANK(B{r}),E{r},B{r})", used, fmt)
        book.text(ws, f"D{r}", f.unit)
        book.text(ws, f"F{r}", f.lo, fmt=fmt)
        book.text(ws, f"G{r}", f.hi, fmt=fmt)
        book.text(ws, f"H{r}", f.allowed)
        book.text(ws, f"I{r}", f.doc)
        book.text(ws, f"J{r}", source)
        # data validation with the engine's range (open bounds as a custom rule)
        ref = f"B{r}"
        if f.whole and f.step != 1:
            dv = DataValidation(type="custom", formula1=f"AND(ISNUMBER({ref}),{ref}>=$F${r},{ref}<=$G${r},"
                                f"ROUND({ref}*months_per_year,0)={ref}*months_per_year)")
        elif f.whole:
            dv = DataValidation(type="whole", operator="between", formula1=f"{f.lo:g}", formula2=f"{f.hi:g}")
        elif f.lo_open or f.hi_open:
            lo_op = ">" if f.lo_open else ">="
            hi_op = "<" if f.hi_open else "<="
            dv = DataValidation(type="custom", formula1=f"AND(ISNUMBER({ref}),{ref}{lo_op}$F${r},{ref}{hi_op}$G${r})")
        else:
            dv = DataValidation(type="decimal", operator="between", formula1=f"{f.lo:g}", formula2=f"{f.hi:g}")
        dv.allow_blank = True
        dv.showErrorMessage = True
        dv.errorTitle = "Out of range"
        dv.error = f"{name} must be {f.allowed}"
        dv.promptTitle = name[:32]
        dv.prompt = f"{f.unit}; {f.allowed}"[:255]
        dv.showInputMessage = True
        ws.add_data_validation(dv)
        dv.add(ref)
        book.name(name, "Inputs", f"C{r}")
        book.name(name + INPUT_SUFFIX, "Inputs", f"B{r}")
        rows[name] = r
        r += 1
    last = r - 1
    book.name("assumptions", "Inputs", f"A{first}:B{last}")
    book.name("global_assumptions", "Inputs", f"A{first}:B{first + len(GLOBAL_FIELDS) - 1}")
    r += 1

    book.text(ws, f"A{r}", "Constants (named; not assumptions)", SECTION)
    r += 1
    for name, (value, unit, doc) in CONSTANTS.items():
        book.text(ws, f"A{r}", name)
        book.text(ws, f"C{r}", value, fmt="0.0E+00" if value < 1e-3 else "General")
        ws[f"C{r}"].fill = CONST_FILL
        book.text(ws, f"D{r}", unit)
        book.text(ws, f"I{r}", doc)
        book.name(name, "Inputs", f"C{r}")
        rows[name] = r
        r += 1
    for rr in range(5, r):
        ws[f"I{rr}"].alignment = Alignment(wrap_text=False)
    ws.print_title_rows = "4:4"
    return rows


def _catalog(book: _Book) -> None:
    ws = book.ws("Catalog")
    cat = catalog_frame()
    cols = list(cat.columns)
    _header(ws, 1, cols)
    for i, rec in enumerate(cat.to_dict("records"), start=2):
        for j, col in enumerate(cols, start=1):
            v = rec[col]
            if isinstance(v, float) and math.isnan(v):
                v = None
            elif isinstance(v, np.bool_ | bool):
                v = bool(v)
            ref = f"{get_column_letter(j)}{i}"
            book.text(ws, ref, v)
            if col.startswith("capex_"):
                ws[ref].number_format = USD0
            elif col == "market_rent_usd_per_gpu_hour":
                ws[ref].number_format = USD2
    end = f"{get_column_letter(len(cols))}{len(cat) + 1}"
    table = Table(displayName="tblCatalog", ref=f"A1:{end}")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    ws.add_table(table)
    ws.freeze_panes = "B2"
    for j, col in enumerate(cols, start=1):
        width = 40 if col.startswith("source_") else (24 if col in ("name", "aliases") else 14)
        ws.column_dimensions[get_column_letter(j)].width = width
    ws.row_dimensions[1].height = 45


class _Rows:
    """Label / value / unit / formula-text rows on a model sheet, each value a defined name."""

    def __init__(self, book: _Book, ws, start: int) -> None:
        self.book, self.ws, self.r = book, ws, start

    def section(self, title: str) -> None:
        self.r += 1
        self.book.text(self.ws, f"A{self.r}", title, SECTION)
        self.r += 1

    def row(self, name: str | None, label: str, formula: str, value, unit: str, fmt: str | None = None,
            array: bool = False) -> str:
        ws, r = self.ws, self.r
        self.book.text(ws, f"A{r}", label)
        self.book.formula(ws, f"B{r}", formula, value, fmt or FORMATS.get(unit, "General"),
                          array=f"B{r}" if array else None)
        self.book.text(ws, f"C{r}", unit)
        self.book.text(ws, f"D{r}", name or "")
        if name:
            self.book.name(name, ws.title, f"B{r}")
        self.r += 1
        return f"B{r}"


def _native(book: _Book, c: _Calc) -> dict[str, object]:
    ws = book.ws("Model (native)")
    a = c.a
    _widths(ws, {"A": 44, "B": 15, "C": 19, "D": 34, "E": 3})
    book.text(ws, "A1", "Model (native formulas only)", TITLE)
    book.text(ws, "A2", "Built-in functions only: computes in Excel 2016+, LibreOffice and Google Sheets without "
                        "the add-in. Column D names each result (a defined name). Schedule from column F.", NOTE)
    _header(ws, 3, ["Quantity", "Value", "Unit", "Defined name"])
    R = _Rows(book, ws, 3)
    out: dict[str, object] = {}

    cap = {k: _f(v) for k, v in capex_breakdown_usd_per_gpu(a).items()}
    R.section("Capex per GPU (after the system price uplift)")
    R.row("capex_compute", "Compute / server", "=capex_compute_usd_per_gpu*(1+system_price_uplift_frac)",
          cap["compute"], "USD/GPU")
    R.row("capex_socamm", "SOCAMM memory (price to the buyer)",
          "=socamm_gb_per_gpu*socamm_usd_per_gb/(1-socamm_gross_margin_frac)*(1+system_price_uplift_frac)",
          cap["socamm"], "USD/GPU")
    R.row("capex_networking", "Networking", "=capex_networking_usd_per_gpu*(1+system_price_uplift_frac)",
          cap["networking"], "USD/GPU")
    R.row("capex_storage", "Storage", "=capex_storage_usd_per_gpu*(1+system_price_uplift_frac)",
          cap["storage"], "USD/GPU")
    R.row("capex_other", "Other", "=capex_other_usd_per_gpu*(1+system_price_uplift_frac)", cap["other"], "USD/GPU")
    R.row("capex_total", "All-in capex per GPU",
          "=capex_compute+capex_socamm+capex_networking+capex_storage+capex_other", cap["total"], "USD/GPU")
    ws[f"B{R.r - 1}"].font = BOLD
    capex = cap["total"]
    R.row("capex_per_watt_it", "Capex per watt (all-in IT W basis)", "=capex_total/it_w_per_gpu",
          capex / float(a.it_w_per_gpu), "USD/W", USD2)
    R.row("capex_per_watt_chip", "Capex per watt (chip TDP basis)", "=capex_total/chip_tdp_w",
          capex / float(a.chip_tdp_w), "USD/W", USD2)

    tco = {k: _f(v) for k, v in tco_breakdown(a).items()}
    coc_m = _f(monthly_rate(a.cost_of_capital_annual))
    life_m = float(a.useful_life_years) * 12.0
    R.section("TCO per GPU-hour")
    R.row("cost_of_capital_monthly", "Cost of capital, monthly", "=(1+cost_of_capital_annual)^(1/months_per_year)-1",
          coc_m, "monthly rate", PCT3)
    R.row("life_months", "Useful life", "=useful_life_years*months_per_year", life_m, "months", "0.0")
    R.row("capital_recovery_factor", "Capital recovery factor (monthly)", "=PMT(cost_of_capital_monthly,life_months,-1)",
          1.0 / _f(annuity_factor(coc_m, life_m)), "per month", NUM6)
    R.row("tco_capital", "Capital recovery", "=capex_total*capital_recovery_factor/hours_per_month",
          tco["capital"], "USD/GPU-hr")
    R.row("tco_power", "Power", "=it_w_per_gpu/w_per_kw*pue_ratio*power_usd_per_kwh", tco["power"], "USD/GPU-hr")
    R.row("tco_colocation", "Colocation", "=it_w_per_gpu/w_per_kw*colocation_usd_per_kw_month/hours_per_month",
          tco["colocation"], "USD/GPU-hr")
    R.row("tco_maintenance", "Maintenance and support", "=maintenance_frac_capex_per_year*capex_total/hours_per_year",
          tco["maintenance"], "USD/GPU-hr")
    R.row("tco_other", "Other opex", "=other_opex_usd_per_gpu_hour", tco["other"], "USD/GPU-hr")
    R.row("tco_total", "TCO per GPU-hour", "=tco_capital+tco_power+tco_colocation+tco_maintenance+tco_other",
          tco["total"], "USD/GPU-hr")
    ws[f"B{R.r - 1}"].font = BOLD

    # basis table
    R.section("Performance, TCO and rent per unit-hour by basis")
    _header(ws, R.r, ["Basis", "Per GPU", "Unit", ""])
    R.r += 1
    b0 = R.r
    perf: dict[str, object] = {}
    for key in BASIS_ORDER:
        fld = BASIS_FIELD[key]
        raw = float(a[fld])
        r = R.r
        book.text(ws, f"A{r}", key)
        if key == "MEM_BW":
            p = raw if raw > 0 else "not marketed"
            book.formula(ws, f"B{r}", f'=IF(N({fld})>0,{fld},"not marketed")', p, NUM2)
            unit = "TB/s"
        else:
            p = raw / 1000.0 if raw > 0 else "not marketed"
            book.formula(ws, f"B{r}", f'=IF(N({fld})>0,{fld}/tflops_per_pflops,"not marketed")', p, NUM2)
            unit = "PFLOPS"
        perf[key] = p
        book.text(ws, f"C{r}", unit)
        R.r += 1
    book.name("basis_names", ws.title, f"A{b0}:A{R.r - 1}")
    book.name("basis_perf", ws.title, f"B{b0}:B{R.r - 1}")
    # TCO and rent per unit-hour: a second small table below (keeps columns A:D)
    _header(ws, R.r, ["Basis", "TCO per unit-hour", "Unit", "Rent per unit-hour at the model rent"])
    R.r += 1
    for i, key in enumerate(BASIS_ORDER):
        r = R.r
        p = perf[key]
        book.text(ws, f"A{r}", key)
        unit = "USD/TB/s-hr" if key == "MEM_BW" else "USD/PFLOP-hr"
        book.formula(ws, f"B{r}", f'=IF(ISNUMBER(B{b0 + i}),tco_total/B{b0 + i},"n/a")',
                     tco["total"] / p if not isinstance(p, str) else "n/a", USD2)
        book.text(ws, f"C{r}", unit)
        book.formula(ws, f"D{r}", f'=IF(ISNUMBER(B{b0 + i}),rent_usd_per_gpu_hour/B{b0 + i},"n/a")',
                     c.rent / p if not isinstance(p, str) else "n/a", USD2)
        R.r += 1

    R.section("Ceiling rent (value-based) and SOCAMM")
    psel = perf[c.basis]
    R.row("perf_at_basis", "Performance at the ceiling basis", "=INDEX(basis_perf,MATCH(ceiling_basis,basis_names,0))",
          psel, "PFLOPS or TB/s", NUM2)
    ceil = _f(ceiling_rent(a, c.price, c.basis))
    R.row("ceiling_rent_usd_per_gpu_hour", "Ceiling rent", "=ceiling_usd_per_pflop_hour*perf_at_basis", ceil,
          "USD/GPU-hr")
    rpp = c.rent / psel if not isinstance(psel, str) else "#N/A"
    R.row("rent_per_unit_hour", "Model rent per PFLOP-hour (TB/s-hour for MEM_BW)", "=rent_usd_per_gpu_hour/perf_at_basis",
          rpp, "USD/PFLOP-hr", USD2)
    gb, usd, m = float(a.socamm_gb_per_gpu), float(a.socamm_usd_per_gb), float(a.socamm_gross_margin_frac)
    R.row("socamm_cost_usd_per_gpu", "SOCAMM cost to the vendor", "=socamm_gb_per_gpu*socamm_usd_per_gb",
          _f(socamm_cost(gb, usd, 0.0)), "USD/GPU")
    R.row("socamm_price_usd_per_gpu", "SOCAMM price at the vendor's gross margin",
          "=socamm_gb_per_gpu*socamm_usd_per_gb/(1-socamm_gross_margin_frac)", _f(socamm_cost(gb, usd, m)), "USD/GPU")

    t = project_terms(a)
    hur = float(a.hurdle_irr_annual)
    i_h = _f(monthly_rate(hur))
    T, L = _f(t.T), _f(t.L)
    N = T + L
    R.section("Project terms")
    R.row("hurdle_monthly", "Hurdle rate, monthly", "=(1+hurdle_irr_annual)^(1/months_per_year)-1", i_h,
          "monthly rate", PCT3)
    R.row("term_months", "Contract term", "=ROUND(contract_term_years*months_per_year,0)", T, "months")
    R.row("lag_months", "Deployment lag", "=ROUND(deployment_lag_months,0)", L, "months")
    R.row("horizon_months", "Horizon (lag + term)", "=lag_months+term_months", N, "months")
    hours = HOURS_PER_MONTH * float(a.utilization_frac)
    R.row("billed_hours_per_month", "Billed hours per month", "=hours_per_month*utilization_frac", hours,
          "hours/month", "0.0")
    R.row("prepay_per_rent", "Prepay at signing per $1/GPU-hr of rent", "=prepay_frac_contract*billed_hours_per_month*term_months",
          _f(t.prepay_per_rent), "USD per USD/GPU-hr", NUM2)
    R.row("monthly_per_rent", "Monthly revenue per $1/GPU-hr of rent", "=(1-prepay_frac_contract)*billed_hours_per_month",
          _f(t.monthly_per_rent), "USD per USD/GPU-hr", NUM2)
    R.row("opex_per_month", "Opex per billed month (TCO without capital)",
          "=(tco_power+tco_colocation+tco_maintenance+tco_other)*hours_per_month", _f(t.opex_month), "USD/GPU")
    R.row("lag_cost_per_month", "Cost per lag month (colocation: capacity reserved)",
          "=it_w_per_gpu/w_per_kw*colocation_usd_per_kw_month", _f(t.lag_cost_month), "USD/GPU")
    R.row("depreciation_per_month", "Straight-line depreciation per month (from the first billed month)",
          "=capex_total/life_months", _f(t.dep_month), "USD/GPU")
    R.row("depreciation_months", "Whole months depreciated within the term",
          "=MIN(INT(life_months),term_months)", _f(t.dep_whole_months), "months", "0")
    R.row("depreciation_stub_frac", "Share of a month depreciated in the stub month after them",
          "=IF(INT(life_months)<term_months,life_months-INT(life_months),0)",
          _f(t.dep_stub_frac), "month", NUM6)
    book_end = _f(t.book_end)
    R.row("book_value_end", "Book value at the end", "=capex_total*MAX(0,1-term_months/life_months)",
          book_end, "USD/GPU")
    res = float(a.residual_value_frac_capex) * capex
    tax = float(a.tax_rate_frac)
    R.row("residual_usd", "Residual value at the end", "=residual_value_frac_capex*capex_total", res, "USD/GPU")
    R.row("residual_after_tax", "Residual after tax on the gain over book",
          "=residual_usd-tax_rate_frac*(residual_usd-book_value_end)", _f(t.end_value), "USD/GPU")

    k0, k1 = (_f(x) for x in npv_coefficients(t, np.asarray(i_h)))
    fl = _f(floor_rent(a))
    billed_ann = _f(annuity_factor(i_h, N) - annuity_factor(i_h, L))
    shield = _f(annuity_factor(i_h, t.L + t.dep_whole_months) - annuity_factor(i_h, t.L)
                + t.dep_stub_frac * (1.0 + i_h) ** -_f(t.dep_stub_month))
    R.section("Floor rent: NPV at the hurdle = K0 + rent x K1 = 0, so floor = -K0 / K1")
    R.row("billed_annuity", "Annuity factor of the billed months", "=PV(hurdle_monthly,horizon_months,-1)-PV(hurdle_monthly,lag_months,-1)",
          billed_ann, "months (PV)", NUM6)
    R.row("depreciation_annuity", "Annuity factor of the depreciated months (stub pro-rated)",
          "=PV(hurdle_monthly,lag_months+depreciation_months,-1)-PV(hurdle_monthly,lag_months,-1)"
          "+depreciation_stub_frac*(1+hurdle_monthly)^(-(lag_months+depreciation_months+1))", shield,
          "months (PV)", NUM6)
    R.row("npv_k1", "K1: NPV per $1/GPU-hr of rent",
          "=(1-tax_rate_frac)*(prepay_per_rent+monthly_per_rent*billed_annuity)", k1, "USD per USD/GPU-hr", NUM2)
    R.row("npv_k0", "K0: NPV at zero rent",
          "=-capex_total-(1-tax_rate_frac)*(lag_cost_per_month*PV(hurdle_monthly,lag_months,-1)"
          "+opex_per_month*billed_annuity)+tax_rate_frac*depreciation_per_month*depreciation_annuity"
          "+residual_after_tax*(1+hurdle_monthly)^(-horizon_months)", k0, "USD/GPU", USD2)
    R.row("floor_rent_usd_per_gpu_hour", "Floor rent (IRR = hurdle)", "=-npv_k0/npv_k1", fl, "USD/GPU-hr")
    ws[f"B{R.r - 1}"].font = BOLD
    # K0 is linear in capex: its slope from the engine at two prices (no second copy of the maths)
    k0_2x = _f(npv_coefficients(project_terms(a.replace(
        system_price_uplift_frac=explicit((1.0 + a.system_price_uplift_frac) * 2.0 - 1.0))), np.asarray(i_h))[0])
    dk0 = (k0_2x - k0) / capex
    R.row("npv_k0_per_capex", "dK0 / d(capex): K0 per $1 of all-in capex",
          "=-1-(1-tax_rate_frac)*maintenance_frac_capex_per_year*hours_per_month/hours_per_year*billed_annuity"
          "+tax_rate_frac/life_months*depreciation_annuity"
          "+(residual_value_frac_capex-tax_rate_frac*(residual_value_frac_capex-MAX(0,1-term_months/life_months)))"
          "*(1+hurdle_monthly)^(-horizon_months)", dk0, "USD per USD", NUM6)
    dfl = -capex * dk0 / k1
    R.row("floor_increase_per_doubling", "Floor rent increase if the system price doubles",
          "=-capex_total*npv_k0_per_capex/npv_k1", dfl, "USD/GPU-hr")
    head = _f(headroom_frac(a, c.price, c.basis))
    R.row("headroom_frac", "Headroom: price increase at which floor = ceiling",
          "=(ceiling_rent_usd_per_gpu_hour-floor_rent_usd_per_gpu_hour)/floor_increase_per_doubling", head,
          "fraction", PCT1)

    # schedule (columns F..R), rows from 5
    sc = {"F": "Month", "G": "Billed (1/0)", "H": "Depreciated share of month", "I": "Capex", "J": "Prepay",
          "K": "Rent revenue", "L": "Opex (colocation only in the lag)", "M": "Depreciation (tax)", "N": "Residual",
          "O": "Tax", "P": "Net cash flow", "Q": "Net CF per $1/GPU-hr of rent", "R": "Net CF excluding rent"}
    top = 5
    book.text(ws, "F3", "Monthly cash-flow schedule per GPU (USD; month 0 = signing; "
                        "rows past the horizon are zero)", SECTION)
    _header(ws, 4, list(sc.values()), col=6)
    ws.row_dimensions[4].height = 45
    for col in sc:
        if col != "F":
            ws.column_dimensions[col].width = 13
    ws.column_dimensions["F"].width = 7
    months = np.arange(SCHEDULE_MONTHS + 1, dtype=float)
    rent = c.rent
    billed = ((months > L) & (months <= N)).astype(float)
    d_end = L + _f(t.dep_whole_months)
    depf = np.where((months > L) & (months <= d_end), 1.0,
                    np.where((months == d_end + 1) & (months <= N), _f(t.dep_stub_frac), 0.0))
    capex_col = np.where(months == 0, -capex, 0.0)
    prepay_col = np.where(months == 0, rent * _f(t.prepay_per_rent), 0.0)
    rev = billed * rent * _f(t.monthly_per_rent)
    opex = -billed * _f(t.opex_month) - ((months >= 1) & (months <= L)) * _f(t.lag_cost_month)
    dep = depf * _f(t.dep_month)
    resid = np.where(months == N, res, 0.0)
    gain = np.where(months == N, res - book_end, 0.0)
    taxc = -tax * (prepay_col + rev + opex - dep + gain)
    from ..engine.model import cash_flows

    cf_engine = np.zeros(SCHEDULE_MONTHS + 1)
    cfe = np.asarray(cash_flows(a, rent), float).reshape(-1)
    cf_engine[: len(cfe)] = cfe
    per_rent = (1.0 - tax) * (np.where(months == 0, _f(t.prepay_per_rent), 0.0) + billed * _f(t.monthly_per_rent))
    excl = capex_col + opex + resid - tax * (opex - dep + gain)
    for k, mth in enumerate(months):
        r = top + k
        if k == 0:
            book.text(ws, f"F{r}", 0)
        else:
            book.formula(ws, f"F{r}", f"=F{r - 1}+1", mth)
        book.formula(ws, f"G{r}", f"=IF(AND(F{r}>lag_months,F{r}<=horizon_months),1,0)", billed[k], "0")
        book.formula(ws, f"H{r}", f"=IF(AND(F{r}>lag_months,F{r}<=lag_months+depreciation_months),1,"
                                  f"IF(AND(F{r}=lag_months+depreciation_months+1,F{r}<=horizon_months),"
                                  "depreciation_stub_frac,0))", depf[k], NUM2)
        book.formula(ws, f"I{r}", f"=IF(F{r}=0,-capex_total,0)", capex_col[k], USD0)
        book.formula(ws, f"J{r}", f"=IF(F{r}=0,rent_usd_per_gpu_hour*prepay_per_rent,0)", prepay_col[k], USD0)
        book.formula(ws, f"K{r}", f"=G{r}*rent_usd_per_gpu_hour*monthly_per_rent", rev[k], USD0)
        book.formula(ws, f"L{r}", f"=-G{r}*opex_per_month-IF(AND(F{r}>=1,F{r}<=lag_months),lag_cost_per_month,0)",
                     opex[k], USD0)
        book.formula(ws, f"M{r}", f"=H{r}*depreciation_per_month", dep[k], USD0)
        book.formula(ws, f"N{r}", f"=IF(F{r}=horizon_months,residual_usd,0)", resid[k], USD0)
        book.formula(ws, f"O{r}", f"=-tax_rate_frac*(J{r}+K{r}+L{r}-M{r}+IF(F{r}=horizon_months,residual_usd-book_value_end,0))",
                     taxc[k], USD0)
        book.formula(ws, f"P{r}", f"=I{r}+J{r}+K{r}+L{r}+N{r}+O{r}", cf_engine[k], USD0)
        book.formula(ws, f"Q{r}", f"=(1-tax_rate_frac)*(IF(F{r}=0,prepay_per_rent,0)+G{r}*monthly_per_rent)",
                     per_rent[k], NUM2)
        book.formula(ws, f"R{r}", f"=I{r}+L{r}+N{r}-tax_rate_frac*(L{r}-M{r}+IF(F{r}=horizon_months,residual_usd-book_value_end,0))",
                     excl[k], USD0)
    bot = top + SCHEDULE_MONTHS
    book.name("schedule_month", ws.title, f"F{top}:F{bot}")
    book.name("cash_flow", ws.title, f"P{top}:P{bot}")
    book.name("cash_flow_per_rent", ws.title, f"Q{top}:Q{bot}")
    book.name("cash_flow_excl_rent", ws.title, f"R{top}:R{bot}")

    irr_model = _f(project_irr(a, rent))
    npv_model = _f(project_npv(a, rent))
    R.section("Project at the model rent (from the schedule)")
    R.row("model_rent", "Rent (Inputs)", "=rent_usd_per_gpu_hour", rent, "USD/GPU-hr")
    detail = project_irr_detail(a, rent)
    flows = np.asarray(cash_flows(a, rent), float).reshape(-1)
    first_flow = float(flows[np.flatnonzero(flows)[0]]) if np.any(flows) else 0.0
    raw = _irr_annual_any(flows)
    R.row("project_first_flow", "First non-zero cash flow (an inflow first: no IRR as a return)",
          "=INDEX(cash_flow,MATCH(TRUE,cash_flow<>0,0))", first_flow, "USD/GPU", array=True)
    R.row("project_irr_schedule", "IRR of the schedule, any sign pattern (annual effective)",
          "=(1+IRR(cash_flow,hurdle_monthly))^months_per_year-1", raw, "annual rate", PCT1)
    R.row("project_irr", "Project IRR (annual effective; #N/A where not a return: see the note)",
          "=IF(project_first_flow>0,NA(),IF(project_irr_schedule>irr_cap_annual,NA(),project_irr_schedule))",
          irr_model if math.isfinite(irr_model) else ("#N/A" if raw != "#NUM!" else "#NUM!"), "annual rate", PCT1)
    ws[f"B{R.r - 1}"].font = BOLD
    R.row("project_irr_note", "Why no IRR is shown (blank when it is)",
          f'=IF(project_first_flow>0,IF(MIN(cash_flow)>=0,"{IRR_REASONS[IRR_NO_OUTLAY]}","{IRR_REASONS[IRR_FINANCING]}"),'
          f'IF(ISERROR(project_irr_schedule),IF(MAX(cash_flow)<=0,"{IRR_REASONS[IRR_NEVER_RECOVERS]}",'
          f'"{IRR_REASONS[IRR_NO_SIGN_CHANGE]}"),IF(project_irr_schedule>irr_cap_annual,"{IRR_REASONS[IRR_ABOVE_CAP]}","")))',
          _irr_note_cached(detail), "text")
    R.row("project_npv", "NPV at the hurdle", f"=P{top}+NPV(hurdle_monthly,P{top + 1}:P{bot})", npv_model, "USD/GPU")
    R.row("project_npv_closed_form", "NPV at the hurdle, closed form", "=npv_k0+rent_usd_per_gpu_hour*npv_k1",
          k0 + rent * k1, "USD/GPU")
    irr_floor = _f(project_irr(a, fl))
    R.row("irr_at_floor", "Project IRR at the floor rent (should equal the hurdle)",
          "=(1+IRR(cash_flow_excl_rent+floor_rent_usd_per_gpu_hour*cash_flow_per_rent,hurdle_monthly))^months_per_year-1",
          irr_floor, "annual rate", PCT3, array=True)
    R.row("schedule_last_month", "Last month in the schedule", "=MAX(schedule_month)", float(SCHEDULE_MONTHS), "months")
    ws.freeze_panes = "A4"
    ws.print_area = f"A1:R{max(R.r, bot)}"
    out.update(capex=capex, tco=tco, floor=fl, ceiling=ceil, head=head, irr=irr_model, npv=npv_model, rpp=rpp,
               socamm=_f(socamm_cost(gb, usd, m)), irr_floor=irr_floor, k0=k0, k1=k1)
    return out


def _addin(book: _Book, c: _Calc, res: dict, chart_rents: np.ndarray, chart_irr: np.ndarray) -> dict[str, str]:
    ws = book.ws("Model (add-in)")
    _widths(ws, {"A": 34, "B": 15, "C": 14, "D": 96, "E": 3, "F": 12, "G": 12, "H": 12, "I": 12})
    book.text(ws, "A1", "Model (add-in)", TITLE)
    book.text(ws, "A2", "These cells call the gpuecon functions (xlwings add-in or xlwings Lite). Without the "
                        "add-in they show #NAME? after a recalculation; the values saved in the file are the "
                        "engine's. Native equivalents: Model (native).", NOTE)
    _header(ws, 4, ["Output", "Value", "Unit", "Formula"])
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
                                                 "prepay_frac_contract,assumptions)", res["irr"], "annual rate"),
        ("rpp", "Model rent per PFLOP-hour", "=RENT_PER_PFLOP(system_name,rent_usd_per_gpu_hour,ceiling_basis)",
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


def _scenarios(book: _Book, c: _Calc, scenarios) -> dict[str, str]:
    ws = book.ws("Scenarios")
    n = len(scenarios)
    top = 6
    bot = top + n - 1
    book.text(ws, "A1", "Scenarios", TITLE)
    book.text(ws, "A2", "Blue: scenario inputs. Each add-in column is ONE array formula over all rows; the native "
                        "columns compute the same with built-in formulas (system figures from the Catalog; other "
                        "assumptions from Inputs' global ones; the SOCAMM $/GB and margin columns feed the SOCAMM "
                        "column only).", NOTE)
    groups = [("A", "Scenario inputs", 10), ("K", "Add-in (array formulas; needs the add-in)", 5),
              ("P", "Native (built-in formulas)", 5), ("U", "Native helper columns", 16)]
    for col, label, _ in groups:
        book.text(ws, f"{col}4", label, SECTION)
    heads = ["Scenario", "System", "Rent USD/GPU-hr", "Hurdle IRR", "Term years", "Prepay", "SOCAMM USD/GB",
             "SOCAMM margin", "Ceiling USD/PFLOP-hr", "Basis",
             "TCO USD/GPU-hr", "Floor rent", "IRR at rent", "Ceiling rent", "SOCAMM USD/GPU",
             "TCO USD/GPU-hr", "Floor rent", "IRR at rent", "Ceiling rent", "SOCAMM USD/GPU",
             "Catalog row", "Capex USD/GPU", "Opex USD/month", "Term months", "Horizon months", "Hurdle monthly",
             "Billed annuity", "K1", "K0", "Month 0 CF", "Billed month CF", "Tax shield of dep.", "End CF",
             "Perf at basis", "SOCAMM GB", "Billed hours/month", "Lag months", "Lag month CF",
             "Dep. whole months", "Dep. stub share", "IRR of the flows (any sign pattern)"]
    _header(ws, 5, heads)
    ws.row_dimensions[5].height = 45
    cat = catalog_frame()
    cr = _catalog_range

    glob = {k: v for k, v in c.inputs.items() if k in GLOBAL_FIELDS}
    fmts = [None, None, USD2, PCT1, "0", PCT1, USD2, PCT1, USD2, None]
    results: dict[str, list] = {k: [] for k in ("tco", "floor", "irr", "ceil", "socamm")}
    helpers: list[dict[str, float]] = []
    for i, sc in enumerate(scenarios):
        r = top + i
        for j, v in enumerate(sc):
            ref = f"{get_column_letter(j + 1)}{r}"
            book.text(ws, ref, v, fmt=fmts[j])
            if j > 0:
                _input_style(ws[ref])
        label, system, rent, hurdle, term, prepay, usd_gb, margin, price, basis = sc
        a = Assumptions(system, **{**glob, "hurdle_irr_annual": hurdle, "contract_term_years": term,
                                   "prepay_frac_contract": prepay})
        t = project_terms(a)
        i_h = _f(monthly_rate(hurdle))
        k0, k1 = (_f(x) for x in npv_coefficients(t, np.asarray(i_h)))
        capex = _f(t.capex)
        tax = float(a.tax_rate_frac)
        T, L = _f(t.T), _f(t.L)
        N = T + L
        s = get_system(system)
        gb = s.figures["cpu_mem_gb_per_gpu"] if s.cpu_mem_socamm else 0.0
        key = normalize_basis(basis)
        p = float(a[BASIS_FIELD[key]]) / (1.0 if key == "MEM_BW" else 1000.0)
        h = {
            "row": float(int(np.flatnonzero(cat["name"].to_numpy() == system)[0]) + 1),
            "capex": capex, "opex": _f(t.opex_month), "T": T, "N": N, "i": i_h,
            "ann": _f(annuity_factor(i_h, N) - annuity_factor(i_h, L)), "k1": k1, "k0": k0,
            "c0": -capex + (1.0 - tax) * rent * _f(t.prepay_per_rent),
            "M": (1.0 - tax) * (rent * _f(t.monthly_per_rent) - _f(t.opex_month)),
            "D": tax * _f(t.dep_month),
            "Z": _f(t.end_value),
            "perf": p, "gb": gb, "hours": HOURS_PER_MONTH * float(a.utilization_frac),
            "L": L, "lag": -(1.0 - tax) * _f(t.lag_cost_month), "dw": _f(t.dep_whole_months),
            "ds": _f(t.dep_stub_frac),
            "irr_raw": _irr_annual_any(cash_flows(a, rent)),
        }
        helpers.append(h)
        results["tco"].append(_f(tco_breakdown(a)["total"]))
        results["floor"].append(_f(floor_rent(a)))
        results["irr"].append(_f(project_irr(a, rent)))
        results["ceil"].append(_f(ceiling_rent(a, price, key)))
        results["socamm"].append(_f(socamm_cost(gb, usd_gb, margin)))
    rng = {L: f"{L}{top}:{L}{bot}" for L in "ABCDEFGHIJ"}
    # add-in array formulas, one per column
    udf = {
        "K": (f'=GPU_TCO({rng["B"]},"total",global_assumptions)', results["tco"], USD2),
        "L": (f'=FLOOR_RENT({rng["B"]},{rng["D"]},{rng["E"]},{rng["F"]},global_assumptions)', results["floor"], USD2),
        "M": (f'=PROJECT_IRR({rng["B"]},{rng["C"]},{rng["E"]},{rng["F"]},global_assumptions)', results["irr"], PCT1),
        "N": (f'=CEILING_RENT({rng["B"]},{rng["I"]},{rng["J"]},global_assumptions)', results["ceil"], USD2),
        # capacity (helper column AI, from the Catalog) rather than the system: SOCAMM_COST of a system
        # without socketed SOCAMM is an error by design, the per-GPU capacity is 0 here
        "O": (f'=SOCAMM_COST(AI{top}:AI{bot},{rng["G"]},{rng["H"]})', results["socamm"], USD0),
    }
    for col, (formula, vals, fmt) in udf.items():
        book.array(ws, f"{col}{top}", n, 1, formula, [[v] for v in vals], fmt)
    # native helpers and results
    for i, h in enumerate(helpers):
        r = top + i

        def idx(col: str, r: int = r) -> str:
            return f"INDEX({cr(col)},$U{r})"

        cells = [
            ("U", f"=MATCH(B{r},{cr('name')},0)", h["row"], "0"),
            ("AI", f"=IF({idx('cpu_mem_socamm')},{idx('cpu_mem_gb_per_gpu')},0)", h["gb"], NUM0),
            ("V", f"=({idx('capex_compute_usd_per_gpu')}+AI{r}*socamm_usd_per_gb/(1-socamm_gross_margin_frac)"
                  f"+{idx('capex_networking_usd_per_gpu')}+{idx('capex_storage_usd_per_gpu')}"
                  f"+{idx('capex_other_usd_per_gpu')})*(1+system_price_uplift_frac)", h["capex"], USD0),
            ("W", f"=({idx('it_w_per_gpu')}/w_per_kw*pue_ratio*power_usd_per_kwh"
                  f"+{idx('it_w_per_gpu')}/w_per_kw*colocation_usd_per_kw_month/hours_per_month"
                  f"+maintenance_frac_capex_per_year*V{r}/hours_per_year+other_opex_usd_per_gpu_hour)*hours_per_month",
             h["opex"], USD0),
            ("X", f"=ROUND(E{r}*months_per_year,0)", h["T"], "0"),
            ("Y", f"=ROUND(deployment_lag_months,0)+X{r}", h["N"], "0"),
            ("Z", f"=(1+D{r})^(1/months_per_year)-1", h["i"], PCT3),
            ("AA", f"=PV(Z{r},Y{r},-1)-PV(Z{r},ROUND(deployment_lag_months,0),-1)", h["ann"], NUM2),
            ("AJ", "=hours_per_month*utilization_frac", h["hours"], "0.0"),
            ("AB", f"=(1-tax_rate_frac)*(F{r}*AJ{r}*X{r}+(1-F{r})*AJ{r}*AA{r})", h["k1"], NUM2),
            ("AK", "=ROUND(deployment_lag_months,0)", h["L"], "0"),
            ("AL", f"=-(1-tax_rate_frac)*{idx('it_w_per_gpu')}/w_per_kw*colocation_usd_per_kw_month", h["lag"], USD0),
            ("AM", f"=MIN(INT(life_months),X{r})", h["dw"], "0"),
            ("AN", f"=IF(INT(life_months)<X{r},life_months-INT(life_months),0)",
             h["ds"], NUM6),
            ("AC", f"=-V{r}+AL{r}*PV(Z{r},AK{r},-1)-(1-tax_rate_frac)*W{r}*AA{r}"
                   f"+tax_rate_frac*V{r}/life_months*(PV(Z{r},AK{r}+AM{r},-1)-PV(Z{r},AK{r},-1)"
                   f"+AN{r}*(1+Z{r})^(-(AK{r}+AM{r}+1)))"
                   f"+(residual_value_frac_capex*V{r}-tax_rate_frac*(residual_value_frac_capex*V{r}"
                   f"-V{r}*MAX(0,1-X{r}/life_months)))*(1+Z{r})^(-Y{r})", h["k0"], USD0),
            ("AD", f"=-V{r}+(1-tax_rate_frac)*C{r}*F{r}*AJ{r}*X{r}", h["c0"], USD0),
            ("AE", f"=(1-tax_rate_frac)*(C{r}*(1-F{r})*AJ{r}-W{r})", h["M"], USD0),
            ("AF", f"=tax_rate_frac*V{r}/life_months", h["D"], USD0),
            ("AG", f"=residual_value_frac_capex*V{r}-tax_rate_frac*(residual_value_frac_capex*V{r}"
                   f"-V{r}*MAX(0,1-X{r}/life_months))", h["Z"], USD0),
            ("AH", f'=CHOOSE(MATCH(J{r},basis_names,0),{idx("tflops_bf16_dense")}/tflops_per_pflops,'
                   f'{idx("tflops_fp8_dense")}/tflops_per_pflops,{idx("tflops_fp4_dense")}/tflops_per_pflops,'
                   f'{idx("tflops_fp4_sparse")}/tflops_per_pflops,{idx("mem_bw_tb_per_s")})', h["perf"], NUM2),
            ("P", f"=V{r}*PMT(cost_of_capital_monthly,life_months,-1)/hours_per_month+W{r}/hours_per_month",
             results["tco"][i], USD2),
            ("Q", f"=-AC{r}/AB{r}", results["floor"][i], USD2),
            ("S", f"=I{r}*AH{r}", results["ceil"][i], USD2),
            ("T", f"=AI{r}*G{r}/(1-H{r})", results["socamm"][i], USD0),
        ]
        for col, formula, value, fmt in cells:
            book.formula(ws, f"{col}{r}", formula, value, fmt)
        book.formula(ws, f"AO{r}",
                     f"=(1+IRR((schedule_month=0)*AD{r}+(schedule_month>=1)*(schedule_month<=AK{r})*AL{r}"
                     f"+(schedule_month>AK{r})*(schedule_month<=Y{r})*AE{r}"
                     f"+(schedule_month>AK{r})*(schedule_month<=AK{r}+AM{r})*AF{r}"
                     f"+(schedule_month=AK{r}+AM{r}+1)*(schedule_month<=Y{r})*AN{r}*AF{r}"
                     f"+(schedule_month=Y{r})*AG{r},Z{r}))^months_per_year-1",
                     h["irr_raw"], PCT1, array=f"AO{r}")
        # no IRR as a return where the first non-zero flow is an inflow or above the cap (docs/model.md)
        book.formula(ws, f"R{r}", f"=IF(IF(AD{r}<>0,AD{r},IF(AK{r}>=1,AL{r},AE{r}+AF{r}))>0,NA(),"
                                  f"IF(AO{r}>irr_cap_annual,NA(),AO{r}))", _or_na(results["irr"][i]), PCT1)
    _widths(ws, {"A": 26, "B": 14, **{get_column_letter(j): 12 for j in range(3, 41)}})
    ws.freeze_panes = "C6"
    ws.print_area = f"A1:T{bot}"
    return {"top": str(top), "bot": str(bot), **{k: sum(v) for k, v in results.items()}}


def _one_chart(book: _Book, c: _Calc, res: dict) -> tuple[np.ndarray, np.ndarray]:
    ws = book.ws("One Chart")
    _widths(ws, {"A": 8, "B": 14, "C": 14, "D": 3, "E": 30, "F": 14, "G": 14})
    book.text(ws, "A1", "The One Chart: project IRR against rent", TITLE)
    book.text(ws, "A2", "Built-in formulas: each IRR is one array formula over the schedule's cash flows "
                        "(excluding rent + rent x per-$1 flows). Floor and ceiling are marked.", NOTE)
    floor, ceil = res["floor"], res["ceiling"]
    lo = CONSTANTS["chart_rent_low_frac_floor"][0] * floor
    hi = CONSTANTS["chart_rent_high_frac_ceiling"][0] * max(ceil, floor)
    # summary block E:G
    book.text(ws, "E4", "Chart parameters", SECTION)
    book.text(ws, "E5", "Lowest rent")
    book.formula(ws, "F5", "=chart_rent_low_frac_floor*floor_rent_usd_per_gpu_hour", lo, USD2)
    book.text(ws, "E6", "Highest rent")
    book.formula(ws, "F6", "=chart_rent_high_frac_ceiling*MAX(ceiling_rent_usd_per_gpu_hour,floor_rent_usd_per_gpu_hour)",
                 hi, USD2)
    step = (hi - lo) / (CHART_POINTS - 1)
    book.text(ws, "E7", "Step")
    top, bot = 5, 5 + CHART_POINTS - 1
    book.formula(ws, "F7", f"=(F6-F5)/MAX(A{top}:A{bot})", step, USD4)
    book.text(ws, "E8", "System")
    book.formula(ws, "F8", "=system_name", c.system)
    book.text(ws, "E9", "Hurdle IRR")
    book.formula(ws, "F9", "=hurdle_irr_annual", float(c.a.hurdle_irr_annual), PCT1)
    book.text(ws, "E10", "Headroom (system price +%)")
    book.formula(ws, "F10", "=headroom_frac", res["head"], PCT1)

    _header(ws, 4, ["Point", "Rent USD/GPU-hr", "Project IRR"])
    rents = np.array([lo + step * k for k in range(CHART_POINTS)])
    irr = np.asarray(project_irr(c.a, rents), float)
    for k in range(CHART_POINTS):
        r = top + k
        if k == 0:
            book.text(ws, f"A{r}", 0)
        else:
            book.formula(ws, f"A{r}", f"=A{r - 1}+1", float(k))
        book.formula(ws, f"B{r}", f"=$F$5+$F$7*A{r}", rents[k], USD2)
        x = f"(1+IRR(cash_flow_excl_rent+B{r}*cash_flow_per_rent,hurdle_monthly))^months_per_year-1"
        # no IRR as a return where month 0 is an inflow (prepay above capex) or above the cap, as the engine
        first = f"INDEX(cash_flow_excl_rent,1)+B{r}*INDEX(cash_flow_per_rent,1)"
        book.formula(ws, f"C{r}", f"=IF({first}>0,#N/A,IF({x}>irr_cap_annual,#N/A,{x}))", irr[k] if np.isfinite(irr[k]) else "#N/A",
                     PCT1, array=f"C{r}")
    book.name("chart_rents", ws.title, f"B{top}:B{bot}")
    # marker series: floor and ceiling verticals, hurdle line, floor point
    ymin, ymax = float(np.nanmin(irr)), float(np.nanmax(irr))
    irr_rng = f"C{top}:C{bot}"  # points above irr_cap_annual are #N/A: skipped by the chart and the markers
    book.text(ws, "E12", "Markers", SECTION)
    _header(ws, 13, ["Series", "Rent", "IRR"], col=5)
    marks = [
        ("Floor (low)", "=floor_rent_usd_per_gpu_hour", floor, f"=MIN(IF(ISNUMBER({irr_rng}),{irr_rng}))", ymin),
        ("Floor (high)", "=floor_rent_usd_per_gpu_hour", floor, f"=MAX(IF(ISNUMBER({irr_rng}),{irr_rng}))", ymax),
        ("Ceiling (low)", "=ceiling_rent_usd_per_gpu_hour", ceil, f"=MIN(IF(ISNUMBER({irr_rng}),{irr_rng}))", ymin),
        ("Ceiling (high)", "=ceiling_rent_usd_per_gpu_hour", ceil, f"=MAX(IF(ISNUMBER({irr_rng}),{irr_rng}))", ymax),
        ("Hurdle (left)", "=F5", lo, "=hurdle_irr_annual", float(c.a.hurdle_irr_annual)),
        ("Hurdle (right)", "=F6", hi, "=hurdle_irr_annual", float(c.a.hurdle_irr_annual)),
        ("Floor at hurdle", "=floor_rent_usd_per_gpu_hour", floor, "=hurdle_irr_annual", float(c.a.hurdle_irr_annual)),
    ]
    for k, (label, fx, vx, fy, vy) in enumerate(marks):
        r = 14 + k
        book.text(ws, f"E{r}", label)
        book.formula(ws, f"F{r}", fx, vx, USD2)
        book.formula(ws, f"G{r}", fy, vy, PCT1, array=f"G{r}" if "ISNUMBER" in fy else None)

    ch = ScatterChart()
    ch.title = "Project IRR vs rent"
    ch.style = 13
    ch.scatterStyle = "lineMarker"
    ch.x_axis.title = "Rent (USD per GPU-hour)"
    ch.y_axis.title = "Project IRR (annual)"
    ch.x_axis.number_format = '"$"0.00'
    ch.y_axis.number_format = "0%"
    ch.x_axis.delete = False
    ch.x_axis.tickLblPos = "low"
    ch.y_axis.delete = False
    ch.height, ch.width = 11, 20
    ch.legend.position = "b"

    def add(title: str, xref: tuple[int, int, int], yref: tuple[int, int, int], color: str, marker: str | None,
            dash: str | None = None) -> None:
        xs = Reference(ws, min_col=xref[0], min_row=xref[1], max_row=xref[2])
        ys = Reference(ws, min_col=yref[0], min_row=yref[1], max_row=yref[2])
        s = Series(ys, xs, title=title)
        s.graphicalProperties.line.solidFill = color
        s.graphicalProperties.line.width = 22000
        if dash:
            s.graphicalProperties.line.dashStyle = dash
        if marker:
            s.marker = Marker(symbol=marker, size=8)
            s.marker.graphicalProperties.solidFill = color
            s.marker.graphicalProperties.line.solidFill = color
        else:
            s.marker = Marker(symbol="none")
        s.smooth = False
        ch.series.append(s)

    add("Project IRR", (2, top, bot), (3, top, bot), "1F4E79", None)
    add("Floor rent", (6, 14, 15), (7, 14, 15), "C00000", None, "dash")
    add("Ceiling rent", (6, 16, 17), (7, 16, 17), "00B050", None, "dash")
    add("Hurdle IRR", (6, 18, 19), (7, 18, 19), "7F7F7F", None, "sysDot")
    add("Floor at hurdle", (6, 20, 20), (7, 20, 20), "C00000", "circle")
    ch.layout = Layout(manualLayout=ManualLayout(x=0.02, y=0.08, w=0.95, h=0.75))
    ws.add_chart(ch, "I4")
    return rents, irr


def _checks(book: _Book, c: _Calc, res: dict, addin_refs: dict[str, str], sc: dict) -> None:
    ws = book.ws("Checks")
    _widths(ws, {"A": 46, "B": 15, "C": 15, "D": 14, "E": 20})
    book.text(ws, "A1", "Checks", TITLE)
    book.text(ws, "A2", "Add-in vs native for each output (relative difference <= check_tolerance), and native "
                        "consistency checks. Without the add-in its rows read \"add-in not loaded\", not an error.",
              NOTE)
    book.text(ws, "A4", "Summary", BOLD)
    _header(ws, 6, ["Check", "Add-in", "Native", "Difference", "Status"])
    ma = "'Model (add-in)'"
    r = 7
    tco = res["tco"]
    pairs = [("TCO per GPU-hour", "tco_total", "tco_total", tco["total"], USD2)]
    pairs += [(f"TCO: {k}", f"tco_{k}", f"tco_{k}", tco[k], USD2) for k in TCO_ITEMS]
    pairs += [("Floor rent", "floor", "floor_rent_usd_per_gpu_hour", res["floor"], USD2),
              ("Ceiling rent", "ceiling", "ceiling_rent_usd_per_gpu_hour", res["ceiling"], USD2),
              ("SOCAMM price per GPU", "socamm", "socamm_price_usd_per_gpu", res["socamm"], USD0),
              ("Project IRR at the model rent", "irr", "project_irr", res["irr"], PCT1),
              ("Rent per PFLOP-hour", "rpp", "rent_per_unit_hour", res["rpp"], USD2)]
    for label, akey, nname, value, fmt in pairs:
        aref = f"{ma}!{addin_refs[akey]}"
        book.text(ws, f"A{r}", label)
        book.formula(ws, f"B{r}", f'=IF(ISERROR({aref}),"add-in not loaded",{aref})', value, fmt)
        book.formula(ws, f"C{r}", f"={nname}", value, fmt)
        book.formula(ws, f"D{r}", f'=IF(ISNUMBER(B{r}),B{r}-C{r},"")', 0.0, "0.0E+00")
        # both give a number and agree, or neither gives one (add-in reason text, native #N/A)
        book.formula(ws, f"E{r}", f'=IF(ISERROR({aref}),"add-in not loaded",IF(ISNUMBER({aref}),'
                                  f'IF(ISNUMBER(C{r}),IF(ABS({aref}-C{r})<=check_tolerance*ABS(C{r}),"OK","ERROR"),'
                                  f'"ERROR"),IF(ISNUMBER(C{r}),"ERROR","OK")))', "OK")
        r += 1
    top, bot = sc["top"], sc["bot"]
    for label, acol, ncol, fmt, key in [("Scenarios: TCO", "K", "P", USD2, "tco"),
                                        ("Scenarios: floor rent", "L", "Q", USD2, "floor"),
                                        ("Scenarios: IRR at rent", "M", "R", PCT1, "irr"),
                                        ("Scenarios: ceiling", "N", "S", USD2, "ceil"),
                                        ("Scenarios: SOCAMM", "O", "T", USD0, "socamm")]:
        ar = f"Scenarios!{acol}{top}:{acol}{bot}"
        nr = f"Scenarios!{ncol}{top}:{ncol}{bot}"
        book.text(ws, f"A{r}", label + " (all rows)")
        book.formula(ws, f"B{r}", f'=IF(SUMPRODUCT(ISERROR({ar})*1)>0,"add-in not loaded",SUM({ar}))', sc[key], fmt)
        book.formula(ws, f"C{r}", f"=SUM({nr})", sc[key], fmt)
        book.formula(ws, f"D{r}", f'=IF(ISNUMBER(B{r}),B{r}-C{r},"")', 0.0, "0.0E+00")
        book.formula(ws, f"E{r}", f'=IFERROR(IF(SUMPRODUCT(ISERROR({ar})*1)>0,"add-in not loaded",'
                                  f'IF(SUMPRODUCT((ABS({ar}-{nr})>check_tolerance*ABS({nr}))*1)=0,"OK","ERROR")),"ERROR")',
                     "OK")
        r += 1
    r += 1
    book.text(ws, f"A{r}", "Native consistency", SECTION)
    r += 1
    _header(ws, r, ["Check", "Value", "Target", "Difference", "Status"])
    r += 1
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
        book.text(ws, f"A{r}", label)
        if va is None:
            va = float(_f(project_terms(c.a).N))
        book.formula(ws, f"B{r}", fa, va, fmt)
        book.formula(ws, f"C{r}", fb, vb, fmt)
        book.formula(ws, f"D{r}", f"=B{r}-C{r}", va - vb, "0.0E+00")
        if kind == "le":
            status = f'=IF(B{r}<=C{r},"OK","ERROR")'
        elif kind == "npv":  # NPV is a difference of large flows: tolerance relative to capex
            status = f'=IF(ABS(B{r}-C{r})<=check_tolerance*capex_total,"OK","ERROR")'
        elif kind == "irr":  # IRR is iterative: absolute tolerance on the rate
            status = f'=IF(ABS(B{r}-C{r})<=irr_check_tolerance,"OK","ERROR")'
        else:
            status = f'=IF(ABS(B{r}-C{r})<=check_tolerance*ABS(C{r}),"OK","ERROR")'
        book.formula(ws, f"E{r}", status, "OK")
        r += 1
    book.formula(ws, "B4", f'=IF(COUNTIF(E7:E{r - 1},"ERROR")=0,"OK","ERROR")', "OK", font=Font(name="Calibri", bold=True, size=14))
    book.name("checks_summary", "Checks", "B4")
    book.text(ws, "C4", "OK when no row reads ERROR (\"add-in not loaded\" rows do not count)", NOTE)
    del first_native
    for rr in range(7, r):
        ws[f"E{rr}"].alignment = Alignment(horizontal="center")
    ws.freeze_panes = "A7"


# --- workbook ----------------------------------------------------------------------------------

def _build(system: str, inputs: Mapping[str, object], scenarios) -> _Book:
    wb = Workbook()
    wb.remove(wb.active)
    for title in SHEETS:
        wb.create_sheet(title)
    book = _Book(wb)
    c = _calc(system, inputs)
    _cover(book, c)
    _inputs(book, c)
    _catalog(book)
    res = _native(book, c)
    rents, irr = _one_chart(book, c, res)
    addin_refs = _addin(book, c, res, rents, irr)
    sc = _scenarios(book, c, scenarios)
    _checks(book, c, res, addin_refs, sc)
    # the IRR check's tolerance is a named constant too
    ws = book.ws("Inputs")
    r = ws.max_row + 1
    book.text(ws, f"A{r}", "irr_check_tolerance")
    book.text(ws, f"C{r}", 1e-9, fmt="0.0E+00")
    ws[f"C{r}"].fill = CONST_FILL
    book.text(ws, f"D{r}", "annual rate")
    book.text(ws, f"I{r}", "Checks: largest difference between an iterated IRR and its target that reads OK")
    book.name("irr_check_tolerance", "Inputs", f"C{r}")
    _finish(wb)
    wb.active = 0
    props = wb.properties
    props.creator = "gpuecon"
    props.lastModifiedBy = "gpuecon"
    props.title = "GPU economics model"
    props.description = f"Generated by gpuecon {__version__} (gpuecon export)"
    return book


def _finish(wb: Workbook) -> None:
    """Page setup (fit to one page wide), units indented, OK/ERROR coloured."""
    from openpyxl.formatting.rule import CellIsRule

    for ws in wb.worksheets:
        ws.sheet_view.zoomScale = 100
        ws.page_setup.orientation = "portrait" if ws.title in ("Cover", "Checks") else "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_options.gridLines = False
    for title, col in (("Inputs", "D"), ("Model (native)", "C"), ("Model (add-in)", "C")):
        ws = wb[title]
        for (cell,) in ws.iter_rows(min_col=ws[f"{col}1"].column, max_col=ws[f"{col}1"].column, min_row=5):
            if isinstance(cell.value, str):
                cell.alignment = Alignment(indent=1)
    ws = wb["Checks"]
    green = PatternFill("solid", fgColor="C6EFCE")
    red = PatternFill("solid", fgColor="FFC7CE")
    for rng in ("B4", f"E7:E{ws.max_row}"):
        ws.conditional_formatting.add(rng, CellIsRule(operator="equal", formula=['"OK"'], fill=green))
        ws.conditional_formatting.add(rng, CellIsRule(operator="equal", formula=['"ERROR"'], fill=red))


def _normalize_zip(data: bytes) -> bytes:
    """Fixed member times and document dates: the same content gives the same bytes."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = body.decode("utf-8")
                text = re.sub(r"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)", rf"\g<1>{FIXED_TIME}\g<3>", text)
                body = text.encode("utf-8")
            zi = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            zi.create_system = 3
            dst.writestr(zi, body)
    return out.getvalue()


def model_cached_values(system: str = "VR NVL72", inputs: Mapping[str, object] | None = None,
                        scenarios=None) -> dict[tuple[str, str], object]:
    """The cached value the exporter writes for every formula cell: {(sheet, A1): value}."""
    return dict(_build(system, dict(inputs or {}), scenarios or DEFAULT_SCENARIOS).cached)


def export_model(path: str | Path, system: str = "VR NVL72", inputs: Mapping[str, object] | None = None,
                 scenarios=None) -> Path:
    """Write the full-model template to ``path`` with ``system`` selected and ``inputs`` (engine field
    names, ``rent_usd_per_gpu_hour``, ``ceiling_usd_per_pflop_hour``, ``ceiling_basis``) in the input cells."""
    path = Path(path)
    system = get_system(system).name
    inputs = dict(inputs or {})
    unknown = [k for k in inputs if k not in FIELDS and k not in MODEL_CHOICES]
    if unknown:
        raise ValueError(f"unknown inputs {unknown}; valid: engine field names and {list(MODEL_CHOICES)}")
    book = _build(system, inputs, scenarios or DEFAULT_SCENARIOS)
    buf = io.BytesIO()
    book.wb.save(buf)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="gpuecon-export-") as tmp:
        raw = Path(tmp, "raw.xlsx")
        raw.write_bytes(_normalize_zip(buf.getvalue()))
        cooked = Path(tmp, "cooked.xlsx")
        xlsxpatch.write(raw, cooked, book.cached)
        path.write_bytes(_normalize_zip(cooked.read_bytes()))
    return path


def export_all(out_dir: str | Path = "workbooks") -> list[Path]:
    """Write every template into ``out_dir`` (what ``gpuecon export`` does)."""
    out_dir = Path(out_dir)
    return [export_model(out_dir / MODEL_FILE)]
