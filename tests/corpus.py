"""The workbook corpus (``../shared/workbooks-corpus`` next to the checkout: public books with the values
Excel saved) and a report of how recalculation fares on it. Run as a script for the per-book and
per-reason counts that docs/recalc.md quotes::

    python tests/corpus.py            # markdown table: formula cells, equal, flagged per reason
    python tests/corpus.py --functions  # and the functions in the formulas of the 'mismatch' cells
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("GPUECON_CORPUS") or ROOT.parent / "shared" / "workbooks-corpus")  # GPUECON_CORPUS: elsewhere


def books() -> list[Path]:
    return sorted(p for p in CORPUS.glob("*.xls*") if not p.name.startswith("~$"))


@dataclass
class BookResult:
    name: str
    formulas: int = 0
    equal: int = 0  # formula cells not flagged whose written value equals the value Excel saved (or none saved)
    reasons: Counter = field(default_factory=Counter)  # flagged cells per reason
    unexplained: list[tuple[str, object, object]] = field(default_factory=list)  # differs, not flagged
    mismatch_functions: Counter = field(default_factory=Counter)  # functions named in 'mismatch' cells
    seconds: float = 0.0


def run_book(book: Path, out_dir: Path) -> BookResult:
    """Recalculate the unchanged ``book``, read back what was written, and compare every formula cell
    with the value Excel saved: equal, or flagged with a reason."""
    from gpuecon.recalc.report import close
    from gpuecon.recalc.workbook import Workbook, recalc

    t0 = time.perf_counter()
    res = recalc(book, out_dir / book.name)
    seconds = time.perf_counter() - t0
    before, after = Workbook.open(book), Workbook.open(res.output)
    flagged = {i.address: i for i in res.flagged}
    out = BookResult(book.name, res.formulas, seconds=seconds)
    out.reasons.update(i.kind for i in res.flagged)
    for key in before.node_at:
        addr = f"{before.sheet_names[key[0]]}!{_a1(key[1], key[2])}"
        saved, got = before.cached.get(key), after.cached.get(key)
        if addr in flagged:
            if flagged[addr].kind == "mismatch":
                names = set(_FUNCTION.findall(before.node_at[key].text.upper())) or {"(no function)"}
                out.mismatch_functions.update(n.removeprefix("_XLFN.") for n in names)
            continue
        if saved is None or close(got, saved):
            out.equal += 1
        else:
            out.unexplained.append((addr, saved, got))
    return out


def _a1(r: int, c: int) -> str:
    from openpyxl.utils.cell import get_column_letter

    return f"{get_column_letter(c)}{r}"


_FUNCTION = re.compile(r"([A-Z_][A-Z0-9_.]*)\(")


def main() -> int:
    from gpuecon.recalc.report import REASONS

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for book in books():
            rows.append(run_book(book, Path(tmp)))
    print("| book | formula cells | equal to Excel | " + " | ".join(REASONS) + " | seconds |")
    print("|---|---:|---:|" + "---:|" * len(REASONS) + "---:|")
    total: Counter = Counter()
    for r in rows:
        total.update(r.reasons)
        print(f"| {r.name} | {r.formulas:,} | {r.equal:,} | " + " | ".join(str(r.reasons[k] or "") for k in REASONS)
              + f" | {r.seconds:.2f} |")
    print(f"| **all {len(rows)}** | {sum(r.formulas for r in rows):,} | {sum(r.equal for r in rows):,} | "
          + " | ".join(str(total[k]) for k in REASONS) + " | |")
    if "--functions" in sys.argv:
        funcs: Counter = Counter()
        for r in rows:
            funcs.update(r.mismatch_functions)
        print("\n'mismatch' cells by the functions their formula names (a cell counts once per function):")
        print(", ".join(f"{name} {n}" for name, n in funcs.most_common(40)))
    bad = [(r.name, u) for r in rows for u in r.unexplained]
    for name, u in bad[:20]:
        print("UNEXPLAINED", name, *u, file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
