"""gpuecon batch on a real distributed LocalCluster (loopback) gives the local engine's results."""

from __future__ import annotations

from pathlib import Path

import distributed  # a dev dependency ([dask] extra): missing means a broken install, not a skip
import numpy as np
import pandas as pd
import pytest

from gpuecon.batch import evaluate_dask, evaluate_local, read_scenarios, run_batch

pytestmark = pytest.mark.slow  # a real LocalCluster per test


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as lc, distributed.Client(lc) as client:
        yield lc, client


def scenarios(n: int = 3_000) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    df = pd.DataFrame({
        "system": rng.choice(["VR NVL72", "GB300 NVL72", "H100 SXM", "MI355X", "Vera Rubin NVL72", "bogus"], n),
        "rent": rng.uniform(0.5, 12.0, n).round(3).astype(str),
        "pue_ratio": rng.uniform(0.95, 1.6, n).round(3).astype(str),  # < 1 is out of range: error rows
        "hurdle_irr": rng.uniform(0.05, 0.3, n).round(4).astype(str),
    })
    df.loc[::97, "rent"] = "n/a"  # text in a number column
    df.loc[::89, "pue_ratio"] = ""  # blank: the default
    return df


def test_dask_csv_equals_local(tmp_path: Path, cluster) -> None:
    lc, client = cluster
    src = tmp_path / "s.csv"
    scenarios().to_csv(src, index=False)
    local = evaluate_local(read_scenarios(src), chunk_rows=1_000, workers=1, progress=False).reset_index(drop=True)
    # small blocks so the CSV really is split into several partitions across both workers
    import dask.dataframe as dd

    ddf = dd.read_csv(str(src), dtype="string", keep_default_na=False, na_values=[""], blocksize=20_000)
    assert ddf.npartitions > 2
    parts = evaluate_dask(ddf.compute(), client=client, partition_rows=400, progress=False).reset_index(drop=True)
    remote = evaluate_dask(src, client=client, progress=False).reset_index(drop=True)
    for got in (parts, remote):
        assert list(got.columns) == list(local.columns)
        assert len(got) == len(local) == 3_000
        num = [c for c in local.columns if local[c].dtype.kind == "f"]
        np.testing.assert_allclose(got[num].to_numpy(float), local[num].to_numpy(float), rtol=0, atol=0, equal_nan=True)
        for col in ("system", "note", "error"):
            assert got[col].fillna("").astype(str).tolist() == local[col].fillna("").astype(str).tolist()
    assert (local["error"] != "").sum() > 100  # the bad rows are kept, with a reason
    workers = client.scheduler_info()["workers"]
    assert len(workers) == 2 and all(addr.startswith("tcp://127.0.0.1:") for addr in workers)


def test_run_batch_dask_scheduler_address(tmp_path: Path, cluster) -> None:
    lc, _ = cluster
    src = tmp_path / "s.parquet"
    scenarios(1_500).to_parquet(src)
    out_d, out_l = tmp_path / "d.parquet", tmp_path / "l.parquet"
    sd = run_batch(src, out_d, engine="dask", scheduler=lc.scheduler_address, chunk_rows=500, progress=False)
    sl = run_batch(src, out_l, progress=False)
    assert (sd.rows, sd.errors) == (sl.rows, sl.errors) == (1_500, sl.errors)
    pd.testing.assert_frame_equal(pd.read_parquet(out_d), pd.read_parquet(out_l), check_dtype=False)
