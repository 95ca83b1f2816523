"""The Excel functions (GPU_TCO, FLOOR_RENT, ...): cells in, engine call, cells out.

The same code serves the xlwings add-in, xlwings Lite, the VBA wrappers and headless recalculation.
"""

from .functions import *  # noqa: F403 - the adapter's public names
from .functions import __all__  # noqa: F401
