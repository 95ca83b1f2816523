"""Shared by the bench scripts: print a markdown section and optionally append it to docs/benchmarks.md."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def emit(lines: list[str], record: bool) -> None:
    text = "\n".join(lines)
    print(text)
    if record:
        doc = ROOT / "docs" / "benchmarks.md"
        doc.parent.mkdir(exist_ok=True)
        with doc.open("a", encoding="utf-8") as fh:
            fh.write("\n" + text + "\n")


def parser(doc: str | None, **defaults: int):
    """The bench scripts' common options: each ``name=default`` becomes ``--name`` (an int), plus
    ``--record`` when ``repeat`` is among them (a timed suite that may append to docs/benchmarks.md)."""
    import argparse

    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name, default in defaults.items():
        ap.add_argument(f"--{name.replace('_', '-')}", type=int, default=default)
    if "repeat" in defaults:
        ap.add_argument("--record", action="store_true", help="append the section to docs/benchmarks.md")
    return ap
