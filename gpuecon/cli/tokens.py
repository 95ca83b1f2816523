"""``gpuecon tokens``, ``token-price``, ``throughput``, ``breakeven``, ``tornado``, ``trend``: tokens and decisions (issue 13).

No ``from __future__ import annotations`` here: typer reads the option types defined in ``register``.
"""

import json
import math
from pathlib import Path
from typing import Annotated

import typer

from .common import CliError, prepare_file, run, stdout_console

#: image formats ``-o`` writes (no extension: .png is added), as ``gpuecon chart``
_SUFFIXES = (".png", ".svg", ".pdf")


def _chart_path(output: Path, example: str) -> Path:
    """The image path for ``-o``: .png added where there is no extension; a directory or odd extension refused."""
    if output.is_dir():
        raise CliError(f"-o {output} is a directory; give a file name such as {output / example}")
    path = output if output.suffix else output.with_name(output.name + ".png")
    if path.suffix.lower() not in _SUFFIXES:
        raise CliError(f"-o {output}: unsupported extension {path.suffix}; use .png, .svg or .pdf")
    prepare_file(path, "-o", example)
    return path


def _cell(value: object, digits: int = 4) -> str:
    if isinstance(value, float):
        return "n/a" if math.isnan(value) else f"{value:,.{digits}g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def _display(data: dict) -> dict:
    """Per-million-token prices to 4 decimals and throughput whole (the shared table shows USD as whole dollars)."""
    out: dict[str, object] = {}
    for key, value in data.items():
        if isinstance(value, float) and not math.isnan(value) and key.endswith("_per_mtok"):
            value = f"{'-' if value < 0 else ''}${abs(value):,.4f}"
        elif isinstance(value, float) and key in ("tokens_per_sec_per_gpu", "input_output_ratio"):
            value = f"{value:,.6g}"
        out[key] = value
    return out


def register(app: typer.Typer) -> None:
    from ..engine import decisions, model, throughput, tokens, trend
    from ..engine.catalog import get_system
    from .main import JsonOpt, RentArg, SetOpt, SystemArg, assumptions_for, emit, fit_table
    from .main import option_number as num

    RentOpt = Annotated[str | None, typer.Option("--rent", metavar="USD",
                                                 help="Rent, USD per GPU-hour (default: the owner's view, the TCO)")]
    ChartOpt = Annotated[Path | None, typer.Option("-o", "--chart", metavar="FILE",
                                                   help="Also draw the chart: .png, .svg or .pdf (no extension: .png)")]

    @app.command("tokens")
    @run
    def tokens_cmd(system: SystemArg,
                   tps: Annotated[str, typer.Option("--tps", metavar="N", help="Throughput, tokens per second per GPU")],
                   rent: RentOpt = None,
                   price: Annotated[str | None, typer.Option("--price", metavar="USD", help="Price per million tokens: also the gross margin")] = None,
                   sets: SetOpt = None, as_json: JsonOpt = False) -> None:
        """Cost per million tokens (rent or TCO / tokens an hour x utilization) and, with --price, the margin."""
        a = assumptions_for(system, sets)
        tps_x, rent_x, price_x = num("--tps", tps), num("--rent", rent), num("--price", price)
        hourly = float(model.tco_usd_per_gpu_hour(a)) if rent_x is None else rent_x
        data: dict[str, object] = {
            "cost_basis": "TCO (owner)" if rent_x is None else "rent (renter)",
            "cost_usd_per_gpu_hour": hourly, "tokens_per_sec_per_gpu": tps_x,
            "utilization_frac": float(a.utilization_frac),
            "cost_usd_per_mtok": float(tokens.token_cost_usd_per_mtok(a, tps_x, rent_x)),
        }
        if price_x is not None:
            data["price_usd_per_mtok"] = price_x
            data["gross_margin_frac"] = float(tokens.token_margin(a, tps_x, price_x, rent_x))
        emit(data if as_json else _display(data), as_json, f"Tokens: {system}")

    @app.command("token-price")
    @run
    def token_price_cmd(
        input_price: Annotated[str, typer.Option("--input", metavar="USD", help="Uncached input, USD per million tokens")],
        output_price: Annotated[str, typer.Option("--output", metavar="USD", help="Output, USD per million tokens")],
        cached: Annotated[str | None, typer.Option("--cached", metavar="USD", help="Cached input, USD per million tokens (default: the input price)")] = None,
        ratio: Annotated[str, typer.Option("--ratio", metavar="X", help="Input tokens per output token")] = "1",
        hit: Annotated[str, typer.Option("--hit", metavar="X", help="Cache hit rate, 0.9 or 90%")] = "0",
        target: Annotated[str | None, typer.Option("--target", metavar="USD", help="A blended price: also the cache hit rate that gives it")] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Blended price per million tokens over input, cached input and output."""
        inp, out = num("--input", input_price), num("--output", output_price)
        cached_x, ratio_x, hit_x = num("--cached", cached), num("--ratio", ratio), num("--hit", hit)
        data: dict[str, object] = {
            "blended_usd_per_mtok": float(tokens.token_price(inp, out, cached_x, ratio_x, hit_x)),
            "input_usd_per_mtok": inp, "output_usd_per_mtok": out,
            "cached_input_usd_per_mtok": inp if cached_x is None else cached_x,
            "input_output_ratio": ratio_x, "cache_hit_frac": hit_x,
        }
        if target is not None:
            t = num("--target", target)
            data["target_usd_per_mtok"] = t
            data["cache_hit_for_target_frac"] = float(tokens.cache_hit_for_price(t, inp, out, inp if cached_x is None else cached_x, ratio_x))
        emit(data if as_json else _display(data), as_json, "Blended token price")

    @app.command("throughput")
    @run
    def throughput_cmd(
        system: Annotated[str | None, typer.Argument(metavar="[SYSTEM]", show_default=False,
                                                     help="Catalog name or alias (default: every system)")] = None,
        model_name: Annotated[str | None, typer.Option("--model", metavar="MODEL", help="Look one figure up: the model served, e.g. 'DeepSeek R1'")] = None,
        workload: Annotated[str | None, typer.Option("--workload", metavar="IN/OUT", help="Input/output lengths, e.g. 8k/1k (default: any)")] = None,
        precision: Annotated[str | None, typer.Option("--precision", metavar="P", help="FP8, FP4, ... (default: any)")] = None,
        configuration: Annotated[str | None, typer.Option("--configuration", metavar="NAME", help="Software configuration or its beginning (default: the best published)")] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Published tokens/s per GPU (with the cost per MTok at the system's TCO) and published throughput ratios."""
        if model_name is not None:
            if system is None:
                raise CliError("--model looks one figure up: give SYSTEM too (e.g. gpuecon throughput B300 --model 'DeepSeek R1')")
            d = throughput.throughput_detail(system, model_name, workload, precision, configuration)
            tps = float(d.tokens_per_sec_per_gpu)
            if math.isnan(tps):
                raise CliError(str(d.reason))
            data = {"system": get_system(system).name, "model": model_name, "tokens_per_sec_per_gpu": tps,
                    "configuration": str(d.configuration),
                    "token_cost_at_tco_usd_per_mtok": float(tokens.token_cost_usd_per_mtok(system, tps))}
            emit(data if as_json else _display(data), as_json, f"Throughput: {data['system']}", str(d.source))
            return
        figures, ratios = throughput.throughput_table(), throughput.throughput_ratios()
        if system is not None:
            name = get_system(system).name
            figures = figures[figures["system"] == name]
            ratios = ratios[(ratios["system"] == name) | (ratios["reference_system"] == name)]
        figures = figures.assign(token_cost_at_tco_usd_per_mtok=[
            float(tokens.token_cost_usd_per_mtok(s, t)) for s, t in zip(figures["system"], figures["tokens_per_sec_per_gpu"], strict=True)])
        if as_json:
            typer.echo(json.dumps({"figures": json.loads(figures.to_json(orient="records")),
                                   "ratios": json.loads(ratios.to_json(orient="records"))}, indent=2))
            return
        console = stdout_console()
        if figures.empty:
            console.print(f"No public absolute throughput figure for {system}" + (" (ratios below)" if len(ratios) else ""))
        else:
            rows = [[r.system, r.model, r.workload, r.precision if isinstance(r.precision, str) else "not stated",
                     r.configuration, f"{r.tokens_per_sec_per_gpu:,.0f}", f"${r.token_cost_at_tco_usd_per_mtok:,.4f}"]
                    for r in figures.itertuples(index=False)]
            console.print(fit_table(console, "Published throughput (tokens/s per GPU; cost per MTok at the system's TCO)",
                                    ["system", "model", "workload", "precision", "configuration", "tokens/s/GPU",
                                     "$/MTok at TCO"], rows, wrap=(4,), left=(0, 1, 2, 3, 4),
                                    caption="sources: gpuecon throughput --json (seed 001, SemiAnalysis InferenceX)"))
        if len(ratios):
            rows = [[r.system, r.reference_system, r.model, r.workload, f"{r.precision} vs {r.reference_precision}",
                     f"{r.ratio:g}x"] for r in ratios.itertuples(index=False)]
            console.print(fit_table(console, "Published throughput ratios (no absolute figures public)",
                                    ["system", "over", "model", "workload", "precision", "ratio"], rows,
                                    left=(0, 1, 2, 3, 4)))

    @app.command("breakeven")
    @run
    def breakeven_cmd(system: SystemArg, rent: RentArg, sets: SetOpt = None, as_json: JsonOpt = False) -> None:
        """Break-even utilization: the share of hours billed at which the rent earns exactly the hurdle."""
        a = assumptions_for(system, sets)
        d = decisions.breakeven_utilization_detail(a, rent)
        emit({"rent_usd_per_gpu_hour": rent, "breakeven_utilization_frac": float(d.frac),
              "floor_rent_at_full_utilization_usd_per_gpu_hour": float(model.floor_rent(a, utilization_frac=1.0)),
              "hurdle_irr_annual": float(a.hurdle_irr_annual)}, as_json, f"Break-even utilization: {system}",
             str(d.reason) or None)

    @app.command("tornado")
    @run
    def tornado_cmd(system: SystemArg,
                    output: Annotated[str, typer.Option("--output", metavar="OUTPUT", help="floor, tco, irr or equity_irr (irr and equity_irr need --rent)")] = "floor",
                    swing: Annotated[str, typer.Option("--swing", metavar="X", help="Move each input by -/+ this fraction of its value")] = "0.2",
                    rent: Annotated[str | None, typer.Option("--rent", metavar="USD", help="Rent, USD per GPU-hour (for irr and equity_irr)")] = None,
                    chart: ChartOpt = None, sets: SetOpt = None, as_json: JsonOpt = False) -> None:
        """Tornado: the output with each assumption moved -/+ --swing of its value, largest swing first."""
        a = assumptions_for(system, sets)
        table = decisions.sensitivity(a, output, num("--swing", swing), num("--rent", rent))
        path = _chart_path(chart, "tornado.png") if chart is not None else None
        if path is not None:
            from .decision_charts import draw_tornado

            draw_tornado(table, system, path)
        if as_json:
            typer.echo(json.dumps({"system": system, **table.attrs,
                                   "rows": json.loads(table.to_json(orient="records"))}, indent=2))
        else:
            console = stdout_console()
            rows = [[r.input, _cell(r.low), _cell(r.high), _cell(r.output_at_low), _cell(r.output_at_high),
                     _cell(r.swing), r.note] for r in table.itertuples(index=False)]
            console.print(fit_table(console, f"Tornado: {system}, {table.attrs['output']} "
                                             f"(base {_cell(table.attrs['base'])}, swing ±{table.attrs['swing_frac']:.0%})",
                                    ["input", "low", "high", "output at low", "output at high", "swing", "note"], rows,
                                    wrap=(0, 6), left=(0, 6)))
        if path is not None:
            typer.echo(f"wrote {path}", err=as_json)

    @app.command("trend")
    @run
    def trend_cmd(basis: Annotated[str, typer.Option("--basis", metavar="BASIS", help="BF16, FP8, FP4, FP4_SPARSE or MEM_BW")] = "FP8",
                  year: Annotated[str | None, typer.Option("--year", metavar="YEAR", help="Year for the fitted value (default: the newest launch year)")] = None,
                  chart: ChartOpt = None, as_json: JsonOpt = False) -> None:
        """$/PFLOP-hour against launch year (log-linear over public rents); each system's floor and ceiling against it."""
        t = trend.pflop_trend(basis, num("--year", year))
        path = _chart_path(chart, "trend.png") if chart is not None else None
        if path is not None:
            from .decision_charts import draw_trend

            draw_trend(t, path)
        summary = {"basis": t.basis, "annual_decline_frac": t.annual_decline_frac, "year": t.year if as_json else f"{t.year:g}",
                   "fitted_usd_per_pflop_hour": t.fitted_usd_per_pflop_hour}
        if as_json:
            typer.echo(json.dumps({**summary, "points": json.loads(t.points.to_json(orient="records")),
                                   "systems": json.loads(t.systems.to_json(orient="records"))}, indent=2))
        else:
            emit(summary, False, f"$/PFLOP-hour trend ({t.basis})",
                 f"fitted to {len(t.points)} public rents: " + ", ".join(t.points["system"]))
            console = stdout_console()
            rows = [[r.system, f"{r.launch_year:g}", f"${r.floor_usd_per_pflop_hour:.3f}", f"${r.ceiling_usd_per_pflop_hour:.3f}",
                     f"${r.trend_usd_per_pflop_hour:.3f}", f"{r.floor_vs_trend_frac:+.1%}"]
                    for r in t.systems.itertuples(index=False)]
            console.print(fit_table(console, "Floor and ceiling per PFLOP-hour against the trend at launch",
                                    ["system", "launch", "floor $/PF-h", "ceiling $/PF-h", "trend $/PF-h", "floor vs trend"],
                                    rows, wrap=(0,)))
        if path is not None:
            typer.echo(f"wrote {path}", err=as_json)
