"""The command line (typer): `gpuecon report|tco|floor|...|export|recalc|batch|addin`."""

from .main import app

__all__ = ["app"]
