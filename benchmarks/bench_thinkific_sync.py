"""How close the whole sync runs to Thinkific's rate limit, and how few requests it makes.

A 20k-user, 200k-enrollment site is served by the simulator in its own process at a raised limit;
the README's main command (`python -m pipelines`) syncs it in another. Reported:

- achieved request rate ÷ limit (target ≥ 0.9): requests served over the sync's span, per minute;
- requests made ÷ minimal requests needed (target ≤ 1.02): the minimum is one request per page of
  250 of every list of the stream registry (per group for memberships), plus one per group
  (analysts) and per bundle;
- 429s received ÷ requests (target ≤ 1%);
- peak RSS of the sync process;
- and, as the baseline measured in the same run, a bare paging loop (plain `requests`, no
  validation, no warehouse) fetching the same minimal set of pages under the same limit: the
  sync's duration ÷ the baseline's says what validation and loading cost on top of the network.

    ./scripts/uv run --frozen python -m benchmarks thinkific_sync
"""

import math
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa

from benchmarks.peak_rss import run_measured
from resources.thinkific.rate_limit import TokenBucket
from schemas.thinkific import STREAMS
from schemas.thinkific.streams import RestList

ROOT = Path(__file__).resolve().parents[1]
SITE = {"users": 20_000, "groups": 40, "courses": 60, "bundles": 10, "enrollments": 200_000}
LIMIT = int(os.environ.get("BENCH_REQUESTS_PER_MINUTE", "600"))
PAGE = 250
CREDENTIALS = {"api_key": "bench-key", "subdomain": "bench-site"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def simulator_process() -> Iterator[str]:
    """The simulator in its own process (so it does not share the sync's interpreter)."""
    port = _free_port()
    flags = [f"--{name}={value}" for name, value in SITE.items()]
    command = [sys.executable, "-m", "simulator", "--port", str(port), *flags]
    command += [f"--requests-per-minute={LIMIT}", "--api-key=bench-key", "--subdomain=bench-site"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL)
    origin = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                requests.get(f"{origin}/_simulator/clock", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        yield origin
    finally:
        process.terminate()
        process.wait(timeout=30)


def _reset_stats(origin: str) -> None:
    requests.post(f"{origin}/_simulator/stats/reset", timeout=10).raise_for_status()


def _stats(origin: str) -> dict[str, Any]:
    return requests.get(f"{origin}/_simulator/stats", timeout=60).json()


def run_sync(origin: str, workdir: Path) -> tuple[float, int]:
    """Run the main command against the simulator; returns (seconds, peak RSS in KiB)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("THINKIFIC_")}
    env |= {
        "THINKIFIC_API_KEY": CREDENTIALS["api_key"],
        "THINKIFIC_SUBDOMAIN": CREDENTIALS["subdomain"],
        "THINKIFIC_BASE_URL": f"{origin}/api/public/v1",
        "THINKIFIC_REQUESTS_PER_MINUTE": str(LIMIT),
        "WAREHOUSE_URL": f"sqlite:///{workdir / 'warehouse.db'}",
        "DAGSTER_HOME": str(workdir / "dagster_home"),
    }
    sync = run_measured([sys.executable, "-m", "pipelines"], cwd=ROOT, env=env)
    return sync.seconds, sync.peak_rss_kib


def minimal_pages(warehouse_url: str) -> list[tuple[str, dict[str, Any]]]:
    """The fewest requests that read the whole site: (path, params) of each."""
    engine = sa.create_engine(warehouse_url)
    with engine.connect() as connection:

        def count(sql: str) -> list[tuple]:
            return list(connection.execute(sa.text(sql)))

        totals = {
            stream.read.path: count(
                f"SELECT count(*) FROM {stream.table} WHERE deleted_at IS NULL"  # noqa: S608 (names from the registry)
            )[0][0]
            for stream in STREAMS
            if isinstance(stream.read, RestList)
        }
        members = count(
            "SELECT g.id, count(m.user_id) FROM thinkific_groups g LEFT JOIN "
            "thinkific_group_memberships m ON m.group_id = g.id AND m.deleted_at IS NULL "
            "WHERE g.deleted_at IS NULL GROUP BY g.id"
        )
        bundle_ids = [row[0] for row in count("SELECT id FROM thinkific_bundles")]
    engine.dispose()

    def pages(path: str, total: int, **query: Any) -> list[tuple[str, dict[str, Any]]]:
        return [
            (path, {**query, "page": n, "limit": PAGE})
            for n in range(1, max(1, math.ceil(total / PAGE)) + 1)
        ]

    plan = [p for path, total in totals.items() for p in pages(path, total)]
    for group_id, member_count in members:
        plan += pages("/users", member_count, **{"query[group_id]": group_id})
        plan.append((f"/groups/{group_id}/analysts", {}))
    plan += [(f"/bundles/{bundle_id}", {}) for bundle_id in bundle_ids]
    return plan


def run_bare_loop(origin: str, plan: list[tuple[str, dict[str, Any]]]) -> float:
    """The baseline: the same pages with plain requests, paced by the same token bucket."""
    bucket = TokenBucket.under_limit(LIMIT)
    session = requests.Session()
    session.headers.update(
        {"X-Auth-API-Key": CREDENTIALS["api_key"], "X-Auth-Subdomain": CREDENTIALS["subdomain"]}
    )
    started = time.monotonic()
    for path, params in plan:
        bucket.acquire()
        session.get(f"{origin}/api/public/v1{path}", params=params, timeout=60).raise_for_status()
    return time.monotonic() - started


def _span_minutes(stats: dict[str, Any]) -> float:
    from datetime import datetime

    times = [datetime.fromisoformat(r["time"].replace("Z", "+00:00")) for r in stats["requests"]]
    return (max(times) - min(times)).total_seconds() / 60


def main() -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp, simulator_process() as origin:
        workdir = Path(tmp)
        _reset_stats(origin)
        sync_seconds, peak_rss_kib = run_sync(origin, workdir)
        sync = _stats(origin)
        plan = minimal_pages(f"sqlite:///{workdir / 'warehouse.db'}")
        # A fresh window for the baseline, as the sync had.
        requests.post(f"{origin}/_simulator/clock", json={"advance_seconds": 61}, timeout=10)
        _reset_stats(origin)
        bare_seconds = run_bare_loop(origin, plan)
        bare = _stats(origin)

    made = sync["served"] + sync["refused"]
    sync_rate = sync["served"] / _span_minutes(sync)
    bare_rate = bare["served"] / _span_minutes(bare)
    rows = [
        {
            "metric": "requests per minute ÷ limit",
            "sync": round(sync_rate / LIMIT, 3),
            "bare loop": round(bare_rate / LIMIT, 3),
            "target": "≥ 0.9",
        },
        {
            "metric": "requests made ÷ minimal",
            "sync": round(made / len(plan), 4),
            "bare loop": round((bare["served"] + bare["refused"]) / len(plan), 4),
            "target": "≤ 1.02",
        },
        {
            "metric": "429s ÷ requests",
            "sync": round(sync["refused"] / made, 4),
            "bare loop": round(bare["refused"] / max(1, bare["served"]), 4),
            "target": "≤ 0.01",
        },
        {
            "metric": "duration (s)",
            "sync": round(sync_seconds, 1),
            "bare loop": round(bare_seconds, 1),
            "target": "",
        },
        {
            "metric": "sync ÷ bare loop duration",
            "sync": round(sync_seconds / bare_seconds, 3),
            "bare loop": 1.0,
            "target": "",
        },
        {"metric": "requests", "sync": made, "bare loop": bare["served"], "target": ""},
        {
            "metric": "peak RSS of the sync process (MiB)",
            "sync": round(peak_rss_kib / 1024),
            "bare loop": "",
            "target": "",
        },
    ]
    notes = (
        f"Site: {SITE}; limit {LIMIT} requests/minute (raised from Thinkific's 120 to keep the "
        "run short; the client paces at 95% of whatever limit it is given). The sync's duration "
        "includes starting Python and Dagster; the request rate is measured over the span between "
        "its first and last request as the simulator saw them. Load average when it started: "
        f"{load_before:.1f} on {os.cpu_count()} cores."
    )
    return {"title": "Whole sync against the rate limit", "rows": rows, "notes": notes}


if __name__ == "__main__":
    import json

    print(json.dumps(main(), indent=2))
