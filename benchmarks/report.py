"""The results page: benchmarks/RESULTS.md, rewritten from the latest run of each benchmark.

The page keeps a machine-readable copy of every result (benchmarks/results.json) so that running
one benchmark does not erase the others' figures.
"""

import datetime as dt
import json
import os
import platform
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS_JSON = HERE / "results.json"
RESULTS_PAGE = HERE / "RESULTS.md"


def machine_description() -> str:
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, {memory_gib:.0f} GiB, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


def _markdown_table(rows: list[dict]) -> str:
    if not rows:
        return "(no rows)"
    headers = list(rows[0])
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(row.get(h, "")) for h in headers) + " |" for row in rows]
    return "\n".join(lines)


def write_results(new_results: dict[str, dict], machine: str) -> Path:
    stored = json.loads(RESULTS_JSON.read_text()) if RESULTS_JSON.exists() else {}
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    for name, result in new_results.items():
        stored[name] = {**result, "measured": now, "machine": machine}
    RESULTS_JSON.write_text(json.dumps(stored, indent=2, default=str) + "\n")

    sections = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`python -m benchmarks`); do not edit by hand. Each benchmark "
        "prints ratios against a baseline measured in the same run.",
    ]
    for name in sorted(stored):
        result = stored[name]
        sections += [
            "",
            f"## {result['title']}",
            "",
            f"`benchmarks/bench_{name}.py` — measured {result['measured']} on {result['machine']}.",
            "",
            _markdown_table(result["rows"]),
        ]
        if result.get("notes"):
            sections += ["", result["notes"]]
    RESULTS_PAGE.write_text("\n".join(sections) + "\n")
    return RESULTS_PAGE
