"""Generating a big simulated site: the columnar store against plain Python dicts.

Each store is built in a fresh subprocess, which reports its own wall time; its peak RSS is
measured by `benchmarks.peak_rss`, so neither measurement carries the other's memory, nor the
benchmark run's. The baseline (the naive store) holds the very same generated records as one
Python dict per record; its build time is the generation plus that materialisation. Both also
time one incremental-sync filter (`updated_on_or_after`) over all enrollments, the query the
simulator answers most.

    ./scripts/uv run --frozen python -m benchmarks.bench_simulator_generation
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks.peak_rss import run_measured

ROOT = Path(__file__).resolve().parents[1]
SITE = {
    "users": 100_000,
    "enrollments": 1_000_000,
    "groups": 200,
    "courses": 60,
    "bundles": 12,
}
FILTER_REPEATS = 5


def _current_rss_mb() -> float:
    """The resident set of this process now: the peak can predate the store (imports peak
    briefly), so the store's own size is measured as a difference of current sizes."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / 2**20


def measure(store: str) -> dict[str, float]:
    """Build one store in this process and measure it (run by `main` in a subprocess)."""
    from simulator.config import SimulatorConfig
    from simulator.generate import generate_site
    from simulator.generate_columns import GENERATION_ANCHOR_MS
    from simulator.timestamps import DAY_MS

    rss_after_imports = _current_rss_mb()
    started = time.perf_counter()
    tables = generate_site(SimulatorConfig(**SITE))
    cutoff = GENERATION_ANCHOR_MS - 90 * DAY_MS
    if store == "columnar":
        updated_at = tables.enrollments.column("updated_at")

        def run_filter() -> int:
            return len(np.flatnonzero(tables.enrollments.alive & (updated_at >= cutoff)))

    else:
        records = {}
        for name in vars(tables):
            table = getattr(tables, name)
            columns = [column for column in table.schema if column != "alive"]
            records[name] = table.records(table.live_rows(), columns)
        del tables, table
        enrollments = records["enrollments"]

        def run_filter() -> int:
            return len([row for row in enrollments if row["updated_at"] >= cutoff])

    build_seconds = time.perf_counter() - started
    rss_with_store = _current_rss_mb()
    filter_started = time.perf_counter()
    matches = [run_filter() for _ in range(FILTER_REPEATS)]
    filter_ms = (time.perf_counter() - filter_started) * 1000 / FILTER_REPEATS
    return {
        "build_seconds": build_seconds,
        "rss_after_imports_mb": rss_after_imports,
        "rss_with_store_mb": rss_with_store,
        "filter_ms": filter_ms,
        "filter_matches": matches[0],
    }


def _measure_in_subprocess(store: str) -> dict[str, float]:
    measured = run_measured(
        [sys.executable, "-m", "benchmarks.bench_simulator_generation", "--store", store],
        cwd=ROOT,
        capture=True,
    )
    figures = json.loads(measured.stdout.strip().splitlines()[-1])
    return figures | {"peak_rss_mb": measured.peak_rss_mib}


def main() -> dict:
    columnar = _measure_in_subprocess("columnar")
    naive = _measure_in_subprocess("dicts")
    if columnar["filter_matches"] != naive["filter_matches"]:
        raise AssertionError("the two stores disagree on the filter: they hold different records")

    def row(metric: str, unit: str, key: str) -> dict:
        return {
            "metric": metric,
            "value": round(columnar[key], 2),
            "unit": unit,
            "naive dicts": round(naive[key], 2),
            "ratio (naive / columnar)": f"{naive[key] / columnar[key]:.1f}x",
        }

    for figures in (columnar, naive):
        figures["store_mb"] = figures["rss_with_store_mb"] - figures["rss_after_imports_mb"]
    return {
        "title": "Simulator: generating 100k users and 1M enrollments",
        "rows": [
            row("build the store (generate; dicts: + materialise)", "s", "build_seconds"),
            row("peak RSS of the process", "MB", "peak_rss_mb"),
            row("resident memory the store adds", "MB", "store_mb"),
            row("filter enrollments updated_on_or_after (1M rows)", "ms", "filter_ms"),
        ],
        "notes": (
            f"Site: {SITE}, plus the orders, memberships, analysts and products generated with "
            "them. Each store is built in its own subprocess, whose ru_maxrss is its peak "
            "(read through a small trampoline process, see benchmarks/peak_rss.py). The "
            "naive store holds the same records as one dict per record; its build time includes "
            "the vectorised generation, so the time ratio understates a pure-Python generator."
        ),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--store", choices=["columnar", "dicts"])
    arguments = parser.parse_args()
    if arguments.store:
        print(json.dumps(measure(arguments.store)))
    else:
        print(json.dumps(main(), indent=2))
