"""``gpuecon export``: write the template workbooks (see docs/templates.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command("export")
    def export(
        out: Annotated[Path, typer.Option("--out", "-o", help="Directory for the workbooks")] = Path("workbooks"),
    ) -> None:
        """Write the template workbooks (full model with cached values) into a directory."""
        from .exporter import export_all

        for path in export_all(out):
            typer.echo(str(path))
