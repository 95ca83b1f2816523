"""The Asset value sheet and its inputs: what a GPU is worth over its life, against its book value
and the loan it secures, and the discount rate a traded price implies.

By age (0 to 10 years in steps of ``age_step_years``): the market value in built-in formulas, the
present value at the hurdle of the net operating cash the GPU can still earn over its remaining
useful life plus the residual, ``(rent x 730u - opex_month) x [PV(m, F, -1) + f (1+m)^-(F+1)] +
residual (1+m)^-C`` (F whole remaining months, f the stub, C the last month), beside the add-in's
``GPU_VALUE``; the straight-line book value beside ``BOOK_VALUE``; the loan balance from the
Financing sheet, the LTV and the covenant line (the LTV at origination x market value); a native
line chart of the three. Then the implied discount rate of a traded GPU (seed 000: H100s at
$25k-40k at 3-4 years) from an IRR of the remaining cash of ``valuation_system`` (Catalog figures,
global assumptions) beside ``IMPLIED_DISCOUNT_RATE``. Conventions: docs/financing.md.
"""

from __future__ import annotations

import math

import numpy as np
from openpyxl.chart import Reference, Series
from openpyxl.chart.marker import Marker
from openpyxl.worksheet.datavalidation import DataValidation

from ..engine import valuation
from ..engine.assumptions import HOURS_PER_MONTH, Assumptions
from ..engine.catalog import catalog_frame
from ..engine.model import capex_usd_per_gpu, opex_usd_per_gpu_hour
from ..xlsx.names import INPUT_SUFFIX
from .book import Book, catalog_range, header, input_style, widths
from .calc import GLOBAL_FIELDS, SCHEDULE_MONTHS, Calc, scalar
from .charts import scatter_chart
from .inputs import constant_row
from .styles import NOTE, NUM2, PCT1, SECTION, TITLE, USD0, USD2

SHEET = "Asset value"
AGE_ROWS = 41  # ages 0 .. 40 x age_step_years
TOP = 6
#: Inputs of the sheet: name -> (unit, default, description, source)
CHOICES = {
    "valuation_system": ("name", "H100 SXM", "System whose traded price is read as an implied discount rate "
                         "(Catalog figures, global assumptions)", "seed 000: the H100 case"),
    "traded_rent_usd_per_gpu_hour": ("USD/GPU-hr", 2.03, "Rent the traded GPU is assumed to earn for the rest of "
                                     "its life", "H100 floor rent at the 15.6% hurdle ($1.85) +10% (seed 000's "
                                     "jump): docs/financing.md, H100 calibration"),
    "traded_price_low_usd_per_gpu": ("USD/GPU", 25000.0, "Traded price, low end", "seed 000: 3-4-year-old H100s "
                                     "sell for $25,000-40,000"),
    "traded_price_high_usd_per_gpu": ("USD/GPU", 40000.0, "Traded price, high end", "seed 000"),
    "traded_age_low_years": ("years", 3.0, "Age of the traded GPU, low end", "seed 000"),
    "traded_age_high_years": ("years", 4.0, "Age of the traded GPU, high end", "seed 000"),
}
CONSTANTS = {
    "age_step_years": (0.25, "years", "Asset value: step between the ages of the table"),
    "months_round_decimals": (9.0, "decimals", "Remaining life in months is rounded to this many decimals (the "
                              "engine's rule: a rounding residue is not a stub month)"),
    "payback_tolerance_frac_capex": (1e-9, "x capex", "Payback: a cumulative cash flow within this share of capex "
                                     "of 0 counts as reached (the engine's rule)"),
}


def write_asset_inputs(book: Book, c: Calc) -> None:
    """Append the sheet's inputs and constants to Inputs (named like the others, ``<name>_input`` the input)."""
    ws = book.ws("Inputs")
    r = ws.max_row + 2
    book.text(ws, f"A{r}", "Financing and asset value: traded GPU (Asset value sheet); the debt inputs are the "
                           "debt_* assumptions above", SECTION)
    r += 1
    for name, (unit, default, doc, source) in CHOICES.items():
        fmt = USD2 if unit == "USD/GPU-hr" else (USD0 if unit == "USD/GPU" else None)
        book.text(ws, f"A{r}", name)
        book.text(ws, f"B{r}", default, fmt=fmt)
        input_style(ws[f"B{r}"])
        book.text(ws, f"E{r}", default, fmt=fmt)
        book.formula(ws, f"C{r}", f"=IF(ISBLANK(B{r}),E{r},B{r})", default, fmt)
        book.text(ws, f"D{r}", unit)
        if name == "valuation_system":
            book.text(ws, f"H{r}", "a Catalog name")
            dv = DataValidation(type="list", formula1=f"={catalog_range('name')}", allow_blank=True,
                                showErrorMessage=True, error="Pick a system from the Catalog list")
        else:
            book.text(ws, f"F{r}", 0)
            book.text(ws, f"H{r}", ">= 0")
            dv = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                                showErrorMessage=True, error=f"{name} must be a number >= 0")
        ws.add_data_validation(dv)
        dv.add(f"B{r}")
        book.text(ws, f"I{r}", doc)
        book.text(ws, f"J{r}", source)
        book.name(name, "Inputs", f"C{r}")
        book.name(name + INPUT_SUFFIX, "Inputs", f"B{r}")
        r += 1
    for name, (value, unit, doc) in CONSTANTS.items():
        constant_row(book, ws, r, name, value, unit, doc)
        r += 1


def _remaining(life_years: float, age: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Whole remaining months F, stub f and last month C (the cached values of the helper columns)."""
    rem = np.maximum(0.0, np.round(life_years * 12.0 - age * 12.0, 9))
    whole = np.floor(rem)
    stub = rem - whole
    return whole, stub, whole + (stub > 0)


def write_asset_value(book: Book, c: Calc, fin: dict) -> dict:
    """Write the Asset value sheet; returns the values and references the checks use."""
    ws = book.ws(SHEET)
    a, rent = c.a, c.rent
    widths(ws, {"A": 9, "B": 11, "C": 9, "D": 9, "E": 9, "F": 14, "G": 14, "H": 14, "I": 14, "J": 14,
                "K": 11, "L": 14, "M": 3, "N": 30, "O": 14, "P": 14, "Q": 14, "R": 14})
    book.text(ws, "A1", "Asset value: market value vs book value vs the loan", TITLE)
    book.text(ws, "A2", "Market value = PV at the hurdle of (rent x billed hours - opex) over the remaining useful "
                        "life + the residual at its end (no prepay, no tax; docs/financing.md). Book value: "
                        "straight-line. Loan: the Financing sheet. Add-in columns need the add-in.", NOTE)
    book.text(ws, "A4", "By age: the selected system at the model rent (Inputs), discounted at hurdle_irr_annual",
              SECTION)
    header(ws, 5, ["Age (years)", "Remaining months", "Whole months F", "Stub f", "Last month C",
                   "Market value (native)", "Market value (add-in GPU_VALUE)", "Book value SL (native)",
                   "Book value (add-in BOOK_VALUE)", "Loan balance (Financing)", "LTV (loan / market value)",
                   "Covenant: LTV at origination x market value"])
    ws.row_dimensions[5].height = 60
    bot = TOP + AGE_ROWS - 1
    step = float(CONSTANTS["age_step_years"][0])
    ages = np.arange(AGE_ROWS) * step
    whole, stub, end = _remaining(float(a.useful_life_years), ages)
    market = np.asarray(valuation.gpu_value(a, ages, rent), float)
    book_sl = np.asarray(valuation.book_value(a, ages, "SL"), float)
    months = np.round(ages * 12.0).astype(int)
    balance = np.where(months <= SCHEDULE_MONTHS, fin["closing"][np.minimum(months, SCHEDULE_MONTHS)], 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ltv = np.where(market > 0, balance / market, np.nan)
    ltv0 = ltv[0]
    for k in range(AGE_ROWS):
        r = TOP + k
        if k == 0:
            book.text(ws, f"A{r}", 0)
        else:
            book.formula(ws, f"A{r}", f"=A{r - 1}+age_step_years", float(ages[k]), "0.00")
        book.formula(ws, f"B{r}", f"=MAX(0,ROUND(useful_life_years*months_per_year-A{r}*months_per_year,"
                                  "months_round_decimals))", float(whole[k] + stub[k]), NUM2)
        book.formula(ws, f"C{r}", f"=INT(B{r})", float(whole[k]), "0")
        book.formula(ws, f"D{r}", f"=B{r}-C{r}", float(stub[k]), NUM2)
        book.formula(ws, f"E{r}", f"=C{r}+IF(D{r}>0,1,0)", float(end[k]), "0")
        book.formula(ws, f"F{r}", f"=(rent_usd_per_gpu_hour*billed_hours_per_month-opex_per_month)*(PV(hurdle_monthly,"
                                  f"C{r},-1)+D{r}*(1+hurdle_monthly)^(-(C{r}+1)))+residual_usd*(1+hurdle_monthly)^(-E{r})",
                     float(market[k]), USD0)
        book.formula(ws, f"H{r}", f"=capex_total*MAX(0,MIN(1,1-A{r}/useful_life_years))", float(book_sl[k]), USD0)
        book.formula(ws, f"J{r}", f"=INDEX(debt_closing_balance,ROUND(A{r}*months_per_year,0)+1)", float(balance[k]),
                     USD0)
        book.formula(ws, f"K{r}", f'=IF(F{r}>0,J{r}/F{r},"")', float(ltv[k]), PCT1)
        book.formula(ws, f"L{r}", f"=$K${TOP}*F{r}", float(ltv0 * market[k]), USD0)
    ages_rng = f"A{TOP}:A{bot}"
    gv = f"=GPU_VALUE(system_name,{ages_rng},rent_usd_per_gpu_hour,hurdle_irr_annual,assumptions)"
    book.array(ws, f"G{TOP}", AGE_ROWS, 1, gv, [[float(v)] for v in market], USD0)
    bv = f'=BOOK_VALUE(system_name,{ages_rng},"SL",assumptions)'
    book.array(ws, f"I{TOP}", AGE_ROWS, 1, bv, [[float(v)] for v in book_sl], USD0)
    book.name("asset_age_years", SHEET, ages_rng)
    book.name("market_value_usd", SHEET, f"F{TOP}:F{bot}")
    book.name("book_value_usd", SHEET, f"H{TOP}:H{bot}")
    _chart(ws, bot)
    implied = _implied(book, ws, c)
    ws.freeze_panes = "A6"
    return {"market": float(market.sum()), "book": float(book_sl.sum()), "top": TOP, "bot": bot,
            "residual_end": float(a.residual_value_frac_capex) * fin["capex"], "implied": implied}


def _chart(ws, bot: int) -> None:
    ch = scatter_chart("Collateral: loan balance vs market value vs book value", "Age of the GPU (years)",
                       "USD per GPU", None, '"$"#,##0')
    xs = Reference(ws, min_col=1, min_row=TOP, max_row=bot)
    for col, title, color, dash in ((6, "Market value", "1F4E79", None), (8, "Book value (straight-line)", "7F7F7F",
                                                                         "dash"),
                                    (10, "Loan balance", "C00000", None), (12, "Covenant (LTV at origination)",
                                                                          "C00000", "sysDot")):
        s = Series(Reference(ws, min_col=col, min_row=TOP, max_row=bot), xs, title=title)
        s.graphicalProperties.line.solidFill = color
        s.graphicalProperties.line.width = 22000
        if dash:
            s.graphicalProperties.line.dashStyle = dash
        s.marker = Marker(symbol="none")
        s.smooth = False
        ch.series.append(s)
    ws.add_chart(ch, "N4")


def _implied(book: Book, ws, c: Calc) -> dict:
    """The implied discount rate block: valuation_system's remaining cash by month and a 2 x 2 grid of rates."""
    top = 30
    cat = catalog_frame()
    vs = str(CHOICES["valuation_system"][1])
    fields = {k: v for k, v in c.inputs.items() if k in GLOBAL_FIELDS}
    av = Assumptions(vs, **fields)
    row = int(np.flatnonzero(cat["name"].to_numpy() == vs)[0]) + 1
    rent = float(CHOICES["traded_rent_usd_per_gpu_hour"][1])
    prices = [float(CHOICES[f"traded_price_{x}_usd_per_gpu"][1]) for x in ("low", "high")]
    ages = [float(CHOICES[f"traded_age_{x}_years"][1]) for x in ("low", "high")]
    book.text(ws, f"N{top}", "Implied discount rate of a traded GPU (valuation_system on Inputs)", SECTION)
    book.text(ws, f"N{top + 1}", "The annual rate at which the market value equals the traded price: "
                                 "=(1+IRR({-price; remaining cash by month}))^12-1 (built-in) beside "
                                 "IMPLIED_DISCOUNT_RATE (add-in)", NOTE)

    def idx(col: str) -> str:
        return f"INDEX({catalog_range(col)},$O${top + 2})"

    capex = scalar(capex_usd_per_gpu(av))
    opex_m = scalar(opex_usd_per_gpu_hour(av)) * HOURS_PER_MONTH
    helpers = [
        ("Catalog row", "=MATCH(valuation_system,{},0)".format(catalog_range("name")), float(row), "0"),
        ("All-in capex", f"=({idx('capex_compute_usd_per_gpu')}+IF({idx('cpu_mem_socamm')},{idx('cpu_mem_gb_per_gpu')},0)"
                         "*socamm_usd_per_gb/(1-socamm_gross_margin_frac)"
                         f"+{idx('capex_networking_usd_per_gpu')}+{idx('capex_storage_usd_per_gpu')}"
                         f"+{idx('capex_other_usd_per_gpu')})*(1+system_price_uplift_frac)", capex, USD0),
        ("Opex per month (all hours)", f"=({idx('it_w_per_gpu')}/w_per_kw*pue_ratio*power_usd_per_kwh"
                                       f"+{idx('it_w_per_gpu')}/w_per_kw*colocation_usd_per_kw_month/hours_per_month"
                                       f"+maintenance_frac_capex_per_year*O{top + 3}/hours_per_year"
                                       "+other_opex_usd_per_gpu_hour)*hours_per_month", opex_m, USD0),
        ("Net cash per month", f"=traded_rent_usd_per_gpu_hour*billed_hours_per_month-O{top + 4}",
         rent * HOURS_PER_MONTH * float(av.utilization_frac) - opex_m, USD0),
        ("Residual at the end of life", f"=residual_value_frac_capex*O{top + 3}",
         float(av.residual_value_frac_capex) * capex, USD0),
    ]
    for k, (label, formula, value, fmt) in enumerate(helpers):
        r = top + 2 + k
        book.text(ws, f"N{r}", label)
        book.formula(ws, f"O{r}", formula, value, fmt)
    net, resid = f"$O${top + 5}", f"$O${top + 6}"
    # remaining cash by month at each age (month 0 = the purchase: the price goes there in the IRR)
    g0 = top + 8
    header(ws, g0, ["Rates", "Age", "Price (low)", "Price (high)", "Remaining months", "Whole months F", "Stub f",
                    "Last month C"], col=14)
    m0 = top + 14  # months table
    header(ws, m0 - 1, ["Month", "Cash, age (low)", "Cash, age (high)"], col=14)
    n_months = SCHEDULE_MONTHS
    mrng = f"$N${m0}:$N${m0 + n_months}"
    out: dict = {"cells": []}
    flows = []
    for j, (age_name, age) in enumerate(zip(("traded_age_low_years", "traded_age_high_years"), ages, strict=True)):
        h = g0 + 1 + j  # the age's row: remaining life in R:U
        whole, stub, end = (float(x[0]) for x in _remaining(float(av.useful_life_years), np.array([age])))
        book.formula(ws, f"R{h}", f"=MAX(0,ROUND(useful_life_years*months_per_year-{age_name}*months_per_year,"
                                  "months_round_decimals))", whole + stub, NUM2)
        book.formula(ws, f"S{h}", f"=INT(R{h})", whole, "0")
        book.formula(ws, f"T{h}", f"=R{h}-S{h}", stub, NUM2)
        book.formula(ws, f"U{h}", f"=S{h}+IF(T{h}>0,1,0)", end, "0")
        col = "OP"[j]
        cf = np.asarray(valuation.valuation_cash_flows(av, age, rent), float).reshape(-1)
        flows.append(np.concatenate([[0.0], cf, np.zeros(n_months - cf.size)]))
        for k in range(n_months + 1):
            r = m0 + k
            if j == 0:
                if k == 0:
                    book.text(ws, f"N{r}", 0)
                else:
                    book.formula(ws, f"N{r}", f"=N{r - 1}+1", float(k))
            f = (f"=IF(N{r}=0,0,IF(N{r}<=$S${h},{net},IF(N{r}=$S${h}+1,$T${h}*{net},0))"
                 f"+IF(AND($R${h}>0,N{r}=$U${h}),{resid},0))")
            book.formula(ws, f"{col}{r}", f, float(flows[j][k]), USD0)
    book.name("traded_cash_month", SHEET, mrng.replace("$", ""))
    for j, (age_name, age) in enumerate(zip(("traded_age_low_years", "traded_age_high_years"), ages, strict=True)):
        r = g0 + 1 + j
        book.text(ws, f"N{r}", "Native: =(1+IRR(...))^12-1")
        book.formula(ws, f"O{r}", f"={age_name}", age, "0.00")
        ra = g0 + 3 + j
        book.text(ws, f"N{ra}", "Add-in: IMPLIED_DISCOUNT_RATE")
        book.formula(ws, f"O{ra}", f"={age_name}", age, "0.00")
        cash = f"${'OP'[j]}${m0}:${'OP'[j]}${m0 + n_months}"
        for p, (pname, price) in enumerate(zip(("traded_price_low_usd_per_gpu", "traded_price_high_usd_per_gpu"),
                                               prices, strict=True)):
            col = "PQ"[p]
            d = valuation.implied_discount_rate_detail(av, price, age, rent)
            rate, why = scalar(d.annual), str(np.asarray(d.reason).reshape(-1)[0])
            book.formula(ws, f"{col}{r}", f"=(1+IRR(IF({mrng}=0,-{pname},{cash}),hurdle_monthly))^months_per_year-1",
                         rate if math.isfinite(rate) else "#N/A", PCT1, array=f"{col}{r}")
            book.formula(ws, f"{col}{ra}", f"=IMPLIED_DISCOUNT_RATE(valuation_system,{pname},{age_name},"
                                           "traded_rent_usd_per_gpu_hour,global_assumptions)",
                         rate if math.isfinite(rate) else "#NUM! " + why, PCT1)
            out["cells"].append((f"{age:g} y at ${price:,.0f}", f"{col}{r}", f"{col}{ra}", rate))
    return out
