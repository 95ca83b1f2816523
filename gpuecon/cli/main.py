"""The ``gpuecon`` command line: a thin adapter over the engine.

Other command groups live in their own modules and register here (``_PLUGINS``): each
module defines ``register(app: typer.Typer) -> None``. Shared error handling (one line on
stderr, exit 2) and output-path checks are in :mod:`gpuecon.cli_common`.
"""

from __future__ import annotations

import importlib
import json
import math
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from .. import __version__
from ..engine import model
from ..engine.assumptions import ALIASES, FIELDS, REQUIRED_FOR_CUSTOM, Assumptions, canonical_field, defaults
from ..engine.catalog import catalog_frame, get_system, normalize, system_names
from ..engine.errors import GpueconError
from ..engine.numbers import parse_number
from .common import CliError, prepare_dir, prepare_file, run, stdout_console

app = typer.Typer(add_completion=False, no_args_is_help=True, help="GPU economics: TCO, floor and ceiling rent, SOCAMM cost, the One Chart.")

#: modules that add commands (each has ``register(app)``)
_PLUGINS: tuple[str, ...] = ("export", "addin", "batch", "finance", "tokens")

#: image formats ``chart -o`` writes (no extension: .png is added)
CHART_SUFFIXES: tuple[str, ...] = (".png", ".svg", ".pdf")
#: names that mean "a system described entirely by --set"
CUSTOM_NAMES: tuple[str, ...] = ("", "custom")
#: the fields ``socamm`` reads (the capacity only for a system)
SOCAMM_FIELDS: tuple[str, ...] = ("socamm_usd_per_gb", "socamm_gross_margin_frac")

_CUSTOM_HINT = " and ".join(f"--set {f}=..." for f in REQUIRED_FOR_CUSTOM)

SystemArg = Annotated[str, typer.Argument(
    metavar="SYSTEM", show_default=False,
    help=f"Catalog name or alias (see `gpuecon systems`); custom, or a new name, with {_CUSTOM_HINT}")]
SetOpt = Annotated[list[str] | None, typer.Option(
    "--set", "-s", metavar="NAME=VALUE",
    help="Override an assumption: engine field name or alias (see `gpuecon assumptions`), value like 0.2 or 20%; repeatable")]
JsonOpt = Annotated[bool, typer.Option("--json", metavar="", help="Print JSON instead of a table")]
RentArg = Annotated[float, typer.Argument(metavar="RENT", help="Rent, USD per GPU-hour")]


def option_number(name: str, text: str | None) -> float | None:
    """A numeric option as typed (``20%``, ``1,000``) -> float; None when not given."""
    return None if text is None else float(parse_number(text, name))


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"gpuecon {__version__}")
        raise typer.Exit()


@app.callback()
def _main(version: Annotated[bool, typer.Option("--version", metavar="", is_eager=True, callback=_print_version,
                                                help="Print the version and exit")] = False) -> None:
    """GPU economics: TCO, floor and ceiling rent, SOCAMM cost, the One Chart."""


# --- --set ------------------------------------------------------------------------------------

def _set_items(items: list[str] | None) -> dict[str, tuple[str, float]]:
    """``["hurdle_irr=20%"]`` -> ``{"hurdle_irr_annual": ("hurdle_irr=20%", 0.2)}`` (the item as typed, the value)."""
    out: dict[str, tuple[str, float]] = {}
    for item in items or []:
        name, sep, text = item.partition("=")
        if not sep or not name.strip():
            raise CliError(f"--set needs NAME=VALUE, got {item!r}")
        field = canonical_field(name)  # unknown names suggest the closest ones
        value = parse_number(text, name.strip())  # "20%" -> Percent(0.2): taken as typed
        if field in out and not math.isclose(out[field][1], value, rel_tol=1e-12, abs_tol=0.0):
            raise CliError(f"--set {out[field][0]} and --set {item} disagree; give {field} once")
        out[field] = (item, value)
    return out


def parse_sets(items: list[str] | None) -> dict[str, float]:
    """``["hurdle_irr=0.2", "pue=1.2"]`` -> ``{"hurdle_irr_annual": 0.2, "pue_ratio": 1.2}``."""
    return {field: value for field, (_, value) in _set_items(items).items()}


def assumptions_for(system: str, sets: list[str] | None) -> Assumptions:
    """Assumptions for a catalog system, or for ``custom`` / a new name described by ``--set``."""
    overrides = parse_sets(sets)
    missing = [f for f in REQUIRED_FOR_CUSTOM if f not in overrides]
    if normalize(system) in CUSTOM_NAMES:
        if missing:
            raise CliError(f"a custom system needs {' and '.join(f'--set {f}=...' for f in missing)}")
        return Assumptions(None, **overrides)
    try:
        found = get_system(system)
    except GpueconError as err:
        if not missing:
            return Assumptions(None, **overrides)  # a new system described entirely by --set
        raise CliError(f"{err}; or describe a new system with {_CUSTOM_HINT}") from None
    return Assumptions(found, **overrides)


# --- output -----------------------------------------------------------------------------------

def emit(data: dict, as_json: bool, title: str, note: str | None = None) -> None:
    """``data`` as JSON or as a quantity/value table; ``note``: the table's caption, JSON's ``note``."""
    if as_json:
        typer.echo(json.dumps(_jsonable({**data, "note": note} if note else data), indent=2))
        return
    table = Table(title=title, caption=note, min_width=max(len(title), len(note or "")))  # title unwrapped
    table.add_column("quantity")
    table.add_column("value", justify="right")
    for key, value in data.items():
        table.add_row(key, _fmt(key, value))
    stdout_console().print(table)


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray | np.generic):
        return _jsonable(obj.tolist())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, float):
        return float(obj)  # plain float (not Percent) for json
    return obj


def _fmt(key: str, value: Any) -> str:
    value = float(value) if isinstance(value, np.ndarray | np.generic) else value
    if not isinstance(value, float):
        return str(value)
    if math.isnan(value):
        return "n/a"
    if key.endswith(("_annual", "_frac")):
        return f"{value:.2%}"
    sign = "-" if value < 0 else ""
    if "usd_per_gpu_hour" in key or "pflop" in key or key.endswith("per_gb"):
        return f"{sign}${abs(value):,.2f}"
    if "usd" in key:
        return f"{sign}${abs(value):,.0f}"
    return f"{value:,.4g}"


def fits(console: Console, table: Table, wrapped: bool = False) -> bool:
    """Whether ``table`` fits the console at its natural width, or (``wrapped``) with cells wrapped at spaces."""
    m = console.measure(table, options=console.options.update_width(10**6))  # unclamped
    return (m.minimum if wrapped else m.maximum) <= console.width


def fit_table(console: Console, title: str, headers: Sequence[str], rows: Sequence[Sequence[str]], *,
              wrap: Collection[int] = (), squeeze: Collection[int] = (), left: Collection[int] = (0,),
              caption: str | None = None) -> Table:
    """A table that never cuts a value. On a terminal too narrow for the natural layout, columns in
    ``wrap`` give up width (wrapping at spaces), columns in ``squeeze`` get their longest word, and
    every other column gets its longest value; headers wrap (rich alone would shave all columns alike)."""
    def build(fixed: bool) -> Table:
        table = Table(title=title, caption=caption)
        for i, header in enumerate(headers):
            width = None
            if fixed and i not in wrap:
                texts = [str(r[i]) for r in rows]
                words = [len(w) for t in [*texts, header] for w in t.split()]
                width = max(words) if i in squeeze else max([len(t) for t in texts] + words)
            table.add_column(header, justify="left" if i in left else "right", overflow="fold", width=width)
        for r in rows:
            table.add_row(*r)
        return table

    natural = build(fixed=False)
    return natural if fits(console, natural) else build(fixed=True)


# --- commands ---------------------------------------------------------------------------------

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
    headers = ["name", "BF16 TFLOPS", "FP8 TFLOPS", "FP4 TFLOPS", "HBM TB/s", "IT W", "CPU mem GB", "SOCAMM",
               "market rent $/h"]  # short headers that wrap: the table fits 80 columns
    cells = [["" if isinstance(v, float) and math.isnan(v) else f"{v:,g}" if isinstance(v, float) else str(v) for v in row]
             for row in frame[cols].itertuples(index=False)]
    console = stdout_console()
    console.print(fit_table(console, "gpuecon catalog (per GPU; blank = not marketed or not public)", headers, cells,
                            wrap=(0,)))


@app.command("tco")
@run
def tco_cmd(system: SystemArg, sets: SetOpt = None, as_json: JsonOpt = False) -> None:
    """TCO per GPU-hour with its breakdown, capex per watt and TCO per PFLOP-hour."""
    a = assumptions_for(system, sets)
    data = {f"tco_{k}_usd_per_gpu_hour": float(v) for k, v in model.tco_breakdown(a).items()}
    data["capex_usd_per_gpu"] = float(model.capex_usd_per_gpu(a))
    data["capex_usd_per_w_it"] = float(model.capex_per_watt(a))
    for basis in model.FLOPS_BASES:
        try:
            data[f"tco_usd_per_pflop_hour_{basis.lower()}"] = float(model.tco_per_pflop_hour(a, basis=basis))
        except GpueconError:
            data[f"tco_usd_per_pflop_hour_{basis.lower()}"] = math.nan
    emit(data, as_json, f"TCO: {system}")


@app.command("floor")
@run
def floor_cmd(system: SystemArg, sets: SetOpt = None, as_json: JsonOpt = False) -> None:
    """Floor rent: the rent at which the project IRR equals the hurdle."""
    a = assumptions_for(system, sets)
    detail = model.floor_rent_detail(a)
    f = float(detail.usd_per_gpu_hour)
    at_floor = model.project_irr_detail(a, f) if f >= 0 else None
    notes = [str(detail.reason), str(detail.note), str(at_floor.reason) if at_floor is not None else ""]
    emit({"floor_rent_usd_per_gpu_hour": f, "hurdle_irr_annual": float(a.hurdle_irr_annual),
           "irr_at_floor_annual": float(at_floor.annual) if at_floor is not None else math.nan,
           "contract_term_years": float(a.contract_term_years), "prepay_frac_contract": float(a.prepay_frac_contract),
           "note": "; ".join(n for n in notes if n) or "ok"}, as_json, f"Floor rent: {system}")


PriceOpt = Annotated[float, typer.Option("--price", metavar="USD",
                                         help="Reference USD per PFLOP-hour for the ceiling (USD per TB/s-hour for MEM_BW)")]
BasisOpt = Annotated[str, typer.Option("--basis", metavar="BASIS",
                                       help="Performance basis for the ceiling: BF16, FP8, FP4, FP4_SPARSE or MEM_BW")]


@app.command("ceiling")
@run
def ceiling_cmd(system: SystemArg, usd_per_pflop_hour: PriceOpt = model.REFERENCE_USD_PER_PFLOP_HOUR, basis: BasisOpt = "FP8",
                sets: SetOpt = None, as_json: JsonOpt = False) -> None:
    """Ceiling rent: reference $/PFLOP-hour x this system's PFLOPS (marketed x effective_perf_frac, --set)."""
    a = assumptions_for(system, sets)
    emit({"ceiling_rent_usd_per_gpu_hour": float(model.ceiling_rent(a, usd_per_pflop_hour, basis)),
           "basis": model.normalize_basis(basis), "usd_per_pflop_hour": usd_per_pflop_hour,
           "floor_rent_usd_per_gpu_hour": float(model.floor_rent(a)),
           "headroom_frac": float(model.headroom_frac(a, usd_per_pflop_hour, basis))}, as_json, f"Ceiling rent: {system}")


@app.command("irr")
@run
def irr_cmd(system: SystemArg, rent: RentArg, sets: SetOpt = None, as_json: JsonOpt = False) -> None:
    """Project IRR (annual effective) and NPV at the hurdle for a rent."""
    a = assumptions_for(system, sets)
    detail = model.project_irr_detail(a, rent)
    emit({"rent_usd_per_gpu_hour": rent, "project_irr_annual": float(detail.annual),
           "npv_at_hurdle_usd_per_gpu": float(model.project_npv(a, rent)),
           "rent_usd_per_pflop_hour_fp8": float(model.rent_per_pflop(a, rent, "FP8")) if a.tflops_fp8_dense > 0 else math.nan,
           "note": "; ".join(n for n in (str(detail.reason), str(model.horizon_note(a))) if n) or "ok"},
          as_json, f"Project IRR: {system}")


def _default(field: str) -> str:
    return f"{FIELDS[field].default:g}"


@app.command("socamm")
@run
def socamm_cmd(
    system_or_gb: Annotated[str, typer.Argument(metavar="SYSTEM|GB", help="A catalog system (its SOCAMM GB per GPU) or a capacity in GB")],
    usd_per_gb: Annotated[str | None, typer.Option(
        "--usd-per-gb", metavar="USD", show_default=False,
        help=f"Vendor's SOCAMM cost per GB (default {_default('socamm_usd_per_gb')}); same as --set socamm_usd_per_gb=...")] = None,
    gross_margin: Annotated[str | None, typer.Option(
        "--gross-margin", metavar="FRACTION", show_default=False,
        help=f"Vendor's gross margin, 0.6 or 60% (default {_default('socamm_gross_margin_frac')}); the price is "
             "cost / (1 - margin); same as --set socamm_gross_margin_frac=...")] = None,
    sets: SetOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """SOCAMM cost and price (cost / (1 - margin), what capex uses): per GPU for a system, or for a capacity in GB."""
    items = _set_items(sets)
    for option, field, text in (("--usd-per-gb", "socamm_usd_per_gb", usd_per_gb),
                                ("--gross-margin", "socamm_gross_margin_frac", gross_margin)):
        if text is None:
            continue
        value = parse_number(text, option)
        if field in items and not math.isclose(items[field][1], value, rel_tol=1e-12, abs_tol=0.0):
            raise CliError(f"{option} {text} and --set {items[field][0]} disagree; give one of them")
        items[field] = (f"{option} {text}", value)
    try:
        gb: float | None = parse_number(system_or_gb, "capacity_gb")
    except GpueconError:
        gb = None
    allowed = SOCAMM_FIELDS if gb is not None else ("socamm_gb_per_gpu", *SOCAMM_FIELDS)
    for field, (item, _) in items.items():
        if field not in allowed:
            raise CliError(f"socamm uses only {', '.join(allowed[:-1])} and {allowed[-1]}; --set {item} does not change it")
    overrides = {field: value for field, (_, value) in items.items()}
    if gb is None:
        s = get_system(system_or_gb)
        if not s.cpu_mem_socamm and "socamm_gb_per_gpu" not in overrides:
            raise CliError(f"{s.name} has no socketed SOCAMM memory (its CPU memory is soldered); give a capacity in GB")
        a = Assumptions(s, **overrides)  # the same defaults capex uses
        gb, usd, margin = float(a.socamm_gb_per_gpu), float(a.socamm_usd_per_gb), float(a.socamm_gross_margin_frac)
        label = f"{s.name} ({gb:g} GB per GPU)"
    else:
        gb = float(FIELDS["socamm_gb_per_gpu"].check(gb))
        usd, margin = (float(FIELDS[f].check(overrides.get(f, FIELDS[f].default))) for f in SOCAMM_FIELDS)
        label = f"{gb:g} GB"
    data = {"socamm_gb": gb, "usd_per_gb": usd, "gross_margin_frac": margin,
            "socamm_cost_usd": float(model.socamm_cost(gb, usd, 0.0)),
            "socamm_price_usd": float(model.socamm_cost(gb, usd, margin))}
    emit(data, as_json, f"SOCAMM: {label}", note="capex (tco, floor, report) uses the price, not the cost")


@app.command("chart")
@run
def chart_cmd(
    system: SystemArg,
    output: Annotated[Path, typer.Option("-o", "--output", metavar="FILE",
                                         help="Image to write: .png, .svg or .pdf (no extension: .png); a missing folder is created")] = Path("one_chart.png"),
    usd_per_pflop_hour: PriceOpt = model.REFERENCE_USD_PER_PFLOP_HOUR,
    basis: BasisOpt = "FP8",
    sets: SetOpt = None,
) -> None:
    """Draw the One Chart (project IRR against rent, floor and ceiling) to an image."""
    from ..chart import draw_one_chart

    if output.is_dir():
        raise CliError(f"--output {output} is a directory; give a file name such as {output / 'one_chart.png'}")
    path = output if output.suffix else output.with_name(output.name + ".png")
    if path.suffix.lower() not in CHART_SUFFIXES:
        raise CliError(f"--output {output}: unsupported extension {path.suffix}; use .png, .svg or .pdf")
    data = model.one_chart(assumptions_for(system, sets), usd_per_pflop_hour=usd_per_pflop_hour, basis=basis)
    prepare_file(path, "--output", "one_chart.png")
    written = draw_one_chart(data, path)
    stdout_console().print(f"wrote {written}", markup=False, highlight=False)


#: report table: (result column, header); headers wrap, so the table fits 80 columns
_REPORT_COLUMNS = (("system", "system"), ("capex_usd_per_gpu", "capex $"), ("tco_usd_per_gpu_hour", "TCO $/h"),
                   ("floor_rent_usd_per_gpu_hour", "floor $/h"), ("ceiling_rent_usd_per_gpu_hour", "ceiling $/h"),
                   ("tco_usd_per_pflop_hour", "TCO $/PF-h"), ("headroom_frac", "headroom"),
                   ("irr_at_rent_annual", "IRR @ market rent"))
_NO_RENT_NOTE = "no rent given and no public market rent"


def _irr_cell(row: dict) -> str:
    """The IRR at the catalog's market rent, or why there is none."""
    irr = row["irr_at_rent_annual"]
    if isinstance(irr, float) and math.isfinite(irr):
        return f"{irr:.2%}"
    note = str(row.get("note") or "")
    if not note or note.startswith(_NO_RENT_NOTE):
        return "n/a: no public rent"
    return f"n/a: {note}"


def report_table(res: Any, title: str, console: Console) -> Table:
    """The report's table: short headers, system names and reasons wrap; fits 80 columns, every value whole."""
    rows = [[row["system"] if k == "system" else _irr_cell(row) if k == "irr_at_rent_annual" else _fmt(k, row[k])
             for k, _ in _REPORT_COLUMNS] for row in res.to_dict("records")]
    return fit_table(console, title, [label for _, label in _REPORT_COLUMNS], rows, wrap=(0, len(_REPORT_COLUMNS) - 1),
                     caption="ceiling at $0.70 per PFLOP-hour FP8; TCO $/PF-h at FP8; IRR at the catalog's market rent")


@app.command("report")
@run
def report_cmd(
    output_dir: Annotated[Path, typer.Option("-o", "--output-dir", metavar="DIR",
                                             help="Folder for report.csv and the One Chart PNG (created if missing)")] = Path("out"),
    chart_system: Annotated[str, typer.Option("--chart-system", metavar="SYSTEM",
                                              help="System drawn in the One Chart PNG")] = "VR NVL72",
    sets: SetOpt = None,
    as_json: Annotated[bool, typer.Option("--json", metavar="",
                                          help="Print the report rows (report.csv's columns) as JSON instead of the table")] = False,
) -> None:
    """The main job: a report table for every catalog system plus the One Chart for VR NVL72."""
    import pandas as pd

    from ..chart import draw_one_chart
    from ..engine.frame import evaluate

    # every input is checked, and everything computed, before anything is written
    overrides = parse_sets(sets)
    chart_a = assumptions_for(chart_system, sets)
    chart_data = model.one_chart(chart_a)
    names = system_names()
    res = evaluate(pd.DataFrame({"system": names, **{k: [float(v)] * len(names) for k, v in overrides.items()}}))
    bad = res[res["error"] != ""]
    if len(bad):
        raise CliError(f"{bad['system'].iloc[0]}: {bad['error'].iloc[0]}")
    chart_name = (chart_a.system.name if chart_a.system else chart_system).replace(" ", "_")
    prepare_dir(output_dir, "--output-dir", "report.csv and the chart")
    res.to_csv(output_dir / "report.csv", index=False)
    chart = draw_one_chart(chart_data, output_dir / f"one_chart_{chart_name}.png")
    wrote = f"wrote {output_dir / 'report.csv'} and {chart}"
    if as_json:
        typer.echo(json.dumps(_jsonable(res.to_dict("records")), indent=2))
        typer.echo(wrote, err=True)  # stdout stays pure JSON
        return
    given = ", ".join(f"{k}={float(v):g}" for k, v in overrides.items())
    title = f"gpuecon {__version__}: all systems at {'default assumptions' if not given else given} (per GPU)"
    console = stdout_console()
    console.print(report_table(res, title, console))
    console.print(wrote, markup=False, highlight=False)


def _assumption_rows(system: str | None) -> list[dict[str, Any]]:
    """One row per field: unit, default (for ``system``), allowed range, source, aliases, meaning."""
    custom = system is not None and normalize(system) in CUSTOM_NAMES
    base = defaults(None if custom or system is None else get_system(system))
    rows = []
    for name, f in FIELDS.items():
        default: float | str | None
        if f.default is not None:
            default = f.default
        elif system is None:
            default = "catalog"
        elif custom and name in REQUIRED_FOR_CUSTOM:
            default = "required"
        else:
            default = None if math.isnan(base[name]) else base[name]  # None: blank (not marketed)
        rows.append({"field": name, "unit": f.unit, "default": default, "allowed": f.allowed.removeprefix("in "),
                     "source": f.source or ("catalog row" if f.default is None else "gpuecon default"),
                     "aliases": [a for a, target in ALIASES.items() if target == name], "meaning": f.doc})
    return rows


@app.command("assumptions")
@run
def assumptions_cmd(
    system: Annotated[str | None, typer.Argument(
        metavar="[SYSTEM]", show_default=False,
        help="Show this catalog system's figures as the defaults (custom: what a new system must give)")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Every assumption --set accepts: unit, default, allowed range, source and aliases."""
    rows = _assumption_rows(system)
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    name = "defaults" if system is None else "custom system" if normalize(system) in CUSTOM_NAMES else get_system(system).name
    shown = ["blank" if r["default"] is None else r["default"] if isinstance(r["default"], str) else f"{r['default']:,g}"
             for r in rows]
    caption = "override with --set NAME=VALUE (field or alias; 15% = 0.15)"
    title = f"Assumptions: {name}"
    console = stdout_console()
    table = fit_table(console, title, ["field", "unit", "default", "allowed", "source", "aliases"],
                      [[r["field"], r["unit"], d, r["allowed"], r["source"], ", ".join(r["aliases"])] for r, d in zip(rows, shown, strict=True)],
                      wrap=(4,), squeeze=(3, 5), left=(0, 1, 3, 4, 5), caption=caption)
    if not fits(console, table, wrapped=True):  # narrow terminal: aliases and source under the field name
        cells = [["\n".join([r["field"], *(["  aliases: " + ", ".join(r["aliases"])] if r["aliases"] else []),
                             "  source: " + r["source"]]), r["unit"], d, r["allowed"]] for r, d in zip(rows, shown, strict=True)]
        table = fit_table(console, title, ["field", "unit", "default", "allowed"], cells, wrap=(0,), squeeze=(3,),
                          left=(0, 1, 3), caption=caption)
    console.print(table)


@app.command("calibration")
@run
def calibration_cmd() -> None:
    """The source's published figures against the model (markdown table, as in docs/calibration.md)."""
    from ..engine.calibration import markdown

    typer.echo(markdown())


@app.command("version")
def version_cmd() -> None:
    """Print the engine version."""
    typer.echo(__version__)


for _mod in _PLUGINS:
    importlib.import_module(f"gpuecon.cli.{_mod}").register(app)


if __name__ == "__main__":
    app()
