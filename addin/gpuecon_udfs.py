"""gpuecon's Excel functions for classic xlwings (desktop Excel on Windows).

Set this module as the xlwings add-in's UDF Modules (``gpuecon_udfs``) and click Import
Functions; see addin/README.md. Each function is a thin adapter: the Excel-shape handling
(blanks, ranges, broadcasting, per-cell error text) lives in :mod:`gpuecon.excel.functions`, shared
with the xlwings Lite edition (addin/lite/main.py).

Conventions for every function:

* every argument is read as a 2-D range (``ndim=2``), so a range of any shape broadcasts and
  the result has the matching shape; a single cell gives a single value;
* Excel error values in input cells arrive as text (``err_to_str=True``) and are reported,
  never read as a blank;
* a failure is returned as text in the cell, ``#VALUE! <reason>`` (bad argument),
  ``#N/A <reason>`` (figure not marketed) or ``#NUM! <reason>`` (no IRR); nothing raises, so
  no traceback ever reaches a cell.

No ``@xw.ret(expand="table")``: Excel 365/2021 spills list results natively; on older Excel,
enter table results (GPU_SYSTEMS, ONE_CHART, breakdown) as array formulas (Ctrl+Shift+Enter).
Optional arguments default to ``None`` so that a value in the ``assumptions`` range is not
overridden by an omitted argument; the engine defaults are in each argument's description.
"""

import xlwings as xw

from gpuecon.excel import functions as excel
from gpuecon.excel.functions import ARG_DOCS as D

CATEGORY = "gpuecon"
R = {"ndim": 2, "err_to_str": True}  # read every argument as a 2-D range; cell errors as text


@xw.func(category=CATEGORY)
@xw.arg("system", doc=D["system"], **R)
@xw.arg("item", doc=D["item"], **R)
@xw.arg("assumptions", doc=D["assumptions"], **R)
def GPU_TCO(system, item=None, assumptions=None):
    """Total cost of ownership, USD per GPU-hour: the total (default), one item (capital, power, colocation, maintenance, other) or a breakdown table."""
    return excel.gpu_tco(system, item, assumptions)


@xw.func(category=CATEGORY)
@xw.arg("system", doc=D["system"], **R)
@xw.arg("hurdle_irr", doc=D["hurdle_irr"], **R)
@xw.arg("term_years", doc=D["term_years"], **R)
@xw.arg("prepay", doc=D["prepay"], **R)
@xw.arg("assumptions", doc=D["assumptions"], **R)
def FLOOR_RENT(system, hurdle_irr=None, term_years=None, prepay=None, assumptions=None):
    """Floor rent, USD per GPU-hour: the rent at which the project IRR equals the hurdle (defaults 15.6% hurdle, 5-year term, 15% prepay)."""
    return excel.floor_rent(system, hurdle_irr, term_years, prepay, assumptions)


@xw.func(category=CATEGORY)
@xw.arg("system", doc=D["system"], **R)
@xw.arg("usd_per_pflop_hour", doc=D["usd_per_pflop_hour"], **R)
@xw.arg("basis", doc=D["basis"], **R)
@xw.arg("assumptions", doc=D["assumptions"], **R)
def CEILING_RENT(system, usd_per_pflop_hour=None, basis=None, assumptions=None):
    """Ceiling rent, USD per GPU-hour: reference USD per PFLOP-hour x the system's marketed dense PFLOPS at a basis (defaults $0.70, FP8)."""
    return excel.ceiling_rent(system, usd_per_pflop_hour, basis, assumptions)


@xw.func(category=CATEGORY)
@xw.arg("capacity_gb_or_system", doc=D["capacity_gb_or_system"], **R)
@xw.arg("usd_per_gb", doc=D["usd_per_gb"], **R)
@xw.arg("gross_margin", doc=D["gross_margin"], **R)
def SOCAMM_COST(capacity_gb_or_system, usd_per_gb=None, gross_margin=None):
    """SOCAMM memory, USD: GB x USD per GB (cost; default $10/GB), or with a gross margin the price cost / (1 - margin). A system name: per GPU."""
    return excel.socamm_cost(capacity_gb_or_system, usd_per_gb, gross_margin)


@xw.func(category=CATEGORY)
@xw.arg("system", doc=D["system"], **R)
@xw.arg("rent_usd_per_gpu_hour", doc=D["rent_usd_per_gpu_hour"], **R)
@xw.arg("term_years", doc=D["term_years"], **R)
@xw.arg("prepay", doc=D["prepay"], **R)
@xw.arg("assumptions", doc=D["assumptions"], **R)
def PROJECT_IRR(system, rent_usd_per_gpu_hour, term_years=None, prepay=None, assumptions=None):
    """Project IRR, annual effective (0.156 = 15.6%), at a rent in USD per GPU-hour; as =(1+IRR(monthly cash flows))^12-1."""
    return excel.project_irr(system, rent_usd_per_gpu_hour, term_years, prepay, assumptions)


@xw.func(category=CATEGORY)
@xw.arg("system", doc=D["system"], **R)
@xw.arg("rent_usd_per_gpu_hour", doc=D["rent_usd_per_gpu_hour"], **R)
@xw.arg("basis", doc=D["basis"], **R)
def RENT_PER_PFLOP(system, rent_usd_per_gpu_hour, basis=None):
    """Rent per PFLOP-hour, USD: rent per GPU-hour / the system's marketed dense PFLOPS at a basis (default FP8; per TB/s-hour for MEM_BW)."""
    return excel.rent_per_pflop(system, rent_usd_per_gpu_hour, basis)


@xw.func(category=CATEGORY)
@xw.arg("system", doc=D["system"], **R)
@xw.arg("field", doc=D["field"], **R)
def GPU_SPEC(system, field):
    """A catalog value for a system, per GPU: a figure (TFLOPS, GB, TB/s, W, USD), a flag or a source note."""
    return excel.gpu_spec(system, field)


@xw.func(category=CATEGORY)
def GPU_SYSTEMS():
    """The names of the systems in the gpuecon catalog, spilled as a column."""
    return excel.gpu_systems()


@xw.func(category=CATEGORY)
@xw.arg("system", doc=D["system"], **R)
@xw.arg("rents", doc=D["rents"], **R)
@xw.arg("assumptions", doc=D["assumptions"], **R)
def ONE_CHART(system, rents=None, assumptions=None):
    """The One Chart's data, spilled with a header: rent (USD/GPU-hr), project IRR (annual), floor and ceiling rent (USD/GPU-hr; $0.70/PFLOP-hr FP8)."""
    return excel.one_chart(system, rents, assumptions)


@xw.func(category=CATEGORY)
def GPUECON_VERSION():
    """The version of the gpuecon engine behind these functions."""
    return excel.version()
