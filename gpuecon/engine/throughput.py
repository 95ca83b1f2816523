"""Published inference throughput: tokens/s per GPU by system, model, workload, precision and
software configuration, and throughput ratios between systems where only a ratio is public.

Data: ``data/throughput.csv`` (absolute figures, sourced) and ``data/throughput_ratios.csv``
(ratios, sourced; seed 001 gives GB300 NVL72 against H100 only as ~17x at FP8 and ~32x at FP4, so
no absolute figure is made up from them). A look-up with no public figure gives NaN and the reason.
Conventions and Excel equivalents: docs/model.md, "Tokens and decisions".
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import numpy as np

from .catalog import get_system, normalize, read_data_csv
from .docstrings import fill as fill_docstrings
from .errors import GpueconError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["throughput_table", "throughput_ratios", "ThroughputLookup", "throughput_detail",
           "throughput_tokens_per_sec_per_gpu", "throughput_ratio_detail", "throughput_ratio"]

@cache
def _figures() -> pd.DataFrame:
    return read_data_csv("throughput.csv", ("system",), ("tokens_per_sec_per_gpu",))


@cache
def _ratios() -> pd.DataFrame:
    return read_data_csv("throughput_ratios.csv", ("system", "reference_system"), ("ratio",))


def throughput_table() -> pd.DataFrame:
    """The published absolute throughput figures, one row per system, model, workload and configuration.

    Read once from ``gpuecon/engine/data/throughput.csv``; system names are the catalog's. Excel:
    ``=THROUGHPUT(system, model, [workload], [precision], [configuration])`` looks a figure up.

    Returns
    -------
    pandas.DataFrame
        Columns ``system``, ``model``, ``workload`` (input/output tokens, ``8k/1k``), ``precision``
        (NaN = not stated), ``configuration`` (the software), ``tokens_per_sec_per_gpu``, ``as_of``
        (NaN = not stated), ``source``.

    Examples
    --------
    >>> t = throughput_table()
    >>> t[["system", "tokens_per_sec_per_gpu"]].values.tolist()  # seed 001: ~1k, ~8k, ~14k through software
    [['B300', 1000.0], ['B300', 8000.0], ['B300', 14000.0]]
    """
    return _figures().copy()


def throughput_ratios() -> pd.DataFrame:
    """Published throughput ratios between two systems (where no absolute figure is public).

    Read once from ``gpuecon/engine/data/throughput_ratios.csv``. ``ratio`` is the system's
    throughput over the reference system's, each at its own precision. Excel:
    ``=THROUGHPUT_RATIO(system, reference_system, [precision])``.

    Returns
    -------
    pandas.DataFrame
        Columns ``system``, ``reference_system``, ``model``, ``workload``, ``precision``,
        ``reference_precision``, ``configuration``, ``ratio``, ``source``.

    Examples
    --------
    >>> r = throughput_ratios()
    >>> r[["system", "reference_system", "precision", "ratio"]].values.tolist()  # seed 001
    [['GB300 NVL72', 'H100 SXM', 'FP8', 17.0], ['GB300 NVL72', 'H100 SXM', 'FP4', 32.0]]
    """
    return _ratios().copy()


@dataclass(frozen=True)
class ThroughputLookup:
    """Per query: the figure (NaN where none is public), why not, and the row's configuration and source."""

    tokens_per_sec_per_gpu: np.ndarray
    reason: np.ndarray
    configuration: np.ndarray
    source: np.ndarray


def _given(value: object) -> bool:
    return value is not None and not (isinstance(value, float) and np.isnan(value)) and str(value).strip() != ""


def _key(value: object) -> str:
    return normalize(str(value))


def _text_arrays(*values: object) -> list[np.ndarray]:
    """Text arguments (scalars or array-likes) broadcast together as object arrays."""
    arrays = [np.asarray(v if v is not None else "", dtype=object) for v in values]
    if all(a.shape == arrays[0].shape for a in arrays):  # nothing to broadcast (one cell: all 0-d)
        return arrays
    try:
        return [np.asarray(a, dtype=object) for a in np.broadcast_arrays(*arrays)]
    except ValueError:
        shapes = ", ".join(str(np.shape(a)) for a in arrays)
        raise GpueconError("arguments", shapes, "shapes that broadcast together") from None


def _published(rows: pd.DataFrame) -> str:
    return "; ".join(f"{r.model} {r.workload}" + (f" {r.precision}" if isinstance(r.precision, str) else "")
                     + f", {r.configuration}: {r.tokens_per_sec_per_gpu:,.0f}" for r in rows.itertuples(index=False))


def _ratio_hint(system: str) -> str:
    r = _ratios()
    mine = r[(r["system"] == system) | (r["reference_system"] == system)]
    if mine.empty:
        return ""
    parts = ", ".join(f"{x.system} {x.ratio:g}x {x.reference_system} ({x.precision} vs {x.reference_precision})"
                      for x in mine.itertuples(index=False))
    return f"; only ratios are public: {parts} (THROUGHPUT_RATIO)"


@cache  # the published tables are read once, so a query's answer never changes
def _one(system: str, model: object, workload: object, precision: object, configuration: object) -> tuple:
    """(tokens/s, reason, configuration, source) for one query; NaN and the reason where none is public."""
    table = _figures()
    rows = table[table["system"] == system]
    what = f"{system}"
    if rows.empty:
        listed = ", ".join(sorted(set(table["system"])))
        return (np.nan, f"no public throughput figure for {system}{_ratio_hint(system)} (figures are published for "
                        f"{listed}: gpuecon throughput)", "", "")
    if not _given(model):
        raise GpueconError("model", model, "given", "model is required (e.g. DeepSeek R1)")
    steps = [("model", model), ("workload", workload), ("precision", precision)]
    for name, value in steps:
        if not _given(value):
            continue
        what += f" {value}"
        match = rows[name].map(lambda x, v=value: isinstance(x, str) and _key(x) == _key(v))
        if not match.any():
            stated = "" if name != "precision" or rows["precision"].map(lambda x: isinstance(x, str)).any() else \
                " (the published figures do not state a precision)"
            return (np.nan, f"no public throughput figure for {what}{stated}{_ratio_hint(system)}; published: "
                            f"{_published(rows)}", "", "")
        rows = rows[match.to_numpy()]
    if _given(configuration):
        keys = rows["configuration"].map(_key)
        exact = keys == _key(configuration)
        pick = exact if exact.any() else keys.str.startswith(_key(configuration))
        if pick.sum() != 1:
            why = "no" if not pick.any() else "more than one"
            return (np.nan, f"{why} published configuration of {what} matches {str(configuration)!r}; published: "
                            f"{_published(rows)}", "", "")
        rows = rows[pick.to_numpy()]
    best = rows.loc[rows["tokens_per_sec_per_gpu"].idxmax()]  # no configuration: the best published figure
    return float(best["tokens_per_sec_per_gpu"]), "", str(best["configuration"]), str(best["source"])


def throughput_detail(system, model, workload=None, precision=None, configuration=None) -> ThroughputLookup:
    """Published tokens/s per GPU for a system and model, with the reason where none is public.

    A figure matches when its system is the same catalog system and its model, workload and
    precision are the ones given (case, spaces and punctuation ignored; a blank argument matches
    any; a figure that states no precision matches only a blank precision). Of several matching
    configurations the highest published figure is returned (the seed's "most optimized" reading)
    unless ``configuration`` names one (its full name or a unique beginning, e.g. ``baseline``).
    Arguments broadcast; each distinct query is looked up once.

    Excel: ``=THROUGHPUT(system, model, [workload], [precision], [configuration])``, ``#N/A <reason>``
    where no figure is public.

    {lookup_params}

    Returns
    -------
    ThroughputLookup
        ``tokens_per_sec_per_gpu`` (NaN where none), ``reason`` ("" where found), ``configuration``
        and ``source`` of the figure used; broadcast shape.

    Raises
    ------
    GpueconError
        An unknown system name; a blank model for a system with figures; shapes that do not broadcast.

    Examples
    --------
    >>> d = throughput_detail("B300", "DeepSeek R1", "8k/1k")
    >>> float(d.tokens_per_sec_per_gpu), str(d.configuration)
    (14000.0, 'wideEP + disagg + MTP')
    >>> float(throughput_detail("B300", "deepseek-r1", configuration="baseline").tokens_per_sec_per_gpu)
    1000.0
    >>> str(throughput_detail("GB300 NVL72", "DeepSeek R1").reason)[:89]
    'no public throughput figure for GB300 NVL72; only ratios are public: GB300 NVL72 17x H100'
    """
    arrays = _text_arrays(system, model, workload, precision, configuration)
    shape = arrays[0].shape
    if not shape:  # one query: nothing to number
        s, m, w, p, c = ("" if not _given(v) else str(v) for v in (a.item() for a in arrays))
        found = _one(get_system(s).name, m, w, p, c)
        return ThroughputLookup(np.array(found[0], dtype=float), *(np.array(x, dtype=object) for x in found[1:]))
    flat = [a.reshape(-1) for a in arrays]
    queries = zip(*(map(lambda v: "" if not _given(v) else str(v), f) for f in flat), strict=True)
    index: dict[tuple[str, ...], int] = {}  # distinct query -> its number, in order of first appearance
    codes = np.fromiter((index.setdefault(q, len(index)) for q in queries), dtype=np.int64, count=flat[0].size)
    found = [_one(get_system(s).name, m, w, p, c) for s, m, w, p, c in index]
    cols = list(zip(*found, strict=True)) if found else [(), (), (), ()]
    tps = np.array(cols[0], dtype=float)[codes].reshape(shape) if found else np.full(shape, np.nan)
    out = [np.array(c, dtype=object)[codes].reshape(shape) if found else np.full(shape, "", dtype=object)
           for c in cols[1:]]
    return ThroughputLookup(tps, out[0], out[1], out[2])


def throughput_tokens_per_sec_per_gpu(system, model, workload=None, precision=None, configuration=None) -> np.ndarray:
    """Published tokens/s per GPU (NaN where none is public): :func:`throughput_detail`'s figure.

    ``tps = the published figure`` (no formula: a look-up in ``data/throughput.csv``); feed it to
    :func:`gpuecon.engine.tokens.token_cost_usd_per_mtok` for the cost per MTok.

    Excel: ``=THROUGHPUT(system, model, [workload], [precision], [configuration])``; then
    ``=TOKEN_COST(system, THROUGHPUT(...))``.

    {lookup_params}

    Returns
    -------
    ndarray
        Tokens per second per GPU; NaN where no figure is public. Broadcast shape.

    Raises
    ------
    GpueconError
        As :func:`throughput_detail`.

    Examples
    --------
    >>> throughput_tokens_per_sec_per_gpu("B300", "DeepSeek R1", "8k/1k", configuration=["baseline", "wideEP + disagg"])
    array([1000., 8000.])
    """
    return throughput_detail(system, model, workload, precision, configuration).tokens_per_sec_per_gpu


@cache  # as _one: one answer per distinct query
def _one_ratio(system: str, reference: str, precision: str) -> tuple[float, str]:
    r = _ratios()
    forward = r[(r["system"] == system) & (r["reference_system"] == reference)]
    backward = r[(r["system"] == reference) & (r["reference_system"] == system)]
    rows, invert = (forward, False) if not forward.empty else (backward, True)
    if rows.empty:
        return np.nan, f"no public throughput ratio of {system} to {reference} (gpuecon throughput lists them)"
    # the precision of the published comparison's first system; blank: like for like (both at one precision)
    if precision:
        pick = rows["precision"].map(_key) == _key(precision)
    else:
        pick = rows["precision"] == rows["reference_precision"]
    if pick.sum() != 1:
        listed = "; ".join(f"{x.precision} vs {x.reference_precision}: {x.ratio:g}x" for x in rows.itertuples(index=False))
        return np.nan, (f"no single public ratio of {system} to {reference}"
                        f"{' at ' + precision if precision else ' like for like'}; published ({rows.iloc[0].system} over "
                        f"{rows.iloc[0].reference_system}): {listed}")
    ratio = float(rows[pick.to_numpy()]["ratio"].iloc[0])
    return (1.0 / ratio if invert else ratio), ""


def throughput_ratio_detail(system, reference_system, precision=None) -> tuple[np.ndarray, np.ndarray]:
    """Published throughput of ``system`` over ``reference_system``, with the reason where none is public.

    ``ratio = published`` (seed 001: GB300 NVL72 over H100, ~17x at FP8, ~32x with GB300 at FP4 against
    H100 at FP8); the other way round it is ``1 / published``. ``precision`` is the published
    comparison's (of its first system: GB300's FP4 in the 32x); blank: the like-for-like ratio (both at
    one precision). Arguments broadcast.

    Excel: ``=THROUGHPUT_RATIO(system, reference_system, [precision])``, ``#N/A <reason>`` where none.

    {ratio_params}

    Returns
    -------
    tuple of ndarray
        ``(ratio, reason)``: ratio NaN where none, reason "" where found; broadcast shape.

    Raises
    ------
    GpueconError
        An unknown system name; shapes that do not broadcast.

    Examples
    --------
    >>> [float(x) for x in throughput_ratio_detail("GB300 NVL72", "H100", ["", "FP4"])[0]]
    [17.0, 32.0]
    >>> round(float(throughput_ratio_detail("H100", "GB300 NVL72")[0]), 6)  # 1 / 17
    0.058824
    """
    s, ref, p = _text_arrays(system, reference_system, precision)
    shape = s.shape
    ratio, reason = np.full(s.size, np.nan), np.full(s.size, "", dtype=object)
    cache_: dict[tuple[str, str, str], tuple[float, str]] = {}
    for i, (a, b, c) in enumerate(zip(s.reshape(-1), ref.reshape(-1), p.reshape(-1), strict=True)):
        key = (get_system(a).name, get_system(b).name, str(c).strip().upper() if _given(c) else "")
        if key not in cache_:
            cache_[key] = _one_ratio(*key)
        ratio[i], reason[i] = cache_[key]
    return ratio.reshape(shape), reason.reshape(shape)


def throughput_ratio(system, reference_system, precision=None) -> np.ndarray:
    """Published throughput ratio of two systems (NaN where none): :func:`throughput_ratio_detail`'s ratio.

    ``ratio = published`` (or ``1 / published`` the other way round). The cost per token relative to
    the reference is ``TCO ratio / ratio`` (seed 001: GB300 about 1.70x H100's TCO at 17x the FP8
    throughput, so about 10% of the cost per token).

    Excel: ``=THROUGHPUT_RATIO(system, reference_system, [precision])``.

    {ratio_params}

    Returns
    -------
    ndarray
        Throughput of ``system`` / throughput of ``reference_system``; NaN where none is public.

    Raises
    ------
    GpueconError
        As :func:`throughput_ratio_detail`.

    Examples
    --------
    >>> float(throughput_ratio("GB300", "H100 SXM", "FP4"))
    32.0
    """
    return throughput_ratio_detail(system, reference_system, precision)[0]


fill_docstrings(globals())
