"""The Financing sheet: GPU-backed debt in built-in formulas beside the add-in.

A level loan (``debt_amortization="level"``, interest paid from month 1, the engine's defaults) of
``debt_ltv_frac x capex_total`` at ``debt_rate_annual / 12`` over ``debt_tenor_years x 12`` months:
the monthly schedule (months 0-480) with ``IPMT``/``PPMT``/``PMT`` and the closing balance
``PV(i, n - t, -payment)``, CFADS (the project cash flow of Model (native)), DSCR, the interest tax
shield and the equity cash flows; from them the equity IRR ``=(1+IRR(monthly))^12-1``, the minimum
DSCR, the max LTV at ``debt_min_dscr`` (closed form ``PV(i, n, -MIN(CFADS)/target) / capex``) and
the payback month. Beside them the add-in's ``EQUITY_IRR``, ``MIN_DSCR``, ``MAX_LTV``,
``PAYBACK_MONTHS`` and the ``DEBT_SCHEDULE`` table, each with the engine's value cached.
Conventions: docs/financing.md; the sheet: docs/templates.md.
"""

from __future__ import annotations

import math

import numpy as np
from openpyxl.utils import column_index_from_string, get_column_letter

from ..engine import financing
from ..engine.assumptions import FIELDS
from ..excel import finance_functions
from .book import Book, Rows, header, widths
from .calc import SCHEDULE_MONTHS, Calc, irr_annual_any, scalar
from .checks import ADDIN_HEADS, NATIVE_HEADS, addin_check, check_section, native_check, range_check
from .styles import BOLD, NOTE, NUM2, PCT1, PCT3, SECTION, TITLE, USD0

SHEET = "Financing"
TOP = 5  # first schedule row (month 0)
#: schedule columns: letter -> header
COLUMNS = {"F": "Month", "G": "Opening balance", "H": "Interest (IPMT)", "I": "Principal (PPMT)",
           "J": "Debt service (PMT)", "K": "Closing balance", "L": "CFADS (project cash flow)", "M": "DSCR",
           "N": "Interest tax shield", "O": "Equity cash flow", "P": "Cumulative project cash flow",
           "Q": "Cumulative equity cash flow"}
ADDIN_COL = "S"  # DEBT_SCHEDULE's top-left (its header on the schedule's header row)
ADDIN_ARGS = "system_name,rent_usd_per_gpu_hour,debt_ltv_frac,debt_rate_annual,debt_tenor_years,assumptions"


def _pad(x, width: int = SCHEDULE_MONTHS + 1) -> np.ndarray:
    """A schedule column padded with zeros to the sheet's months 0..480."""
    x = np.asarray(x, float).reshape(-1)
    return np.concatenate([x, np.zeros(width - x.size)])


def _na_or(x: float, reason: str) -> object:
    """The add-in's cell: the number, or ``#NUM! <reason>`` (what the add-in shows)."""
    return x if math.isfinite(x) else "#NUM! " + " ".join(reason.split())


def write_financing(book: Book, c: Calc) -> dict:
    """Write the Financing sheet; returns the values and cell references the checks and Asset value use."""
    ws = book.ws(SHEET)
    a, rent = c.a, c.rent
    widths(ws, {"A": 44, "B": 15, "C": 14, "D": 34, "E": 3})
    book.text(ws, "A1", "Financing: GPU-backed debt and equity returns", TITLE)
    book.text(ws, "A2", "Level loan of debt_ltv_frac x capex at debt_rate_annual/12 (nominal) over debt_tenor_years, "
                        "paid from month 1; built-in formulas (PMT, IPMT, PPMT, PV, IRR) beside the add-in. "
                        "Schedule from column F, the add-in's DEBT_SCHEDULE from column S.", NOTE)
    header(ws, 3, ["Quantity", "Value", "Unit", "Defined name / formula"])
    R = Rows(book, ws, 3)
    s = financing.debt_schedule_arrays(a, rent)
    loan, capex = scalar(s.loan_usd), scalar(s.capex_usd)
    i_m, n = float(a.debt_rate_annual) / 12.0, scalar(s.tenor_months)
    pay = float(s.debt_service_usd.reshape(-1)[1]) if n >= 1 else 0.0

    R.section("Debt terms (Inputs)")
    R.row("loan_usd", "Loan drawn at month 0", "=debt_ltv_frac*capex_total", loan, "USD/GPU")
    R.row("debt_rate_monthly", "Monthly rate (nominal annual / 12)", "=debt_rate_annual/months_per_year", i_m,
          "monthly rate", PCT3)
    R.row("debt_tenor_months", "Tenor", "=ROUND(debt_tenor_years*months_per_year,0)", n, "months")
    R.row("debt_payment", "Level payment, months 1..tenor", "=PMT(debt_rate_monthly,debt_tenor_months,-loan_usd)",
          pay, "USD/GPU")

    bot = TOP + SCHEDULE_MONTHS
    rng = {k: f"{k}{TOP}:{k}{bot}" for k in COLUMNS}
    equity = _pad(s.equity_usd)
    eq = financing.equity_irr_detail(a, rent)
    eq_annual, eq_reason = scalar(eq.annual), str(np.asarray(eq.reason).reshape(-1)[0])
    raw = irr_annual_any(equity)
    first = float(equity[np.flatnonzero(equity)[0]]) if np.any(equity) else 0.0
    dmin = scalar(financing.min_dscr(a, rent))
    ml = financing.max_ltv_detail(a, rent)
    ml_frac, ml_reason = scalar(ml.frac), str(np.asarray(ml.reason).reshape(-1)[0])
    pb = financing.payback_detail(a, rent)
    pb_months, pb_reason = scalar(pb.months), str(np.asarray(pb.reason).reshape(-1)[0])

    R.section("Results from the schedule (built-in formulas)")
    R.row("equity_first_flow", "First non-zero equity cash flow (an inflow first: no IRR as a return)",
          f"=INDEX({rng['O']},MATCH(TRUE,{rng['O']}<>0,0))", first, "USD/GPU", array=True)
    # A unique IRR (else Excel's IRR would pick one of several roots, where the engine shows none): the flows
    # change sign once (Descartes), or the cumulative flows do (Norstrom: one positive root) and the last flow is
    # an inflow (no root at a negative rate, where a final outflow would put one)
    neg, cneg = equity < 0, np.cumsum(equity) < 0
    changes, cchanges = float(np.sum(neg[1:] != neg[:-1])), float(np.sum(cneg[1:] != cneg[:-1]))
    last = float(equity[np.flatnonzero(equity)[-1]]) if np.any(equity) else 0.0
    R.row("equity_sign_changes", "Sign changes of the equity flows (a zero counts as >= 0)",
          f"=SUMPRODUCT(((O{TOP}:O{bot - 1}<0)<>(O{TOP + 1}:O{bot}<0))*1)", changes, "count", "0")
    R.row("equity_cumulative_sign_changes", "Sign changes of the cumulative equity flows",
          f"=SUMPRODUCT(((Q{TOP}:Q{bot - 1}<0)<>(Q{TOP + 1}:Q{bot}<0))*1)", cchanges, "count", "0")
    R.row("equity_last_flow", "Last non-zero equity cash flow",
          f"=INDEX({rng['O']},MAX(IF({rng['O']}<>0,{rng['F']}+1)))", last, "USD/GPU", array=True)
    unique = changes <= 1 or (cchanges <= 1 and last > 0)
    raw = raw if unique else "#N/A"
    R.row("equity_irr_schedule", "IRR of the equity flows (annual effective; #N/A where it may not be unique)",
          "=IF(OR(equity_sign_changes<=1,AND(equity_cumulative_sign_changes<=1,equity_last_flow>0)),"
          f"(1+IRR({rng['O']},hurdle_monthly))^months_per_year-1,NA())", raw, "annual rate", PCT1)
    cached_irr = eq_annual if math.isfinite(eq_annual) and unique else ("#NUM!" if raw == "#NUM!" else "#N/A")
    R.row("equity_irr_annual", "Equity IRR (annual effective; #N/A where not a return or not unique)",
          "=IF(equity_first_flow>0,NA(),IF(equity_irr_schedule>irr_cap_annual,NA(),equity_irr_schedule))",
          cached_irr, "annual rate", PCT1)
    ws[f"B{R.r - 1}"].font = BOLD
    R.row("dscr_min_ratio", "Minimum DSCR over the months with debt service",
          f"=IF(COUNT({rng['M']})=0,NA(),MIN({rng['M']}))", dmin if math.isfinite(dmin) else "#N/A", "ratio", NUM2)
    R.row("ltv_max_frac", "Max LTV at debt_min_dscr: PV(i, n, -MIN(CFADS months 1..n)/target) / capex",
          f"=IF(MIN(IF(({rng['F']}>=1)*({rng['F']}<=debt_tenor_months),{rng['L']}))<=0,0,"
          f"PV(debt_rate_monthly,debt_tenor_months,-MIN(IF(({rng['F']}>=1)*({rng['F']}<=debt_tenor_months),"
          f"{rng['L']}))/debt_min_dscr)/capex_total)", ml_frac, "fraction", PCT1, array=True)
    R.row("payback_month", "Payback: first month the cumulative project cash flow is >= 0",
          f"=IFERROR(MATCH(1,({rng['P']}>=-payback_tolerance_frac_capex*capex_total)*({rng['F']}<=horizon_months),0)"
          "-1,NA())", pb_months if math.isfinite(pb_months) else "#N/A", "months", "0", array=True)
    R.row("principal_repaid_usd", "Principal repaid over the schedule (should equal the loan)",
          f"=SUM({rng['I']})", float(np.sum(s.principal_usd)), "USD/GPU")

    R.section("Through the add-in (needs the add-in; values saved from the engine)")
    addin = {}
    for key, label, formula, value, unit, fmt in [
        ("equity_irr", "EQUITY_IRR", f"=EQUITY_IRR({ADDIN_ARGS})", _na_or(eq_annual, eq_reason), "annual rate", PCT1),
        ("min_dscr", "MIN_DSCR", f"=MIN_DSCR({ADDIN_ARGS})", _na_or(dmin, "no debt service (a loan of 0)"), "ratio",
         NUM2),
        ("max_ltv", "MAX_LTV", "=MAX_LTV(system_name,rent_usd_per_gpu_hour,debt_min_dscr,debt_rate_annual,"
                               "debt_tenor_years,assumptions)", _na_or(ml_frac, ml_reason), "fraction", PCT1),
        ("payback", "PAYBACK_MONTHS", '=PAYBACK_MONTHS(system_name,rent_usd_per_gpu_hour,"",assumptions)',
         _na_or(pb_months, pb_reason), "months", "0"),
    ]:
        r = R.r
        book.text(ws, f"A{r}", label)
        book.formula(ws, f"B{r}", formula, value, fmt)
        book.text(ws, f"C{r}", unit)
        book.text(ws, f"D{r}", formula)
        addin[key] = f"B{r}"
        R.r += 1

    # the schedule
    book.text(ws, "F3", "Monthly debt schedule per GPU (USD; month 0 = signing; rows past the tenor and the horizon "
                        "are zero)", SECTION)
    header(ws, 4, list(COLUMNS.values()), col=6)
    ws.row_dimensions[4].height = 45
    for col in COLUMNS:
        ws.column_dimensions[col].width = 7 if col == "F" else 13
    opening, interest, principal = _pad(s.opening_usd), _pad(s.interest_usd), _pad(s.principal_usd)
    service, closing, cfads = _pad(s.debt_service_usd), _pad(s.closing_usd), _pad(s.cfads_usd)
    dscr = np.concatenate([np.asarray(s.dscr, float).reshape(-1), np.full(SCHEDULE_MONTHS + 1 - s.month.size, np.nan)])
    shield, cum, cum_equity = _pad(s.tax_shield_usd), np.cumsum(cfads), np.cumsum(equity)
    paying = "AND(F{r}>=1,F{r}<=debt_tenor_months)"
    for k in range(SCHEDULE_MONTHS + 1):
        r = TOP + k
        on = paying.format(r=r)
        if k == 0:
            book.text(ws, f"F{r}", 0)
            book.text(ws, f"G{r}", 0, fmt=USD0)
        else:
            book.formula(ws, f"F{r}", f"=F{r - 1}+1", float(k))
            book.formula(ws, f"G{r}", f"=K{r - 1}", opening[k], USD0)
        # -IPMT(..., +loan): Excel's sign convention, and `formulas` (gpuecon recalc) refuses a positive IPMT
        book.formula(ws, f"H{r}", f"=IF({on},-IPMT(debt_rate_monthly,F{r},debt_tenor_months,loan_usd),0)",
                     interest[k], USD0)
        book.formula(ws, f"I{r}", f"=IF({on},PPMT(debt_rate_monthly,F{r},debt_tenor_months,-loan_usd),0)",
                     principal[k], USD0)
        book.formula(ws, f"J{r}", f"=IF({on},debt_payment,0)", service[k], USD0)
        book.formula(ws, f"K{r}", f"=IF(F{r}<debt_tenor_months,PV(debt_rate_monthly,debt_tenor_months-F{r},"
                                  "-debt_payment),0)", closing[k], USD0)
        book.formula(ws, f"L{r}", f"=INDEX(cash_flow,F{r}+1)", cfads[k], USD0)
        book.formula(ws, f"M{r}", f'=IF(J{r}>0,L{r}/J{r},"")', dscr[k], NUM2)
        book.formula(ws, f"N{r}", f"=tax_rate_frac*H{r}", shield[k], USD0)
        book.formula(ws, f"O{r}", f"=L{r}+IF(F{r}=0,loan_usd,0)-J{r}+N{r}", equity[k], USD0)
        book.formula(ws, f"P{r}", f"=L{r}" if k == 0 else f"=P{r - 1}+L{r}", cum[k], USD0)
        book.formula(ws, f"Q{r}", f"=O{r}" if k == 0 else f"=Q{r - 1}+O{r}", cum_equity[k], USD0)
    for col, name in (("F", "debt_month"), ("I", "debt_principal"), ("J", "debt_service"), ("K", "debt_closing_balance"),
                      ("L", "cfads"), ("M", "dscr"), ("O", "equity_cash_flow"), ("P", "project_cumulative")):
        book.name(name, SHEET, rng[col])

    # the add-in's table beside the schedule (sized to the engine's schedule for these inputs)
    table = finance_functions.debt_schedule([[c.system]], [[rent]], [[float(a.debt_ltv_frac)]],
                                            [[float(a.debt_rate_annual)]], [[float(a.debt_tenor_years)]],
                                            [[k, v] for k, v in c.inputs.items() if k in FIELDS] or None)
    formula = f"=DEBT_SCHEDULE({ADDIN_ARGS})"
    book.text(ws, f"{ADDIN_COL}3", "The add-in: " + formula, SECTION)
    book.array(ws, f"{ADDIN_COL}4", len(table), len(table[0]), formula, table, USD0)
    for j, fmt in ((0, "0"), (7, NUM2), (9, PCT1)):  # month, DSCR, LTV
        letter = get_column_letter(column_index_from_string(ADDIN_COL) + j)
        for r in range(5, 4 + len(table)):
            ws[f"{letter}{r}"].number_format = fmt
    ws.freeze_panes = "A4"
    return {"loan": loan, "capex": capex, "equity_irr": cached_irr, "min_dscr": dmin, "max_ltv": ml_frac,
            "payback": pb_months, "principal": float(np.sum(s.principal_usd)), "addin": addin,
            "table_rows": len(table) - 1, "closing": closing, "interest": interest, "top": TOP, "bot": bot}


def financing_checks(fin: dict, asset: dict):
    """The Checks rows of the Financing and Asset value sheets (``write_checks``' ``extra``)."""
    def write(book: Book, ws, r: int) -> int:
        r = check_section(book, ws, r, "Financing and asset value: add-in vs native", ADDIN_HEADS)
        fq = f"'{SHEET}'!"
        a = fin["addin"]
        for label, key, name, value, fmt in [
                ("Equity IRR", "equity_irr", "equity_irr_annual", fin["equity_irr"], PCT1),
                ("Minimum DSCR", "min_dscr", "dscr_min_ratio", fin["min_dscr"], NUM2),
                ("Max LTV at debt_min_dscr", "max_ltv", "ltv_max_frac", fin["max_ltv"], PCT1),
                ("Payback month", "payback", "payback_month", fin["payback"], "0")]:
            value = value if isinstance(value, str) or math.isfinite(value) else "#N/A"
            addin_check(book, ws, r, label, fq + a[key], name, value, fmt)
            r += 1
        last = TOP + fin["table_rows"] - 1
        for label, acol, ncol, values in [("DEBT_SCHEDULE: interest by month", "U", "H", fin["interest"]),
                                          ("DEBT_SCHEDULE: closing balance by month", "X", "K", fin["closing"])]:
            range_check(book, ws, r, label, f"{fq}{acol}{TOP}:{acol}{last}", f"{fq}{ncol}{TOP}:{ncol}{last}",
                        float(np.sum(values[:fin["table_rows"]])), USD0)
            r += 1
        aq, t, b = "'Asset value'!", asset["top"], asset["bot"]
        range_check(book, ws, r, "GPU_VALUE by age (all rows)", f"{aq}G{t}:G{b}", f"{aq}F{t}:F{b}", asset["market"],
                    USD0)
        range_check(book, ws, r + 1, "BOOK_VALUE by age (all rows)", f"{aq}I{t}:I{b}", f"{aq}H{t}:H{b}",
                    asset["book"], USD0)
        r += 2
        for label, native, add, rate in asset["implied"]["cells"]:
            addin_check(book, ws, r, f"Implied discount rate, {label}", aq + add, aq + native,
                        rate if math.isfinite(rate) else "#N/A", PCT1)
            r += 1
        r = check_section(book, ws, r, "Financing: native consistency", NATIVE_HEADS)
        native_check(book, ws, r, "Principal repaid = loan", "=principal_repaid_usd", "=loan_usd", fin["principal"],
                     fin["loan"], USD0)
        return r + 1
    return write
