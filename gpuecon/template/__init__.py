"""The template workbooks written with openpyxl (engine values cached, a native-formula mirror)."""

from .exporter import *  # noqa: F403
from .exporter import __all__  # noqa: F401
