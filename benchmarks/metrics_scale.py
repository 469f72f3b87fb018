"""Scale benchmark of ``condition_scores`` (a script, not a test).

    .venv/bin/python benchmarks/metrics_scale.py [--territories 1500] [--loop-territories 100]

Builds a synthetic ``responses`` table of 1,500 territories × 40 respondents × 30 items
× 3 waves (5.4 million answers, ~5 % "ne sait pas", canonical dtypes: ``str`` ids,
``Int64`` waves and scores) with numpy, for a framework of 5 conditions × 6 items built
from ``ci2011`` with ``dataclasses.replace``. Then it measures, in the same run:

1. the wall time of ``condition_scores`` (which includes r_wg), best and median of
   ``--repeat`` runs, on rows sorted as the store returns them, then once on the same
   rows shuffled (the worst case);
2. its peak memory with ``tracemalloc`` (Python and numpy allocations made during the
   call, in a separate run because tracing slows allocation down), and the growth of the
   process's peak resident set (``resource.getrusage().ru_maxrss``), which only shows
   memory beyond the peak already reached while building the data;
3. a straightforward per-territory loop (filter the territory, item means and variances
   with plain pandas ``groupby``, condition means and respondent counts) on the same data.
   If the full loop is projected to last over a minute, it runs on ``--loop-territories``
   territories and its time is extrapolated linearly (the script says so).

Targets (2-core machine, issue 15): whole scoring at most 0.5 s and 1 GiB, at least 20×
faster than the loop.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import os
import resource
import sys
import time
import tracemalloc

import numpy as np
import pandas as pd

from collective_impact.framework import Condition, Item, Text, load_framework
from collective_impact.metrics.assessment import condition_scores

N_ITEMS_PER_CONDITION = 6


def bench_framework():
    """``ci2011`` with 6 synthetic items per condition (30 items)."""
    base = load_framework()
    conditions = tuple(
        dataclasses.replace(
            c,
            items=tuple(
                Item(id=f"{c.id}_b{k}", condition=c.id, text=Text(f"{c.id} {k}", f"{c.id} {k}"), help=Text("", ""))
                for k in range(1, N_ITEMS_PER_CONDITION + 1)
            ),
        )
        for c in base.conditions
    )
    assert all(isinstance(c, Condition) for c in conditions)
    return dataclasses.replace(base, id="bench30", conditions=conditions)


def synthetic_responses(framework, *, n_territories: int, n_respondents: int, n_waves: int,
                        dont_know: float = 0.05, seed: int = 0) -> pd.DataFrame:
    """A canonical ``responses`` table, every respondent answering every item in every wave."""
    rng = np.random.default_rng(seed)
    item_ids = np.array([item.id for item in framework.items], dtype=object)
    n_items = len(item_ids)
    per_territory = n_waves * n_respondents * n_items
    n = n_territories * per_territory
    territory_ids = np.array([f"T{i:05d}" for i in range(n_territories)], dtype=object)
    respondent_ids = np.array([f"T{i:05d}-R{r:03d}" for i in range(n_territories) for r in range(n_respondents)],
                              dtype=object)

    territory = np.repeat(np.arange(n_territories), per_territory)
    wave = np.tile(np.repeat(np.arange(1, n_waves + 1), n_respondents * n_items), n_territories)
    respondent_local = np.tile(np.repeat(np.arange(n_respondents), n_items), n_territories * n_waves)
    item = np.tile(np.arange(n_items), n_territories * n_waves * n_respondents)
    # A territory level and an item level, plus noise, rounded onto the 1–5 scale.
    level = rng.normal(3.3, 0.5, n_territories)[territory] + rng.normal(0, 0.4, n_items)[item]
    score = np.clip(np.rint(level + rng.normal(0, 0.9, n)), 1, 5).astype("int64")
    missing = rng.random(n) < dont_know
    return pd.DataFrame({
        "territory_id": pd.array(territory_ids[territory], dtype="str"),
        "wave": pd.array(wave, dtype="Int64"),
        "respondent_id": pd.array(respondent_ids[territory * n_respondents + respondent_local], dtype="str"),
        "partner_id": pd.array(np.full(n, None, dtype=object), dtype="str"),
        "item_id": pd.array(item_ids[item], dtype="str"),
        "score": pd.arrays.IntegerArray(score, missing),
        "answered_on": pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]"),
    })


def loop_scores(responses: pd.DataFrame, territories, framework) -> pd.DataFrame:
    """The straightforward way: one territory at a time, plain pandas groupby."""
    condition_of = {item.id: item.condition for item in framework.items}
    a = framework.scale_max - framework.scale_min + 1
    sigma2 = (a * a - 1) / 12
    parts = []
    for territory_id in territories:
        sub = responses[responses["territory_id"] == territory_id]
        items = sub.groupby(["wave", "item_id"])["score"].agg(["mean", "var", "count"]).reset_index()
        items["condition"] = items["item_id"].map(condition_of)
        items["rwg"] = (1 - items["var"] / sigma2).clip(0, 1).where(items["count"] >= 2)
        conditions = items.groupby(["wave", "condition"]).agg(mean=("mean", "mean"), rwg=("rwg", "mean"))
        answered = sub[sub["score"].notna()].assign(condition=lambda f: f["item_id"].map(condition_of))
        conditions["n_respondents"] = answered.groupby(["wave", "condition"])["respondent_id"].nunique()
        parts.append(conditions.reset_index().assign(territory_id=territory_id))
    return pd.concat(parts, ignore_index=True)


def maxrss_bytes() -> int:
    # ru_maxrss is in kilobytes on Linux, in bytes on macOS.
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss if sys.platform == "darwin" else rss * 1024


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--territories", type=int, default=1500)
    parser.add_argument("--respondents", type=int, default=40)
    parser.add_argument("--waves", type=int, default=3)
    parser.add_argument("--loop-territories", type=int, default=100,
                        help="territories the loop runs on when the full loop would take over a minute")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    framework = bench_framework()
    t0 = time.perf_counter()
    responses = synthetic_responses(framework, n_territories=args.territories, n_respondents=args.respondents,
                                    n_waves=args.waves)
    print(f"data: {len(responses):,} answers ({args.territories} territories × {args.respondents} respondents × "
          f"{len(framework.items)} items × {args.waves} waves), {responses['score'].isna().mean():.1%} "
          f"'ne sait pas', built in {time.perf_counter() - t0:.1f} s")
    print(f"data frame memory: {responses.memory_usage(deep=True).sum() / 2**30:.2f} GiB")

    gc.collect()
    rss_before = maxrss_bytes()
    times, cpu_times = [], []
    for _ in range(args.repeat):
        gc.collect()
        start, cpu_start = time.perf_counter(), time.process_time()
        scores = condition_scores(responses, framework=framework)
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu_start)
    rss_growth = maxrss_bytes() - rss_before
    best, median = min(times), float(np.median(times))
    # CPU time as well as wall time: on a shared machine other processes stretch the wall
    # time, not the CPU time of this (single-threaded) computation.
    print(f"condition_scores (with r_wg): wall best {best:.2f} s, median {median:.2f} s; CPU best "
          f"{min(cpu_times):.2f} s, over {args.repeat} runs → {len(scores):,} rows "
          f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")

    # The store returns rows sorted by territory, wave, respondent and item, which the
    # scoring exploits (runs of equal ids are hashed once); rows in random order are its worst case.
    shuffled = responses.sample(frac=1.0, random_state=0).reset_index(drop=True)
    gc.collect()
    start, cpu_start = time.perf_counter(), time.process_time()
    condition_scores(shuffled, framework=framework)
    shuffled_time, shuffled_cpu = time.perf_counter() - start, time.process_time() - cpu_start
    del shuffled
    print(f"condition_scores on the same rows in random order: wall {shuffled_time:.2f} s, "
          f"CPU {shuffled_cpu:.2f} s (one run)")

    gc.collect()
    tracemalloc.start()
    condition_scores(responses, framework=framework)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"peak memory of condition_scores: {peak / 2**20:.0f} MiB (tracemalloc peak of the call); "
          f"process peak RSS grew by {rss_growth / 2**20:.0f} MiB during the timed runs (ru_maxrss)")

    territories = list(pd.unique(responses["territory_id"]))
    probe = territories[: min(5, len(territories))]
    start = time.perf_counter()
    loop_scores(responses, probe, framework)
    per_territory = (time.perf_counter() - start) / len(probe)
    if per_territory * len(territories) > 60 and args.loop_territories < len(territories):
        subset = territories[: args.loop_territories]
        start = time.perf_counter()
        loop_scores(responses, subset, framework)
        measured = time.perf_counter() - start
        loop_time = measured * len(territories) / len(subset)
        print(f"per-territory loop: {measured:.1f} s on {len(subset)} territories, extrapolated linearly to "
              f"{len(territories)} territories: {loop_time:.0f} s (the full loop would take over a minute)")
    else:
        start = time.perf_counter()
        loop_scores(responses, territories, framework)
        loop_time = time.perf_counter() - start
        print(f"per-territory loop: {loop_time:.1f} s on all {len(territories)} territories")
    print(f"ratio loop / vectorised: {loop_time / best:.0f}× (best vectorised time)")

    ok = best <= 0.5 and peak <= 2**30 and loop_time / best >= 20
    print("targets (≤ 0.5 s, ≤ 1 GiB, ≥ 20×):", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
