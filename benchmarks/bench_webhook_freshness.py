"""Webhook events to the Teams tab: how long until each event shows in `dashboard_teams_overview`,
with nobody launching anything.

A simulated site (`SITE`) is synced by the main command (`python -m pipelines`, timed: the
baseline, what refreshing the Teams tab costs without events). Then, as deployed: the webhook
receiver (`python -m pipelines.webhooks`) and `dagster-daemon run` on the project's
`workspace.yaml`, with a Dagster home of their own and the `thinkific_webhook_events` sensor
turned on (it is stopped by default). A group matching file dropped into the uploads folder maps
every Thinkific group to a team; its import reaching the Teams tab is measured too. Then this
process sends, one every `SECONDS_BETWEEN_EVENTS`, signed events built by the simulator from its
own records (`simulator.webhook_events`, Thinkific's payload shapes):

- `enrollment.created` for enrollments just made on the site, each a team member's;
- for every `REORDERED`-th of them an `enrollment.progress` (newer) sent *before* its `created`
  (then stale: it changes nothing);
- `quiz.attempted` for team members' quiz submissions, a new attempt each;
- exact repeats of `DUPLICATES` of them (Thinkific retries), later in the stream.

Each event's row is polled in the warehouse every `POLL_SECONDS` (the enrollment with the
event's progress, the quiz result with the event's attempts), and so is the Teams tab's
`calculated_at`. An event shows at the first Teams-tab recalculation that began after its row
was seen (it cannot have missed the row); its latency is from its send to the poll that saw that
recalculation. A recalculation that began within a poll before the row was seen may have
included it: counted at the next one, so a latency is never under-reported.

Reported: p50, p95 and the slowest latency (target p95 ≤ 90 s), events never shown, the
Thinkific requests the events caused per enrollment event (the simulator's own request log),
the runs (event batches, Teams-tab refreshes) the daemon launched, the upload's latency, and as
baselines the main command's whole sync with its refresh, and the wait for the nightly sync an
event would have without the automation.

    ./scripts/uv run --frozen python -m benchmarks webhook_freshness
"""

import contextlib
import datetime as dt
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa
from dagster import DagsterInstance, RunsFilter
from dagster._core.storage.tags import SENSOR_NAME_TAG

from pipelines.commands.local_home import LOCAL_INSTANCE_CONFIG
from pipelines.jobs.webhook_events import JOB_NAME as APPLY_JOB
from pipelines.sensors.automation import dashboard_automation
from pipelines.sensors.webhooks import thinkific_webhook_events
from receiver.app import WEBHOOK_PATH
from simulator import SimulatorServer
from simulator.config import SimulatorConfig
from simulator.webhook_events import WebhookEvents
from simulator.webhooks import SIGNATURE_HEADER, sign

ROOT = Path(__file__).resolve().parents[1]
SITE = {"users": 300, "groups": 5, "courses": 6, "bundles": 1, "enrollments": 600}
ENROLLMENT_EVENTS = int(os.environ.get("BENCH_FRESHNESS_EVENTS", 60))
QUIZ_EVENTS = ENROLLMENT_EVENTS // 3
REORDERED = 5
DUPLICATES = ENROLLMENT_EVENTS // 10
SECONDS_BETWEEN_EVENTS = 2.0
"""A cohort at work: an event every 2 s for a few minutes."""
POLL_SECONDS = 0.5
STARTUP_SECONDS = 120
DEADLINE_SECONDS = 300
"""How long after the last send an event may take before it counts as never shown."""
TARGET_P95_SECONDS = 90
NIGHTLY_WAIT_HOURS = 12
"""An event's average wait for the nightly sync: half a day."""


@dataclass
class Sent:
    """One distinct event: when it was sent, and when its row and the Teams tab had it."""

    kind: str
    row: int
    """The enrollment's or quiz submission's id."""
    value: float
    """The row's percentage_completed or attempts once the event is applied."""
    sent: float = 0.0
    applied: float | None = None
    shown: float | None = None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _environment(sim: SimulatorServer, folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("THINKIFIC_", "DAGSTER_"))}
    return env | {
        "THINKIFIC_API_KEY": sim.config.api_key,
        "THINKIFIC_SUBDOMAIN": sim.config.subdomain,
        "THINKIFIC_BASE_URL": sim.base_url,
        "THINKIFIC_GRAPHQL_URL": sim.graphql_url,
        "THINKIFIC_ACCESS_TOKEN": sim.config.access_token,
        "THINKIFIC_REQUESTS_PER_MINUTE": str(sim.config.requests_per_minute),
        "THINKIFIC_PACING_DIR": str(folder / "pacing"),
        "WAREHOUSE_URL": f"sqlite:///{folder / 'warehouse.db'}",
        "UPLOADS_DIR": str(folder / "uploads"),
        "DAGSTER_HOME": str(folder / "dagster_home"),
    }


@contextmanager
def _process_group(command: list[str], env: dict[str, str], log: Path) -> Iterator[int]:
    """A command in a process group of its own, stopped with all its children at the end, on
    failure too: SIGTERM, then SIGKILL after 30 s."""
    with log.open("w") as output:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield process.pid
        finally:
            _stop_group(process)


def _stop_group(process: subprocess.Popen) -> None:
    """SIGTERM to the group, SIGKILL to what is left of it after 30 s: the leader, then the
    group's other processes (the daemon's code server and run workers)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def _wait_for_port(port: int) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing listens on port {port} after {STARTUP_SECONDS} s")


def _query(engine: sa.Engine, sql: str, **params: Any) -> list[tuple]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(sa.text(sql), params)]


def _recalculated_at(engine: sa.Engine) -> float | None:
    """When the Teams tab's latest recalculation began (epoch seconds), if it has rows."""
    (value,) = _query(engine, "SELECT max(calculated_at) FROM dashboard_teams_overview")[0]
    if value is None:
        return None
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)
    return moment.replace(tzinfo=moment.tzinfo or dt.UTC).timestamp()


def _team_members(engine: sa.Engine) -> list[int]:
    """The Thinkific user ids of the dashboard's team members."""
    rows = _query(
        engine,
        "SELECT DISTINCT u.thinkific_user_id FROM dashboard_team_members m "
        "JOIN dashboard_users u ON u.email = m.email WHERE u.thinkific_user_id IS NOT NULL",
    )
    return sorted(int(user) for (user,) in rows)


def _timed_sync(env: dict[str, str]) -> float:
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "pipelines"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.monotonic() - started


def _wait_for_teams(engine: sa.Engine, uploads: Path) -> float:
    """Drops a group matching file mapping every group to a team of its own; seconds until the
    Teams tab shows every team with its members."""
    groups = [group for (group,) in _query(engine, "SELECT id FROM thinkific_groups")]
    folder = uploads / "group_matching"
    folder.mkdir(parents=True)
    staging = folder / ".teams.csv"
    staging.write_text("group,team\n" + "".join(f"{g},Team {g}\n" for g in groups))
    started = time.monotonic()
    staging.rename(folder / "teams.csv")
    while time.monotonic() < started + STARTUP_SECONDS * 2:
        rows = _query(engine, "SELECT count(*) FROM dashboard_teams_overview WHERE members > 0")
        if rows[0][0] == len(groups):
            return time.monotonic() - started
        time.sleep(POLL_SECONDS)
    raise RuntimeError("the group matching upload did not reach the Teams tab")


def _events(sim: SimulatorServer, members: list[int]) -> tuple[list[Sent], list[dict]]:
    """The events to send in order (repeats and reordered pairs included) and what each
    distinct one should do to its row."""
    rng = random.Random(11)
    truth = sim.ground_truth()
    enrolled = {(e["user_id"], e["course_id"]) for e in truth["enrollments"]}
    courses = [c["id"] for c in truth["courses"]]
    pairs = [(u, c) for u in members for c in courses if (u, c) not in enrolled]
    created = [
        sim.site.create("enrollments", {"user_id": u, "course_id": c})
        for u, c in rng.sample(pairs, ENROLLMENT_EVENTS)
    ]
    before = WebhookEvents(sim, seed=1)
    creations = [before.event("enrollment.created", e["id"]) for e in created]
    for enrollment in created[::REORDERED]:
        sim.site.update("enrollments", enrollment["id"], {"percentage_completed": 0.25})
    after = WebhookEvents(sim, seed=2)
    quizzes = [q for q in truth["quiz_results"] if int(q["user"]["id"]) in set(members)]
    attempts = [
        after.event("quiz.attempted", int(q["id"])) for q in rng.sample(quizzes, QUIZ_EVENTS)
    ]
    for attempt in attempts:
        attempt["payload"]["attempts"] += 1
    stream: list[dict] = []
    sent: list[Sent] = []
    for n, creation in enumerate(creations):
        if n % REORDERED == 0:
            progress = after.event("enrollment.progress", creation["payload"]["id"])
            stream += [progress, creation]
            sent.append(Sent("enrollment", creation["payload"]["id"], 25.0))
        else:
            stream.append(creation)
            sent.append(Sent("enrollment", creation["payload"]["id"], 0.0))
        if n % 3 == 0 and attempts:
            attempt = attempts.pop()
            stream.append(attempt)
            sent.append(
                Sent("quiz", attempt["payload"]["result_id"], attempt["payload"]["attempts"])
            )
    for repeat in rng.sample(range(len(stream) // 2), DUPLICATES):
        stream.insert(rng.randrange(repeat + 1, len(stream)), stream[repeat])
    return sent, stream


def _send(port: int, secret: str, stream: list[dict], sent: list[Sent]) -> None:
    """Posts the stream, one every SECONDS_BETWEEN_EVENTS; stamps each distinct event's first
    send that changes its row (an enrollment's first event, a quiz attempt)."""
    pending = {(s.kind, s.row): s for s in sent}
    session = requests.Session()
    for envelope in stream:
        body = json.dumps(envelope).encode()
        kind = "quiz" if envelope["resource"] == "quiz" else "enrollment"
        row = envelope["payload"].get("result_id", envelope["payload"].get("id"))
        event = pending.pop((kind, row), None)
        if event is not None:
            event.sent = time.time()
        answer = session.post(
            f"http://127.0.0.1:{port}{WEBHOOK_PATH}",
            data=body,
            headers={"Content-Type": "application/json", SIGNATURE_HEADER: sign(body, secret)},
            timeout=30,
        )
        answer.raise_for_status()
        time.sleep(SECONDS_BETWEEN_EVENTS)
    session.close()


def _rows(engine: sa.Engine, table: str, column: str, ids: list[int]) -> set[tuple[int, float]]:
    """(id, value of `column`) of the table's rows with these ids."""
    query = sa.text(f"SELECT id, {column} FROM {table} WHERE id IN :ids").bindparams(  # noqa: S608 (names from this module)
        sa.bindparam("ids", expanding=True)
    )
    with engine.connect() as connection:
        rows = connection.execute(query, {"ids": ids})
        return {(int(row), float(value or 0)) for row, value in rows}


def _applied(engine: sa.Engine, sent: list[Sent]) -> set[tuple[str, int]]:
    """The events whose rows hold what they said."""
    enrollments = _rows(
        engine,
        "thinkific_enrollments",
        "percentage_completed",
        [s.row for s in sent if s.kind == "enrollment"],
    )
    quizzes = _rows(
        engine, "thinkific_quiz_results", "attempts", [s.row for s in sent if s.kind == "quiz"]
    )
    found = {("enrollment", row, round(value * 100, 1)) for row, value in enrollments}
    found |= {("quiz", row, value) for row, value in quizzes}
    return {(s.kind, s.row) for s in sent if (s.kind, s.row, float(s.value)) in found}


def _follow(engine: sa.Engine, sent: list[Sent], sender: threading.Thread) -> None:
    """Polls rows and the Teams tab until every event shows, or DEADLINE_SECONDS after the
    last send."""
    seen_recalculation = _recalculated_at(engine)
    deadline = None
    while any(s.shown is None for s in sent):
        polled = time.time()
        applied = _applied(engine, sent)
        for event in sent:
            if event.applied is None and event.sent and (event.kind, event.row) in applied:
                event.applied = polled
        recalculated = _recalculated_at(engine)
        if recalculated is not None and recalculated != seen_recalculation:
            seen_recalculation = recalculated
            now = time.time()
            for event in sent:
                # Begun after the poll that saw the row: the row was committed before it.
                seen = event.applied
                if event.shown is None and seen is not None and seen < recalculated:
                    event.shown = now
        if deadline is None and not sender.is_alive():
            deadline = time.monotonic() + DEADLINE_SECONDS
        if deadline is not None and time.monotonic() > deadline:
            return
        time.sleep(POLL_SECONDS)


def _runs(home: Path) -> dict[str, int]:
    """The runs the daemon launched: event batches, and the automation's refreshes."""
    with DagsterInstance.from_config(str(home)) as instance:
        runs = instance.get_runs(filters=RunsFilter())
    return {
        "event batches": sum(run.job_name == APPLY_JOB for run in runs),
        "refreshes": sum(
            run.tags.get(SENSOR_NAME_TAG) == dashboard_automation.name for run in runs
        ),
    }


def _percentile(values: list[float], share: float) -> float:
    return round(statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1], 1)


def _measure(folder: Path) -> dict[str, Any]:
    config = SimulatorConfig(**SITE, requests_per_minute=120)
    with SimulatorServer(config) as sim, ExitStack() as stack:
        env = _environment(sim, folder)
        home = Path(env["DAGSTER_HOME"])
        home.mkdir()
        (home / "dagster.yaml").write_text(LOCAL_INSTANCE_CONFIG)
        with DagsterInstance.from_config(str(home)):
            pass  # its storage created before two processes open it at once
        sync_seconds = _timed_sync(env)
        engine = sa.create_engine(env["WAREHOUSE_URL"])
        stack.callback(engine.dispose)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "dagster",
                "sensor",
                "start",
                thinkific_webhook_events.name,
                "-w",
                "workspace.yaml",
            ],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port = _free_port()
        stack.enter_context(
            _process_group(
                [sys.executable, "-m", "pipelines.webhooks", f"--port={port}"],
                env,
                folder / "receiver.log",
            )
        )
        daemon = [
            str(Path(sys.executable).parent / "dagster-daemon"),
            "run",
            "-w",
            "workspace.yaml",
        ]
        stack.enter_context(_process_group(daemon, env, folder / "daemon.log"))
        _wait_for_port(port)
        upload_seconds = _wait_for_teams(engine, Path(env["UPLOADS_DIR"]))
        sent, stream = _events(sim, _team_members(engine))
        sim.stats.reset()
        sender = threading.Thread(target=_send, args=(port, sim.config.api_key, stream, sent))
        sender.start()
        try:
            _follow(engine, sent, sender)
        finally:
            sender.join()
        stats = sim.stats.snapshot()
        runs = _runs(home)
    shown = [s for s in sent if s.shown is not None and s.applied is not None]
    latencies = [s.shown - s.sent for s in shown]
    enrollment_events = sum(s.kind == "enrollment" for s in sent)
    return {
        "events sent (with repeats and stale reordered ones)": len(stream),
        "distinct events that change a row": len(sent),
        "events never shown": sum(s.shown is None for s in sent),
        "event_to_teams_overview_p50_seconds": _percentile(latencies, 0.5),
        "event_to_teams_overview_p95_seconds": _percentile(latencies, 0.95),
        "event_to_teams_overview_slowest_seconds": round(max(latencies), 1),
        "of which event to its row in the warehouse, p50 (s)": _percentile(
            [s.applied - s.sent for s in shown], 0.5
        ),
        "of which row to the Teams tab, p50 (s)": _percentile(
            [s.shown - s.applied for s in shown], 0.5
        ),
        "thinkific_requests_per_enrollment_event": round(stats["served"] / enrollment_events, 3),
        "GraphQL requests per quiz event": round(
            stats["graphql"]["requests"] / max(1, len(sent) - enrollment_events), 3
        ),
        "apply_webhook_events runs": runs["event batches"],
        "Teams-tab refreshes launched by the automation": runs["refreshes"],
        "group matching upload to Teams tab (s)": round(upload_seconds, 1),
        "baseline: main command, whole sync and refresh (s)": round(sync_seconds, 1),
        "baseline: an event's wait for the nightly sync (h, average)": NIGHTLY_WAIT_HOURS,
    }


def main() -> dict:
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as folder:
        measured = _measure(Path(folder))
    targets = {
        "event_to_teams_overview_p95_seconds": f"≤ {TARGET_P95_SECONDS}",
        "events never shown": "0",
    }
    rows = [
        {"metric": metric, "value": value, "target": targets.get(metric, "")}
        for metric, value in measured.items()
    ]
    missed = measured["event_to_teams_overview_p95_seconds"] > TARGET_P95_SECONDS
    return {
        "title": "Webhook events to the Teams tab: freshness with the daemon running",
        "rows": rows,
        "notes": " ".join(
            [
                f"A simulated site ({SITE}, 120 requests a minute, GraphQL on) synced by the",
                "main command, then the receiver and `dagster-daemon run` on `workspace.yaml`",
                "(SQLite warehouse and Dagster home; the webhook sensor turned on, the dashboard",
                "automation on by default). A group matching file maps every group to a team.",
                f"Sent one every {SECONDS_BETWEEN_EVENTS:g} s: {ENROLLMENT_EVENTS}",
                "`enrollment.created` for new enrollments of team members (every",
                f"{REORDERED}th preceded by a newer `enrollment.progress`, which it then must",
                f"not undo), {QUIZ_EVENTS} `quiz.attempted` (a new attempt each) and",
                f"{DUPLICATES} exact repeats. Latency: from an event's send to the first poll",
                f"(every {POLL_SECONDS:g} s) that sees a Teams-tab recalculation begun after",
                "the poll that saw the event's row; a recalculation begun within one poll",
                "before is counted at the next (latencies are never under-reported). Thinkific",
                "requests are every REST request the simulator served while the events were",
                "applied, per enrollment event. The machine's 2 cores are shared with other",
                f"work; load average when it started: {load:.1f}.",
                "Missed the p95 target." if missed else "",
            ]
        ).strip(),
    }
