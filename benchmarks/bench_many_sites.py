"""Eight simulated sites synced by one deployment: does each stay under its limit, and together
do they use what their limits allow?

Eight simulated sites, each with Thinkific's limit of `LIMIT` requests a minute and every answer
given after `LATENCY_MS` plus up to `JITTER_MS` (a real page time), are named in one sites file,
and the README's main command (`python -m pipelines` with `THINKIFIC_SITES_FILE`) syncs them all
at once, one process per site, from a new Dagster home and warehouse folder. Each site
(`SITE`) needs about 240 REST requests: about 2.2 windows' allowance once the client's headroom
is kept (`DEFAULT_HEADROOM`), so every site waits out two full windows and the request phase is
pacing, not one burst.

Reported from each simulator's own request log (arrival and answer times on the wall clock):

- per site: requests, first and last request (seconds from the first request of any site), the
  most requests in any 60-second window (must not pass the limit), and its requests a minute
  over its own request phase ÷ its limit;
- all sites: requests a minute from the first request of any site to the last answer of any
  ÷ the sum of the limits (the issue's ratio, target ≥ 0.85); the requests ÷ what the limits
  physically allow in that phase (each site's limit once per started 60-second window: a
  burst at the start of each); and the phase ÷ the dependency-aware minimum of
  `bench_thinkific_sync` (the fastest any client could send the same requests);
- the peak RSS of each site's process (its `VmHWM`, polled every `POLL_SECONDS` from `/proc`:
  unlike `ru_maxrss`, it belongs to the process's own memory since its exec, not the parent's
  it was forked from) and of the main command's own process;
- the baseline, measured in the same run: one of the sites synced alone
  (`python -m pipelines --site NAME`) from a new simulator of the same site, whose wall time x 8
  is the eight synced one after another.

    ./scripts/uv run --frozen python -m benchmarks many_sites
"""

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.bench_thinkific_sync import WINDOW_SECONDS, dependency_aware_minimum
from resources.thinkific.rate_limit import DEFAULT_HEADROOM, DEFAULT_MAX_IN_FLIGHT
from simulator import SimulatorConfig, SimulatorServer
from simulator.timestamps import to_ms

ROOT = Path(__file__).resolve().parents[1]
SITES = tuple(f"site{n}" for n in range(1, 9))
LIMIT = 120
LATENCY_MS = 300
JITTER_MS = 100
SITE = {"users": 3000, "groups": 40, "courses": 30, "bundles": 6, "enrollments": 27_500}
POLL_SECONDS = 0.5
BASELINE_SITE = SITES[0]


@dataclass
class Peaks:
    """What polling a process tree saw: each process's peak RSS and how long it was seen."""

    parent_kib: int = 0
    site_kib: dict[str, int] = field(default_factory=dict)
    site_seconds: dict[str, float] = field(default_factory=dict)


def start_simulator(stack: ExitStack, name: str) -> SimulatorServer:
    """A new simulated site, stopped with `stack`: the same site for the same name."""
    config = SimulatorConfig(
        seed=SITES.index(name) + 1,
        subdomain=f"{name}-school",
        api_key=f"{name}-key",
        requests_per_minute=LIMIT,
        latency_ms=LATENCY_MS,
        latency_jitter_ms=JITTER_MS,
        **SITE,
    )
    server = SimulatorServer(config, host="127.0.0.1", port=0).start()
    stack.callback(server.stop)
    return server


def write_sites_file(path: Path, servers: dict[str, SimulatorServer]) -> dict[str, str]:
    """The sites file naming every server (no GraphQL token: that step skips); the variables
    holding their keys."""
    entries = [
        f"  - name: {name}\n"
        f"    subdomain: {server.config.subdomain}\n"
        f"    api_key_env: {name.upper()}_KEY\n"
        f"    base_url: {server.base_url}\n"
        f"    graphql_url: {server.graphql_url}\n"
        f"    requests_per_minute: {server.config.requests_per_minute}\n"
        for name, server in servers.items()
    ]
    path.write_text("sites:\n" + "".join(entries), encoding="utf-8")
    return {f"{name.upper()}_KEY": server.config.api_key for name, server in servers.items()}


def command_environment(workdir: Path, sites_file: Path, keys: dict[str, str]) -> dict[str, str]:
    """This process's environment without Thinkific, warehouse or Dagster settings, pointed at
    a new Dagster home, warehouse and pacing folder inside `workdir`."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("THINKIFIC_", "WAREHOUSE_", "DAGSTER_"))
    }
    return (
        env
        | keys
        | {
            "THINKIFIC_SITES_FILE": str(sites_file),
            "THINKIFIC_PACING_DIR": str(workdir / "pacing"),
            "WAREHOUSE_URL": f"sqlite:///{workdir / 'warehouse.db'}",
            "DAGSTER_HOME": str(workdir / "dagster_home"),
        }
    )


def _peak_rss_kib(pid: int) -> int | None:
    """The process's `VmHWM`; None once it has exited (a zombie has no memory lines)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return None


def _site_children(parent: int) -> Iterator[tuple[str, int]]:
    """(site name, pid) of each `--site NAME` process whose parent is `parent`."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if ppid == parent and b"--site" in command:
            yield command[command.index(b"--site") + 1].decode(), int(entry.name)


def run_polled(command: list[str], env: dict[str, str], log: Path) -> tuple[float, Peaks]:
    """Runs `command` to its end, polling its own and its site processes' peak RSS; returns its
    wall time and the peaks. Raises with the tail of its output when it fails."""
    peaks = Peaks()
    first_seen: dict[str, float] = {}
    started = time.monotonic()
    with log.open("w") as output:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
        )
        while process.poll() is None:
            now = time.monotonic()
            peaks.parent_kib = max(peaks.parent_kib, _peak_rss_kib(process.pid) or 0)
            for site, pid in _site_children(process.pid):
                first_seen.setdefault(site, now)
                rss = _peak_rss_kib(pid)
                if rss is not None:
                    peaks.site_kib[site] = max(peaks.site_kib.get(site, 0), rss)
                    peaks.site_seconds[site] = now - first_seen[site]
            time.sleep(POLL_SECONDS)
    seconds = time.monotonic() - started
    if process.returncode != 0:
        tail = log.read_text(errors="replace")[-4000:]
        raise RuntimeError(f"{command} exited {process.returncode}; its output ends:\n{tail}")
    return seconds, peaks


@dataclass(frozen=True)
class RequestLog:
    """One site's REST requests: arrival and answer times (epoch seconds), and the log itself."""

    arrivals: list[float]
    answers: list[float]
    entries: list[dict[str, Any]]
    most_in_a_window: int
    refused: int

    @classmethod
    def of(cls, server: SimulatorServer) -> "RequestLog":
        stats = server.stats.snapshot()
        log = stats["requests"]
        return cls(
            [to_ms(r["time"]) / 1000 for r in log],
            [to_ms(r["finished"]) / 1000 for r in log],
            log,
            stats["max_requests_in_60s"],
            stats["refused"],
        )


def allowed_in(seconds: float, limit: int) -> int:
    """The most requests `limit` a minute lets through in `seconds`: a full limit at the start
    of every 60-second window the phase begins (the burst allowance), no more."""
    return limit * (int(seconds // WINDOW_SECONDS) + 1)


def pacing_row(
    run: str, site: str, logs: list[RequestLog], origin: float, rss_kib: int, seconds: float
) -> dict[str, Any]:
    """The row of one site's log, or of several sites' logs together (their limits summed)."""
    first = min(min(log.arrivals) for log in logs)
    last = max(max(log.answers) for log in logs)
    phase = last - first
    requests = sum(len(log.entries) for log in logs)
    limit = LIMIT * len(logs)
    latency = LATENCY_MS / 1000
    minimum = max(
        dependency_aware_minimum(log.entries, True, LIMIT, DEFAULT_MAX_IN_FLIGHT, latency)
        for log in logs
    )
    return {
        "run": run,
        "site": site,
        "requests": requests,
        "first → last request (s)": f"{first - origin:.1f} → {last - origin:.1f}",
        "most in any 60 s": logs[0].most_in_a_window if len(logs) == 1 else "",
        "limit": limit,
        "429s": sum(log.refused for log in logs),
        "requests a minute ÷ limit": round(requests / (phase / 60) / limit, 3),
        "requests ÷ what the limit allows in the phase": round(
            requests / allowed_in(phase, limit), 3
        ),
        "phase ÷ dependency-aware minimum": round(phase / minimum, 2),
        "peak RSS (MiB)": round(rss_kib / 1024),
        "wall (s)": round(seconds, 1),
    }


@dataclass(frozen=True)
class AllAtOnce:
    """The main command's run over every site: its rows and its own process's peak RSS."""

    sites: list[dict[str, Any]]
    together: dict[str, Any]
    parent_rss_kib: int


def all_at_once(servers: dict[str, SimulatorServer], workdir: Path) -> AllAtOnce:
    """The main command over every site: a row per site and one for all of them."""
    keys = write_sites_file(workdir / "sites.yaml", servers)
    env = command_environment(workdir / "all", workdir / "sites.yaml", keys)
    seconds, peaks = run_polled([sys.executable, "-m", "pipelines"], env, workdir / "all.log")
    logs = {name: RequestLog.of(server) for name, server in servers.items()}
    origin = min(min(log.arrivals) for log in logs.values())
    run = "all at once"
    return AllAtOnce(
        sites=[
            pacing_row(run, name, [log], origin, peaks.site_kib[name], peaks.site_seconds[name])
            for name, log in logs.items()
        ],
        together=pacing_row(
            run,
            f"all {len(SITES)}",
            list(logs.values()),
            origin,
            max(peaks.site_kib.values()),
            seconds,
        ),
        parent_rss_kib=peaks.parent_kib,
    )


def one_alone(server: SimulatorServer, workdir: Path) -> dict[str, Any]:
    """The baseline: the first site synced alone from a new simulator (the one synced with the
    others still counts their last window's requests), a new home and warehouse."""
    keys = write_sites_file(workdir / "sites.yaml", {BASELINE_SITE: server})
    env = command_environment(workdir / "alone", workdir / "sites.yaml", keys)
    command = [sys.executable, "-m", "pipelines", "--site", BASELINE_SITE]
    seconds, peaks = run_polled(command, env, workdir / "alone.log")
    log = RequestLog.of(server)
    return pacing_row("alone", BASELINE_SITE, [log], min(log.arrivals), peaks.parent_kib, seconds)


def notes(measured: AllAtOnce, baseline: dict[str, Any], loads: list[tuple[float, ...]]) -> str:
    plain = measured.together["requests a minute ÷ limit"]
    over = [row["site"] for row in measured.sites if row["most in any 60 s"] > row["limit"]]
    one_after_another = baseline["wall (s)"] * len(SITES)
    together = measured.together["wall (s)"]
    start, end = (tuple(round(load, 1) for load in sample) for sample in loads)
    summed_rss = sum(row["peak RSS (MiB)"] for row in measured.sites)
    return (
        f"{len(SITES)} simulated sites in the benchmark's process, each {SITE} (seeds "
        f"1 to {len(SITES)}), limit {LIMIT} requests a minute, answers after {LATENCY_MS} ms + "
        f"0 to {JITTER_MS} ms, at most {DEFAULT_MAX_IN_FLIGHT} in flight; REST only (no GraphQL "
        f"token). The client keeps {DEFAULT_HEADROOM:.0%} of each limit as headroom and a "
        f"61-second window, so its steady pace is at most {1 - DEFAULT_HEADROOM:.1f} x 60/61 ≈ "
        f"{(1 - DEFAULT_HEADROOM) * 60 / 61:.3f} of the limit. `requests a minute ÷ limit` is "
        "the requests over the request phase (first arrival to last answer) ÷ the limit (for "
        "all sites: from the first request of any to the last answer of any, ÷ the sum of the "
        f"limits): the issue's ratio, ≥ 0.85 wanted; all {len(SITES)} together: {plain} "
        f"({'met' if plain >= 0.85 else 'NOT met'}). Above that ceiling it comes from the "
        "phase's last window, whose few requests all go out at once: over many windows the "
        "ratio tends to the ceiling. Because a window's whole allowance may go "
        "out at once, a phase of T seconds physically allows limit x (⌊T/60⌋ + 1) requests "
        "(`requests ÷ what the limit allows in the phase`); the fastest any client can send the "
        "same requests is the dependency-aware minimum of bench_thinkific_sync (`phase ÷ "
        f"dependency-aware minimum`, at the latency's {LATENCY_MS} ms floor; for all sites, the "
        "largest site's minimum). A site's first → last request counts from the first "
        "request of any site. Sites above their limit in "
        f"some 60 s window: {', '.join(over) or 'none'}. Peak RSS: each process's VmHWM polled "
        f"every {POLL_SECONDS} s (growth in its last half second would be missed); a site's "
        f"wall is how long its process was seen (± {POLL_SECONDS} s); for all sites the peak is "
        f"the largest site's (each is its own process: together up to {summed_rss} MiB), the "
        f"wall the main command's. Baseline: {BASELINE_SITE} synced alone after, with "
        f"`--site`, from a new simulator of the same site; x {len(SITES)} = "
        f"{one_after_another:.0f} s one after another "
        f"against {together} s all at once ({one_after_another / together:.1f}x faster). Load "
        f"average (1, 5, 15 min) at the start {start}, at the end {end}, on {os.cpu_count()} "
        f"cores shared with the simulators and other work: {len(SITES)} processes starting at "
        "once stagger their first requests."
    )


def main() -> dict[str, Any]:
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        servers = {name: start_simulator(stack, name) for name in SITES}
        measured = all_at_once(servers, Path(tmp))
        baseline = one_alone(start_simulator(stack, BASELINE_SITE), Path(tmp))
    parent = {
        "run": "all at once",
        "site": "the main command's own process",
        "peak RSS (MiB)": round(measured.parent_rss_kib / 1024),
    }
    one_after_another = {
        "run": f"one after another ({BASELINE_SITE} alone x {len(SITES)})",
        "site": f"all {len(SITES)}",
        "wall (s)": round(baseline["wall (s)"] * len(SITES), 1),
    }
    return {
        "title": f"{len(SITES)} sites synced at once by one deployment, each at its limit",
        "rows": [*measured.sites, measured.together, parent, baseline, one_after_another],
        "notes": notes(measured, baseline, [load_before, os.getloadavg()]),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(main(), indent=2))
