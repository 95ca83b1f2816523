"""``python -m gpuecon``: the command line."""

from .cli.main import app

app()
