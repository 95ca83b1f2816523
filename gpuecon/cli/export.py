"""``gpuecon export``: write the template workbooks (see docs/templates.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .common import CliError, prepare_dir, prepare_file, run

#: other spreadsheet extensions: refused rather than taken as a folder name
_OTHER_BOOKS = (".xlsm", ".xls", ".xlsb", ".ods", ".csv")


def register(app: typer.Typer) -> None:
    @app.command("export")
    @run
    def export(
        out: Annotated[Path, typer.Option(
            "--out", "-o", metavar="DIR|FILE.xlsx",
            help="Folder for the workbooks, or a path ending in .xlsx to write the model workbook there")] = Path("workbooks"),
    ) -> None:
        """Write the template workbooks (full model with cached values) into a folder, or one .xlsx file."""
        from ..template.exporter import MODEL_FILE, export_all, export_model

        suffix = out.suffix.lower()
        if suffix == ".xlsx":
            prepare_file(out, "--out", MODEL_FILE)
            typer.echo(str(export_model(out)))
            return
        if suffix in _OTHER_BOOKS:
            raise CliError(f"--out {out}: the workbook is written as .xlsx; give a path ending in .xlsx or a folder")
        if out.exists() and not out.is_dir():
            raise CliError(f"--out {out} is a file; give a folder or a path ending in .xlsx")
        prepare_dir(out, "--out", "the workbooks")
        for path in export_all(out):
            typer.echo(str(path))
