"""``gpuecon batch`` and ``gpuecon recalc``: headless batch runs and workbook recalculation."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ..engine.errors import GpueconError
from .common import CliError, fail, run, stdout_console

console = Console(stderr=False)

SHOWN_PER_REASON = 5
#: flagged reasons that exit 1: a written value is neither recomputed nor the one Excel saved
EXIT_1 = {"unsupported", "circular", "stale", "error"}


def register(app: typer.Typer) -> None:
    app.command("batch")(run(batch_cmd))
    app.command("recalc")(run(recalc_cmd))


#: recalc's request errors (``RecalcError.code``) in the words of this command line's options
RECALC_WORDING = {
    "input": "--set {input}: {reason}",
    "same_input": "--set {input}: the same input as --set {other} ({address}); give it once",
    "output": "output {output}: {reason}; `gpuecon recalc BOOK -o OUT` lists the named outputs",
    "in_place_and_output": "--in-place writes the workbook itself; do not give -o as well",
    "no_output": "give an output file (-o OUT.xlsx) or --in-place",
    "overwrite": "refusing to overwrite the input {source}; use --in-place",
}


#: batch's option errors (``BatchError.code``) in the words of this command line's options
BATCH_WORDING = {
    "engine": "--engine must be local or dask, got {engine!r}",
    "scheduler": "--scheduler needs --engine dask (the local engine has no scheduler)",
    "dask_missing": "--engine dask needs Dask: pip install 'gpuecon[dask]' (the local engine needs nothing more)",
    "workers": "--workers must be a whole number >= 1, got {workers}",
    "chunk_rows": "--chunk-rows must be a whole number >= 1, got {chunk_rows}",
    "workbook_engine": "--workbook runs on the local engine only",
    "output_dir": "-o {dst} is a directory; give a results file name such as {example}",
    "inputs": "--inputs {item!r}: the scenario table has no column {col!r}; columns: {columns}",
}


def _fail(err: Exception) -> None:
    from ..batch import BatchError
    from ..recalc.errors import RecalcError

    if isinstance(err, RecalcError) and err.code in RECALC_WORDING:
        fail(RECALC_WORDING[err.code].format(**err.details))
    if isinstance(err, BatchError) and err.code in BATCH_WORDING:
        fail(BATCH_WORDING[err.code].format(**err.details))
    fail(err)


def batch_cmd(
    scenarios: Annotated[Path, typer.Argument(help="Scenario table: .csv, .tsv, .xlsx or .parquet, one scenario per row")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Results file; format from the extension "
                                                                  "(.csv .tsv .parquet .xlsx .json .jsonl)")],
    engine: Annotated[str, typer.Option(help="local (process pool on this machine) or dask")] = "local",
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address (tcp://host:8786); "
                                                       "default: a LocalCluster for the job")] = None,
    workbook: Annotated[Path | None, typer.Option(help="Run each row through this workbook's named inputs/outputs")] = None,
    inputs: Annotated[list[str] | None, typer.Option("--inputs", metavar="NAME[=COLUMN]", help="Named input NAME or NAME=COLUMN (repeatable or "
                                                                        "comma-separated); default: columns named like inputs")] = None,
    outputs: Annotated[list[str] | None, typer.Option("--outputs", metavar="NAME", help="Named outputs (repeatable or comma-separated); "
                                                                          "default: every name of a formula cell")] = None,
    chunk_rows: Annotated[int, typer.Option(help="Rows per chunk / Dask partition")] = 125_000,
    workers: Annotated[int | None, typer.Option(help="Local worker processes (default: one per core)")] = None,
    progress: Annotated[bool | None, typer.Option("--progress/--no-progress", help="Progress bar (default: on long runs)")] = None,
    pass_through: Annotated[list[str] | None, typer.Option("--pass-through", metavar="COLUMN",
                                                           help="Copy this extra column through unchanged "
                                                                "(repeatable or comma-separated)")] = None,
    allow_extra: Annotated[bool, typer.Option("--allow-extra-columns", help="Copy every column that is not an "
                                                                           "input through unchanged")] = False,
) -> None:
    """Compute TCO, floor, ceiling, IRR at rent, $/PFLOP and SOCAMM cost for every scenario row.

    Columns are engine field names or aliases (any case); an unknown column is refused with the
    closest names unless passed through. Columns named like a result (a results file fed back in)
    are replaced by this run's results.
    """
    from ..batch import run_batch

    t0 = time.perf_counter()
    try:
        summary = run_batch(scenarios, output, engine=engine, scheduler=scheduler, workbook=workbook,
                            inputs=_split(inputs), outputs=_split(outputs), chunk_rows=chunk_rows, workers=workers,
                            progress=progress, pass_through=_split(pass_through) or (), allow_extra=allow_extra)
    except GpueconError as err:
        _fail(err)
        return
    secs = time.perf_counter() - t0
    console.print(f"wrote {summary.output}: {summary.rows:,} rows ({summary.engine} engine, {secs:.2f} s), "
                  f"{summary.errors:,} with an error")
    for row, reason in summary.error_samples:
        console.print(f"  row {row}: {reason}")
    more = summary.errors - len(summary.error_samples)
    if more > 0:
        console.print(f"  ... and {more:,} more (see the error column of {summary.output})")


def _split(items: list[str] | None) -> list[str] | None:
    if not items:
        return None
    return [p.strip() for item in items for p in item.split(",") if p.strip()]


def recalc_cmd(
    book: Annotated[Path, typer.Argument(metavar="BOOK", show_default=False, help="Workbook to recalculate (.xlsx or .xlsm)")],
    output: Annotated[Path | None, typer.Option("-o", "--output", metavar="FILE", help="Recalculated copy to write")] = None,
    sets: Annotated[list[str] | None, typer.Option("--set", "-s", metavar="NAME=VALUE", help="Change a named input first: NAME=VALUE (repeatable)")] = None,
    in_place: Annotated[bool, typer.Option("--in-place", metavar="", help="Rewrite BOOK itself (atomically)")] = False,
    as_json: Annotated[bool, typer.Option("--json", metavar="", help="Print named outputs and issues as JSON")] = False,
    outputs: Annotated[list[str] | None, typer.Option("--outputs", metavar="NAME", help="Named outputs to print (repeatable or comma-separated; default: all)")] = None,
    report: Annotated[Path | None, typer.Option("--report", metavar="FILE", help="Write the report as JSON: formula count and every flagged cell with its reason")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", metavar="", help="List every flagged cell (default: counts and the first few)")] = False,
) -> None:
    """Recalculate every formula (native and gpuecon UDFs) without Excel; write values, keep everything else.

    Every formula cell either gets the value Excel computes or is flagged with its reason (kept saved
    value, external link, circular, stale, volatile, unsupported, error, mismatch); exit 1 when a written
    value is neither recomputed nor Excel's saved one (unsupported, circular, stale, error).
    """
    from ..recalc import RecalcError, parse_value, recalc

    if book.is_dir():
        raise CliError(f"{book} is a directory, not a workbook; give an .xlsx or .xlsm file")
    if output is not None and output.is_dir():
        raise CliError(f"--output {output} is a directory; give a file name such as {output / book.name}")
    try:
        values = {}
        for item in sets or []:
            if "=" not in item:
                raise RecalcError(f"--set {item!r}: expected NAME=VALUE")
            name, value = item.split("=", 1)
            values[name.strip()] = parse_value(value)
        result = recalc(book, output, sets=values, in_place=in_place, outputs=_split(outputs))
    except GpueconError as err:
        _fail(err)
        return
    issues = [{"address": i.address, "kind": i.kind, "reason": i.reason} for i in result.issues]
    flagged = [{"cell": i.address, "reason": i.kind, "detail": i.reason} for i in result.flagged]
    if report is not None:
        from ..xlsx.zipio import atomic_path

        with atomic_path(report) as tmp:
            tmp.write_text(json.dumps({"book": str(book), "output": str(result.output), "formulas": result.formulas,
                                       "flagged": flagged}, indent=1), encoding="utf-8")
    if as_json:
        typer.echo(json.dumps({"output": str(result.output), "formulas": result.formulas,
                               "cells_written": result.written, "named": _jsonable(result.named),
                               "issues": issues, "flagged": flagged,
                               "seconds": {k: round(v, 4) for k, v in result.seconds.items()}},
                              indent=2))
    else:
        table = Table(title=f"named outputs: {result.output.name if result.output else ''}")
        table.add_column("name")
        table.add_column("value", justify="right")
        for name, value in result.named.items():
            table.add_row(name, _fmt(value))
        console = stdout_console()
        console.print(table)
        total = sum(result.seconds.values())
        console.print(f"recalculated {result.formulas:,} formulas in {total:.2f} s; wrote {result.written:,} "
                      f"cached values to {result.output}")
        _summary(console, result, verbose, report)
    if any(i.kind in EXIT_1 for i in result.flagged):
        raise typer.Exit(1)


def _summary(console, result, verbose: bool, report: Path | None) -> None:
    """Flagged cells: a count per reason and the first few cells of each (all with ``--verbose``);
    then error values the book computes, counted (the first few shown)."""
    from collections import defaultdict

    by_reason: dict[str, list] = defaultdict(list)
    for i in result.flagged:
        by_reason[i.kind].append(i)
    if by_reason:
        console.print(f"[yellow]{len(result.flagged):,} cell(s) flagged (value may not be what Excel computes):[/yellow]")
    for kind, items in by_reason.items():
        shown = items if verbose else items[:SHOWN_PER_REASON]
        console.print(f"  {kind}: {len(items):,}", markup=False, highlight=False)
        for i in shown:
            console.print(f"    {i.address}: {i.reason}", markup=False, highlight=False)
        if len(items) > len(shown):
            where = f"see {report}" if report else "--verbose or --report FILE lists all"
            console.print(f"    ... and {len(items) - len(shown):,} more ({where})", markup=False, highlight=False)
    flagged = {i.address for i in result.flagged}
    errors = [i for i in result.issues if i.kind == "error" and i.address.replace("'", "") not in flagged]
    if errors:
        console.print(f"{len(errors):,} cell(s) show an error value:", markup=False, highlight=False)
        for i in errors if verbose else errors[:SHOWN_PER_REASON]:
            console.print(f"  {i.address}: {i.kind}: {i.reason}", markup=False, highlight=False)
        if not verbose and len(errors) > SHOWN_PER_REASON:
            console.print(f"  ... and {len(errors) - SHOWN_PER_REASON:,} more (--verbose lists all)", markup=False,
                          highlight=False)


def _jsonable(v: object) -> object:
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_jsonable(x) for x in v]
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def _fmt(v: object) -> str:
    if isinstance(v, list):
        return "; ".join(", ".join(_fmt(x) for x in row) if isinstance(row, list) else _fmt(row) for row in v)
    if isinstance(v, float):
        return f"{v:,.6g}"
    return str(v)
