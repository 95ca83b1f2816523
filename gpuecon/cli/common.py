"""What every command shares: one-line errors on stderr (exit 2), the stdout console, output paths.

Errors never go to stdout, so ``gpuecon ... --json | jq`` only ever sees JSON.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn, ParamSpec, TypeVar

import typer
from rich.console import Console

from ..engine.errors import GpueconError

#: exit code for an ordinary mistake (as click uses for usage errors)
EXIT_USAGE = 2
#: console width when stdout is not a terminal and COLUMNS is not set (pipes, files)
PIPE_WIDTH = 160

P = ParamSpec("P")
R = TypeVar("R")


class CliError(GpueconError):
    """An ordinary mistake on the command line (a bad path, conflicting options); the message is shown as is."""

    def __init__(self, message: str) -> None:
        super().__init__("cli", None, "", message)


def fail(message: object) -> NoReturn:
    """Print ``error: message`` on stderr (one line) and exit 2."""
    text = " ".join(str(message).split())  # one line, whatever the message
    typer.echo(typer.style("error:", fg="red") + " " + text, err=True)
    raise typer.Exit(EXIT_USAGE)


def os_message(err: OSError) -> str:
    """``[Errno 13] Permission denied: 'x'`` -> ``x: Permission denied``."""
    if err.filename is not None and err.strerror:
        return f"{err.filename}: {err.strerror}"
    return str(err)


def run(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn engine errors and file-system errors into ``error: ...`` on stderr and exit code 2."""
    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except GpueconError as err:
            fail(err)
        except OSError as err:
            fail(os_message(err))
    return wrapper


def stdout_console() -> Console:
    """The console for results: the terminal's width, or COLUMNS, or 160 columns in a pipe."""
    tty = sys.stdout.isatty()
    return Console(width=None if tty or os.environ.get("COLUMNS", "").isdigit() else PIPE_WIDTH)


def prepare_dir(path: Path, option: str, what: str) -> None:
    """Create the output directory ``path`` (with parents); a file there or an uncreatable path is a CliError."""
    if path.exists() and not path.is_dir():
        raise CliError(f"{option} {path} is a file; give a directory for {what}")
    _mkdir(path)


def _mkdir(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise CliError(f"cannot create directory {path}: {err.strerror or err}") from None


def prepare_file(path: Path, option: str, example: str) -> None:
    """Check an output file path: not a directory; a missing parent directory is created."""
    if path.is_dir():
        raise CliError(f"{option} {path} is a directory; give a file name such as {path / example}")
    parent = path.parent
    if parent.exists() and not parent.is_dir():
        raise CliError(f"cannot write {path}: {parent} is a file, not a directory")
    _mkdir(parent)
