"""Certificates and quiz results over GraphQL at Thinkific's real budgets (issue 27): the first
sync, a first sync killed halfway and resumed, and the nightly after a day of learner activity.

Every site is served by a fresh simulator in its own process at Thinkific's budgets (120 REST
requests and 2,000 GraphQL points a minute, at most 10 requests in flight, every answer 300 ms
late), and synced by the README's main command (`python -m pipelines`) into a SQLite warehouse
of its own. Per site (`BENCH_GRAPHQL_USERS`, default 5,000 and 20,000 users, eight enrollments a
user), concurrent tracks, each with its own simulator, warehouse and Dagster home:

- A: the first sync into an empty warehouse, uninterrupted: the baseline full read;
- B: a first sync stopped with SIGTERM to the main command once it has spent about half the
  points a full read needs (estimated from the site's rows and the client's page costs), then
  rerun to completion; both runs' points ÷ A's (the issue's bar: ≤ 1.1). Then a simulated day
  in which 2 % of the users progressed (`POST /_simulator/progress`: a quiz attempt and a
  completed course each) and the nightly (the main command again): its points ÷ the full
  read's (bar: ≤ 10 %);
- C (only for the sizes in `BENCH_GRAPHQL_RAISED_SETUP_USERS`, default 20,000): the nightly
  where A and B cannot reach it in the time given: a first sync run as an untimed setup with the
  simulator's GraphQL budget RAISED to 100,000 points a minute, the budget set back to 2,000
  and the window left to empty, then the same day and the nightly at Thinkific's budget. The
  setup's points are a full read's (a query costs what it asks for, whatever the budget).

Per run, from the simulator's logs: GraphQL points and queries, REST requests, the main
command's wall time, the GraphQL phase (the first query's arrival to the last one's answer),
the points floor (points ÷ 2,000 a minute) and wall and phase ÷ that floor (the issue aims at
≤ 1.15). After each complete read the GraphQL tables are compared with the simulator's ground
truth, and after a nightly the rows of the users who progressed too.

`BENCH_GRAPHQL_DEADLINE` (an ISO time, e.g. 2026-12-07T22:12+00:00) stops what is still running
then (SIGTERM to the main command, as a user stops it): those runs are left out of the rows
and the notes say which did not finish and how far they got.

    BENCH_GRAPHQL_USERS=200 ./scripts/uv run --frozen python -m benchmarks graphql_sync
"""

import math
import os
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import requests

from benchmarks import simulated_site as simulated
from benchmarks.peak_rss import start_measured
from resources.thinkific.learning_queries import (
    CERTIFICATES_PER_COURSE,
    CERTIFICATES_PER_PAGE,
    COURSE_CERTIFICATES_COST,
    COURSES_PER_PAGE,
    MORE_COURSE_CERTIFICATES_COST,
    QUIZ_SUBMISSIONS_COST,
    QUIZ_SUBMISSIONS_PER_PAGE,
)
from resources.warehouse import WarehouseResource
from schemas.thinkific import STREAMS, TABLES, to_frame

REQUESTS_PER_MINUTE = 120
POINTS_PER_MINUTE = 2000
"""Thinkific's budgets: every measured run is served at these."""
RAISED_POINTS_PER_MINUTE = 100_000
"""Track C's untimed setup only."""
PROGRESSED = 0.02
PROGRESS_SEED = 1
KILL_AT = 0.5
"""Track B's first sync is stopped once it has spent this share of a full read's points."""
POLL_SECONDS = 1.0
GRAPHQL_TABLES = {stream.name: stream.table for stream in STREAMS if stream.graphql}
BARS = {"resume": 1.1, "nightly": 0.10, "phase ÷ floor": 1.15}


def site_of(users: int) -> dict[str, int]:
    """A site of `users` users, eight enrollments each (the issue's 5,000 users and 40,000
    enrollments), a group per 500 users, 60 courses and 10 bundles."""
    return {
        "users": users,
        "groups": max(1, users // 500),
        "courses": 60,
        "bundles": 10,
        "enrollments": 8 * users,
    }


def _sizes(variable: str, default: str) -> list[int]:
    return [int(size) for size in os.environ.get(variable, default).split(",") if size.strip()]


def _deadline() -> float | None:
    value = os.environ.get("BENCH_GRAPHQL_DEADLINE")
    return datetime.fromisoformat(value).timestamp() if value else None


class Unfinished(Exception):
    """A run the deadline stopped: what it had done by then."""


@dataclass
class Track:
    """One simulator, one warehouse, the runs made against them in order."""

    users: int
    name: str
    origin: str
    workdir: Path
    deadline: float | None
    log: Callable[[str], None]
    rows: list[dict[str, Any]] = field(default_factory=list)

    def admin(self, method: str, route: str, **body: Any) -> Any:
        response = requests.request(
            method, f"{self.origin}/_simulator/{route}", json=body or None, timeout=600
        )
        response.raise_for_status()
        return response.json() if response.content else None

    def points(self) -> int:
        return self.admin("GET", "stats")["graphql"]["points"]

    def run(self, label: str, stop_at_points: float | None = None) -> dict[str, Any]:
        """The main command once, its figures from the simulator's logs (reset before it).
        Stopped with SIGTERM once `stop_at_points` are spent, or at the deadline (raises
        `Unfinished`)."""
        if self.deadline is not None and time.time() > self.deadline:
            raise Unfinished(
                f"{self.users:,} users, track {self.name}, {label}: not started, past the deadline"
            )
        self.admin("POST", "stats/reset")
        env = simulated.sync_environment(
            self.origin, self.workdir, REQUESTS_PER_MINUTE, pacing="burst", graphql=True
        )
        output = self.workdir / f"{len(self.rows)}.log"
        with output.open("w") as out:
            started = start_measured(
                [sys.executable, "-m", "pipelines"], cwd=simulated.ROOT, env=env, stdout=out
            )
            stopped = None
            while started.trampoline.poll() is None:
                time.sleep(POLL_SECONDS)
                if stopped is None and self.deadline is not None and time.time() > self.deadline:
                    stopped = "deadline"
                elif stopped is None and stop_at_points and self.points() >= stop_at_points:
                    stopped = "halfway"
                else:
                    continue
                pid = started.command_pid()
                if pid is None:
                    stopped = None  # not started yet: next time round
                else:
                    os.kill(pid, signal.SIGTERM)
            returncode, measured = started.wait()
        figures = self._figures(label, returncode, measured.seconds if measured else math.nan)
        if stopped == "deadline":
            raise Unfinished(
                f"{self.users:,} users, track {self.name}, {label}: stopped at the deadline "
                f"after {figures['main command (s)']:.0f} s, {figures['GraphQL points']:,} "
                f"points spent"
            )
        if returncode != (130 if stopped else 0):
            tail = output.read_text()[-3000:]
            raise RuntimeError(f"{label}: exit {returncode}\n{tail}")
        self.log(f"{self.users:,} users, track {self.name}: {figures}")
        return figures

    def _figures(self, label: str, returncode: int, seconds: float) -> dict[str, Any]:
        stats = self.admin("GET", "stats")
        graphql = stats["graphql"]
        times = [simulated.when(query["time"]) for query in graphql["queries"]]
        phase = max(times) - min(times) + simulated.LATENCY_MS / 1000 if times else 0.0
        floor = graphql["points"] / POINTS_PER_MINUTE * 60
        return {
            "users": self.users,
            "track": self.name,
            "run": label,
            "exit": returncode,
            "GraphQL points": graphql["points"],
            "GraphQL queries": graphql["requests"],
            "GraphQL refused": graphql["refused"],
            "most points in 60 s": graphql["max_points_in_60s"],
            "REST requests": len(stats["requests"]),
            "429s": stats["refused"],
            "main command (s)": round(seconds, 1),
            "GraphQL phase (s)": round(phase, 1),
            "points floor (s)": round(floor, 1),
            "wall ÷ floor": round(seconds / floor, 3) if floor else "",
            "phase ÷ floor": round(phase / floor, 3) if floor else "",
            "points ÷ baseline": "",
            "ground truth": "",
        }

    def ground_truth(self) -> dict[str, list[dict]]:
        return self.admin("GET", "ground_truth")

    def compare(self, truth: dict[str, list[dict]], users: list[int] | None = None) -> str:
        """Whether the warehouse's GraphQL tables hold exactly the ground truth's rows (of
        `users` only, when given)."""
        return compare_tables(f"sqlite:///{self.workdir / 'warehouse.db'}", truth, users)


def full_read_estimate(truth: dict[str, list[dict]]) -> int:
    """The points of a full read by the client's page costs: pages of 25 courses with their
    first 5 certificates, a page of 100 per course for the rest, pages of 200 submissions."""
    per_course = Counter(record["course"]["id"] for record in truth["certificates"])
    more = sum(
        math.ceil(max(0, n - CERTIFICATES_PER_COURSE) / CERTIFICATES_PER_PAGE)
        for n in per_course.values()
    )
    course_pages = math.ceil(len(truth["courses"]) / COURSES_PER_PAGE)
    quiz_pages = math.ceil(len(truth["quiz_results"]) / QUIZ_SUBMISSIONS_PER_PAGE)
    return (
        course_pages * COURSE_CERTIFICATES_COST
        + more * MORE_COURSE_CERTIFICATES_COST
        + quiz_pages * QUIZ_SUBMISSIONS_COST
    )


def compare_tables(url: str, truth: dict[str, list[dict]], users: list[int] | None) -> str:
    warehouse = WarehouseResource(url=url)
    verdicts = []
    for name, table in GRAPHQL_TABLES.items():
        records = truth[name]
        if users is not None:
            records = [r for r in records if int(r["user"]["id"]) in set(users)]
        key = list(TABLES[table].primary_key)
        columns = list(TABLES[table].model.to_schema().columns)
        expected = to_frame(table, records)[columns]
        actual = warehouse.read_frame(table)[columns]
        if users is not None:
            actual = actual[actual["user_id"].isin(users)]
        expected = expected.sort_values(key).reset_index(drop=True)
        actual = actual.sort_values(key).reset_index(drop=True)
        try:
            pd.testing.assert_frame_equal(actual, expected, check_dtype=False, obj=table)
            verdicts.append(f"{name} equal ({len(actual):,} rows)")
        except AssertionError as difference:
            first_line = str(difference).strip().splitlines()[0]
            verdicts.append(f"{name} DIFFERS ({len(actual):,} vs {len(expected):,}: {first_line})")
    return "; ".join(verdicts)


def first_sync(track: Track) -> None:
    row = track.run("first sync")
    row["ground truth"] = track.compare(track.ground_truth())
    track.rows.append(row)


def nightly(track: Track) -> None:
    """The day in which 2 % of the users progressed, then the nightly run."""
    progressed = track.admin("POST", "progress", share=PROGRESSED, seed=PROGRESS_SEED)["users"]
    row = track.run("nightly")
    truth = track.ground_truth()
    row["ground truth"] = (
        f"{len(progressed):,} users who progressed: {track.compare(truth, progressed)}; "
        f"whole tables: {track.compare(truth)}"
    )
    track.rows.append(row)


def killed_and_resumed(track: Track) -> None:
    half = KILL_AT * full_read_estimate(track.ground_truth())
    track.log(f"{track.users:,} users, track B: stopping the first sync at {half:,.0f} points")
    track.rows.append(track.run("first sync, stopped", stop_at_points=half))
    row = track.run("rerun")
    row["ground truth"] = track.compare(track.ground_truth())
    track.rows.append(row)
    nightly(track)


def raised_setup(track: Track) -> None:
    track.admin("POST", "graphql_budget", points_per_minute=RAISED_POINTS_PER_MINUTE)
    row = track.run(f"setup: first sync at a RAISED {RAISED_POINTS_PER_MINUTE:,} points/min")
    row |= {"wall ÷ floor": "", "phase ÷ floor": ""}  # not at Thinkific's budget: no floor
    row["ground truth"] = track.compare(track.ground_truth())
    track.rows.append(row)
    track.admin("POST", "graphql_budget", points_per_minute=POINTS_PER_MINUTE)
    time.sleep(61)  # the raised minute's charges leave the window
    nightly(track)


TRACKS = {"A": first_sync, "B": killed_and_resumed, "C": raised_setup}


def run_track(users: int, name: str, deadline: float | None, log: Callable) -> Track:
    served = simulated.simulator_process(site_of(users), REQUESTS_PER_MINUTE, POINTS_PER_MINUTE)
    with tempfile.TemporaryDirectory() as tmp, served as origin:
        track = Track(users, name, origin, Path(tmp), deadline, log)
        try:
            TRACKS[name](track)
        except Unfinished as unfinished:
            track.rows.append({"unfinished": str(unfinished)})
        except Exception as error:  # one track's failure is reported, not fatal
            track.rows.append({"unfinished": f"{users:,} users, track {name}: failed: {error}"})
        return track


def _row(tracks: dict[tuple[int, str], Track], users: int, name: str, run: str) -> dict | None:
    track = tracks.get((users, name))
    found = [r for r in track.rows if r.get("run", "").startswith(run)] if track else []
    return found[0] if found else None


def _verdict(ratio: float, bar: str) -> str:
    return "held" if ratio <= BARS[bar] else "MISSED"


def _ratios(tracks: dict[tuple[int, str], Track], users: int) -> list[dict[str, Any]]:
    """Each row gets its ratio to the baseline measured in the same run; plus a row for both
    runs of the resumed sync together."""
    baseline = _row(tracks, users, "A", "first sync")
    setup = _row(tracks, users, "C", "setup")
    full = baseline or setup
    stopped, rerun = (
        _row(tracks, users, "B", "first sync, stopped"),
        _row(tracks, users, "B", "rerun"),
    )
    extra = []
    if baseline and stopped:
        stopped["points ÷ baseline"] = round(
            stopped["GraphQL points"] / baseline["GraphQL points"], 3
        )
    if baseline and stopped and rerun:
        both = stopped["GraphQL points"] + rerun["GraphQL points"]
        ratio = both / baseline["GraphQL points"]
        rerun["points ÷ baseline"] = round(rerun["GraphQL points"] / baseline["GraphQL points"], 3)
        extra.append(
            {
                **{key: "" for key in baseline},
                "users": users,
                "track": "B",
                "run": "stopped + rerun together",
                "GraphQL points": both,
                "GraphQL queries": stopped["GraphQL queries"] + rerun["GraphQL queries"],
                "REST requests": stopped["REST requests"] + rerun["REST requests"],
                "main command (s)": round(
                    stopped["main command (s)"] + rerun["main command (s)"], 1
                ),
                "points ÷ baseline": round(ratio, 3),
                "ground truth": f"bar ≤ {BARS['resume']}: {_verdict(ratio, 'resume')}",
            }
        )
    for name in ("B", "C"):
        night = _row(tracks, users, name, "nightly")
        if night and full:
            ratio = night["GraphQL points"] / full["GraphQL points"]
            source = "A's first sync" if baseline else "C's setup read"
            night["points ÷ baseline"] = round(ratio, 4)
            night["ground truth"] += (
                f" (÷ {source}'s points; bar ≤ {BARS['nightly']:.0%}: {_verdict(ratio, 'nightly')})"
            )
    return extra


def main() -> dict[str, Any]:
    sizes = _sizes("BENCH_GRAPHQL_USERS", "5000,20000")
    raised = set(_sizes("BENCH_GRAPHQL_RAISED_SETUP_USERS", "20000"))
    deadline = _deadline()
    load_before = os.getloadavg()[0]
    lock = threading.Lock()

    def log(line: str) -> None:
        with lock:
            print(f"[{datetime.now(UTC):%H:%M:%S}] {line}", flush=True)

    plan = [
        (users, name)
        for users in sizes
        for name in ("A", "B", "C")
        if name != "C" or users in raised
    ]
    log(f"tracks {plan}; deadline {os.environ.get('BENCH_GRAPHQL_DEADLINE', 'none')}")
    with ThreadPoolExecutor(max_workers=len(plan)) as pool:
        futures = {key: pool.submit(run_track, *key, deadline, log) for key in plan}
        tracks = {key: future.result() for key, future in futures.items()}
    rows, unfinished = [], []
    for users in sizes:
        extra = _ratios(tracks, users)
        for name in ("A", "B", "C"):
            for row in tracks[(users, name)].rows if (users, name) in tracks else []:
                (unfinished if "unfinished" in row else rows).append(row.get("unfinished", row))
            if name == "B":
                rows.extend(extra)
    notes = (
        f"Thinkific's real budgets in every measured run: {REQUESTS_PER_MINUTE} REST requests "
        f"and {POINTS_PER_MINUTE:,} GraphQL points a minute, {simulated.LATENCY_MS} ms a "
        f"request, at most {simulated.MAX_IN_FLIGHT} in flight. Sites: "
        + "; ".join(f"{site_of(users)}" for users in sizes)
        + ". Tracks run concurrently, each with its own simulator process, SQLite warehouse and "
        "Dagster home: A the uninterrupted first sync (the baseline); B a first sync stopped "
        f"with SIGTERM once it had spent {KILL_AT:.0%} of the estimated full read, its rerun, "
        f"then a day in which {PROGRESSED:.0%} of users progressed (a quiz attempt and a "
        "completed course each) and the nightly; "
        + (
            f"C (sites of {sorted(raised)} users) the same day and nightly after a first sync "
            f"run as an untimed SETUP with the GraphQL budget RAISED to "
            f"{RAISED_POINTS_PER_MINUTE:,} points a minute (its wall time and ratios to the "
            "floor mean nothing; its points are a full read's), the budget set back to "
            f"{POINTS_PER_MINUTE:,} a minute before the day. "
            if raised & set(sizes)
            else ""
        )
        + "GraphQL phase: the first query's arrival to the last one's answer. Floor: points ÷ "
        f"{POINTS_PER_MINUTE:,} a minute. points ÷ baseline: a stopped run and its rerun ÷ A's "
        "first sync (bar ≤ 1.1 together), a nightly ÷ the full read's points (bar ≤ 10 %). "
        f"Bar for phase ÷ floor: ≤ {BARS['phase ÷ floor']}. "
        + (f"NOT FINISHED: {' | '.join(unfinished)}. " if unfinished else "")
        + f"Load average when it started: {load_before:.1f} on {os.cpu_count()} cores."
    )
    return {
        "title": "Certificates and quiz results at Thinkific's budgets",
        "rows": rows,
        "notes": notes,
    }


if __name__ == "__main__":
    import json

    print(json.dumps(main(), indent=2))
