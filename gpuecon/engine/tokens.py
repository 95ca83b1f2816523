"""Tokens: the blended price per million tokens, the cost of producing them on a GPU, the margin.

Seed 001 frames GPU rent through what the GPU produces. A token price list has three tiers
(input, cached input, output); agentic work reads far more than it writes and mostly from the
cache, so the blended price over all tokens sits near the cached tier. A GPU producing
``tokens_per_sec_per_gpu`` costs its rent (the renter's view) or its TCO (the owner's view) per
hour. Conventions and Excel equivalents: docs/model.md, "Tokens and decisions".
"""

from __future__ import annotations

import numpy as np

from .assumptions import Field, as_assumptions
from .costs import tco_usd_per_gpu_hour
from .docstrings import fill as fill_docstrings
from .errors import GpueconError
from .numbers import parse_number
from .project import check_rent

__all__ = ["SECONDS_PER_HOUR", "TOKENS_PER_MTOK", "token_price", "cache_hit_for_price", "token_cost_usd_per_mtok",
           "token_margin"]

SECONDS_PER_HOUR = 3600.0
TOKENS_PER_MTOK = 1e6


#: the cache hit rate, checked as the assumptions' fractions are (range, percent-typo hint)
CACHE_HIT = Field("cache_hit_frac", "fraction", 0.0, 0.0, 1.0)


def _number(value: object, name: str, lo: float = 0.0, hi: float = np.inf, lo_open: bool = False) -> np.ndarray:
    """A float array of finite numbers in [lo, hi] (or (lo, hi]); text through the number parser."""
    if type(value) in (float, int, np.float64):  # one number: checked in plain Python (errors below)
        v = float(value)
        if (v > lo if lo_open else v >= lo) and v <= hi and v - v == 0.0:
            return np.float64(v)
    if isinstance(value, str):
        value = parse_number(value, name)
    if value is None:
        raise GpueconError(name, None, "given")
    if isinstance(value, bool | np.bool_):
        raise GpueconError(name, value, "a number")
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise GpueconError(name, value, "a number") from None
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(arr) & ((arr > lo) if lo_open else (arr >= lo)) & (arr <= hi)
    if not ok.all():
        bad = float(arr.reshape(-1)[np.flatnonzero(~ok.reshape(-1))[0]])
        allowed = f"a number > {lo:g}" if lo_open else f"a number >= {lo:g}"
        if np.isfinite(hi):
            allowed = f"in {'(' if lo_open else '['}{lo:g}, {hi:g}]"
        raise GpueconError(name, bad, allowed)
    return arr


def token_price(input_usd_per_mtok, output_usd_per_mtok, cached_input_usd_per_mtok=None, input_output_ratio=1.0,
                cache_hit_frac=0.0) -> np.ndarray:
    """Blended price per million tokens (USD) over all tokens, input and output together.

    ::

        price = (ratio * (hit * cached + (1 - hit) * input) + output) / (ratio + 1)

    ``ratio`` input tokens are read per output token written; a fraction ``hit`` of the input is
    served from the cache at the cached price. Defaults: ``cached = input``, ``ratio = 1``, ``hit = 0``.

    Excel: ``=(ratio*(hit*cached+(1-hit)*input)+output)/(ratio+1)``; add-in
    ``=TOKEN_PRICE(input, output, [cached], [ratio], [hit])``.

    Parameters
    ----------
    input_usd_per_mtok : float, array or str
        Price of uncached input, USD per million tokens, >= 0.
    output_usd_per_mtok : float, array or str
        Price of output, USD per million tokens, >= 0.
    cached_input_usd_per_mtok : float, array or str, optional
        Price of cached input (cache reads), USD per million tokens, >= 0; default: the input price.
    input_output_ratio : float, array or str
        Input tokens per output token, >= 0 (0: output only); default 1.
    cache_hit_frac : float, array or str
        Fraction of input tokens served from the cache, in [0, 1]; default 0.

    Returns
    -------
    ndarray
        USD per million tokens, broadcast shape of the arguments.

    Raises
    ------
    GpueconError
        A price or ratio that is negative, not finite or not a number; a hit rate outside [0, 1].

    Examples
    --------
    >>> round(float(token_price(5, 25, 0.5, 300, 0.9)), 4)  # seed 001's agentic mix: 310 / 301
    1.0299
    >>> float(token_price(5, 25))  # one input token per output token, no cache: the average
    15.0
    >>> token_price(5, 25, cache_hit_frac=91)  # a percent typed as a whole number
    Traceback (most recent call last):
    ...
    gpuecon.engine.errors.GpueconError: cache_hit_frac must be in [0, 1], got 91 (91 means 9100%; ...)
    """
    inp = _number(input_usd_per_mtok, "input_usd_per_mtok")
    out = _number(output_usd_per_mtok, "output_usd_per_mtok")
    cached = inp if cached_input_usd_per_mtok is None else _number(cached_input_usd_per_mtok, "cached_input_usd_per_mtok")
    ratio = _number(input_output_ratio, "input_output_ratio")
    hit = CACHE_HIT.check(cache_hit_frac)  # a fraction: 91 gets the percent hint, as other fractions
    return (ratio * (hit * cached + (1.0 - hit) * inp) + out) / (ratio + 1.0)


def cache_hit_for_price(price_usd_per_mtok, input_usd_per_mtok, output_usd_per_mtok, cached_input_usd_per_mtok,
                        input_output_ratio=1.0) -> np.ndarray:
    """The cache hit rate at which :func:`token_price` equals a blended price (closed form; NaN if none).

    Solving ``price * (ratio + 1) = ratio * (input - hit * (input - cached)) + output`` for ``hit``::

        hit = (ratio * input + output - price * (ratio + 1)) / (ratio * (input - cached))

    NaN where no hit rate in [0, 1] gives that price (the price is below the all-cached price or
    above the uncached one). Excel: ``=(ratio*input+output-price*(ratio+1))/(ratio*(input-cached))``.

    Parameters
    ----------
    price_usd_per_mtok : float, array or str
        The blended price, USD per million tokens, >= 0.
    input_usd_per_mtok : float, array or str
        Price of uncached input, USD per million tokens, >= 0.
    output_usd_per_mtok : float, array or str
        Price of output, USD per million tokens, >= 0.
    cached_input_usd_per_mtok : float, array or str
        Price of cached input, USD per million tokens, >= 0 and below the input price.
    input_output_ratio : float, array or str
        Input tokens per output token, > 0; default 1.

    Returns
    -------
    ndarray
        Fraction of input served from the cache, in [0, 1]; NaN where none gives the price.

    Raises
    ------
    GpueconError
        A price that is negative or not a number; a ratio that is not above 0; a cached price not
        below the input price (then the cache does not move the price).

    Examples
    --------
    >>> round(float(cache_hit_for_price(0.99, 5, 25, 0.5, 300)), 4)  # seed 001's $0.99: about 91%
    0.9089
    >>> float(cache_hit_for_price(0.10, 5, 25, 0.5, 300))  # below the all-cached price: none
    nan
    """
    price = _number(price_usd_per_mtok, "price_usd_per_mtok")
    inp = _number(input_usd_per_mtok, "input_usd_per_mtok")
    out = _number(output_usd_per_mtok, "output_usd_per_mtok")
    cached = _number(cached_input_usd_per_mtok, "cached_input_usd_per_mtok")
    ratio = _number(input_output_ratio, "input_output_ratio", lo_open=True)
    gap = inp - cached
    if np.any(gap <= 0):
        first = float(np.broadcast_to(cached, np.broadcast_shapes(gap.shape, cached.shape))[gap <= 0].reshape(-1)[0])
        raise GpueconError("cached_input_usd_per_mtok", first, "below the input price",
                           f"cached_input_usd_per_mtok must be below the input price, got {first:g}: "
                           "the cache hit rate does not move the blended price")
    hit = (ratio * inp + out - price * (ratio + 1.0)) / (ratio * gap)
    # rounding in the numerator's difference, relative to the denominator (large output prices against a
    # small cache discount cancel): a hit of 1 or 0 computed as 1 + 2e-12 is still 1
    tol = 64 * np.finfo(float).eps * (ratio * inp + out + price * (ratio + 1.0)) / (ratio * gap) + 1e-12
    inside = (hit >= -tol) & (hit <= 1.0 + tol)
    return np.where(inside, np.clip(hit, 0.0, 1.0), np.nan)


def token_cost_usd_per_mtok(system=None, /, tokens_per_sec_per_gpu=None, rent_usd_per_gpu_hour=None,
                            **overrides) -> np.ndarray:
    """Cost of producing a million tokens (USD): the GPU-hour's cost over the tokens it produces.

    ::

        cost = usd_per_gpu_hour / (tokens_per_sec_per_gpu * 3600 * utilization_frac) * 1e6

    ``usd_per_gpu_hour`` is the rent when given (the renter's view) and the TCO per GPU-hour
    otherwise (the owner's view, :func:`gpuecon.engine.model.tco_usd_per_gpu_hour`); the GPU
    produces tokens in the fraction ``utilization_frac`` of its hours.

    Excel: ``=cost_per_hour/(tps*3600*utilization)*10^6``; add-in
    ``=TOKEN_COST(system, tps, [rent], [assumptions])``.

    {params throughput rent_or_tco}

    Returns
    -------
    ndarray
        USD per million tokens, broadcast shape of throughput, rent and fields.

    Raises
    ------
    GpueconError
        A throughput that is not above 0; a bad rent; an unknown system or field, or a field out of
        its range.

    Examples
    --------
    >>> round(float(token_cost_usd_per_mtok("GB300 NVL72", 14000)), 4)  # TCO $2.6944 / 50.4M tokens an hour
    0.0535
    >>> round(float(token_cost_usd_per_mtok("GB300 NVL72", 14000, 3.5)), 4)  # renting at $3.50
    0.0694
    """
    a = as_assumptions(system, **overrides)
    tps = _number(tokens_per_sec_per_gpu, "tokens_per_sec_per_gpu", lo_open=True)
    hourly = tco_usd_per_gpu_hour(a) if rent_usd_per_gpu_hour is None else check_rent(rent_usd_per_gpu_hour)
    return hourly / (tps * SECONDS_PER_HOUR * a.utilization_frac) * TOKENS_PER_MTOK


def token_margin(system=None, /, tokens_per_sec_per_gpu=None, price_usd_per_mtok=None, rent_usd_per_gpu_hour=None,
                 **overrides) -> np.ndarray:
    """Gross margin on tokens sold at a price: ``1 - cost / price``.

    ``cost`` is :func:`token_cost_usd_per_mtok` (the rent when given, else the TCO). Below zero
    where the tokens cost more than they sell for.

    Excel: ``=1-cost/price``; add-in ``=TOKEN_MARGIN(system, tps, price, [rent], [assumptions])``.

    Parameters
    ----------
    {system}
    {throughput}
    price_usd_per_mtok : float, array or str
        Price the tokens sell for, USD per million tokens, > 0 (e.g. :func:`token_price`).
    {rent_or_tco}
    {overrides}

    Returns
    -------
    ndarray
        Fraction of the price (1 = free to produce), broadcast shape.

    Raises
    ------
    GpueconError
        A price that is not above 0; a bad throughput or rent; an unknown system or field, or a
        field out of its range.

    Examples
    --------
    >>> round(float(token_margin("GB300 NVL72", 14000, 0.99)), 4)  # 1 - 0.0535 / 0.99
    0.946
    >>> round(float(token_margin("H100", 1000, 0.99, 2.35)), 4)  # 1 - 2.35 / 3.6M tokens x 1e6 / 0.99
    0.3406
    """
    price = _number(price_usd_per_mtok, "price_usd_per_mtok", lo_open=True)
    return 1.0 - token_cost_usd_per_mtok(system, tokens_per_sec_per_gpu, rent_usd_per_gpu_hour, **overrides) / price


fill_docstrings(globals())
