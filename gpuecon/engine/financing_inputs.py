"""Validated inputs of the financing and valuation engine (debt terms, rent path, GPU age).

The fields follow :class:`gpuecon.assumptions.Field`: a unit in the name, an allowed range,
the number parser for text (``"10%"`` -> 0.10) and the percent-typo rule (a rate typed as 10
means 1000%, refused with ``10 means 1000%; for 10% write 0.10 or 10%``). Conventions and
sources: docs/financing.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .assumptions import FIELDS as ASSUMPTION_FIELDS
from .assumptions import Assumptions, Field
from .errors import GpueconError


@dataclass(frozen=True)
class FinanceField(Field):
    """A :class:`~gpuecon.engine.assumptions.Field` that may be marked as a rate (percent typo hint)."""

    percent: bool = False  # a rate or fraction where 10 is likely a typo for 10%

    @property
    def percent_like(self) -> bool:
        return self.percent or super().percent_like


_F = FinanceField
FIELDS: dict[str, FinanceField] = {
    f.name: f
    for f in [
        _F("rent_change_annual", "annual rate", 0.0, -1, 10, lo_open=True, typo_above=1.0,
           doc="Annual change in rent in the valuation, applied as (1 + g)^(k/12) in month k",
           source="illustrative; seed 000: H100 rents rose ~10% late 2025 to early 2026"),
        _F("discount_rate_annual", "annual rate", None, -1, 10, lo_open=True, typo_above=1.0,
           doc="Discount rate of the valuation, annual effective (default: hurdle_irr_annual)"),
        _F("rate_annual", "annual rate", None, -1, 10, lo_open=True, typo_above=1.0,
           doc="Discount rate of the discounted payback, annual effective"),
        _F("age_years", "years", 0.0, 0, 50, doc="Age of the GPU in years since purchase"),
        _F("price_usd_per_gpu", "USD/GPU", None, 0, 1e8, lo_open=True, doc="Traded price of one GPU"),
    ]
}

AMORTIZATIONS = ("level", "straight", "bullet", "sculpted")
LAG_INTEREST = ("paid", "capitalised")
DEPRECIATION_METHODS = ("SL", "DDB", "MACRS5")
_CHOICE_ALIASES = {"capitalized": "capitalised", "annuity": "level", "equal_principal": "straight",
                   "interest_only": "bullet", "sl": "SL", "ddb": "DDB", "macrs5": "MACRS5", "macrs": "MACRS5"}


def check(name: str, value: object) -> np.ndarray:
    """``value`` as a float (array) checked against field ``name``; GpueconError names field, value, range."""
    return (FIELDS.get(name) or ASSUMPTION_FIELDS[name]).check(value)


def check_choice(name: str, value: object, allowed: tuple[str, ...]) -> str:
    """One of ``allowed`` (case-insensitive, a few aliases), or GpueconError listing them."""
    key = str(value).strip().lower().replace("-", "_").replace(" ", "_") if isinstance(value, str) else None
    if key is not None:
        key = _CHOICE_ALIASES.get(key, key)
        for a in allowed:
            if a.lower() == key.lower():
                return a
    raise GpueconError(name, value, "one of " + ", ".join(repr(a) for a in allowed))


@dataclass(frozen=True)
class DebtTerms:
    """Validated debt inputs, each broadcastable over scenarios (amortization and lag rule: one per call)."""

    ltv_frac: np.ndarray
    rate_annual: np.ndarray  # nominal; monthly = rate / 12
    tenor_months: np.ndarray  # whole months
    min_dscr: np.ndarray
    amortization: str
    lag_interest: str

    @property
    def rate_monthly(self) -> np.ndarray:
        return self.rate_annual / 12.0


def debt_terms(debt_ltv_frac: object = None, debt_rate_annual: object = None, debt_tenor_years: object = None,
               debt_amortization: object = "level", debt_min_dscr: object = None,
               debt_lag_interest: object = "paid", assumptions: Assumptions | None = None) -> DebtTerms:
    """Check every debt input (GpueconError names the first bad one) and return them as :class:`DebtTerms`.

    A number not given (None) is the ``assumptions``' value of that field (given through ``--set``,
    an Excel ``assumptions`` range or a scenario column), else the field's default
    (:data:`gpuecon.engine.assumptions.FIELDS`): the one home of the debt defaults.
    """
    def pick(name: str, value: object) -> object:
        if value is not None:
            return value
        return assumptions[name] if assumptions is not None else ASSUMPTION_FIELDS[name].default

    debt_ltv_frac, debt_rate_annual = pick("debt_ltv_frac", debt_ltv_frac), pick("debt_rate_annual", debt_rate_annual)
    debt_tenor_years, debt_min_dscr = pick("debt_tenor_years", debt_tenor_years), pick("debt_min_dscr", debt_min_dscr)
    return DebtTerms(
        ltv_frac=check("debt_ltv_frac", debt_ltv_frac),
        rate_annual=check("debt_rate_annual", debt_rate_annual),
        tenor_months=np.round(check("debt_tenor_years", debt_tenor_years) * 12.0),
        min_dscr=check("debt_min_dscr", debt_min_dscr),
        amortization=check_choice("debt_amortization", debt_amortization, AMORTIZATIONS),
        lag_interest=check_choice("debt_lag_interest", debt_lag_interest, LAG_INTEREST),
    )
