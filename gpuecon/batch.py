"""Batch scenario tables: CSV / XLSX / Parquet in, the same rows with results out.

Three ways to run the same job, all through the engine's DataFrame entry point
(:func:`gpuecon.frame.evaluate`), so every engine gives the same numbers:

* ``local``: the table is cut into chunks; with more than one chunk and more than one core the
  chunks run in a process pool (one process per core), with a progress bar on long runs.
* ``dask``: ``dask.dataframe`` partitions, ``map_partitions(evaluate)`` on a ``distributed``
  cluster (an existing scheduler address, or a LocalCluster started for the job); partitions are
  gathered in order and streamed into the one output file.
* ``workbook``: each row is run through a workbook's named inputs and named outputs (what Excel's
  Data Table does) with :mod:`gpuecon.recalc`.

Rows are never dropped: a bad row keeps its inputs, gets blank results and the reason in
``error``. CSV inputs are read as text and passed through verbatim (the engine parses the numbers,
and reports text that is not a number in the row's ``error``), so the output's input columns are
exactly what the user wrote and every engine/partitioning sees the same types.
"""

from __future__ import annotations

import functools
import importlib.util
import math
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pandas as pd

from .engine.assumptions import normalize_name
from .engine.errors import GpueconError
from .engine.frame import LABEL_COLUMNS, scenario_columns
from .engine.frame import evaluate as _evaluate
from .engine.numbers import parse_value
from .xlsx.errors import ERROR_CODES
from .xlsx.zipio import atomic_path

__all__ = ["BatchError", "BatchSummary", "read_scenarios", "write_results", "evaluate_local", "evaluate_dask",
           "evaluate_workbook", "run_batch", "FORMATS"]

FORMATS = {".csv": "csv", ".txt": "csv", ".tsv": "tsv", ".parquet": "parquet", ".pq": "parquet",
           ".xlsx": "xlsx", ".xlsm": "xlsx", ".json": "json", ".jsonl": "jsonl"}
INPUT_FORMATS = ("csv", "tsv", "parquet", "xlsx")
DEFAULT_CHUNK_ROWS = 125_000
PROGRESS_MIN_ROWS = 200_000  # a progress bar only on runs long enough to need one
XLSX_MAX_ROWS = 1_048_575  # Excel's grid minus the header row
SCHEDULER_CONNECT_TIMEOUT_S = 5  # a Dask scheduler given by address: a typo fails fast


class BatchError(GpueconError):
    """A batch job cannot run (unknown format, unreadable file, bad option); nothing is written.

    ``code`` and ``details`` name the option concerned in this module's own terms (its keyword
    arguments), so a command line can word the message with its own flags.
    """

    def __init__(self, message: str, code: str = "", **details: object) -> None:
        super().__init__("batch", None, "", message)
        self.code = code
        self.details = details


@dataclass
class BatchSummary:
    rows: int = 0
    errors: int = 0
    output: Path | None = None
    engine: str = "local"
    error_samples: list[tuple[int, str]] = field(default_factory=list)


def _format(path: Path, *, for_input: bool) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None or (for_input and fmt not in INPUT_FORMATS):
        allowed = ", ".join(sorted(k for k, v in FORMATS.items() if not for_input or v in INPUT_FORMATS))
        raise BatchError(f"{path.name}: cannot tell the format from the extension {path.suffix!r}; use one of {allowed}")
    return fmt


# --- reading and writing ----------------------------------------------------------------------

def read_scenarios(path: str | os.PathLike[str]) -> pd.DataFrame:
    """A scenario table from CSV/TSV (read as text), XLSX (first sheet) or Parquet."""
    src = Path(path)
    fmt = _format(src, for_input=True)
    if not src.is_file():
        raise BatchError(f"no such file: {src}")
    try:
        if fmt in ("csv", "tsv"):
            return _read_text_table(src, "\t" if fmt == "tsv" else ",")
        if fmt == "parquet":
            return pd.read_parquet(src)
        return pd.read_excel(src, sheet_name=0, engine="openpyxl")
    except (OSError, ValueError, ImportError) as exc:
        if isinstance(exc, GpueconError):
            raise
        raise BatchError(f"{src.name}: cannot read as {fmt}: {exc}") from None


def _read_text_table(src: Path, sep: str) -> pd.DataFrame:
    kw = dict(sep=sep, dtype=str, keep_default_na=False, na_values=[""])
    try:
        return pd.read_csv(src, engine="pyarrow", **kw)
    except Exception:  # pyarrow refuses some files pandas' C parser accepts (ragged quoting etc.)
        return pd.read_csv(src, **kw)


def write_results(df: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write in the format the extension asks for, atomically (temp file in the folder, then rename)."""
    out = Path(path)
    fmt = _format(out, for_input=False)
    if fmt == "xlsx" and len(df) > XLSX_MAX_ROWS:
        raise BatchError(f"{len(df):,} rows do not fit in one Excel sheet ({XLSX_MAX_ROWS:,}); write CSV or Parquet")
    with atomic_path(out, suffix=".tmp" + out.suffix) as tmp:
        writer = _ChunkWriter(tmp, fmt)
        writer.write(df)
        writer.close()
    return out


class _ChunkWriter:
    """Appends result chunks to one file: CSV/TSV/JSONL streamed, Parquet by row groups,
    XLSX and JSON collected (they are written whole)."""

    def __init__(self, path: Path, fmt: str) -> None:
        self.path, self.fmt = path, fmt
        self._pq = None
        self._schema = None
        self._held: list[pd.DataFrame] = []
        self._first = True
        self._fh = open(path, "wb") if fmt in ("csv", "tsv", "jsonl") else None  # noqa: SIM115

    def write(self, df: pd.DataFrame) -> None:
        if self.fmt in ("csv", "tsv"):
            import pyarrow as pa
            import pyarrow.csv as pacsv

            table = pa.Table.from_pandas(_arrow_safe(df), preserve_index=False)
            opts = pacsv.WriteOptions(include_header=self._first, delimiter="\t" if self.fmt == "tsv" else ",")
            pacsv.write_csv(table, self._fh, write_options=opts)
        elif self.fmt == "jsonl":
            text = _numbers_as_numbers(df).to_json(orient="records", lines=True)
            self._fh.write(text.encode("utf-8") + (b"" if text.endswith("\n") or not text else b"\n"))
        elif self.fmt == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(_arrow_safe(df), preserve_index=False)
            if self._pq is None:
                self._schema = table.schema
                self._pq = pq.ParquetWriter(self.path, table.schema)
            self._pq.write_table(table.cast(self._schema) if table.schema != self._schema else table)
        else:
            self._held.append(df)
        self._first = False

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
        if self._pq is not None:
            self._pq.close()
        elif self.fmt == "parquet":  # no chunk at all: an empty file with no columns
            pd.DataFrame().to_parquet(self.path)
        if self.fmt in ("xlsx", "json"):
            df = pd.concat(self._held, ignore_index=True) if self._held else pd.DataFrame()
            if self.fmt == "json":
                self.path.write_text(_numbers_as_numbers(df).to_json(orient="records", indent=1), "utf-8")
            else:
                df.to_excel(self.path, index=False, engine="openpyxl", sheet_name="results")


def _numbers_as_numbers(df: pd.DataFrame) -> pd.DataFrame:
    """JSON output: a text column whose every filled cell is a plain number becomes numeric."""
    out = df
    for col in df.columns:
        s = df[col]
        if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            filled = s.dropna()
            filled = filled[filled.astype(str).str.strip() != ""]
            num = pd.to_numeric(filled, errors="coerce")
            if len(filled) and num.notna().all() and not filled.map(lambda v: isinstance(v, bool)).any():
                out = df.copy() if out is df else out
                out[col] = pd.to_numeric(s.where(s.astype(str).str.strip() != ""), errors="coerce")
    return out


def _arrow_safe(df: pd.DataFrame) -> pd.DataFrame:
    """Object columns that mix types (e.g. numbers and text from an XLSX input) become text."""
    out = None
    for col in df.columns:
        s = df[col]
        if s.dtype == object:
            kinds = {type(v) for v in s.dropna().head(10_000)}
            if len(kinds) > 1 or (kinds and not kinds <= {str}):
                out = df.copy() if out is None else out
                out[col] = s.map(lambda v: v if v is None or (isinstance(v, float) and math.isnan(v)) else str(v))
    return df if out is None else out


# --- engines ------------------------------------------------------------------------------------

def _chunks(df: pd.DataFrame, rows: int) -> Iterator[pd.DataFrame]:
    for start in range(0, max(len(df), 1), rows):
        yield df.iloc[start:start + rows]


def _progress(total: int, enabled: bool | None, desc: str):
    from tqdm.auto import tqdm

    show = (total >= PROGRESS_MIN_ROWS) if enabled is None else enabled
    return tqdm(total=total, unit="row", unit_scale=True, desc=desc, disable=not show, file=sys.stderr,
                dynamic_ncols=True)


def evaluate_local(df: pd.DataFrame, *, chunk_rows: int = DEFAULT_CHUNK_ROWS, workers: int | None = None,
                   progress: bool | None = None, sink: Callable[[pd.DataFrame], None] | None = None,
                   pass_through: Sequence[str] = (), allow_extra: bool = False) -> pd.DataFrame | None:
    """``evaluate`` chunk by chunk; chunks run on ``workers`` processes (default: the cores).

    With ``sink`` each result chunk is handed over in order and nothing is returned (bounded memory).
    ``pass_through`` / ``allow_extra``: extra columns copied through (see :func:`frame.scenario_columns`).
    """
    scenario_columns(df.columns, pass_through=pass_through, allow_extra=allow_extra)  # refuse before any work
    evaluate = functools.partial(_evaluate, pass_through=tuple(pass_through), allow_extra=allow_extra)
    n = len(df)
    chunks = list(_chunks(df, max(1, chunk_rows)))
    workers = min(workers or os.cpu_count() or 1, len(chunks))
    parts: list[pd.DataFrame] = []
    emit = sink or parts.append
    if workers <= 1:
        with _progress(n, progress, "gpuecon batch") as bar:
            for chunk in chunks:
                emit(evaluate(chunk))
                bar.update(len(chunk))
    else:
        import threading

        # fork is fastest (no re-import); only safe while this process has a single thread
        method = "fork" if "fork" in _start_methods() and threading.active_count() == 1 else (
            "forkserver" if "forkserver" in _start_methods() else "spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context(method)) as pool:
            pool.submit(int).result()  # workers start now, before the progress bar's thread
            with _progress(n, progress, "gpuecon batch") as bar:
                for res in pool.map(evaluate, chunks):
                    emit(res)
                    bar.update(len(res))
    if sink is not None:
        return None
    return pd.concat(parts) if parts else evaluate(df)


def _start_methods() -> list[str]:
    import multiprocessing

    return multiprocessing.get_all_start_methods()


def _dask_frame(src: Path | pd.DataFrame, partition_rows: int):
    import dask.dataframe as dd

    if isinstance(src, pd.DataFrame):
        return dd.from_pandas(src, chunksize=max(1, partition_rows), sort=False)
    fmt = _format(src, for_input=True)
    if fmt in ("csv", "tsv"):
        return dd.read_csv(str(src), sep="\t" if fmt == "tsv" else ",", dtype="string", keep_default_na=False,
                           na_values=[""], blocksize="4MB")
    if fmt == "parquet":
        return dd.read_parquet(str(src))
    return dd.from_pandas(read_scenarios(src), chunksize=max(1, partition_rows), sort=False)


def _evaluate_partition(part: pd.DataFrame, pass_through: tuple[str, ...] = (), allow_extra: bool = False) -> pd.DataFrame:
    return _evaluate(part, pass_through=pass_through, allow_extra=allow_extra)


def evaluate_dask(src: Path | str | pd.DataFrame, *, scheduler: str | None = None, client=None,
                  partition_rows: int = DEFAULT_CHUNK_ROWS, n_workers: int | None = None,
                  progress: bool | None = None, sink: Callable[[pd.DataFrame], None] | None = None,
                  pass_through: Sequence[str] = (), allow_extra: bool = False) -> pd.DataFrame | None:
    """``map_partitions(evaluate)`` on a Dask cluster; partitions come back in order.

    ``client``: an existing ``distributed.Client``; else ``scheduler`` (an address such as
    ``tcp://10.0.0.5:8786``); else a LocalCluster on loopback with one process per core for the job.
    """
    from distributed import Client, LocalCluster

    ddf = _dask_frame(Path(src) if not isinstance(src, pd.DataFrame) else src, partition_rows)
    kw = dict(pass_through=tuple(pass_through), allow_extra=allow_extra)
    meta = _evaluate(ddf._meta, **kw)  # refuses unknown columns before the cluster starts
    res = ddf.map_partitions(_evaluate_partition, meta=meta, **kw)
    own_cluster = own_client = None
    try:
        if client is None:
            if scheduler:
                try:
                    client = own_client = Client(scheduler, timeout=SCHEDULER_CONNECT_TIMEOUT_S)
                except OSError:  # refused or timed out: one line, not distributed's traceback
                    raise BatchError(f"cannot reach the Dask scheduler at {scheduler} within "
                                     f"{SCHEDULER_CONNECT_TIMEOUT_S} s; check --scheduler, or leave it out "
                                     "to start a local cluster") from None
            else:
                own_cluster = LocalCluster(n_workers=n_workers or os.cpu_count() or 1, threads_per_worker=1,
                                           processes=True, host="127.0.0.1", dashboard_address=None)
                client = own_client = Client(own_cluster)
        parts: list[pd.DataFrame] = []
        emit = sink or parts.append
        delayed = res.to_delayed()
        futures = client.compute(delayed)
        with _progress(0, bool(progress), "gpuecon batch (dask)") as bar:
            for fut in futures:  # in partition order; the cluster computes ahead
                part = fut.result()
                emit(part)
                bar.update(len(part))
                fut.release()
        if sink is not None:
            return None
        return pd.concat(parts) if parts else meta
    finally:
        if own_client is not None:
            own_client.close()
        if own_cluster is not None:
            own_cluster.close()


def evaluate_workbook(df: pd.DataFrame, book: str | os.PathLike[str], inputs: Sequence[str] | None = None,
                      outputs: Sequence[str] | None = None, *, progress: bool | None = None,
                      pass_through: Sequence[str] = (), allow_extra: bool = False) -> pd.DataFrame:
    """Each row through the workbook's named inputs -> named outputs (Excel's Data Table).

    ``inputs``: ``NAME`` (the column of the same name) or ``NAME=COLUMN``; default: every column
    that names an input as ``recalc --set`` does (a constant cell's name, ``NAME`` for its
    ``NAME_input`` cell, field aliases such as ``hurdle`` or ``system``). Any other column is refused
    unless it is a label column, in ``pass_through`` or ``allow_extra`` is set (then copied through).
    ``outputs``: defined names; default: every name of a formula cell. A row whose inputs or
    calculation fail gets the reason in ``error``.
    """
    from .recalc.workbook import RecalcError, Workbook

    wb = Workbook.open(book)
    cols = {str(c).casefold(): c for c in df.columns}
    if inputs:
        mapping = {}
        for item in inputs:
            name, _, col = item.partition("=")
            col = col.strip() or name.strip()
            if col.casefold() not in cols:
                raise BatchError(f"inputs {item!r}: the scenario table has no column {col!r}; columns: {list(df.columns)}",
                                 "inputs", item=item, col=col, columns=list(df.columns))
            mapping[name.strip()] = cols[col.casefold()]
    else:
        mapping, unknown = {}, []
        keep = {normalize_name(c) for c in pass_through}
        for col in df.columns:
            try:
                wb.check_input(str(col))
                mapping[str(col)] = col
            except RecalcError:
                if not (allow_extra or normalize_name(col) in keep or normalize_name(col) in LABEL_COLUMNS):
                    unknown.append(str(col))
        if unknown:
            raise BatchError(f"scenario column(s) {', '.join(map(repr, unknown))} name no input of "
                             f"{Path(book).name}: {wb.input_names()[:12]}... (map one with --inputs NAME=COLUMN, "
                             "or copy it through with --pass-through / --allow-extra-columns)")
        if not mapping:
            raise BatchError(f"no scenario column is a named input of {Path(book).name}; its named inputs are "
                             f"{wb.input_names()} (or pass --inputs NAME=COLUMN)")
    for name in mapping:
        wb.check_input(name)
    outs = list(outputs) if outputs else wb.output_names()
    for name in outs:
        wb.check_output(name)
    results: dict[str, list] = {n: [] for n in outs}
    errors: list[str] = []
    with _progress(len(df), progress if progress is not None else (len(df) >= 1000), "gpuecon batch (workbook)") as bar:
        for row in df.itertuples(index=False, name=None):
            values = dict(zip(df.columns, row, strict=True))
            sets = {name: _cell_value(values[col]) for name, col in mapping.items()}
            try:
                got = wb.calculate_named(sets, outs)
                problems = []
                for n in outs:
                    v = _plain(got[n])
                    if _is_error_text(v):  # an error value: blank result, reason in `error`
                        problems.append(f"{n}: {v}")
                        v = None
                    results[n].append(v)
                errors.append("; ".join(problems))
            except GpueconError as exc:
                errors.append(str(exc))
                for n in outs:
                    results[n].append(None)
            bar.update(1)
    out = df.reset_index(drop=True).copy()
    for n in outs:
        out[n] = results[n]
    out["error"] = errors
    return out


def _cell_value(v: object) -> object:
    """A scenario cell as a workbook input: numbers through the one parser, TRUE/FALSE, else text."""
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return None
    if isinstance(v, str):
        return parse_value(v)
    if isinstance(v, np.generic):
        return v.item()
    return v


_ERROR_CODES = tuple(ERROR_CODES)  # str.startswith takes a tuple


def _is_error_text(v: object) -> bool:
    return isinstance(v, str) and v.startswith(_ERROR_CODES)


def _plain(v: object) -> object:
    if isinstance(v, list):
        return ",".join(str(x) for x in v)
    return v


def check_options(src: Path, dst: Path, *, engine: str = "local", scheduler: str | None = None,
                  chunk_rows: int = DEFAULT_CHUNK_ROWS, workers: int | None = None,
                  workbook: str | os.PathLike[str] | None = None) -> None:
    """Refuse a batch run's bad options with one line each, before anything is read or written."""
    if engine not in ("local", "dask"):
        raise BatchError(f"engine must be 'local' or 'dask', got {engine!r}", "engine", engine=engine)
    if scheduler and engine != "dask":
        raise BatchError("a scheduler needs engine='dask' (the local engine has no scheduler)", "scheduler")
    if engine == "dask" and importlib.util.find_spec("distributed") is None:
        raise BatchError("engine='dask' needs Dask: pip install 'gpuecon[dask]' (the local engine needs nothing more)",
                         "dask_missing")
    if workers is not None and (isinstance(workers, bool) or int(workers) < 1):
        raise BatchError(f"workers must be a whole number >= 1, got {workers}", "workers", workers=workers)
    if isinstance(chunk_rows, bool) or int(chunk_rows) < 1:
        raise BatchError(f"chunk_rows must be a whole number >= 1, got {chunk_rows}", "chunk_rows", chunk_rows=chunk_rows)
    if workbook is not None and engine == "dask":
        raise BatchError("a workbook runs on the local engine only", "workbook_engine")
    if src.is_dir():
        raise BatchError(f"{src} is a directory; give a scenario file (.csv, .tsv, .xlsx or .parquet)")
    _format(src, for_input=True)
    if dst.is_dir():
        raise BatchError(f"the output {dst} is a directory; give a results file name such as {dst / 'results.csv'}",
                         "output_dir", dst=dst, example=dst / "results.csv")
    _format(dst, for_input=False)
    if dst.exists() and src.exists() and dst.resolve() == src.resolve():
        raise BatchError("the output would overwrite the scenario file; choose another name")


def run_batch(src: str | os.PathLike[str], dst: str | os.PathLike[str], *, engine: str = "local",
              scheduler: str | None = None, workbook: str | os.PathLike[str] | None = None,
              inputs: Iterable[str] | None = None, outputs: Iterable[str] | None = None,
              chunk_rows: int = DEFAULT_CHUNK_ROWS, workers: int | None = None,
              progress: bool | None = None, pass_through: Sequence[str] = (),
              allow_extra: bool = False) -> BatchSummary:
    """Read ``src``, compute every row, write ``dst`` (format from its extension) atomically.

    Every option is checked before anything is read or written; a refused run writes nothing.
    """
    src, dst = Path(src), Path(dst)
    check_options(src, dst, engine=engine, scheduler=scheduler, chunk_rows=chunk_rows, workers=workers,
                  workbook=workbook)
    fmt = _format(dst, for_input=False)
    summary = BatchSummary(engine="workbook" if workbook else engine)

    def count(part: pd.DataFrame) -> None:
        summary.rows += len(part)
        bad = part["error"].fillna("").astype(str) != ""
        summary.errors += int(bad.sum())
        if len(summary.error_samples) < 5:
            idx = np.flatnonzero(bad.to_numpy())[: 5 - len(summary.error_samples)]
            summary.error_samples += [(summary.rows - len(part) + int(i) + 1, str(part["error"].iloc[i])) for i in idx]

    with atomic_path(dst, suffix=".tmp" + dst.suffix) as tmp:
        writer = _ChunkWriter(tmp, fmt)

        def sink(part: pd.DataFrame) -> None:
            count(part)
            writer.write(part)

        if workbook is not None:
            sink(evaluate_workbook(read_scenarios(src), workbook, list(inputs or []) or None,
                                   list(outputs or []) or None, progress=progress, pass_through=pass_through,
                                   allow_extra=allow_extra))
        elif engine == "dask":
            evaluate_dask(src, scheduler=scheduler, partition_rows=chunk_rows, progress=progress, sink=sink,
                          pass_through=pass_through, allow_extra=allow_extra)
        else:
            df = read_scenarios(src)
            if fmt == "xlsx" and len(df) > XLSX_MAX_ROWS:
                raise BatchError(f"{len(df):,} rows do not fit in one Excel sheet; write CSV or Parquet")
            evaluate_local(df, chunk_rows=chunk_rows, workers=workers, progress=progress, sink=sink,
                           pass_through=pass_through, allow_extra=allow_extra)
        writer.close()
    summary.output = dst
    return summary
