"""``python -m gpuecon``: the command line."""

from .cli import app

app()
