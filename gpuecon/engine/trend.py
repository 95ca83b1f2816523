"""The $/PFLOP trend: rent per PFLOP-hour against launch year, log-linear, and where each system's
floor and ceiling sit against it.

Data: ``data/launch_years.csv`` (the year of each catalog system's first customer shipments, with
a source) and ``data/market_rents.csv`` (public rents with their terms and sources). Conventions
and Excel equivalents: docs/model.md, "Tokens and decisions"; the fit at the defaults:
docs/calibration.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import TYPE_CHECKING

import numpy as np

from .assumptions import as_assumptions
from .catalog import read_data_csv, system_names
from .ceiling import ceiling_rent
from .costs import normalize_basis, performance
from .errors import GpueconError
from .project import floor_rent

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["launch_years", "market_rents", "trend_points", "PflopTrend", "pflop_trend"]


@cache
def _launch_years() -> pd.DataFrame:
    return read_data_csv("launch_years.csv", ("system",), ("launch_year",))


@cache
def _market_rents() -> pd.DataFrame:
    return read_data_csv("market_rents.csv", ("system",), ("rent_usd_per_gpu_hour", "term_years", "prepay_frac_contract"))


def launch_years() -> pd.DataFrame:
    """Each catalog system's launch year (first customer shipments) with its source.

    Read once from ``gpuecon/engine/data/launch_years.csv``; names are the catalog's. Excel: a
    column of the template's catalog (a later step).

    Returns
    -------
    pandas.DataFrame
        Columns ``system``, ``launch_year`` (float), ``source``; one row per catalog system.

    Examples
    --------
    >>> y = launch_years().set_index("system")["launch_year"]
    >>> int(y["H100 SXM"]), int(y["GB300 NVL72"]), int(y["VR NVL72"])
    (2022, 2025, 2026)
    """
    return _launch_years().copy()


def market_rents() -> pd.DataFrame:
    """Public market rents with their terms and sources (several rows per system where terms differ).

    Read once from ``gpuecon/engine/data/market_rents.csv``. Contracts with prepay up to 100% are
    listed as published (the B300 row at 100% prepay); the trend uses each system's first row.
    Excel: a table beside the template's catalog (a later step).

    Returns
    -------
    pandas.DataFrame
        Columns ``system``, ``rent_usd_per_gpu_hour``, ``term_years``, ``prepay_frac_contract``
        (NaN = not stated), ``as_of``, ``source``.

    Examples
    --------
    >>> r = market_rents()
    >>> r.loc[r["system"] == "B300", ["rent_usd_per_gpu_hour", "prepay_frac_contract"]].values.tolist()
    [[3.25, 0.2], [3.06, 1.0]]
    """
    return _market_rents().copy()


def trend_points(basis: str = "FP8") -> pd.DataFrame:
    """The default trend's points: each system with a public rent, its $/PFLOP-hour at its launch year.

    ``usd_per_pflop_hour = rent / PFLOPS`` (marketed dense at ``basis``; per TB/s for ``MEM_BW``),
    one point per system (its first row in :func:`market_rents`), systems without the basis
    figure left out. Excel: ``=rent/PFLOPS`` per row.

    Parameters
    ----------
    basis : str
        ``BF16``, ``FP8`` (default), ``FP4``, ``FP4_SPARSE`` or ``MEM_BW``.

    Returns
    -------
    pandas.DataFrame
        Columns ``system``, ``launch_year``, ``rent_usd_per_gpu_hour``, ``perf``,
        ``usd_per_pflop_hour``, ``source``.

    Raises
    ------
    GpueconError
        An unknown basis.

    Examples
    --------
    >>> p = trend_points()
    >>> [(s, int(y), round(v, 4)) for s, y, v in p[["system", "launch_year", "usd_per_pflop_hour"]].values]
    [('GB300 NVL72', 2025, 0.7), ('B300', 2025, 0.7222), ('H100 SXM', 2022, 1.1875)]
    """
    import pandas as pd  # imported here: loading the engine stays free of pandas
    key = normalize_basis(basis)
    rents = _market_rents().drop_duplicates("system", keep="first")
    years = _launch_years().set_index("system")["launch_year"]
    rows = []
    for r in rents.itertuples(index=False):
        a = as_assumptions(r.system)
        try:
            perf = float(performance(a, key))
        except GpueconError:
            continue
        rows.append({"system": r.system, "launch_year": float(years[r.system]),
                     "rent_usd_per_gpu_hour": float(r.rent_usd_per_gpu_hour), "perf": perf,
                     "usd_per_pflop_hour": float(r.rent_usd_per_gpu_hour) / perf, "source": r.source})
    return pd.DataFrame(rows, columns=["system", "launch_year", "rent_usd_per_gpu_hour", "perf", "usd_per_pflop_hour",
                                       "source"])


@dataclass(frozen=True)
class PflopTrend:
    """A log-linear $/PFLOP-hour trend: ``ln(usd_per_pflop_hour) = intercept + slope * launch_year``.

    ``points`` and ``systems`` are built on first reading (a copy of each is this object's own): the
    fit and a value at a year cost no table.
    """

    basis: str
    slope_ln_per_year: float
    intercept_ln: float
    annual_decline_frac: float  # 1 - exp(slope): the share the price falls each year
    year: float
    fitted_usd_per_pflop_hour: float  # the trend at ``year``
    _frames: Callable[[], tuple[pd.DataFrame, pd.DataFrame]] = field(repr=False, compare=False)

    @cached_property
    def points(self) -> pd.DataFrame:
        """The fitted points with the trend at their year and their distance from it."""
        return self._frames()[0].copy()

    @cached_property
    def systems(self) -> pd.DataFrame:
        """Every catalog system's floor and ceiling per PFLOP-hour against the trend."""
        return self._frames()[1].copy()

    def at(self, year) -> np.ndarray:
        """The trend's USD per PFLOP-hour at a year (or array of years)."""
        return np.exp(self.intercept_ln + self.slope_ln_per_year * np.asarray(year, float))


def _table_points(table: pd.DataFrame, key: str) -> pd.DataFrame:
    import pandas as pd  # imported here: loading the engine stays free of pandas
    if not isinstance(table, pd.DataFrame):
        raise GpueconError("table", type(table).__name__, "a DataFrame with launch_year and usd_per_pflop_hour "
                           "(or system and rent_usd_per_gpu_hour)")
    frame = table.copy()
    if "launch_year" not in frame:
        raise GpueconError("table", list(frame.columns), "a launch_year column")
    if "usd_per_pflop_hour" not in frame:
        if not {"system", "rent_usd_per_gpu_hour"} <= set(frame.columns):
            raise GpueconError("table", list(frame.columns), "a usd_per_pflop_hour column, or system and "
                               "rent_usd_per_gpu_hour")
        perf = [float(performance(as_assumptions(s), key)) for s in frame["system"]]
        frame["perf"] = perf
        frame["usd_per_pflop_hour"] = frame["rent_usd_per_gpu_hour"].astype(float) / frame["perf"]
    for col in ("launch_year", "usd_per_pflop_hour"):
        try:
            frame[col] = frame[col].astype(float)
        except (TypeError, ValueError):
            raise GpueconError(col, "text", "numbers in every row") from None
    bad = ~(np.isfinite(frame["launch_year"]) & np.isfinite(frame["usd_per_pflop_hour"])
            & (frame["usd_per_pflop_hour"] > 0))
    if bad.any():
        row = frame[bad].iloc[0]
        raise GpueconError("usd_per_pflop_hour", float(row["usd_per_pflop_hour"]),
                           "a number > 0 with a finite launch_year in every row")
    if "system" not in frame:
        frame["system"] = [f"row {i + 1}" for i in range(len(frame))]
    return frame


def pflop_trend(basis: str = "FP8", year=None, table: pd.DataFrame | None = None) -> PflopTrend:
    """Log-linear fit of $/PFLOP-hour (public rent / marketed PFLOPS) against launch year.

    Least squares on ``ln(usd_per_pflop_hour) = intercept + slope * launch_year`` over
    :func:`trend_points` (or ``table``); ``annual_decline_frac = 1 - exp(slope)``;
    ``fitted = exp(intercept + slope * year)``. For every catalog system with the basis figure
    and a launch year: its floor rent and ceiling rent per PFLOP-hour and their distance from the
    trend at its launch year, ``floor_vs_trend_frac = floor_per_pflop / trend - 1``.

    Excel: ``=LOGEST(usd_per_pflop, launch_year)`` gives ``exp(slope)`` (1 - that is the decline)
    and ``exp(intercept)``; ``=GROWTH(usd_per_pflop, launch_year, year)`` the fitted value;
    add-in ``=PFLOP_TREND([basis], [year])`` (the fitted value).

    Parameters
    ----------
    basis : str
        ``BF16``, ``FP8`` (default), ``FP4``, ``FP4_SPARSE`` or ``MEM_BW``.
    year : float, optional
        Year for ``fitted_usd_per_pflop_hour``; default the newest catalog launch year.
    table : pandas.DataFrame, optional
        Your own points: ``launch_year`` and ``usd_per_pflop_hour`` (or ``system`` and
        ``rent_usd_per_gpu_hour``, divided by the catalog's PFLOPS at ``basis``); ``system``
        optional. Default: the public rents (:func:`trend_points`).

    Returns
    -------
    PflopTrend
        ``slope_ln_per_year``, ``intercept_ln``, ``annual_decline_frac``, ``year``,
        ``fitted_usd_per_pflop_hour``, ``points`` (with ``trend_usd_per_pflop_hour`` and
        ``vs_trend_frac``) and ``systems`` (``floor_usd_per_pflop_hour``,
        ``ceiling_usd_per_pflop_hour``, ``trend_usd_per_pflop_hour``, ``floor_vs_trend_frac``,
        ``ceiling_vs_trend_frac``).

    Raises
    ------
    GpueconError
        An unknown basis; fewer than two distinct launch years to fit; a bad table or year.

    Examples
    --------
    >>> t = pflop_trend()
    >>> round(t.annual_decline_frac, 4), t.year, round(t.fitted_usd_per_pflop_hour, 4)
    (0.1571, 2026.0, 0.5993)
    >>> vr = t.systems.set_index("system").loc["VR NVL72"]
    >>> round(float(vr["floor_usd_per_pflop_hour"]), 4), round(float(vr["floor_vs_trend_frac"]), 4)
    (0.2814, -0.5304)
    """
    key = normalize_basis(basis)
    if table is None:  # the shipped points: fitted once per basis
        fit = _default_fit(key)
        if isinstance(fit, GpueconError):  # a fresh error each time (no traceback kept in the cache)
            raise GpueconError(fit.field, fit.value, fit.allowed, str(fit))
    else:
        fit = _fit(_table_points(table, key), key)
    slope, intercept, frames = fit
    if year is None:
        year = _newest_year()
    try:
        year = float(year)
    except (TypeError, ValueError):
        raise GpueconError("year", year, "a number") from None
    if not np.isfinite(year):
        raise GpueconError("year", year, "a finite number")
    return PflopTrend(basis=key, slope_ln_per_year=slope, intercept_ln=intercept,
                      annual_decline_frac=float(1.0 - np.exp(slope)), year=year,
                      fitted_usd_per_pflop_hour=float(np.exp(intercept + slope * np.asarray(year, float))),
                      _frames=frames)


@cache
def _newest_year() -> float:
    return float(_launch_years()["launch_year"].max())


@cache
def _default_fit(key: str) -> tuple[float, float, Callable] | GpueconError:
    """The fit of the shipped points at a basis (or the error it raises, without its traceback)."""
    try:
        return _fit(trend_points(key), key)
    except GpueconError as err:
        return err.with_traceback(None)


def _fit(points: pd.DataFrame, key: str) -> tuple[float, float, Callable]:
    """Least squares of ln(usd_per_pflop_hour) on launch_year: slope, intercept, and the tables' builder."""
    x = points["launch_year"].to_numpy(float)
    y = np.log(points["usd_per_pflop_hour"].to_numpy(float))
    if len(np.unique(x)) < 2:
        raise GpueconError("table", len(points), "points in at least two distinct launch years",
                           f"the trend needs points in at least two distinct launch years, got {len(np.unique(x))}")
    xm, ym = x.mean(), y.mean()
    slope = float(((x - xm) * (y - ym)).sum() / ((x - xm) ** 2).sum())
    intercept = float(ym - slope * xm)

    @cache
    def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
        return _frames(points, x, key, slope, intercept)

    return slope, intercept, frames


def _frames(points: pd.DataFrame, x: np.ndarray, key: str, slope: float, intercept: float
            ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The points with the trend at their year, and every catalog system's floor and ceiling against it."""
    import pandas as pd  # imported here: loading the engine stays free of pandas
    years = _launch_years().set_index("system")["launch_year"]

    def trend(at):
        return np.exp(intercept + slope * np.asarray(at, float))

    points = points.assign(trend_usd_per_pflop_hour=trend(x))
    points["vs_trend_frac"] = points["usd_per_pflop_hour"] / points["trend_usd_per_pflop_hour"] - 1.0
    rows = []
    for name in system_names():
        if name not in years.index:
            continue
        a = as_assumptions(name)
        try:
            perf = float(performance(a, key))
        except GpueconError:
            continue
        t = float(trend(years[name]))
        f, c = float(floor_rent(a)) / perf, float(ceiling_rent(a, basis=key)) / perf
        rows.append({"system": name, "launch_year": float(years[name]), "perf": perf, "floor_usd_per_pflop_hour": f,
                     "ceiling_usd_per_pflop_hour": c, "trend_usd_per_pflop_hour": t,
                     "floor_vs_trend_frac": f / t - 1.0, "ceiling_vs_trend_frac": c / t - 1.0})
    return points.reset_index(drop=True), pd.DataFrame(rows)
