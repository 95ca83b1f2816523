"""The ``gpuecon`` command line: a thin adapter over the engine.

Other command groups live in their own modules and register here (``_PLUGINS``): each
module defines ``register(app: typer.Typer) -> None``. Shared error handling (one line on
stderr, exit 2) and output-path checks are in :mod:`gpuecon.cli_common`.
"""

from __future__ import annotations

import importlib
import json
import math
import sys
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from . import __version__, model
from .assumptions import Assumptions, canonical_field
from .catalog import catalog_frame, get_system, system_names
from .cli_common import run
from .errors import GpueconError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="GPU economics: TCO, floor and ceiling rent, SOCAMM cost, the One Chart.")
console = Console(width=None if sys.stdout.isatty() else 160)

#: modules that add commands (each has ``register(app)``)
_PLUGINS: tuple[str, ...] = ("cli_export", "cli_addin", "cli_batch")

SetOpt = Annotated[list[str] | None, typer.Option("--set", "-s", help="Override an assumption: NAME=VALUE (engine field names; repeatable)")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")]


def parse_sets(items: list[str] | None) -> dict[str, float]:
    """``["hurdle_irr=0.2", "pue=1.2"]`` -> ``{"hurdle_irr_annual": 0.2, "pue_ratio": 1.2}``."""
    out: dict[str, float] = {}
    for item in items or []:
        if "=" not in item:
            raise GpueconError("--set", item, "NAME=VALUE")
        name, value = item.split("=", 1)
        field = canonical_field(name)
        try:
            out[field] = float(value.strip().rstrip("%")) / (100.0 if value.strip().endswith("%") else 1.0)
        except ValueError:
            raise GpueconError(field, value.strip(), "a number") from None
    return out


def _assumptions(system: str | None, sets: list[str] | None) -> Assumptions:
    return Assumptions(system if system and system.lower() != "custom" else None, **parse_sets(sets))


def _emit(data: dict, as_json: bool, title: str) -> None:
    if as_json:
        typer.echo(json.dumps(_jsonable(data), indent=2))
        return
    table = Table(title=title)
    table.add_column("quantity")
    table.add_column("value", justify="right")
    for key, value in data.items():
        table.add_row(key, _fmt(key, value))
    console.print(table)


def _jsonable(obj):
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, np.ndarray | np.generic):
        return _jsonable(obj.tolist())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def _fmt(key: str, value) -> str:
    value = float(value) if isinstance(value, np.ndarray | np.generic) else value
    if not isinstance(value, float):
        return str(value)
    if math.isnan(value):
        return "n/a"
    if key.endswith(("_annual", "_frac")):
        return f"{value:.2%}"
    if "usd_per_gpu_hour" in key or "pflop" in key:
        return f"${value:,.2f}"
    if "usd" in key:
        return f"${value:,.0f}"
    return f"{value:,.4g}"


@app.command("systems")
@run
def systems_cmd(as_json: JsonOpt = False) -> None:
    """List the catalog's systems with their key figures."""
    frame = catalog_frame()
    cols = ["name", "tflops_bf16_dense", "tflops_fp8_dense", "tflops_fp4_dense", "mem_bw_tb_per_s", "it_w_per_gpu",
            "cpu_mem_gb_per_gpu", "cpu_mem_socamm", "market_rent_usd_per_gpu_hour"]
    if as_json:
        typer.echo(frame[cols].to_json(orient="records", indent=2))
        return
    table = Table(title="gpuecon catalog (per GPU)")
    for c in cols:
        table.add_column(c.replace("_", " "), justify="left" if c == "name" else "right", no_wrap=c == "name")
    for row in frame[cols].itertuples(index=False):
        table.add_row(*("" if isinstance(v, float) and math.isnan(v) else f"{v:,g}" if isinstance(v, float) else str(v) for v in row))
    console.print(table)


@app.command("tco")
@run
def tco_cmd(system: str, sets: SetOpt = None, as_json: JsonOpt = False) -> None:
    """TCO per GPU-hour with its breakdown, capex per watt and TCO per PFLOP-hour."""
    a = _assumptions(system, sets)
    data = {f"tco_{k}_usd_per_gpu_hour": float(v) for k, v in model.tco_breakdown(a).items()}
    data["capex_usd_per_gpu"] = float(model.capex_usd_per_gpu(a))
    data["capex_usd_per_w_it"] = float(model.capex_per_watt(a))
    for basis in model.FLOPS_BASES:
        try:
            data[f"tco_usd_per_pflop_hour_{basis.lower()}"] = float(model.tco_per_pflop_hour(a, basis=basis))
        except GpueconError:
            data[f"tco_usd_per_pflop_hour_{basis.lower()}"] = math.nan
    _emit(data, as_json, f"TCO: {system}")


@app.command("floor")
@run
def floor_cmd(system: str, sets: SetOpt = None, as_json: JsonOpt = False) -> None:
    """Floor rent: the rent at which the project IRR equals the hurdle."""
    a = _assumptions(system, sets)
    f = float(model.floor_rent(a))
    _emit({"floor_rent_usd_per_gpu_hour": f, "hurdle_irr_annual": float(a.hurdle_irr_annual),
           "irr_at_floor_annual": float(model.project_irr(a, f)), "contract_term_years": float(a.contract_term_years),
           "prepay_frac_contract": float(a.prepay_frac_contract)}, as_json, f"Floor rent: {system}")


@app.command("ceiling")
@run
def ceiling_cmd(system: str, usd_per_pflop_hour: Annotated[float, typer.Option("--price", help="USD per PFLOP-hour (USD per TB/s-hour for MEM_BW)")] = 0.70,
                basis: Annotated[str, typer.Option(help="BF16, FP8, FP4, FP4_SPARSE or MEM_BW")] = "FP8",
                sets: SetOpt = None, as_json: JsonOpt = False) -> None:
    """Ceiling rent: reference $/PFLOP-hour x this system's marketed dense PFLOPS."""
    a = _assumptions(system, sets)
    _emit({"ceiling_rent_usd_per_gpu_hour": float(model.ceiling_rent(a, usd_per_pflop_hour, basis)),
           "basis": model.normalize_basis(basis), "usd_per_pflop_hour": usd_per_pflop_hour,
           "floor_rent_usd_per_gpu_hour": float(model.floor_rent(a)),
           "headroom_frac": float(model.headroom_frac(a, usd_per_pflop_hour, basis))}, as_json, f"Ceiling rent: {system}")


@app.command("irr")
@run
def irr_cmd(system: str, rent: Annotated[float, typer.Argument(help="Rent, USD per GPU-hour")], sets: SetOpt = None,
            as_json: JsonOpt = False) -> None:
    """Project IRR (annual effective) and NPV at the hurdle for a rent."""
    a = _assumptions(system, sets)
    detail = model.project_irr_detail(a, rent)
    _emit({"rent_usd_per_gpu_hour": rent, "project_irr_annual": float(detail.annual),
           "npv_at_hurdle_usd_per_gpu": float(model.project_npv(a, rent)),
           "rent_usd_per_pflop_hour_fp8": float(model.rent_per_pflop(a, rent, "FP8")) if a.tflops_fp8_dense > 0 else math.nan,
           "note": str(detail.reason) or "ok"}, as_json, f"Project IRR: {system}")


@app.command("socamm")
@run
def socamm_cmd(system_or_gb: str, usd_per_gb: float = 10.0, gross_margin: float = 0.0, sets: SetOpt = None,
               as_json: JsonOpt = False) -> None:
    """SOCAMM cost (margin 0) or price (cost / (1 - margin)): per GPU for a system, or for a capacity in GB."""
    try:
        gb = float(system_or_gb)
        label = f"{gb:g} GB"
    except ValueError:
        s = get_system(system_or_gb)
        if not s.cpu_mem_socamm:
            raise GpueconError("system", system_or_gb, "a system with socketed SOCAMM memory",
                               f"{s.name} has no socketed SOCAMM memory (its CPU memory is soldered); give a capacity in GB") from None
        gb = s.figures["cpu_mem_gb_per_gpu"]
        label = f"{s.name} ({gb:g} GB per GPU)"
    data = {"socamm_gb": gb, "socamm_cost_usd": float(model.socamm_cost(gb, usd_per_gb, 0.0)),
            "socamm_price_usd": float(model.socamm_cost(gb, usd_per_gb, gross_margin)), "gross_margin_frac": gross_margin}
    _emit(data, as_json, f"SOCAMM: {label}")


@app.command("chart")
@run
def chart_cmd(system: str, output: Annotated[Path, typer.Option("-o", "--output", help="PNG file to write")] = Path("one_chart.png"),
              usd_per_pflop_hour: Annotated[float, typer.Option("--price")] = 0.70, basis: str = "FP8",
              sets: SetOpt = None) -> None:
    """Draw the One Chart (project IRR against rent, floor and ceiling) to a PNG."""
    from .chart import draw_one_chart

    a = _assumptions(system, sets)
    data = model.one_chart(a, usd_per_pflop_hour=usd_per_pflop_hour, basis=basis)
    path = draw_one_chart(data, output)
    console.print(f"wrote {path}")


@app.command("report")
@run
def report_cmd(output_dir: Annotated[Path, typer.Option("-o", "--output-dir", help="Where to write report.csv and the One Chart PNG")] = Path("out"),
               chart_system: str = "VR NVL72", sets: SetOpt = None) -> None:
    """The main job: a report table for every catalog system plus the One Chart for VR NVL72."""
    import pandas as pd

    from .chart import draw_one_chart
    from .frame import evaluate

    output_dir.mkdir(parents=True, exist_ok=True)
    overrides = parse_sets(sets)
    scenarios = pd.DataFrame({"system": system_names(), **{k: [v] * len(system_names()) for k, v in overrides.items()}})
    res = evaluate(scenarios)
    res.to_csv(output_dir / "report.csv", index=False)
    table = Table(title=f"gpuecon {__version__}: all systems at default assumptions (per GPU)")
    shown = [("system", "system"), ("capex_usd_per_gpu", "capex $"), ("tco_usd_per_gpu_hour", "TCO $/h"),
             ("floor_rent_usd_per_gpu_hour", "floor $/h"), ("ceiling_rent_usd_per_gpu_hour", "ceiling $/h @ $0.70/PF FP8"),
             ("tco_usd_per_pflop_hour", "TCO $/PF-h FP8"), ("headroom_frac", "headroom"), ("irr_at_rent_annual", "IRR @ market rent")]
    for _, label in shown:
        table.add_column(label, justify="left" if label == "system" else "right", no_wrap=label == "system")
    for row in res.to_dict("records"):
        table.add_row(*(_fmt(k, row[k]) if k != "system" else row[k] for k, _ in shown))
    console.print(table)
    chart = draw_one_chart(model.one_chart(Assumptions(chart_system, **overrides)), output_dir / f"one_chart_{chart_system.replace(' ', '_')}.png")
    console.print(f"wrote {output_dir / 'report.csv'} and {chart}")


@app.command("calibration")
def calibration_cmd() -> None:
    """The source's published figures against the model (markdown table, as in docs/calibration.md)."""
    from .calibration import markdown

    typer.echo(markdown())


@app.command("version")
def version_cmd() -> None:
    """Print the engine version."""
    typer.echo(__version__)


for _mod in _PLUGINS:
    importlib.import_module(f"gpuecon.{_mod}").register(app)


if __name__ == "__main__":
    app()
