"""Assumptions: one validated, documented object with defaults, overridable field by field.

Every field has its unit in its name and an allowed range. Values may be scalars, numpy
arrays or pandas Series; they broadcast together. ``docs/model.md`` has the table with sources.

Longer than 500 lines on purpose: the field table (one line per field, with its range, unit and
source) and the one validated object with its one-scenario float view belong together.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache

import numpy as np

from .catalog import CAPEX_FIELDS, SPEC_FIELDS, System, get_system
from .docstrings import fill as fill_docstrings
from .errors import GpueconError
from .numbers import ExplicitArray, Percent, parse_number

_PERCENT_UNITS = ("fraction", "fraction/yr", "annual rate", "nominal/yr")


@dataclass(frozen=True)
class Field:
    name: str
    unit: str
    default: float | None  # None: from the catalog row (system-specific)
    lo: float
    hi: float
    lo_open: bool = False
    hi_open: bool = False
    whole: bool = False  # must be a whole multiple of `step`
    step: float = 1.0
    blank_ok: bool = False  # NaN allowed (= not marketed)
    doc: str = ""
    source: str = ""
    typo_above: float | None = None  # values above this are a likely percent typo unless typed with '%'

    @property
    def allowed(self) -> str:
        lo = "(" if self.lo_open else "["
        hi = ")" if self.hi_open else "]"
        text = f"in {lo}{_num(self.lo)}, {_num(self.hi)}{hi}"
        if self.whole:
            text += " and a whole number" if self.step == 1 else " and whole months"
        return text

    @property
    def percent_like(self) -> bool:
        """A rate or fraction, where 8 is more likely a typo for 8% than a wish for 800%."""
        return self.unit in _PERCENT_UNITS

    def bad_mask(self, values: np.ndarray, explicit: bool = False) -> np.ndarray:
        """True where a value is not allowed (out of range, or a likely percent typo unless ``explicit``)."""
        v = values
        with np.errstate(invalid="ignore"):
            ok = (v > self.lo if self.lo_open else v >= self.lo) & (v < self.hi if self.hi_open else v <= self.hi)
            if self.whole:
                ok &= np.abs(v / self.step - np.round(v / self.step)) < 1e-9
            if self.typo_above is not None and not explicit:
                ok &= ~(v > self.typo_above)
        if self.blank_ok:
            ok |= np.isnan(v)
        return ~ok

    def message(self, value: float, name: str | None = None) -> str:
        """Why ``value`` is refused, naming ``name`` (default: the field) and what is allowed."""
        name = name or self.name
        v = float(value)
        hint = ""
        if self.percent_like and 1 < v <= 1000:
            hint = f"{v:g} means {v * 100:g}%; for {v:g}% write {v / 100:g} or {v:g}%"
        in_range = not bool(self.bad_mask(np.float64(v), explicit=True))
        if in_range and hint:  # allowed only when typed as meant
            return f"{name} = {v:g} looks like a percent typed as a whole number: {hint} (to mean {v * 100:g}%, write {v * 100:g}%)"
        text = f"{name} must be {self.allowed}, got {_show(v)}"
        return f"{text} ({hint})" if hint else text

    def ok(self, v: float, explicit: bool = False) -> bool:
        """``not bad_mask(v)`` for one float, in plain Python (scalar calls are hot)."""
        ok = (v > self.lo if self.lo_open else v >= self.lo) and (v < self.hi if self.hi_open else v <= self.hi)
        if ok and self.whole:
            q = v / self.step
            ok = abs(q - round(q)) < 1e-9
        if ok and not explicit and self.typo_above is not None:
            ok = not v > self.typo_above
        return ok or (self.blank_ok and v != v)

    def check(self, value: object) -> np.ndarray:
        """The value as float (array), or GpueconError with :meth:`message`; strings go through the number parser."""
        explicit = isinstance(value, Percent | ExplicitArray)
        if isinstance(value, str):
            value = parse_number(value, self.name)
            explicit = isinstance(value, Percent)
        if type(value) in (float, int, np.float64, Percent):  # scalar fast path (Excel cells, CLI)
            v = float(value)
            if self.ok(v, explicit):
                return np.float64(v)  # type: ignore[return-value]
            raise GpueconError(self.name, v, self.allowed, self.message(v))
        arr = _as_float_array(self.name, value)
        bad = self.bad_mask(arr, explicit)
        if bad.any():
            first = float(arr.reshape(-1)[int(np.flatnonzero(bad.reshape(-1))[0])])
            raise GpueconError(self.name, first, self.allowed, self.message(first))
        return np.asarray(arr, dtype=float)


def _show(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def _num(x: float) -> str:
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{x:g}"


def _as_float_array(name: str, value: object) -> np.ndarray:
    if isinstance(value, str | bytes | bool | np.bool_) or value is None:
        raise GpueconError(name, value, "a number")
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise GpueconError(name, value, "a number") from None
    if arr.dtype == object or np.asarray(value).dtype == bool:
        raise GpueconError(name, value, "a number")
    return arr


_F = Field
FIELDS: dict[str, Field] = {
    f.name: f
    for f in [
        # capex per GPU (all-in = compute + SOCAMM price + networking + storage + other, then x (1 + uplift))
        _F("capex_compute_usd_per_gpu", "USD/GPU", None, 0, 1e7, doc="Compute/server capex per GPU, excluding socketed SOCAMM memory"),
        _F("capex_networking_usd_per_gpu", "USD/GPU", None, 0, 1e7, doc="Scale-out networking capex per GPU"),
        _F("capex_storage_usd_per_gpu", "USD/GPU", None, 0, 1e7, doc="Storage capex per GPU"),
        _F("capex_other_usd_per_gpu", "USD/GPU", None, 0, 1e7, doc="Other capex per GPU (installation, integration, spares)"),
        _F("socamm_gb_per_gpu", "GB/GPU", None, 0, 1e5, doc="Socketed SOCAMM memory per GPU, bought as its own line item (0 if soldered/bundled)"),
        _F("socamm_usd_per_gb", "USD/GB", 10.0, 0, 1e4, doc="Vendor's SOCAMM cost per GB", source="seed 001: ~$8/GB 1Q26, ~$10/GB planning assumption, >$13/GB exit-2026"),
        _F("socamm_gross_margin_frac", "fraction", 0.60, 0, 1, hi_open=True, doc="Vendor's gross margin on SOCAMM: price = cost / (1 - margin)", source="seed 001: 60% on SOCAMM for VR NVL72"),
        _F("system_price_uplift_frac", "fraction", 0.0, -1, 100, lo_open=True, doc="Increase in all-in system price vs the catalog (0.40 = +40%)", source="seed 001: the One Chart's repricing scenario", typo_above=5.0),
        # power and facility
        _F("it_w_per_gpu", "W/GPU", None, 0, 1e6, lo_open=True, doc="All-in IT power per GPU (GPU, CPU, memory, networking, storage share); basis for capex per watt"),
        _F("pue_ratio", "ratio", 1.30, 1, 5, doc="Power usage effectiveness (facility W / IT W)", source="gpuecon default: modern liquid-cooled AI halls 1.2-1.4"),
        _F("power_usd_per_kwh", "USD/kWh", 0.08, 0, 10, doc="Electricity price", source="gpuecon default: US industrial rate 2026"),
        _F("colocation_usd_per_kw_month", "USD/kW-month", 140.0, 0, 1e4, doc="Colocation rent per kW of critical IT capacity, electricity excluded", source="gpuecon default: US wholesale AI colocation 2026"),
        _F("maintenance_frac_capex_per_year", "fraction/yr", 0.025, 0, 1, doc="Maintenance and support per year as a fraction of all-in capex", source="gpuecon default"),
        _F("other_opex_usd_per_gpu_hour", "USD/GPU-hr", 0.0, 0, 1e4, doc="Other opex per GPU-hour (software, staff)"),
        # finance
        _F("useful_life_years", "years", 6.0, 0, 50, lo_open=True, doc="Useful life for TCO capital recovery and tax depreciation", source="gpuecon default: 6-year GPU life (hyperscaler depreciation policy)"),
        _F("cost_of_capital_annual", "annual rate", 0.078, -1, 10, lo_open=True, doc="Cost of capital for TCO capital recovery (annual effective)", source="calibrated to seed 001 TCO $4.18 VR / $2.69 GB300; seed 003: GPU-backed debt ~10%", typo_above=1.0),
        _F("hurdle_irr_annual", "annual rate", 0.156, -1, 10, lo_open=True, doc="Hurdle project IRR for the floor rent (annual effective)", source="seed 001: 15.6%", typo_above=1.0),
        _F("contract_term_years", "years", 5.0, 1 / 12, 30, whole=True, step=1 / 12, doc="Contract term; must be whole months", source="seed 001: 5-year contract"),
        _F("prepay_frac_contract", "fraction", 0.15, 0, 1, doc="Prepay at signing as a fraction of total contract value", source="seed 001: 15% prepay"),
        _F("utilization_frac", "fraction", 1.0, 0, 1, lo_open=True, doc="Fraction of hours billed (1 = take-or-pay contract)"),
        _F("deployment_lag_months", "months", 0.0, 0, 120, whole=True, doc="Months from capex and signing to first billed month"),
        _F("residual_value_frac_capex", "fraction", 0.0, 0, 5, doc="Resale value at contract end as a fraction of all-in capex", source="gpuecon default 0 (seed 000: may be understated)", typo_above=1.0),
        _F("tax_rate_frac", "fraction", 0.0, 0, 1, hi_open=True, doc="Income tax rate on cash revenue less opex and straight-line depreciation"),
        # GPU-backed debt (docs/financing.md)
        _F("debt_ltv_frac", "fraction", 0.6, 0, 1, hi_open=True, doc="Loan drawn at month 0 as a fraction of all-in capex per GPU", source="illustrative"),
        _F("debt_rate_annual", "nominal/yr", 0.10, 0, 1, doc="Loan interest rate, nominal annual; monthly rate = rate / 12", source="seed 003: GPU-backed loans at ~10% interest"),
        _F("debt_tenor_years", "years", 4.0, 0, 30, lo_open=True, whole=True, step=1 / 12, doc="Loan tenor from drawdown; payments at the ends of months 1..12 x tenor", source="illustrative"),
        _F("debt_min_dscr", "ratio", 1.2, 0, 100, lo_open=True, doc="Minimum DSCR for max LTV and the sculpted target", source="illustrative (a common covenant)"),
        # delivered performance (the value side: ceiling rent, $/PFLOP, competitive rent)
        _F("effective_perf_frac", "fraction", 1.0, 0, 1, lo_open=True, doc="Delivered fraction of the marketed performance at the basis (model FLOPs utilization; 1 = marketed): performance = marketed x this, in the ceiling rent, rent and TCO per PFLOP-hour and the competitive rent", source="seed 001: its $/PFLOP comparisons use marketed FLOPS (default 1) and expect lower MFU on a new system's first deployments"),
        # specs (for systems not in the catalog, and overrides)
        _F("tflops_bf16_dense", "TFLOPS", None, 0, 1e7, blank_ok=True, doc="Marketed dense BF16 TFLOPS per GPU"),
        _F("tflops_fp8_dense", "TFLOPS", None, 0, 1e7, blank_ok=True, doc="Marketed dense FP8 TFLOPS per GPU"),
        _F("tflops_fp4_dense", "TFLOPS", None, 0, 1e7, blank_ok=True, doc="Marketed dense FP4 TFLOPS per GPU"),
        _F("tflops_fp4_sparse", "TFLOPS", None, 0, 1e7, blank_ok=True, doc="Marketed sparse FP4 TFLOPS per GPU"),
        _F("hbm_gb", "GB", None, 0, 1e6, blank_ok=True, doc="HBM capacity per GPU"),
        _F("mem_bw_tb_per_s", "TB/s", None, 0, 1e4, blank_ok=True, doc="HBM bandwidth per GPU"),
        _F("chip_tdp_w", "W", None, 0, 1e5, blank_ok=True, doc="GPU chip TDP"),
        _F("cpu_mem_gb_per_gpu", "GB/GPU", None, 0, 1e5, blank_ok=True, doc="CPU-attached memory per GPU"),
    ]
}

#: Short names accepted wherever field names are (Excel argument names, scenario columns).
ALIASES: dict[str, str] = {
    "hurdle_irr": "hurdle_irr_annual",
    "hurdle": "hurdle_irr_annual",
    "term_years": "contract_term_years",
    "prepay": "prepay_frac_contract",
    "usd_per_gb": "socamm_usd_per_gb",
    "gross_margin": "socamm_gross_margin_frac",
    "cost_of_capital": "cost_of_capital_annual",
    "pue": "pue_ratio",
    "utilization": "utilization_frac",
    "tax_rate": "tax_rate_frac",
    "system_price_uplift": "system_price_uplift_frac",
}


def normalize_name(name: object) -> str:
    """The one name normaliser: ``" Hurdle IRR "`` -> ``"hurdle_irr"`` (case, spaces and dashes).

    ``name.strip().lower()`` with spaces and dashes as underscores; used for field names and
    aliases on every surface (Excel arguments, scenario columns, ``--set``).

    Parameters
    ----------
    name : object
        A name as typed (converted with ``str``).

    Returns
    -------
    str
        The normalised name (not checked against the fields: see :func:`canonical_field`).

    Examples
    --------
    >>> normalize_name(" Hurdle IRR "), normalize_name("term-years")
    ('hurdle_irr', 'term_years')
    """
    return str(name).strip().lower().replace(" ", "_").replace("-", "_")


def closest_fields(name: object, extra: tuple[str, ...] = (), n: int = 3) -> list[str]:
    """Field names and aliases (and ``extra`` names) closest to a misspelt ``name``.

    ``difflib.get_close_matches`` (cutoff 0.6) on the normalised name, then names that contain it.

    Parameters
    ----------
    name : object
        The name as typed.
    extra : tuple of str
        More names to suggest from (e.g. a table's own columns).
    n : int
        Most names returned.

    Returns
    -------
    list of str
        Up to ``n`` names, closest first (empty if none is close).

    Examples
    --------
    >>> closest_fields("hurdle_ir")
    ['hurdle_irr', 'hurdle', 'hurdle_irr_annual']
    """
    import difflib

    key = normalize_name(name)
    pool = [*FIELDS, *ALIASES, *extra]
    near = difflib.get_close_matches(key, pool, n=n, cutoff=0.6)
    near += [p for p in pool if key and (key in p) and p not in near]
    return near[:n]


def unknown_field_message(name: object, extra: tuple[str, ...] = ()) -> str:
    """The error text for an unknown field: the name and the closest names, or where to find the fields.

    Shown as the :class:`~gpuecon.engine.errors.GpueconError` message (in Excel, ``#VALUE! <text>``).

    Parameters
    ----------
    name : object
        The name as typed.
    extra : tuple of str
        More names to suggest from (see :func:`closest_fields`).

    Returns
    -------
    str
        ``unknown field '<name>': did you mean ...?`` or a pointer to ``gpuecon assumptions``.

    Examples
    --------
    >>> unknown_field_message("hurdle_ir")
    "unknown field 'hurdle_ir': did you mean hurdle_irr, hurdle, hurdle_irr_annual?"
    >>> unknown_field_message("zzzz")
    "unknown field 'zzzz': see `gpuecon assumptions` for the fields"
    """
    near = closest_fields(name, extra)
    hint = f"did you mean {', '.join(near)}?" if near else "see `gpuecon assumptions` for the fields"
    return f"unknown field {str(name).strip()!r}: {hint}"


def canonical_field(name: str) -> str:
    """Field name from a field name or alias, case- and space-insensitive; error suggests the closest names.

    ``ALIASES.get(normalize_name(name), normalize_name(name))``, which must be a field of
    :data:`FIELDS`. Excel: the names in an add-in ``assumptions`` range are read through it (and
    ``--set`` names on the CLI).

    Parameters
    ----------
    name : str
        A field name or alias (docs/model.md lists the aliases).

    Returns
    -------
    str
        The field name.

    Raises
    ------
    GpueconError
        Not a field or alias; the message suggests the closest names.

    Examples
    --------
    >>> canonical_field("Hurdle IRR"), canonical_field("prepay")
    ('hurdle_irr_annual', 'prepay_frac_contract')
    >>> canonical_field("hurdle_ir")
    Traceback (most recent call last):
    ...
    gpuecon.engine.errors.GpueconError: unknown field 'hurdle_ir': did you mean hurdle_irr, ...?
    """
    key = ALIASES.get(normalize_name(name), normalize_name(name))
    if key not in FIELDS:
        raise GpueconError("assumptions", name, "a known field", unknown_field_message(name))
    return key


HOURS_PER_YEAR = 8760.0
HOURS_PER_MONTH = HOURS_PER_YEAR / 12.0  # 730

SYSTEM_FIELDS = tuple(n for n, f in FIELDS.items() if f.default is None)
REQUIRED_FOR_CUSTOM = ("capex_compute_usd_per_gpu", "it_w_per_gpu")
_CUSTOM_ZERO = set(CAPEX_FIELDS[1:]) | {"socamm_gb_per_gpu"}


def system_defaults(system: System | str | None) -> dict[str, float]:
    """Per-system defaults from the catalog: specs, capex parts, IT W and SOCAMM GB per GPU.

    ``socamm_gb_per_gpu = cpu_mem_gb_per_gpu`` where the CPU memory is socketed SOCAMM (VR NVL72),
    else 0 (soldered memory is bundled in compute). For a custom system (None) the specs, compute
    capex and IT W are NaN (to be given) and the other capex parts and SOCAMM GB are 0. Excel: the
    Catalog sheet lists the same figures.

    {catalog_params}

    Returns
    -------
    dict of str to float
        Field -> value, units in the names (USD/GPU, W/GPU, TFLOPS, GB/GPU ...); NaN = not marketed.

    Raises
    ------
    GpueconError
        An unknown system name (the message lists the closest names).

    Examples
    --------
    >>> d = system_defaults("VR NVL72")
    >>> d["socamm_gb_per_gpu"], d["it_w_per_gpu"], system_defaults("GB300 NVL72")["socamm_gb_per_gpu"]
    (768.0, 3200.0, 0.0)
    """
    if system is None:
        out = {n: math.nan for n in SPEC_FIELDS + REQUIRED_FOR_CUSTOM}
        out.update({n: 0.0 for n in _CUSTOM_ZERO})
        return out
    s = get_system(system)
    out = {n: s.figures[n] for n in SPEC_FIELDS + CAPEX_FIELDS + ("it_w_per_gpu",)}
    out["socamm_gb_per_gpu"] = s.figures["cpu_mem_gb_per_gpu"] if s.cpu_mem_socamm else 0.0
    return out


def defaults(system: System | str | None = None) -> dict[str, float]:
    """All defaults for a system: the catalog row's figures plus the global defaults (docs/model.md).

    Global defaults (e.g. ``hurdle_irr_annual = 0.156``) come from :data:`FIELDS`; system figures
    from :func:`system_defaults`. Cached per system; a fresh dict is returned. Excel: the Inputs
    sheet's Default column (E).

    {catalog_params}

    Returns
    -------
    dict of str to float
        Every field -> its default, units in the names; NaN = to be given or not marketed.

    Raises
    ------
    GpueconError
        An unknown system name.

    Examples
    --------
    >>> d = defaults("VR NVL72")
    >>> len(d), d["hurdle_irr_annual"], d["capex_compute_usd_per_gpu"]
    (36, 0.156, 85596.0)
    """
    return dict(_defaults(get_system(system).name if system is not None else None))


@cache
def _defaults(name: str | None) -> dict[str, float]:
    out = {n: f.default for n, f in FIELDS.items() if f.default is not None}
    out.update(system_defaults(name))
    return out  # type: ignore[return-value]


@cache
def _checked_defaults(name: str | None) -> tuple[dict[str, object], bool]:
    """A system's defaults, each checked once (the value, or the GpueconError a field raises for it),
    in the fields' order; and whether all passed."""
    out: dict[str, object] = {}
    for field_name in FIELDS:
        try:
            out[field_name] = FIELDS[field_name].check(_defaults(name)[field_name])
        except GpueconError as err:  # cached without its traceback: the frames of the first caller
            out[field_name] = err.with_traceback(None)  # (a whole recalculated workbook) would stay alive
    return out, not any(isinstance(v, GpueconError) for v in out.values())


@cache
def _float_defaults(name: str | None) -> dict[str, float]:
    """A system's checked defaults as Python floats (for :attr:`Assumptions.scalar`; all passed)."""
    return {k: float(v) for k, v in _checked_defaults(name)[0].items()}  # type: ignore[arg-type]


class ScalarFields:
    """One scenario's fields as Python floats (:attr:`Assumptions.scalar`): ``f.pue_ratio``, ``f["pue_ratio"]``.

    The engine's formulas read these as they read arrays (operators and :mod:`gpuecon.engine.ops`).
    """

    def __init__(self, system: System | None, values: dict[str, float]) -> None:
        self.__dict__.update(values)
        self.system = system

    @classmethod
    def of(cls, system: System | None, values: dict[str, float]) -> ScalarFields:
        """The fields of ``values`` (taken, not copied) and the system."""
        obj = object.__new__(cls)
        values["system"] = system
        obj.__dict__ = values
        return obj

    def __getitem__(self, key: str) -> float:
        return self.__dict__[key]


class Assumptions(Mapping[str, np.ndarray]):
    """Validated inputs for one system or a broadcastable set of scenarios.

    >>> a = Assumptions("VR NVL72", hurdle_irr_annual=0.20)
    >>> float(a["hurdle_irr_annual"])
    0.2
    """

    __slots__ = ("system", "_values", "_changed", "_scalar")

    def __init__(self, system: System | str | None = None, /, **overrides: object) -> None:
        self.system = get_system(system) if system is not None else None
        unknown = [k for k in overrides if k not in FIELDS]
        if unknown:
            raise GpueconError(unknown[0], overrides[unknown[0]], "a known field", unknown_field_message(unknown[0]))
        if self.system is None:
            missing = [k for k in REQUIRED_FOR_CUSTOM if k not in overrides]
            if missing:
                raise GpueconError(
                    missing[0], None, "given",
                    f"{missing[0]} is required for a system not in the catalog (give a system name or the figure)",
                )
        checked, clean = _checked_defaults(self.system.name if self.system is not None else None)
        values = dict(checked) if clean else {}  # all defaults passed (the usual case): copy them
        names = overrides if len(overrides) < 2 else [k for k in FIELDS if k in overrides]  # fields' order
        for name in names if clean else FIELDS:
            if name in overrides:
                values[name] = FIELDS[name].check(overrides[name])
            else:
                v = checked[name]
                if isinstance(v, GpueconError):  # a fresh error each time (no traceback kept in the cache)
                    raise GpueconError(v.field, v.value, v.allowed, str(v))
                values[name] = v
        self._values = values
        self._changed = tuple(overrides) if clean else None  # the fields not at their (checked) defaults
        self._scalar = False  # not built yet (False pickles as itself)

    @property
    def scalar(self) -> ScalarFields | None:
        """The fields as Python floats where every field is one number (one scenario), else None.

        Built once per object, from the system's defaults (converted once per system) and the
        changed fields; formulas written with :mod:`gpuecon.engine.ops` run on it at Python speed.
        """
        s = self._scalar
        if s is False:
            v = self._values
            names = v if self._changed is None else self._changed
            d = {} if self._changed is None else dict(_float_defaults(self.system.name if self.system else None))
            for k in names:
                x = v[k]
                if type(x) is not np.float64:  # an array: not one scenario
                    d = None
                    break
                d[k] = float(x)
            s = None if d is None else ScalarFields.of(self.system, d)
            self._scalar = s
        return s

    @property
    def at_defaults(self) -> bool:
        """Whether no field was given: every field is the system's checked default (one scenario)."""
        return self._changed == ()

    def replace(self, **overrides: object) -> Assumptions:
        """A copy with some fields changed (the changed ones validated; the rest were already)."""
        unknown = [k for k in overrides if k not in FIELDS]
        if unknown:
            raise GpueconError(unknown[0], overrides[unknown[0]], "a known field", unknown_field_message(unknown[0]))
        new = object.__new__(Assumptions)
        new.system = self.system
        new._values = {**self._values, **{k: FIELDS[k].check(v) for k, v in overrides.items()}}
        new._changed = None if self._changed is None else (*self._changed, *overrides)
        new._scalar = False
        return new

    def __getitem__(self, key: str) -> np.ndarray:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        name = self.system.name if self.system else "custom"
        return f"Assumptions({name!r})"


for _name in FIELDS:  # ``a.pue_ratio``: a property per field (~0.1 us; ~50 reads per scalar engine call)
    setattr(Assumptions, _name, property(lambda self, n=_name: self._values[n], doc=FIELDS[_name].doc))
del _name


def as_assumptions(system: System | str | Assumptions | None = None, **overrides: object) -> Assumptions:
    """Accept a system name, a System, or Assumptions (then overrides replace fields).

    ``Assumptions(system, **overrides)``, or ``system.replace(**overrides)`` when ``system`` is
    already validated (the same object when there are no overrides). Every engine function reads
    its ``system`` argument through it; the add-in builds the same object from its arguments.

    Parameters
    ----------
    system : str, System, Assumptions or None
        Catalog name or alias, a catalog row, validated assumptions, or None for a custom system
        (then ``capex_compute_usd_per_gpu`` and ``it_w_per_gpu`` are required).
    **overrides : float, array or str
        Assumption fields (docs/model.md), each checked against its range and percent-typo rule;
        arrays broadcast together.

    Returns
    -------
    Assumptions
        Validated inputs.

    Raises
    ------
    GpueconError
        An unknown system or field, a missing required figure, or a value out of its range (e.g.
        ``hurdle_irr_annual = 8``, a likely percent typo).

    Examples
    --------
    >>> a = as_assumptions("VR NVL72", hurdle_irr_annual=0.2)
    >>> float(a.hurdle_irr_annual), as_assumptions(a) is a
    (0.2, True)
    >>> as_assumptions("VR NVL72", hurdle_irr_annual=8)
    Traceback (most recent call last):
    ...
    gpuecon.engine.errors.GpueconError: hurdle_irr_annual = 8 looks like a percent typed as a whole ...
    """
    if isinstance(system, Assumptions):
        return system.replace(**overrides) if overrides else system
    return Assumptions(system, **overrides)


fill_docstrings(globals())
