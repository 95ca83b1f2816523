"""The Sensitivity sheet: the tornado of the floor rent and the break-even utilization (issue 13).

The tornado rows are the engine's (:func:`gpuecon.engine.decisions.sensitivity`, output ``floor``) for the
exported inputs, in its order (largest swing first). Each row is computed twice: in built-in formulas
(columns A:I: the moved values with the engine's rules, clipped to the field's range on Inputs or not
moved at an open bound, whole-month fields rounded; the floor at each from the helper block) and by the
add-in's ``SENSITIVITY`` spill (K:P; R:U read it back by input name, so a re-sorted spill still
matches). The helper block (from column W) recomputes the floor rent in closed form, ``-K0/K1`` as on
Model (native), once per moved value with every other input at its value (one row per evaluation;
each input column is ``=IF(field=this input, moved value, input)``), plus three more rows: nothing
moved (must equal ``floor_rent_usd_per_gpu_hour``), utilization at 100% (the floor at full
utilization) and utilization at the break-even. Break-even utilization: the floor is linear in
1/utilization in the engine (utilization scales revenue only), so it is ``floor(100%) / rent``, native
beside ``BREAKEVEN_UTILIZATION``. A native bar chart draws the tornado (low and high around the base).
"""

from __future__ import annotations

import numpy as np
from openpyxl.chart import BarChart, Reference
from openpyxl.utils import get_column_letter

from ..engine.assumptions import FIELDS, HOURS_PER_MONTH, Assumptions
from ..engine.decisions import breakeven_utilization_detail, moved_values, sensitivity
from ..engine.finance import monthly_rate
from ..engine.model import floor_rent, flow_annuities, npv_coefficients, project_terms
from ..engine.numbers import explicit
from ..excel.errors import ERR_NUM, cell_error
from .book import Book, header, widths
from .calc import Calc, or_na, scalar
from .checks import ADDIN_HEADS, NATIVE_HEADS, addin_check, check_section, native_check, range_check
from .styles import BOLD, NOTE, NUM2, NUM6, PCT1, PCT3, SECTION, TITLE, USD0, USD2
from .tokens import decision_value

__all__ = ["CHAIN_FIELDS", "SENSITIVITY_ADDIN_COLUMNS", "write_sensitivity", "decision_checks"]

#: the inputs the native floor reads (the others do not move it)
CHAIN_FIELDS = ("capex_compute_usd_per_gpu", "capex_networking_usd_per_gpu", "capex_storage_usd_per_gpu",
                "capex_other_usd_per_gpu", "socamm_gb_per_gpu", "socamm_usd_per_gb", "socamm_gross_margin_frac",
                "system_price_uplift_frac", "it_w_per_gpu", "pue_ratio", "power_usd_per_kwh",
                "colocation_usd_per_kw_month", "maintenance_frac_capex_per_year", "other_opex_usd_per_gpu_hour",
                "useful_life_years", "hurdle_irr_annual", "contract_term_years", "prepay_frac_contract",
                "utilization_frac", "deployment_lag_months", "residual_value_frac_capex", "tax_rate_frac")
#: the add-in columns (the SENSITIVITY spill, the rows read back by name, BREAKEVEN_UTILIZATION)
SENSITIVITY_ADDIN_COLUMNS = "KLMNOPRSTU"
TOP = 11  # first tornado row
HELPER_COL = 23  # W: the unsorted table, then the closed-form block
NO_BREAKEVEN = {"the hurdle is earned at any utilization", "needs more than 100% utilization"}


def _moved_formula(name: str, side: str, row: int) -> str:
    """The native low or high value of a field: the engine's rules (decisions._moved) in built-in formulas."""
    f = FIELDS[name]
    sign = "-" if side == "low" else "+"
    raw = f"{name}{sign}sensitivity_swing_frac*ABS({name})"
    if f.whole:  # whole months: contract_term_years in twelfths, deployment_lag_months in months
        raw = f"ROUND(({raw})*months_per_year,0)/months_per_year" if f.step != 1 else f"ROUND({raw},0)"
    bound, is_open = (f"Inputs!$F${row}", f.lo_open) if side == "low" else (f"Inputs!$G${row}", f.hi_open)
    cmp = ("<" if side == "low" else ">") + ("=" if is_open else "")
    return f"=IF({raw}{cmp}{bound},{name if is_open else bound},{raw})"


def _chain(a: Assumptions) -> dict[str, float]:
    """The engine's values of the helper block's columns at assumptions ``a``."""
    t = project_terms(a)
    i = scalar(monthly_rate(a.hurdle_irr_annual))
    _, billed, shield = flow_annuities(t, i)
    k0, k1 = npv_coefficients(t, i)
    return {"capex": scalar(t.capex), "opex": scalar(t.opex_month), "life": scalar(t.life_months), "T": scalar(t.T),
            "L": scalar(t.L), "N": scalar(t.N), "i": i, "ann": scalar(billed),
            "hours": HOURS_PER_MONTH * float(a.utilization_frac), "k1": scalar(k1), "dw": scalar(t.dep_whole_months),
            "ds": scalar(t.dep_stub_frac), "dann": scalar(shield), "lag": scalar(t.lag_cost_month),
            "end": scalar(t.end_value), "k0": scalar(k0), "floor": scalar(floor_rent(a))}


def _chain_formulas(col: dict[str, str], r: int) -> list[tuple[str, str, str]]:
    """(key, formula, format) of the floor's closed form, reading the helper input columns ``col``."""
    def v(name: str) -> str:
        return f"{col[name]}{r}"

    def h(key: str) -> str:
        return f"{col[key]}{r}"

    return [
        ("capex", f"=({v('capex_compute_usd_per_gpu')}+{v('socamm_gb_per_gpu')}*{v('socamm_usd_per_gb')}"
                  f"/(1-{v('socamm_gross_margin_frac')})+{v('capex_networking_usd_per_gpu')}"
                  f"+{v('capex_storage_usd_per_gpu')}+{v('capex_other_usd_per_gpu')})"
                  f"*(1+{v('system_price_uplift_frac')})", USD0),
        ("opex", f"=({v('it_w_per_gpu')}/w_per_kw*{v('pue_ratio')}*{v('power_usd_per_kwh')}"
                 f"+{v('it_w_per_gpu')}/w_per_kw*{v('colocation_usd_per_kw_month')}/hours_per_month"
                 f"+{v('maintenance_frac_capex_per_year')}*{h('capex')}/hours_per_year"
                 f"+{v('other_opex_usd_per_gpu_hour')})*hours_per_month", USD0),
        ("life", f"={v('useful_life_years')}*months_per_year", "0.0"),
        ("T", f"=ROUND({v('contract_term_years')}*months_per_year,0)", "0"),
        ("L", f"=ROUND({v('deployment_lag_months')},0)", "0"),
        ("N", f"={h('L')}+{h('T')}", "0"),
        ("i", f"=(1+{v('hurdle_irr_annual')})^(1/months_per_year)-1", PCT3),
        ("ann", f"=PV({h('i')},{h('N')},-1)-PV({h('i')},{h('L')},-1)", NUM2),
        ("hours", f"=hours_per_month*{v('utilization_frac')}", "0.0"),
        ("k1", f"=(1-{v('tax_rate_frac')})*({v('prepay_frac_contract')}*{h('hours')}*{h('T')}"
               f"+(1-{v('prepay_frac_contract')})*{h('hours')}*{h('ann')})", NUM2),
        ("dw", f"=MIN(INT({h('life')}),{h('T')})", "0"),
        ("ds", f"=IF(INT({h('life')})<{h('T')},{h('life')}-INT({h('life')}),0)", NUM6),
        ("dann", f"=PV({h('i')},{h('L')}+{h('dw')},-1)-PV({h('i')},{h('L')},-1)"
                 f"+{h('ds')}*(1+{h('i')})^(-({h('L')}+{h('dw')}+1))", NUM2),
        ("lag", f"={v('it_w_per_gpu')}/w_per_kw*{v('colocation_usd_per_kw_month')}", USD0),
        ("end", f"={v('residual_value_frac_capex')}*{h('capex')}-{v('tax_rate_frac')}*({v('residual_value_frac_capex')}"
                f"*{h('capex')}-{h('capex')}*MAX(0,1-{h('T')}/{h('life')}))", USD0),
        ("k0", f"=-{h('capex')}-(1-{v('tax_rate_frac')})*({h('lag')}*PV({h('i')},{h('L')},-1)+{h('opex')}*{h('ann')})"
               f"+{v('tax_rate_frac')}*{h('capex')}/{h('life')}*{h('dann')}+{h('end')}*(1+{h('i')})^(-{h('N')})",
         USD0),
        ("floor", f"=-{h('k0')}/{h('k1')}", USD2),
    ]


CHAIN_HEADS = {"capex": "Capex USD/GPU", "opex": "Opex USD/month", "life": "Life months", "T": "Term months",
               "L": "Lag months", "N": "Horizon months", "i": "Hurdle monthly", "ann": "Billed annuity",
               "hours": "Billed hours/month", "k1": "K1", "dw": "Dep. whole months", "ds": "Dep. stub share",
               "dann": "Dep. annuity", "lag": "Lag month cost", "end": "End value after tax", "k0": "K0",
               "floor": "Floor rent USD/GPU-hr"}


def write_sensitivity(book: Book, c: Calc, input_rows: dict[str, int]) -> dict[str, object]:
    """The Sensitivity sheet; ``input_rows`` maps each engine field to its Inputs row (Min/Max columns)."""
    ws = book.ws("Sensitivity")
    a = c.a
    swing = decision_value(c, "sensitivity_swing_frac")
    t = sensitivity(a, "floor", swing)
    base = float(t.attrs["base"])
    m = len(CHAIN_FIELDS)
    bot = TOP + m - 1
    widths(ws, {"A": 34, "B": 13, "C": 13, "D": 13, "E": 13, "F": 13, "G": 12, "H": 12, "I": 12, "J": 5,
                "K": 30, **{x: 13 for x in "LMNOPRSTU"}, "W": 32})
    book.text(ws, "A1", "Sensitivity: tornado of the floor rent, break-even utilization", TITLE)
    book.text(ws, "A2", "Columns A:I: built-in formulas, every input the floor reads moved -/+ the swing with the "
                        "others at their values, sorted by swing (unsorted in W:AD; the floor recomputed in closed form "
                        "in the helper block from column AF); inputs that do not move the floor (swing 0) come last. "
                        "K:P: the add-in's SENSITIVITY spill (#NAME? without it; it lists only the inputs that move "
                        "the output), R:U its rows read back by input name.", NOTE)
    book.text(ws, "A4", "Tornado parameters", SECTION)
    book.text(ws, "A5", "System")
    book.formula(ws, "B5", "=system_name", c.system)
    book.text(ws, "A6", "Swing (fraction of each input's value)")
    book.formula(ws, "B6", "=sensitivity_swing_frac", swing, PCT1)
    book.text(ws, "A7", "Floor rent at the inputs (base)")
    book.formula(ws, "B7", "=floor_rent_usd_per_gpu_hour", base, USD2)
    book.name("tornado_base_usd_per_gpu_hour", ws.title, "B7")
    book.text(ws, "A9", "Native (built-in formulas), largest swing first", SECTION)
    formula = "=SENSITIVITY(system_name,\"floor\",sensitivity_swing_frac,rent_usd_per_gpu_hour,assumptions)"
    book.text(ws, "K9", "Add-in: " + formula, SECTION)
    book.text(ws, "R9", "Add-in rows matched by input (native where it has none)", SECTION)
    heads = ["Input", "Value", "Low", "High", "Floor at low", "Floor at high", "Swing"]
    header(ws, TOP - 1, [*heads, "Low - base", "High - base", "Rank"])
    header(ws, TOP - 1, ["Low", "High", "Floor at low", "Floor at high"], col=18)
    ws.row_dimensions[TOP - 1].height = 30

    # helper block layout: the unsorted table W:AD, then the floor's closed form per evaluation from AF
    book.text(ws, "W9", "Unsorted (one row per input the floor reads)", SECTION)
    header(ws, TOP - 1, [*heads, "Rank"], col=HELPER_COL)
    uns = {k: get_column_letter(HELPER_COL + j) for j, k in enumerate(("input", "value", "low", "high", "out_low",
                                                                       "out_high", "swing", "rank"))}
    c0 = HELPER_COL + len(uns) + 1
    hcols = [get_column_letter(c0 + k) for k in range(3 + len(CHAIN_FIELDS) + len(CHAIN_HEADS))]
    lab, fld, mov = hcols[:3]
    col = {name: hcols[3 + k] for k, name in enumerate(CHAIN_FIELDS)}
    col.update({key: hcols[3 + len(CHAIN_FIELDS) + k] for k, key in enumerate(CHAIN_HEADS)})
    book.text(ws, f"{lab}9", "Helper: the floor rent in closed form (-K0/K1) with one input moved per row", SECTION)
    header(ws, TOP - 1, ["Evaluation", "Input moved", "Moved value", *CHAIN_FIELDS, *CHAIN_HEADS.values()], col=c0)
    h_top = TOP
    evals: list[tuple[str, str, str, float, str | None]] = []  # label, field formula, value formula, value, field

    tornado: list[tuple[str, float, float, float, float, float]] = []  # input, value, low, high, floor low, high
    for j, name in enumerate(CHAIN_FIELDS):
        r = TOP + j
        v = float(a[name])
        low, high, _ = moved_values(name, v, swing)
        f_lo = scalar(floor_rent(a.replace(**{name: explicit(low)})))
        f_hi = scalar(floor_rent(a.replace(**{name: explicit(high)})))
        tornado.append((name, v, low, high, f_lo, f_hi))
        book.text(ws, f"{uns['input']}{r}", name)
        book.formula(ws, f"{uns['value']}{r}", f"={name}", v, NUM2)
        book.formula(ws, f"{uns['low']}{r}", _moved_formula(name, "low", input_rows[name]), low, NUM2)
        book.formula(ws, f"{uns['high']}{r}", _moved_formula(name, "high", input_rows[name]), high, NUM2)
        book.formula(ws, f"{uns['out_low']}{r}", f"={col['floor']}{h_top + 2 * j}", f_lo, USD2)
        book.formula(ws, f"{uns['out_high']}{r}", f"={col['floor']}{h_top + 2 * j + 1}", f_hi, USD2)
        book.formula(ws, f"{uns['swing']}{r}", f"=ABS({uns['out_high']}{r}-{uns['out_low']}{r})", abs(f_hi - f_lo),
                     USD2)
        evals.append((f"{name} low", f"={uns['input']}{r}", f"={uns['low']}{r}", low, name))
        evals.append((f"{name} high", f"={uns['input']}{r}", f"={uns['high']}{r}", high, name))
    # rank: larger swings first, ties in the table's order (as the engine's stable sort)
    order = sorted(range(m), key=lambda j: (-abs(tornado[j][5] - tornado[j][4]), j))
    sw = f"${uns['swing']}${TOP}:${uns['swing']}${bot}"
    for j in range(m):
        r = TOP + j
        x = f"{uns['swing']}{r}"
        book.formula(ws, f"{uns['rank']}{r}", f"=SUMPRODUCT(({sw}>{x})*1)+SUMPRODUCT((${uns['swing']}${TOP}:{x}={x})*1)",
                     float(order.index(j) + 1), "0")
    rank = f"${uns['rank']}${TOP}:${uns['rank']}${bot}"
    spill_top, spill_bot = TOP, TOP + m - 1
    for k, j in enumerate(order):
        r = TOP + k
        name, v, low, high, f_lo, f_hi = tornado[j]
        book.text(ws, f"J{r}", k + 1)  # the position: the row with this rank
        pick = f"MATCH($J{r},{rank},0)"
        for out_col, key, value, fmt in (("A", "input", name, None), ("B", "value", v, NUM2), ("C", "low", low, NUM2),
                                         ("D", "high", high, NUM2), ("E", "out_low", f_lo, USD2),
                                         ("F", "out_high", f_hi, USD2), ("G", "swing", abs(f_hi - f_lo), USD2)):
            src = f"${uns[key]}${TOP}:${uns[key]}${bot}"
            book.formula(ws, f"{out_col}{r}", f"=INDEX({src},{pick})", value, fmt)
        book.formula(ws, f"H{r}", f"=E{r}-tornado_base_usd_per_gpu_hour", f_lo - base, USD2)
        book.formula(ws, f"I{r}", f"=F{r}-tornado_base_usd_per_gpu_hour", f_hi - base, USD2)
        found = name in set(t["input"])
        for q, (x, fmt) in enumerate(((low, NUM2), (high, NUM2), (f_lo, USD2), (f_hi, USD2))):
            src, own = "LMNO"[q], "CDEF"[q]
            where = f"MATCH($A{r},$K${spill_top}:$K${spill_bot},0)"
            # the spill's header is an error without the add-in: so is this cell (never the native value instead)
            book.formula(ws, f"{'RSTU'[q]}{r}", f"=IF(ISERROR($K${TOP - 1}),$K${TOP - 1},IF(ISNA({where}),{own}{r},"
                                                f"INDEX(${src}${spill_top}:${src}${spill_bot},{where})))",
                         _addin_value(t, name, q) if found else x, fmt)
    # the add-in spill: header and its rows, the range sized for every input (#N/A below the last row)
    spill: list[list[object]] = [["input", "low", "high", "output_at_low", "output_at_high", "swing"]]
    for rec in t.itertuples(index=False):
        row: list[object] = [str(rec.input), float(rec.low), float(rec.high)]
        row += [float(x) if np.isfinite(x) else cell_error(rec.note or "no floor to show", ERR_NUM)
                for x in (rec.output_at_low, rec.output_at_high, rec.swing)]
        spill.append(row)
    spill += [["#N/A"] * 6 for _ in range(m + 1 - len(spill))]
    book.array(ws, f"K{TOP - 1}", m + 1, 6, formula, spill, NUM2)

    # break-even utilization
    rent = c.rent
    be = breakeven_utilization_detail(a, rent)
    be_frac = float(be.frac)
    be_reason = str(be.reason)
    full = a.replace(utilization_frac=1.0)
    at_be = a.replace(utilization_frac=explicit(be_frac)) if np.isfinite(be_frac) else a
    r0 = h_top + 2 * m
    evals.append(("nothing moved", '=""', "=0", 0.0, None))
    evals.append(("utilization 100%", '="utilization_frac"', "=1", 1.0, "utilization_frac"))
    evals.append(("utilization at the break-even", '="utilization_frac"',
                  "=IF(ISNUMBER(breakeven_utilization_frac),breakeven_utilization_frac,utilization_frac)",
                  float(at_be.utilization_frac), "utilization_frac"))
    for k, (label, ffield, fval, value, name) in enumerate(evals):
        r = h_top + k
        moved = a if name is None else (full if label == "utilization 100%" else
                                        at_be if label.startswith("utilization at") else
                                        a.replace(**{name: explicit(value)}))
        book.text(ws, f"{lab}{r}", label)
        book.formula(ws, f"{fld}{r}", ffield, name or "")
        book.formula(ws, f"{mov}{r}", fval, float(moved[name]) if name else 0.0, NUM2)
        for f in CHAIN_FIELDS:
            book.formula(ws, f"{col[f]}{r}", f'=IF(${fld}{r}="{f}",${mov}{r},{f})', float(moved[f]), NUM2)
        vals = _chain(moved)
        for key, formula, fmt in _chain_formulas(col, r):
            book.formula(ws, f"{col[key]}{r}", formula, vals[key], fmt)

    r = bot + 3
    book.text(ws, f"A{r}", "Break-even utilization at the model rent (floor linear in 1 / utilization: "
                           "floor at 100% / rent)", SECTION)
    book.text(ws, f"K{r}", "Add-in", SECTION)
    r += 1
    rows = {}
    items = [
        ("rent", None, "Rent (Inputs)", "=rent_usd_per_gpu_hour", rent, USD2, None),
        ("full", "floor_at_full_utilization_usd_per_gpu_hour", "Floor rent at 100% utilization (helper row)",
         f"={col['floor']}{r0 + 1}", float(floor_rent(full)), USD2, None),
        ("be", "breakeven_utilization_frac", "Break-even utilization",
         "=IF(AND(rent_usd_per_gpu_hour>0,floor_at_full_utilization_usd_per_gpu_hour>0,"
         "floor_at_full_utilization_usd_per_gpu_hour<=rent_usd_per_gpu_hour),"
         "floor_at_full_utilization_usd_per_gpu_hour/rent_usd_per_gpu_hour,NA())", or_na(be_frac), PCT3,
         "=BREAKEVEN_UTILIZATION(system_name,rent_usd_per_gpu_hour,hurdle_irr_annual,assumptions)"),
        ("note", "breakeven_utilization_note", "Why none is shown (blank when it is)",
         '=IF(ISNUMBER(breakeven_utilization_frac),"",IF(floor_at_full_utilization_usd_per_gpu_hour<=0,'
         '"the hurdle is earned at any utilization","needs more than 100% utilization"))',
         _short_reason(be_reason), None, None),
        ("roundtrip", "floor_at_breakeven_usd_per_gpu_hour",
         "Floor rent at the break-even utilization (helper row; = the rent)", f"={col['floor']}{r0 + 2}",
         float(floor_rent(at_be)), USD2, None),
    ]
    for key, name, label, formula, value, fmt, addin in items:
        book.text(ws, f"A{r}", label)
        book.formula(ws, f"B{r}", formula, value, fmt)
        if name:
            book.name(name, ws.title, f"B{r}")
        if addin:
            book.formula(ws, f"K{r}", addin, be_frac if np.isfinite(be_frac) else cell_error(be_reason, ERR_NUM),
                         fmt)
        rows[key] = r
        r += 1
    ws[f"B{rows['be']}"].font = BOLD

    chart = BarChart()
    chart.type = "bar"
    chart.grouping = "clustered"
    chart.overlap = 100
    chart.gapWidth = 40
    chart.title = "Tornado: floor rent, change from the base (USD/GPU-hr)"
    chart.y_axis.title = "Floor rent minus base (USD/GPU-hr)"
    chart.y_axis.number_format = '"$"0.00'
    chart.x_axis.scaling.orientation = "maxMin"  # largest swing on top
    chart.x_axis.tickLblPos = "low"
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    data = Reference(ws, min_col=8, max_col=9, min_row=TOP - 1, max_row=bot)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=TOP, max_row=bot))
    for s, color in zip(chart.series, ("C00000", "1F4E79"), strict=True):
        s.graphicalProperties.solidFill = color
        s.graphicalProperties.line.solidFill = color
    chart.height, chart.width = 12, 20
    chart.legend.position = "b"
    ws.add_chart(chart, f"A{r + 2}")
    ws.freeze_panes = f"B{TOP}"
    sums = (sum(x[2] + x[3] for x in tornado), sum(x[4] + x[5] for x in tornado))
    return {"table": t, "sums": sums, "base": base, "top": TOP, "bot": bot, "rows": rows, "be": be_frac, "rent": rent,
            "helper_base": f"{col['floor']}{r0}", "floor_at_be": float(floor_rent(at_be))}


def _addin_value(t, name: str, q: int) -> float:
    """The engine's low, high, output_at_low or output_at_high (``q`` 0..3) of an input's tornado row."""
    rec = t.set_index("input").loc[name]
    return float(rec[("low", "high", "output_at_low", "output_at_high")[q]])


def _short_reason(reason: str) -> str:
    """The native note's text: the engine's reason up to its figures ('' where there is a break-even)."""
    short = reason.split(":")[0].split(" (")[0]
    assert short in NO_BREAKEVEN | {""}, reason
    return short


def decision_checks(tok: dict, sens: dict):
    """The Checks rows of the Tokens and Sensitivity sheets (``write_checks``' ``extra``)."""
    def write(book: Book, ws, r: int) -> int:
        r = check_section(book, ws, r, "Tokens and Sensitivity: add-in vs native", ADDIN_HEADS)
        tr = tok["rows"]
        for label, key, name, fmt in [("Tokens: blended price", "price", "token_price_usd_per_mtok", USD2),
                                      ("Tokens: cost per MTok, owner (TCO)", "owner", "token_cost_owner_usd_per_mtok",
                                       USD2),
                                      ("Tokens: cost per MTok, renter (rent)", "renter",
                                       "token_cost_renter_usd_per_mtok", USD2),
                                      ("Tokens: margin, owner", "margin_owner", "token_margin_owner_frac", PCT1),
                                      ("Tokens: margin, renter", "margin_renter", "token_margin_renter_frac", PCT1)]:
            addin_check(book, ws, r, label, f"Tokens!E{tr[key]}", name, tok[key], fmt)
            r += 1
        addin_check(book, ws, r, "Break-even utilization", f"Sensitivity!K{sens['rows']['be']}",
                    "breakeven_utilization_frac", or_na(sens["be"]), PCT3)
        r += 1
        top, bot = sens["top"], sens["bot"]
        for label, acols, ncols, total in [
                ("Tornado: low and high values (all rows)", "R{0}:S{1}", "C{0}:D{1}", sens["sums"][0]),
                ("Tornado: floor at low and high (all rows)", "T{0}:U{1}", "E{0}:F{1}", sens["sums"][1])]:
            range_check(book, ws, r, label, "Sensitivity!" + acols.format(top, bot),
                        "Sensitivity!" + ncols.format(top, bot), total, NUM2)
            r += 1
        r = check_section(book, ws, r, "Tokens and Sensitivity: native consistency", NATIVE_HEADS)
        target = float(tok["target"])
        hit_ok = np.isfinite(tok["hit"])
        native_check(book, ws, r, "Tokens: blended price at the solved cache hit = target",
                     '=IFERROR(token_price_at_target_hit,"no rate")', "=target_price_usd_per_mtok", target, target, USD2)
        if not hit_ok:
            book.cached[(ws.title, f"B{r}")] = "no rate"
        _if_number(book, ws, r, "cache_hit_for_target_frac", "token_price_at_target_hit", hit_ok)
        r += 1
        native_check(book, ws, r, "Tornado helper with nothing moved = floor rent", f"=Sensitivity!{sens['helper_base']}",
                     "=floor_rent_usd_per_gpu_hour", sens["base"], sens["base"], USD2)
        r += 1
        be_ok = np.isfinite(sens["be"])
        native_check(book, ws, r, "Floor rent at the break-even utilization = rent", "=floor_at_breakeven_usd_per_gpu_hour",
                     "=rent_usd_per_gpu_hour", sens["floor_at_be"], sens["rent"], USD2)
        _if_number(book, ws, r, "breakeven_utilization_frac", None, be_ok)
        return r + 1
    return write


def _if_number(book: Book, ws, r: int, guard: str, value_name: str | None, ok: bool) -> None:
    """A native check that applies only where ``guard`` is a number (else OK: the sheet says why there is none)."""
    b = value_name or f"B{r}"
    book.formula(ws, f"D{r}", f'=IF(ISNUMBER({guard}),ROUND({b}-C{r},difference_decimals),"")',
                 book.cached[(ws.title, f"D{r}")] if ok else "", "0.0E+00")
    book.formula(ws, f"E{r}", f'=IF(ISNUMBER({guard}),IF(ABS({b}-C{r})<=check_tolerance*ABS(C{r}),"OK","ERROR"),'
                              '"OK")', "OK")
