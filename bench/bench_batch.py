"""Benchmark ``gpuecon batch``: a 1,000,000-row scenario CSV -> results.

    python bench/bench_batch.py                  # 1,000,000 rows, local engine, CSV and Parquet out
    python bench/bench_batch.py --dask           # also the Dask engine on a 2-worker LocalCluster
    python bench/bench_batch.py --record         # append the section to docs/benchmarks.md

Each run is the real command (``gpuecon batch SCENARIOS -o RESULTS``) in a fresh process, so the
time is what a user waits for: Python start-up, imports, reading, computing every row through
``gpuecon.engine.frame.evaluate`` (chunks on a process pool, one worker per core) and writing. The
scenario table mixes all catalog systems with random rents, PUEs and hurdles; about 1% of the rows
are bad on purpose (unknown system, PUE out of range, text for a number) and are reported in
``error``, not dropped.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _report import ROOT, emit, parser  # noqa: E402  (sibling module; bench scripts run as files)


def scenario_csv(path: Path, rows: int, seed: int = 0) -> Path:
    from gpuecon.engine.catalog import system_names

    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "system": rng.choice(system_names(), rows),
        "rent_usd_per_gpu_hour": rng.uniform(1.0, 12.0, rows).round(2),
        "pue_ratio": rng.uniform(1.1, 1.5, rows).round(3),
        "hurdle_irr_annual": rng.uniform(0.08, 0.25, rows).round(4),
        "prepay_frac_contract": rng.choice([0.0, 0.1, 0.15, 0.25], rows),
    })
    bad = rng.choice(rows, rows // 100, replace=False)
    df.loc[bad[0::3], "system"] = "Nonexistent GPU"
    df.loc[bad[1::3], "pue_ratio"] = 0.5
    df = df.astype({"rent_usd_per_gpu_hour": object})
    df.loc[bad[2::3], "rent_usd_per_gpu_hour"] = "n/a"
    df.to_csv(path, index=False)
    return path


def timed(cmd: list[str]) -> float:
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stdout[-1500:]}\n{proc.stderr[-1500:]}")
    return time.perf_counter() - t


def main() -> None:
    ap = parser(__doc__, rows=1_000_000, repeat=3)
    ap.add_argument("--dask", action="store_true", help="also time --engine dask (LocalCluster, one worker per core)")
    opts = ap.parse_args()
    exe = [sys.executable, "-m", "gpuecon"] if (ROOT / "gpuecon" / "__main__.py").exists() else ["gpuecon"]
    rows: list[tuple[str, list[float], str]] = []
    with tempfile.TemporaryDirectory(prefix="gpuecon-bench-") as tmp:
        src = scenario_csv(Path(tmp) / "scenarios.csv", opts.rows)
        size_mb = src.stat().st_size / 1e6
        for ext in (".csv", ".parquet"):
            out = Path(tmp) / f"results{ext}"
            times = [timed([*exe, "batch", str(src), "-o", str(out), "--no-progress"]) for _ in range(opts.repeat)]
            rows.append((f"CSV -> {ext[1:]}, local engine", times, ""))
            check = pd.read_parquet(out) if ext == ".parquet" else None
            if check is not None:
                assert len(check) == opts.rows, "rows were dropped"
                n_err = int((check["error"] != "").sum())
                rows[-1] = (rows[-1][0], times, f"{n_err:,} rows with an error kept")
        if opts.dask:
            out = Path(tmp) / "results_dask.parquet"
            times = [timed([*exe, "batch", str(src), "-o", str(out), "--engine", "dask", "--no-progress"])
                     for _ in range(opts.repeat)]
            rows.append(("CSV -> parquet, dask engine (LocalCluster)", times, "includes starting the cluster"))
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    lines = [f"## Batch scenario tables (`gpuecon batch`), {time.strftime('%Y-%m-%d')}", "",
             f"Machine: {machine}. Command: `python bench/bench_batch.py --rows {opts.rows}"
             f"{' --dask' if opts.dask else ''}` ({opts.rows:,}-row CSV, {size_mb:.0f} MB). Whole "
             f"`gpuecon batch` process, best of {opts.repeat} (median in brackets); target <= 10 s.", "",
             "| job | seconds | rows/s | notes |", "|---|---:|---:|---|"]
    for name, times, note in rows:
        best = min(times)
        lines.append(f"| {name} | **{best:.2f}** ({statistics.median(times):.2f}) | {opts.rows / best:,.0f} | {note} |")
    lines.append("")
    emit(lines, opts.record)


if __name__ == "__main__":
    main()
