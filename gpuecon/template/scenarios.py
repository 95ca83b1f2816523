"""The Scenarios sheet: ten scenarios as inputs, each output column computed twice, once as one
array formula of the add-in (columns K:O) and once by built-in formulas (P:T, with the helper
columns U:AO: catalog row, capex, opex, months, annuity, K0/K1, the flow levels, IRR of the flows);
``DEFAULT_SCENARIOS`` is the table written by ``gpuecon export``.
"""

from __future__ import annotations

import numpy as np
from openpyxl.utils import get_column_letter

from ..engine.assumptions import HOURS_PER_MONTH, Assumptions
from ..engine.catalog import catalog_frame, get_system
from ..engine.finance import monthly_rate
from ..engine.model import (
    cash_flows,
    ceiling_rent,
    floor_rent,
    flow_annuities,
    flow_levels,
    normalize_basis,
    npv_coefficients,
    performance,
    project_irr,
    project_terms,
    socamm_cost,
    tco_breakdown,
)
from .book import Book, catalog_range, header, input_style, widths
from .calc import GLOBAL_FIELDS, Calc, irr_annual_any, or_na, scalar
from .styles import NOTE, NUM0, NUM2, NUM6, PCT1, PCT3, SECTION, TITLE, USD0, USD2

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


def write_scenarios(book: Book, c: Calc, scenarios) -> dict[str, str]:
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
    header(ws, 5, heads)
    ws.row_dimensions[5].height = 45
    cat = catalog_frame()
    cr = catalog_range

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
                input_style(ws[ref])
        label, system, rent, hurdle, term, prepay, usd_gb, margin, price, basis = sc
        a = Assumptions(system, **{**glob, "hurdle_irr_annual": hurdle, "contract_term_years": term,
                                   "prepay_frac_contract": prepay})
        t = project_terms(a)
        i_h = scalar(monthly_rate(hurdle))
        k0, k1 = (scalar(x) for x in npv_coefficients(t, np.asarray(i_h)))
        lv = flow_levels(t, rent)
        s = get_system(system)
        gb = s.figures["cpu_mem_gb_per_gpu"] if s.cpu_mem_socamm else 0.0
        key = normalize_basis(basis)
        h = {
            "row": float(int(np.flatnonzero(cat["name"].to_numpy() == system)[0]) + 1),
            "capex": scalar(t.capex), "opex": scalar(t.opex_month), "T": scalar(t.T), "N": scalar(t.N), "i": i_h,
            "ann": scalar(flow_annuities(t, i_h)[1]), "k1": k1, "k0": k0,
            "c0": scalar(lv.month0), "M": scalar(lv.service), "D": scalar(lv.shield), "Z": scalar(lv.end),
            "perf": scalar(performance(a, key)), "gb": gb, "hours": HOURS_PER_MONTH * float(a.utilization_frac),
            "L": scalar(t.L), "lag": scalar(lv.lag), "dw": scalar(t.dep_whole_months), "ds": scalar(t.dep_stub_frac),
            "irr_raw": irr_annual_any(cash_flows(a, rent)),
        }
        helpers.append(h)
        results["tco"].append(scalar(tco_breakdown(a)["total"]))
        results["floor"].append(scalar(floor_rent(a)))
        results["irr"].append(scalar(project_irr(a, rent)))
        results["ceil"].append(scalar(ceiling_rent(a, price, key)))
        results["socamm"].append(scalar(socamm_cost(gb, usd_gb, margin)))
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
                   f'{idx("tflops_fp4_sparse")}/tflops_per_pflops,{idx("mem_bw_tb_per_s")})*effective_perf_frac', h["perf"], NUM2),
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
                                  f"IF(AO{r}>irr_cap_annual,NA(),AO{r}))", or_na(results["irr"][i]), PCT1)
    widths(ws, {"A": 26, "B": 14, **{get_column_letter(j): 12 for j in range(3, 41)}})
    ws.freeze_panes = "C6"
    ws.print_area = f"A1:T{bot}"
    return {"top": str(top), "bot": str(bot), **{k: sum(v) for k, v in results.items()}}


