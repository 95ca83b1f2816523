"""The Model (native) sheet: the model in built-in formulas only (capex by part and per watt, TCO by
item, performance and TCO per unit-hour by basis, ceiling, SOCAMM, project terms, the floor rent in
closed form ``-K0/K1`` and the headroom) and the monthly cash-flow schedule (months 0-480) with the
project IRR, its note and NPV; every result a defined name, every cached value from the engine.
"""

from __future__ import annotations

import math

import numpy as np

from ..engine.assumptions import HOURS_PER_MONTH
from ..engine.finance import (
    IRR_ABOVE_CAP,
    IRR_FINANCING,
    IRR_NEVER_RECOVERS,
    IRR_NO_OUTLAY,
    IRR_NO_SIGN_CHANGE,
    IRR_REASONS,
    capital_recovery_factor,
    monthly_rate,
)
from ..engine.model import (
    capex_breakdown_usd_per_gpu,
    cash_flows,
    ceiling_rent,
    floor_rent,
    flow_annuities,
    headroom_frac,
    npv_coefficients,
    project_irr,
    project_irr_detail,
    project_npv,
    project_terms,
    socamm_cost,
    tco_breakdown,
)
from ..engine.numbers import explicit
from ..engine.schedule import project_schedule
from .book import Book, Rows, header, widths
from .calc import BASIS_FIELD, BASIS_ORDER, SCHEDULE_MONTHS, Calc, irr_annual_any, irr_note_cached, scalar
from .styles import BOLD, NOTE, NUM2, NUM6, PCT1, PCT3, SECTION, TITLE, USD0, USD2


def write_native(book: Book, c: Calc) -> dict[str, object]:
    ws = book.ws("Model (native)")
    a = c.a
    widths(ws, {"A": 44, "B": 15, "C": 19, "D": 34, "E": 3})
    book.text(ws, "A1", "Model (native formulas only)", TITLE)
    book.text(ws, "A2", "Built-in functions only: computes in Excel 2016+, LibreOffice and Google Sheets without "
                        "the add-in. Column D names each result (a defined name). Schedule from column F.", NOTE)
    header(ws, 3, ["Quantity", "Value", "Unit", "Defined name"])
    R = Rows(book, ws, 3)
    out: dict[str, object] = {}

    cap = {k: scalar(v) for k, v in capex_breakdown_usd_per_gpu(a).items()}
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

    tco = {k: scalar(v) for k, v in tco_breakdown(a).items()}
    coc_m = scalar(monthly_rate(a.cost_of_capital_annual))
    life_m = float(a.useful_life_years) * 12.0
    R.section("TCO per GPU-hour")
    R.row("cost_of_capital_monthly", "Cost of capital, monthly", "=(1+cost_of_capital_annual)^(1/months_per_year)-1",
          coc_m, "monthly rate", PCT3)
    R.row("life_months", "Useful life", "=useful_life_years*months_per_year", life_m, "months", "0.0")
    R.row("capital_recovery_factor", "Capital recovery factor (monthly)", "=PMT(cost_of_capital_monthly,life_months,-1)",
          scalar(capital_recovery_factor(coc_m, life_m)), "per month", NUM6)
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
    R.section("Performance (marketed x effective_perf_frac), TCO and rent per unit-hour by basis")
    header(ws, R.r, ["Basis", "Per GPU", "Unit", ""])
    R.r += 1
    b0 = R.r
    perf: dict[str, object] = {}
    for key in BASIS_ORDER:
        fld = BASIS_FIELD[key]
        raw, eff = float(a[fld]), float(a.effective_perf_frac)  # delivered = marketed x effective_perf_frac
        r = R.r
        book.text(ws, f"A{r}", key)
        if key == "MEM_BW":
            p = raw * eff if raw > 0 else "not marketed"
            book.formula(ws, f"B{r}", f'=IF(N({fld})>0,{fld}*effective_perf_frac,"not marketed")', p, NUM2)
            unit = "TB/s"
        else:
            p = raw / 1000.0 * eff if raw > 0 else "not marketed"
            book.formula(ws, f"B{r}", f'=IF(N({fld})>0,{fld}/tflops_per_pflops*effective_perf_frac,"not marketed")',
                         p, NUM2)
            unit = "PFLOPS"
        perf[key] = p
        book.text(ws, f"C{r}", unit)
        R.r += 1
    book.name("basis_names", ws.title, f"A{b0}:A{R.r - 1}")
    book.name("basis_perf", ws.title, f"B{b0}:B{R.r - 1}")
    # TCO and rent per unit-hour: a second small table below (keeps columns A:D)
    header(ws, R.r, ["Basis", "TCO per unit-hour", "Unit", "Rent per unit-hour at the model rent"])
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
    ceil = scalar(ceiling_rent(a, c.price, c.basis))
    R.row("ceiling_rent_usd_per_gpu_hour", "Ceiling rent", "=ceiling_usd_per_pflop_hour*perf_at_basis", ceil,
          "USD/GPU-hr")
    rpp = c.rent / psel if not isinstance(psel, str) else "#N/A"
    R.row("rent_per_unit_hour", "Model rent per PFLOP-hour (TB/s-hour for MEM_BW)", "=rent_usd_per_gpu_hour/perf_at_basis",
          rpp, "USD/PFLOP-hr", USD2)
    gb, usd, m = float(a.socamm_gb_per_gpu), float(a.socamm_usd_per_gb), float(a.socamm_gross_margin_frac)
    R.row("socamm_cost_usd_per_gpu", "SOCAMM cost to the vendor", "=socamm_gb_per_gpu*socamm_usd_per_gb",
          scalar(socamm_cost(gb, usd, 0.0)), "USD/GPU")
    R.row("socamm_price_usd_per_gpu", "SOCAMM price at the vendor's gross margin",
          "=socamm_gb_per_gpu*socamm_usd_per_gb/(1-socamm_gross_margin_frac)", scalar(socamm_cost(gb, usd, m)), "USD/GPU")

    t = project_terms(a)
    hur = float(a.hurdle_irr_annual)
    i_h = scalar(monthly_rate(hur))
    T, L, N = scalar(t.T), scalar(t.L), scalar(t.N)
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
          scalar(t.prepay_per_rent), "USD per USD/GPU-hr", NUM2)
    R.row("monthly_per_rent", "Monthly revenue per $1/GPU-hr of rent", "=(1-prepay_frac_contract)*billed_hours_per_month",
          scalar(t.monthly_per_rent), "USD per USD/GPU-hr", NUM2)
    R.row("opex_per_month", "Opex per billed month (TCO without capital)",
          "=(tco_power+tco_colocation+tco_maintenance+tco_other)*hours_per_month", scalar(t.opex_month), "USD/GPU")
    R.row("lag_cost_per_month", "Cost per lag month (colocation: capacity reserved)",
          "=it_w_per_gpu/w_per_kw*colocation_usd_per_kw_month", scalar(t.lag_cost_month), "USD/GPU")
    R.row("depreciation_per_month", "Straight-line depreciation per month (from the first billed month)",
          "=capex_total/life_months", scalar(t.dep_month), "USD/GPU")
    R.row("depreciation_months", "Whole months depreciated within the term",
          "=MIN(INT(life_months),term_months)", scalar(t.dep_whole_months), "months", "0")
    R.row("depreciation_stub_frac", "Share of a month depreciated in the stub month after them",
          "=IF(INT(life_months)<term_months,life_months-INT(life_months),0)",
          scalar(t.dep_stub_frac), "month", NUM6)
    book_end = scalar(t.book_end)
    R.row("book_value_end", "Book value at the end", "=capex_total*MAX(0,1-term_months/life_months)",
          book_end, "USD/GPU")
    res = float(a.residual_value_frac_capex) * capex
    R.row("residual_usd", "Residual value at the end", "=residual_value_frac_capex*capex_total", res, "USD/GPU")
    R.row("residual_after_tax", "Residual after tax on the gain over book",
          "=residual_usd-tax_rate_frac*(residual_usd-book_value_end)", scalar(t.end_value), "USD/GPU")

    k0, k1 = (scalar(x) for x in npv_coefficients(t, np.asarray(i_h)))
    fl = scalar(floor_rent(a))
    billed_ann, shield = (scalar(x) for x in flow_annuities(t, i_h)[1:])
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
    k0_2x = scalar(npv_coefficients(project_terms(a.replace(
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
    head = scalar(headroom_frac(a, c.price, c.basis))
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
    header(ws, 4, list(sc.values()), col=6)
    ws.row_dimensions[4].height = 45
    for col in sc:
        if col != "F":
            ws.column_dimensions[col].width = 13
    ws.column_dimensions["F"].width = 7
    rent = c.rent
    sched = project_schedule(a, rent, months=SCHEDULE_MONTHS)  # the engine's lines: the cells' cached values
    months = sched["month"].to_numpy()
    billed, depf = sched["billed"].to_numpy(), sched["depreciated_share"].to_numpy()
    capex_col, prepay_col = sched["capex_usd"].to_numpy(), sched["prepay_usd"].to_numpy()
    rev, opex, dep = sched["rent_revenue_usd"].to_numpy(), sched["opex_usd"].to_numpy(), sched["depreciation_usd"].to_numpy()
    resid, taxc, cf_engine = sched["residual_usd"].to_numpy(), sched["tax_usd"].to_numpy(), sched["net_usd"].to_numpy()
    per_rent, excl = sched["net_per_rent"].to_numpy(), sched["net_excl_rent_usd"].to_numpy()
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

    irr_model = scalar(project_irr(a, rent))
    npv_model = scalar(project_npv(a, rent))
    R.section("Project at the model rent (from the schedule)")
    R.row("model_rent", "Rent (Inputs)", "=rent_usd_per_gpu_hour", rent, "USD/GPU-hr")
    detail = project_irr_detail(a, rent)
    flows = np.asarray(cash_flows(a, rent), float).reshape(-1)
    first_flow = float(flows[np.flatnonzero(flows)[0]]) if np.any(flows) else 0.0
    raw = irr_annual_any(flows)
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
          irr_note_cached(detail), "text")
    R.row("project_npv", "NPV at the hurdle", f"=P{top}+NPV(hurdle_monthly,P{top + 1}:P{bot})", npv_model, "USD/GPU")
    R.row("project_npv_closed_form", "NPV at the hurdle, closed form", "=npv_k0+rent_usd_per_gpu_hour*npv_k1",
          k0 + rent * k1, "USD/GPU")
    # the formula is IRR of the flows at the floor whatever their sign pattern (100% prepay: financing-type
    # flows, which the engine does not show as a return, still have the hurdle as their rate)
    irr_floor = irr_annual_any(cash_flows(a, fl))
    R.row("irr_at_floor", "Project IRR at the floor rent (should equal the hurdle)",
          "=(1+IRR(cash_flow_excl_rent+floor_rent_usd_per_gpu_hour*cash_flow_per_rent,hurdle_monthly))^months_per_year-1",
          irr_floor, "annual rate", PCT3, array=True)
    R.row("schedule_last_month", "Last month in the schedule", "=MAX(schedule_month)", float(SCHEDULE_MONTHS), "months")
    ws.freeze_panes = "A4"
    ws.print_area = f"A1:R{max(R.r, bot)}"
    out.update(capex=capex, tco=tco, floor=fl, ceiling=ceil, head=head, irr=irr_model, npv=npv_model, rpp=rpp,
               socamm=scalar(socamm_cost(gb, usd, m)), irr_floor=irr_floor, k0=k0, k1=k1)
    return out


