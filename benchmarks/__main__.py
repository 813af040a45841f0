"""Run every benchmark in this folder (or those named) and rewrite benchmarks/RESULTS.md.

    make bench                                   every benchmark
    ./scripts/uv run --frozen python -m benchmarks simulator_generation thinkific_sync

Each `bench_<name>.py` module has a `main() -> dict` returning {"title", "rows", "notes"}; rows are
dicts of one shape. Results of benchmarks not run this time are kept from the previous page.
"""

import importlib
import json
import sys
from pathlib import Path

from benchmarks.report import machine_description, write_results

HERE = Path(__file__).resolve().parent


def available() -> list[str]:
    return sorted(path.stem.removeprefix("bench_") for path in HERE.glob("bench_*.py"))


def main(names: list[str]) -> int:
    unknown = sorted(set(names) - set(available()))
    if unknown:
        print(f"unknown benchmark(s) {unknown}; available: {available()}", file=sys.stderr)
        return 2
    results = {}
    for name in names or available():
        print(f"== {name}", flush=True)
        results[name] = importlib.import_module(f"benchmarks.bench_{name}").main()
        print(json.dumps(results[name], indent=2, default=str), flush=True)
    path = write_results(results, machine_description())
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
