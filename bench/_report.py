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
