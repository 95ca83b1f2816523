"""The GPU-economics model, one import: costs (capex, TCO), the project (cash flows, NPV, floor
rent, IRR) and the value side (ceiling rent, One Chart). Each lives in its own module
(:mod:`.costs`, :mod:`.project`, :mod:`.ceiling`); this module is their public API.
"""

from .ceiling import *  # noqa: F403
from .ceiling import __all__ as _ceiling_all
from .costs import *  # noqa: F403
from .costs import __all__ as _costs_all
from .project import *  # noqa: F403
from .project import __all__ as _project_all

__all__ = [*_costs_all, *_project_all, *_ceiling_all]
