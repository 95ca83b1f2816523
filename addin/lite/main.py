"""gpuecon's Excel functions for xlwings Lite (Windows, Mac and Excel on the web).

Paste this file into xlwings Lite's main.py tab and addin/lite/requirements.txt into its
requirements.txt tab (``gpuecon addin lite -o DIR`` writes both, plus the engine wheel). The
functions are the same as the classic add-in's (addin/gpuecon_udfs.py): thin adapters over
:mod:`gpuecon.excel.functions`, which does the Excel-shape handling and never raises (failures are cell
text such as ``#VALUE! hurdle_irr must be in (-1, 10], got -2``).

Lite registers each function under its upper-cased Python name. No ``namespace`` is set
(neither here nor as ``__xlwings_func_namespace__``): it would rename FLOOR_RENT to
NS.FLOOR_RENT and break the template workbooks.
"""

from xlwings import arg, func

from gpuecon.excel import functions as excel
from gpuecon.excel.functions import ARG_DOCS as D

R = {"ndim": 2, "err_to_str": True}  # read every argument as a 2-D range; cell errors as text


@func
@arg("system", doc=D["system"], **R)
@arg("item", doc=D["item"], **R)
@arg("assumptions", doc=D["assumptions"], **R)
def GPU_TCO(system, item=None, assumptions=None):
    """Total cost of ownership, USD per GPU-hour: the total (default), one item (capital, power, colocation, maintenance, other) or a breakdown table."""
    return excel.gpu_tco(system, item, assumptions)


@func
@arg("system", doc=D["system"], **R)
@arg("hurdle_irr", doc=D["hurdle_irr"], **R)
@arg("term_years", doc=D["term_years"], **R)
@arg("prepay", doc=D["prepay"], **R)
@arg("assumptions", doc=D["assumptions"], **R)
def FLOOR_RENT(system, hurdle_irr=None, term_years=None, prepay=None, assumptions=None):
    """Floor rent, USD per GPU-hour: the rent at which the project IRR equals the hurdle (defaults 15.6% hurdle, 5-year term, 15% prepay)."""
    return excel.floor_rent(system, hurdle_irr, term_years, prepay, assumptions)


@func
@arg("system", doc=D["system"], **R)
@arg("usd_per_pflop_hour", doc=D["usd_per_pflop_hour"], **R)
@arg("basis", doc=D["basis"], **R)
@arg("assumptions", doc=D["assumptions"], **R)
def CEILING_RENT(system, usd_per_pflop_hour=None, basis=None, assumptions=None):
    """Ceiling rent, USD per GPU-hour: reference USD per PFLOP-hour x the system's marketed dense PFLOPS at a basis (defaults $0.70, FP8)."""
    return excel.ceiling_rent(system, usd_per_pflop_hour, basis, assumptions)


@func
@arg("capacity_gb_or_system", doc=D["capacity_gb_or_system"], **R)
@arg("usd_per_gb", doc=D["usd_per_gb"], **R)
@arg("gross_margin", doc=D["gross_margin"], **R)
def SOCAMM_COST(capacity_gb_or_system, usd_per_gb=None, gross_margin=None):
    """SOCAMM memory, USD: GB x USD per GB (cost; default $10/GB), or with a gross margin the price cost / (1 - margin). A system name: per GPU."""
    return excel.socamm_cost(capacity_gb_or_system, usd_per_gb, gross_margin)


@func
@arg("system", doc=D["system"], **R)
@arg("rent_usd_per_gpu_hour", doc=D["rent_usd_per_gpu_hour"], **R)
@arg("term_years", doc=D["term_years"], **R)
@arg("prepay", doc=D["prepay"], **R)
@arg("assumptions", doc=D["assumptions"], **R)
def PROJECT_IRR(system, rent_usd_per_gpu_hour, term_years=None, prepay=None, assumptions=None):
    """Project IRR, annual effective (0.156 = 15.6%), at a rent in USD per GPU-hour; as =(1+IRR(monthly cash flows))^12-1."""
    return excel.project_irr(system, rent_usd_per_gpu_hour, term_years, prepay, assumptions)


@func
@arg("system", doc=D["system"], **R)
@arg("rent_usd_per_gpu_hour", doc=D["rent_usd_per_gpu_hour"], **R)
@arg("basis", doc=D["basis"], **R)
def RENT_PER_PFLOP(system, rent_usd_per_gpu_hour, basis=None):
    """Rent per PFLOP-hour, USD: rent per GPU-hour / the system's marketed dense PFLOPS at a basis (default FP8; per TB/s-hour for MEM_BW)."""
    return excel.rent_per_pflop(system, rent_usd_per_gpu_hour, basis)


@func
@arg("system", doc=D["system"], **R)
@arg("field", doc=D["field"], **R)
def GPU_SPEC(system, field):
    """A catalog value for a system, per GPU: a figure (TFLOPS, GB, TB/s, W, USD), a flag or a source note."""
    return excel.gpu_spec(system, field)


@func
def GPU_SYSTEMS():
    """The names of the systems in the gpuecon catalog, spilled as a column."""
    return excel.gpu_systems()


@func
@arg("system", doc=D["system"], **R)
@arg("rents", doc=D["rents"], **R)
@arg("assumptions", doc=D["assumptions"], **R)
def ONE_CHART(system, rents=None, assumptions=None):
    """The One Chart's data, spilled with a header: rent (USD/GPU-hr), project IRR (annual), floor and ceiling rent (USD/GPU-hr; $0.70/PFLOP-hr FP8)."""
    return excel.one_chart(system, rents, assumptions)


@func
def GPUECON_VERSION():
    """The version of the gpuecon engine behind these functions."""
    return excel.version()
