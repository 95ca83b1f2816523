"""``gpuecon debt``, ``gpuecon value``, ``gpuecon payback``: financing and what a GPU is worth (docs/financing.md).

No ``from __future__ import annotations`` here: typer reads the option types defined in ``register``.
"""


from pathlib import Path
from typing import Annotated

import typer

from .common import CliError, prepare_file, run

#: option -> engine keyword; every default is the engine's (gpuecon.engine.financing_inputs.FIELDS)
_DEBT = {"ltv": "debt_ltv_frac", "rate": "debt_rate_annual", "tenor": "debt_tenor_years",
         "min_dscr": "debt_min_dscr", "amortization": "debt_amortization", "lag_interest": "debt_lag_interest"}


def _given(**options: object) -> dict[str, object]:
    """The debt options that were given, as engine keywords (``None``: the engine's default)."""
    return {_DEBT[k]: v for k, v in options.items() if v is not None}


def register(app: typer.Typer) -> None:
    from ..engine import financing, model, valuation
    from .main import JsonOpt, SetOpt, SystemArg, assumptions_for, emit
    from .main import RentArg as Rent
    from .main import option_number as num

    @app.command("debt")
    @run
    def debt_cmd(system: SystemArg, rent: Rent,
                 ltv: Annotated[str | None, typer.Option("--ltv", metavar="X", help="Loan / all-in capex (default 0.6)")] = None,
                 rate: Annotated[str | None, typer.Option("--rate", metavar="X", help="Nominal annual interest rate (default 10%, seed 003)")] = None,
                 tenor: Annotated[str | None, typer.Option("--tenor", metavar="YEARS", help="Loan tenor, years (default 4)")] = None,
                 amortization: Annotated[str | None, typer.Option("--amortization", metavar="KIND", help="level (default), straight, bullet or sculpted")] = None,
                 min_dscr: Annotated[str | None, typer.Option("--min-dscr", metavar="X", help="DSCR covenant for max LTV and sculpting (default 1.20)")] = None,
                 schedule: Annotated[Path | None, typer.Option("--schedule", metavar="FILE.csv", help="Also write the monthly debt schedule as CSV")] = None,
                 chart: Annotated[Path | None, typer.Option("--chart", metavar="FILE.png", help="Also draw the lender's chart: loan balance vs market and book value, with the covenant")] = None,
                 covenant: Annotated[str | None, typer.Option("--covenant-ltv", metavar="X", help="Covenant LTV on the chart (default: the LTV at origination)")] = None,
                 sets: SetOpt = None, as_json: JsonOpt = False) -> None:
        """Equity IRR, DSCR, max LTV and payback of a GPU-backed loan at a rent."""
        a = assumptions_for(system, sets)
        kw = _given(ltv=num("--ltv", ltv), rate=num("--rate", rate), tenor=num("--tenor", tenor),
                    min_dscr=num("--min-dscr", min_dscr), amortization=amortization)
        if schedule is not None:
            prepare_file(schedule, "--schedule", "the debt schedule")
        if chart is not None:
            if chart.suffix.lower() != ".png":
                raise CliError(f"--chart {chart}: the chart is a PNG; give a path ending in .png")
            prepare_file(chart, "--chart", "the chart")
        eq = financing.equity_irr_detail(a, rent, **kw)
        sizing = {k: v for k, v in kw.items() if k != "debt_ltv_frac"}
        mx = financing.max_ltv_detail(a, rent, **sizing)
        pb = financing.payback_detail(a, rent)
        notes = [str(x) for x in (eq.reason, mx.reason, pb.reason) if str(x)]
        emit({"rent_usd_per_gpu_hour": rent, "equity_irr_annual": float(eq.annual),
              "project_irr_annual": float(model.project_irr(a, rent)),
              "min_dscr": float(financing.min_dscr(a, rent, **kw)),
              "max_ltv_frac": float(mx.frac), "max_loan_usd_per_gpu": float(mx.loan_usd),
              "payback_months": float(pb.months)},
             as_json, f"Debt: {system}", "; ".join(notes) or None)
        if schedule is not None:
            financing.debt_schedule(a, rent, **kw).to_csv(schedule, index=False)
            typer.echo(f"wrote {schedule}", err=True)
        if chart is not None:
            from ..chart import draw_debt_chart

            draw_debt_chart(a, rent, chart, covenant_ltv=num("--covenant-ltv", covenant), **kw)
            typer.echo(f"wrote {chart}", err=True)

    @app.command("value")
    @run
    def value_cmd(system: SystemArg,
                  age: Annotated[str, typer.Option("--age", metavar="YEARS", help="Age of the GPU, years since purchase")],
                  rent: Annotated[str | None, typer.Option("--rent", metavar="USD", help="Rent, USD per GPU-hour (default: the catalog's market rent)")] = None,
                  discount: Annotated[str | None, typer.Option("--discount", metavar="X", help="Annual discount rate (default: the hurdle)")] = None,
                  price: Annotated[str | None, typer.Option("--price", metavar="USD", help="A traded price: also print the implied discount rate")] = None,
                  rent_change: Annotated[str | None, typer.Option("--rent-change", metavar="X", help="Annual change in rent (default 0)")] = None,
                  sets: SetOpt = None, as_json: JsonOpt = False) -> None:
        """What a GPU is worth at an age: market value (the rent it can still earn) and book value."""
        a = assumptions_for(system, sets)
        age_y, rent_x = num("--age", age), num("--rent", rent)
        extra = {} if rent_change is None else {"rent_change_annual": num("--rent-change", rent_change)}
        data: dict[str, object] = {
            "age_years": age_y,
            "market_value_usd_per_gpu": float(valuation.gpu_value(a, age_y, rent_x, num("--discount", discount), **extra)),
            **{f"book_value_{m.lower()}_usd_per_gpu": float(valuation.book_value(a, age_y, m))
               for m in ("SL", "DDB", "MACRS5")},
        }
        note = None
        if price is not None:
            d = valuation.implied_discount_rate_detail(a, num("--price", price), age_y, rent_x, **extra)
            data["price_usd_per_gpu"] = num("--price", price)
            data["implied_discount_rate_annual"] = float(d.annual)
            note = str(d.reason) or None
        emit(data, as_json, f"GPU value: {system}", note)

    @app.command("payback")
    @run
    def payback_cmd(system: SystemArg, rent: Rent,
                    rate: Annotated[str | None, typer.Option("--rate", metavar="X", help="Discount rate for a discounted payback (annual)")] = None,
                    sets: SetOpt = None, as_json: JsonOpt = False) -> None:
        """Months until the cumulative project cash flow turns positive (discounted with --rate)."""
        a = assumptions_for(system, sets)
        pb = financing.payback_detail(a, rent, num("--rate", rate))
        emit({"rent_usd_per_gpu_hour": rent, "payback_months": float(pb.months)}, as_json, f"Payback: {system}",
             str(pb.reason) or None)
