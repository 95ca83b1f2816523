"""The system catalog: one row per system, every figure with a source note.

The data lives in ``gpuecon/engine/data/catalog.csv``; this module loads it once and looks
systems up by name (case-, space- and punctuation-insensitive, with aliases).
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

from .errors import GpueconError

if TYPE_CHECKING:
    import pandas as pd

#: Numeric per-system figures (per GPU). Blank in the CSV = not marketed / not public.
SPEC_FIELDS = (
    "tflops_bf16_dense",
    "tflops_fp8_dense",
    "tflops_fp4_dense",
    "tflops_fp4_sparse",
    "hbm_gb",
    "mem_bw_tb_per_s",
    "chip_tdp_w",
    "cpu_mem_gb_per_gpu",
)
CAPEX_FIELDS = (
    "capex_compute_usd_per_gpu",
    "capex_networking_usd_per_gpu",
    "capex_storage_usd_per_gpu",
    "capex_other_usd_per_gpu",
)
SYSTEM_NUMERIC_FIELDS = SPEC_FIELDS + ("it_w_per_gpu",) + CAPEX_FIELDS + ("market_rent_usd_per_gpu_hour",)
SOURCE_FIELDS = ("source_specs", "source_power", "source_capex", "source_rent")


@dataclass(frozen=True)
class System:
    """One catalog row. Figures are per GPU (a rack-scale system's figures divided by its GPUs)."""

    name: str
    aliases: tuple[str, ...]
    vendor: str
    form_factor: str
    figures: dict[str, float]  # SYSTEM_NUMERIC_FIELDS -> value (nan = not marketed / not public)
    cpu_mem_socamm: bool
    sources: dict[str, str]

    def __getitem__(self, field: str) -> float:
        return self.figures[field]


def normalize(name: str) -> str:
    """Lower-case and drop everything but letters and digits: ``"VR-NVL72 "`` -> ``"vrnvl72"``.

    The key systems are looked up by (names and aliases alike), so spelling, spaces and punctuation
    do not matter; Excel's ``=GPU_SPEC(system, field)`` and every ``system`` argument read names so.

    Parameters
    ----------
    name : str
        A system name or alias as typed.

    Returns
    -------
    str
        The lookup key.

    Examples
    --------
    >>> normalize("VR-NVL72 "), normalize("Vera Rubin NVL72")
    ('vrnvl72', 'verarubinnvl72')
    """
    key = _NORMALIZED.get(name) if type(name) is str else None  # every cell reads its system name: once each
    if key is None:
        key = re.sub(r"[^0-9a-z]", "", str(name).lower())
        if type(name) is str and len(_NORMALIZED) < 4096:
            _NORMALIZED[name] = key
    return key


_NORMALIZED: dict[str, str] = {}


def read_data_csv(name: str, systems: tuple[str, ...] = (), floats: tuple[str, ...] = ()) -> pd.DataFrame:
    """A CSV file of ``gpuecon/engine/data`` as a DataFrame (blank cells NaN, no other NA strings).

    The one reader of the package's data files (catalog, launch years, market rents, throughput).
    Columns in ``systems`` hold system names or aliases and come back as the catalog's names (an
    unknown name raises); columns in ``floats`` come back as float.

    Parameters
    ----------
    name : str
        File name inside ``gpuecon/engine/data``, e.g. ``"throughput.csv"``.
    systems : tuple of str
        Columns of system names to turn into catalog names.
    floats : tuple of str
        Numeric columns.

    Returns
    -------
    pandas.DataFrame
        The table as written; text stays text ("NA" is not missing).

    Examples
    --------
    >>> list(read_data_csv("launch_years.csv").columns)
    ['system', 'launch_year', 'source']
    """
    import pandas as pd  # only here: `import gpuecon` stays free of pandas (start-up time)

    text = resources.files("gpuecon.engine").joinpath(f"data/{name}").read_text(encoding="utf-8")
    frame = pd.read_csv(io.StringIO(text), dtype={"aliases": str}, keep_default_na=False, na_values=[""])
    for col in systems:
        frame[col] = [get_system(s).name for s in frame[col]]
    for col in floats:
        frame[col] = frame[col].astype(float)
    return frame


@cache
def catalog_frame() -> pd.DataFrame:
    """The catalog as a DataFrame, one row per system (a copy is safe to modify).

    Read once from ``gpuecon/engine/data/catalog.csv`` (cached): numeric figures per GPU as float
    (blank = NaN, not marketed / not public), ``cpu_mem_socamm`` as bool, source notes as text.
    Excel: the template's Catalog sheet (Excel Table ``tblCatalog``) holds the same table.

    Returns
    -------
    pandas.DataFrame
        Columns ``name``, ``aliases`` (``;``-separated), ``vendor``, ``form_factor``, the figures of
        ``SYSTEM_NUMERIC_FIELDS`` (units in the names), ``cpu_mem_socamm`` and ``SOURCE_FIELDS``.

    Examples
    --------
    >>> f = catalog_frame()
    >>> f.loc[f["name"] == "VR NVL72", "capex_compute_usd_per_gpu"].item()
    85596.0
    """
    frame = read_data_csv("catalog.csv", floats=SYSTEM_NUMERIC_FIELDS)
    frame["cpu_mem_socamm"] = frame["cpu_mem_socamm"].astype(str).str.lower().eq("true")
    return frame


def _text() -> str:
    return resources.files("gpuecon.engine").joinpath("data/catalog.csv").read_text(encoding="utf-8")


def _header() -> list[str]:
    return next(csv.reader(io.StringIO(_text())))


@cache
def _rows() -> tuple[dict[str, object], ...]:
    """The CSV rows with their types: numeric figures as float (blank = NaN), ``cpu_mem_socamm`` as
    bool, the rest as text (blank = NaN, as pandas reads a blank cell)."""
    out = []
    for raw in csv.DictReader(io.StringIO(_text())):
        row: dict[str, object] = {k: (v if v != "" else float("nan")) for k, v in raw.items()}
        for field in SYSTEM_NUMERIC_FIELDS:
            row[field] = float(raw[field]) if raw[field] != "" else float("nan")
        row["cpu_mem_socamm"] = raw["cpu_mem_socamm"].lower() == "true"
        out.append(row)
    return tuple(out)


@cache
def _systems() -> dict[str, System]:
    out: dict[str, System] = {}
    for row in _rows():
        aliases = tuple(a.strip() for a in str(row["aliases"] or "").split(";") if a.strip())
        out[row["name"]] = System(
            name=row["name"],
            aliases=aliases,
            vendor=row["vendor"],
            form_factor=row["form_factor"],
            figures={f: float(row[f]) for f in SYSTEM_NUMERIC_FIELDS},
            cpu_mem_socamm=bool(row["cpu_mem_socamm"]),
            sources={f: str(row[f]) for f in SOURCE_FIELDS},
        )
    return out


@cache
def _index() -> dict[str, str]:
    index: dict[str, str] = {}
    for system in _systems().values():
        for key in (system.name, *system.aliases):
            index[normalize(key)] = system.name
    return index


def system_names() -> list[str]:
    """Catalog names in catalog order.

    Excel: ``=GPU_SYSTEMS()`` returns them as a column.

    Returns
    -------
    list of str
        The canonical names (aliases not included).

    Examples
    --------
    >>> system_names()[:3], len(system_names())
    (['H100 SXM', 'H200', 'H20'], 10)
    """
    return list(_systems())


def get_system(name: str | System) -> System:
    """Look a system up by name or alias; an unknown name lists the closest names.

    The match is on :func:`normalize` of the name, so ``"vr-nvl72"`` and ``"Vera Rubin"`` find
    ``VR NVL72``. Excel: every add-in ``system`` argument is read so.

    Parameters
    ----------
    name : str or System
        A name or alias (a :class:`System` is returned as it is).

    Returns
    -------
    System
        The catalog row: figures per GPU, aliases, sources.

    Raises
    ------
    GpueconError
        An unknown name; the message lists the closest names.

    Examples
    --------
    >>> get_system("vr-nvl72").name, get_system("Vera Rubin").name
    ('VR NVL72', 'VR NVL72')
    >>> get_system("VR NVL7")
    Traceback (most recent call last):
    ...
    gpuecon.engine.errors.GpueconError: unknown system 'VR NVL7'; closest: VR NVL72
    """
    if isinstance(name, System):
        return name
    key = normalize(name) if isinstance(name, str) else ""
    found = _index().get(key)
    if found is None:
        close = difflib.get_close_matches(key, list(_index()), n=3, cutoff=0.4)
        names = list(dict.fromkeys(_index()[c] for c in close)) or system_names()[:3]
        raise GpueconError(
            "system", name, "a catalog name",
            f"unknown system {name!r}; closest: {', '.join(names)}",
        )
    return _systems()[found]
