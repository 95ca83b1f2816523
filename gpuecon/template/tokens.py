"""The Tokens sheet and the inputs of the token and decision sheets (issue 13).

``DECISION_INPUTS``: the token prices, mix, throughput and tornado swing, written as a section of the
Inputs sheet (input, value used, unit, default, range, validation, source; each a defined name with its
``_input`` cell) with two named constants (seconds per hour, tokens per million). ``write_tokens``: the
blended price per million tokens, the cache hit rate that gives a target price, the cost per million
tokens of the selected system at a throughput (owner: TCO; renter: the model rent) and the gross
margins, each in built-in formulas (column B, a defined name) beside the add-in's ``TOKEN_PRICE``,
``TOKEN_COST`` and ``TOKEN_MARGIN`` (column E, the engine's values cached).
"""

from __future__ import annotations

import math

from openpyxl.worksheet.datavalidation import DataValidation

from ..engine.errors import GpueconError
from ..engine.model import tco_usd_per_gpu_hour
from ..engine.tokens import (
    SECONDS_PER_HOUR,
    TOKENS_PER_MTOK,
    cache_hit_for_price,
    token_cost_usd_per_mtok,
    token_margin,
    token_price,
)
from ..xlsx.names import INPUT_SUFFIX
from .book import Book, header, input_style, widths
from .calc import Calc, or_na, scalar
from .styles import BOLD, CONST_FILL, NOTE, PCT1, PCT3, SECTION, TITLE, USD2, USD4

__all__ = ["DECISION_INPUTS", "DECISION_CONSTANTS", "TOKENS_ADDIN_COLUMNS", "decision_value", "write_decision_inputs",
           "write_tokens"]

SEED = "seed 001 (SemiAnalysis): "
#: name -> (default, unit, min, max, allowed, description, source); min/max None: unbounded on that side
DECISION_INPUTS: dict[str, tuple[float, str, float, float | None, str, str, str]] = {
    "input_usd_per_mtok": (5.0, "USD/MTok", 0.0, None, ">= 0", "Price of uncached input tokens",
                           SEED + "Opus 4.7 sticker price $5 input / $25 output per MTok"),
    "output_usd_per_mtok": (25.0, "USD/MTok", 0.0, None, ">= 0", "Price of output tokens",
                            SEED + "Opus 4.7 sticker price $25 per MTok output"),
    "cached_input_usd_per_mtok": (0.50, "USD/MTok", 0.0, None, ">= 0", "Price of cached input tokens (cache reads)",
                                  SEED + "cached input $0.50 per MTok"),
    "input_output_ratio": (300.0, "ratio", 0.0, None, ">= 0", "Input tokens read per output token written",
                           SEED + "Claude Code input-to-output ratio about 300:1"),
    "cache_hit_frac": (0.91, "fraction", 0.0, 1.0, "[0, 1]", "Fraction of input tokens served from the cache",
                       SEED + "cache hit 90%+; about 91% gives the seed's $0.99 blended price"),
    "target_price_usd_per_mtok": (0.99, "USD/MTok", 0.0, None, ">= 0",
                                  "A blended price to solve the cache hit rate for (Tokens sheet)",
                                  SEED + "true blended price of Opus 4.7 on agentic tasks about $0.99 per MTok"),
    "tokens_per_sec_per_gpu": (14000.0, "tokens/s/GPU", 0.0, None, "> 0",
                               "Throughput of the selected system, tokens per second per GPU (set it for the system)",
                               SEED + "B300 DeepSeek R1 8k/1k: ~1k, ~8k, ~14k tokens/s/GPU by software alone "
                               "(SemiAnalysis InferenceX); issue 13 costs GB300 NVL72 at 14,000"),
    "sensitivity_swing_frac": (0.2, "fraction", 0.0, 1.0, "(0, 1]",
                               "Tornado: each input moved down and up by this fraction of its value",
                               "gpuecon default (SENSITIVITY's swing_frac)"),
}
_OPEN_LOW = {"tokens_per_sec_per_gpu", "sensitivity_swing_frac"}
DECISION_CONSTANTS = {
    "seconds_per_hour": (SECONDS_PER_HOUR, "s/hour", "Seconds per hour"),
    "tokens_per_mtok": (TOKENS_PER_MTOK, "tokens/MTok", "Tokens per million tokens"),
}
#: the Tokens sheet's add-in columns (value, formula text): #NAME? without the add-in
TOKENS_ADDIN_COLUMNS = "EF"


def decision_value(c: Calc, name: str) -> float:
    """The value a decision input takes: the export's input, else its default."""
    v = c.inputs.get(name)
    return float(DECISION_INPUTS[name][0] if v is None else v)  # type: ignore[arg-type]


def write_decision_inputs(book: Book, c: Calc) -> None:
    """The token and tornado inputs and their constants, as a section at the foot of the Inputs sheet."""
    ws = book.ws("Inputs")
    r = ws.max_row + 2
    book.text(ws, f"A{r}", "Tokens and sensitivity (Tokens and Sensitivity sheets; not engine assumptions)", SECTION)
    r += 1
    for name, (default, unit, lo, hi, allowed, doc, source) in DECISION_INPUTS.items():
        fmt = PCT1 if unit == "fraction" else (USD2 if unit.startswith("USD") else "#,##0.##")
        book.text(ws, f"A{r}", name)
        book.text(ws, f"B{r}", c.inputs.get(name, default), fmt=fmt)
        input_style(ws[f"B{r}"])
        book.formula(ws, f"C{r}", f"=IF(ISBLANK(B{r}),E{r},B{r})", decision_value(c, name), fmt)
        book.text(ws, f"D{r}", unit)
        book.text(ws, f"E{r}", default, fmt=fmt)
        book.text(ws, f"F{r}", lo, fmt=fmt)
        book.text(ws, f"G{r}", hi, fmt=fmt)
        book.text(ws, f"H{r}", allowed)
        book.text(ws, f"I{r}", doc)
        book.text(ws, f"J{r}", source)
        ref = f"B{r}"
        lo_op = ">" if name in _OPEN_LOW else ">="
        rule = f"AND(ISNUMBER({ref}),{ref}{lo_op}$F${r}" + (f",{ref}<=$G${r})" if hi is not None else ")")
        dv = DataValidation(type="custom", formula1=rule, allow_blank=True, showErrorMessage=True,
                            errorTitle="Out of range", error=f"{name} must be {allowed}")
        ws.add_data_validation(dv)
        dv.add(ref)
        book.name(name, "Inputs", f"C{r}")
        book.name(name + INPUT_SUFFIX, "Inputs", ref)
        r += 1
    for name, (value, unit, doc) in DECISION_CONSTANTS.items():
        book.text(ws, f"A{r}", name)
        book.text(ws, f"C{r}", value)
        ws[f"C{r}"].fill = CONST_FILL
        book.text(ws, f"D{r}", unit)
        book.text(ws, f"I{r}", doc)
        book.name(name, "Inputs", f"C{r}")
        r += 1


def _price_formula(hit: str) -> str:
    return (f"(input_output_ratio*({hit}*cached_input_usd_per_mtok+(1-{hit})*input_usd_per_mtok)"
            "+output_usd_per_mtok)/(input_output_ratio+1)")


#: the closed-form cache hit rate for the target price (docs/model.md), unbounded
_HIT = ("(input_output_ratio*input_usd_per_mtok+output_usd_per_mtok-target_price_usd_per_mtok*(input_output_ratio+1))"
        "/(input_output_ratio*(input_usd_per_mtok-cached_input_usd_per_mtok))")
NO_HIT = "no cache hit rate in [0, 1] gives this price"


def write_tokens(book: Book, c: Calc) -> dict[str, object]:
    """The Tokens sheet; returns the engine values and the add-in cells for the Checks rows."""
    ws = book.ws("Tokens")
    a = c.a
    widths(ws, {"A": 52, "B": 14, "C": 16, "D": 34, "E": 14, "F": 100})
    book.text(ws, "A1", "Tokens: price, cost and margin per million tokens", TITLE)
    book.text(ws, "A2", "Column B: built-in formulas (defined names in column D), reading the token inputs at the foot "
                        "of Inputs. Column E: the same through the add-in (TOKEN_PRICE, TOKEN_COST, TOKEN_MARGIN), "
                        "#NAME? without it; the file is saved with the engine's values. Conventions: docs/model.md.",
              NOTE)
    header(ws, 4, ["Quantity", "Native", "Unit", "Defined name", "Add-in", "Add-in formula"])
    v = {k: decision_value(c, k) for k in DECISION_INPUTS}
    price = scalar(token_price(v["input_usd_per_mtok"], v["output_usd_per_mtok"], v["cached_input_usd_per_mtok"],
                               v["input_output_ratio"], v["cache_hit_frac"]))
    try:
        hit = scalar(cache_hit_for_price(v["target_price_usd_per_mtok"], v["input_usd_per_mtok"],
                                         v["output_usd_per_mtok"], v["cached_input_usd_per_mtok"],
                                         v["input_output_ratio"]))
    except GpueconError:  # cached not below input: the rate does not move the price (no rate; the cell says so)
        hit = math.nan
    tps = v["tokens_per_sec_per_gpu"]
    owner = scalar(token_cost_usd_per_mtok(a, tps))
    renter = scalar(token_cost_usd_per_mtok(a, tps, c.rent))
    out: dict[str, object] = {"price": price, "hit": hit, "target": v["target_price_usd_per_mtok"], "owner": owner, "renter": renter,
                              "margin_owner": scalar(token_margin(a, tps, price)),
                              "margin_renter": scalar(token_margin(a, tps, price, c.rent))}
    refs: dict[str, str] = {}
    r = 5

    def section(title: str) -> None:
        nonlocal r
        r += 1
        book.text(ws, f"A{r}", title, SECTION)
        r += 1

    def row(key: str | None, name: str | None, label: str, formula: str, value: object, unit: str, fmt: str,
            addin: str | None = None) -> None:
        nonlocal r
        book.text(ws, f"A{r}", label)
        book.formula(ws, f"B{r}", formula, value, fmt)
        book.text(ws, f"C{r}", unit)
        book.text(ws, f"D{r}", name or "")
        if name:
            book.name(name, ws.title, f"B{r}")
        if addin:
            book.formula(ws, f"E{r}", addin, value, fmt)
            book.text(ws, f"F{r}", addin)
        if key:
            refs[key] = f"{r}"
        r += 1

    section("Blended price per million tokens (all tokens, input and output)")
    row("price", "token_price_usd_per_mtok", "Blended price", "=" + _price_formula("cache_hit_frac"), price,
        "USD/MTok", USD4, "=TOKEN_PRICE(input_usd_per_mtok,output_usd_per_mtok,cached_input_usd_per_mtok,"
                          "input_output_ratio,cache_hit_frac)")
    ws[f"B{r - 1}"].font = BOLD
    row("hit", "cache_hit_for_target_frac", "Cache hit rate that gives the target price (closed form)",
        f"=IFERROR(IF(AND({_HIT}>=0,{_HIT}<=1),{_HIT},NA()),NA())", or_na(hit), "fraction", PCT3)
    row(None, "cache_hit_for_target_note", "Why no rate is shown (blank when it is)",
        f'=IF(ISNUMBER(cache_hit_for_target_frac),"","{NO_HIT}")', "" if math.isfinite(hit) else NO_HIT, "text",
        "General")
    row(None, "token_price_at_target_hit", "Blended price at that rate (equals the target; a check)",
        "=" + _price_formula("cache_hit_for_target_frac"), v["target_price_usd_per_mtok"] if math.isfinite(hit)
        else "#N/A", "USD/MTok", USD4)

    section("Cost of producing a million tokens on the selected system")
    row(None, "token_system", "System (Inputs)", "=system_name", c.system, "name", "General")
    row(None, "tokens_per_gpu_hour", "Tokens per GPU-hour (throughput x 3600 x utilization)",
        "=tokens_per_sec_per_gpu*seconds_per_hour*utilization_frac",
        tps * SECONDS_PER_HOUR * float(a.utilization_frac), "tokens", "#,##0")
    row(None, "token_tco_usd_per_gpu_hour", "Owner's cost per GPU-hour: TCO", "=tco_total",
        scalar(tco_usd_per_gpu_hour(a)), "USD/GPU-hr", USD2)
    blank = f"E{r - 1}"  # left empty: TOKEN_COST's and TOKEN_MARGIN's rent for the owner's view (blank = the TCO)
    book.text(ws, f"F{r - 1}", f"({blank} is left blank: the rent argument of the owner's view below; blank = the TCO)")
    row(None, "token_rent_usd_per_gpu_hour", "Renter's cost per GPU-hour: the model rent", "=rent_usd_per_gpu_hour",
        c.rent, "USD/GPU-hr", USD2)
    row("owner", "token_cost_owner_usd_per_mtok", "Cost per million tokens, owner's view (TCO)",
        "=token_tco_usd_per_gpu_hour/tokens_per_gpu_hour*tokens_per_mtok", owner, "USD/MTok", USD4,
        f"=TOKEN_COST(system_name,tokens_per_sec_per_gpu,{blank},assumptions)")
    row("renter", "token_cost_renter_usd_per_mtok", "Cost per million tokens, renter's view (rent)",
        "=token_rent_usd_per_gpu_hour/tokens_per_gpu_hour*tokens_per_mtok", renter, "USD/MTok", USD4,
        "=TOKEN_COST(system_name,tokens_per_sec_per_gpu,rent_usd_per_gpu_hour,assumptions)")

    section("Gross margin on tokens sold at the blended price")
    p = f"E{refs['price']}"
    row("margin_owner", "token_margin_owner_frac", "Gross margin, owner's view (1 - cost / price)",
        "=1-token_cost_owner_usd_per_mtok/token_price_usd_per_mtok", out["margin_owner"], "fraction", PCT1,
        f"=TOKEN_MARGIN(system_name,tokens_per_sec_per_gpu,{p},{blank},assumptions)")
    row("margin_renter", "token_margin_renter_frac", "Gross margin, renter's view (1 - cost / price)",
        "=1-token_cost_renter_usd_per_mtok/token_price_usd_per_mtok", out["margin_renter"], "fraction", PCT1,
        f"=TOKEN_MARGIN(system_name,tokens_per_sec_per_gpu,{p},rent_usd_per_gpu_hour,assumptions)")
    ws.freeze_panes = "A5"
    out["rows"] = refs
    return out
