"""A burst of webhook events (a cohort import): how many the receiver stores per second, none lost
or doubled.

The receiver command (`python -m pipelines.webhooks`) runs in its own process, on a fresh SQLite
warehouse and then on a fresh PostgreSQL one; this process sends it `EVENTS` signed
`enrollment.created` events (Thinkific's example, each with its own id) plus `DUPLICATES` exact
repeats of some of them, shuffled, over `CONNECTIONS` keep-alive connections at once (one thread
and one `http.client` connection each, every request sent as soon as the previous answer came).
Reported, per database:

- events stored per second (target ≥ 300): distinct events stored ÷ the burst's wall time;
- lost (sent, never stored) and doubled (stored twice) events, read back from the table, whose
  sequence numbers must run 1..EVENTS without a gap, and answers other than 200 (target 0 each);
- the receiver process's CPU time per request during the burst;
- how long an unsigned request waits meanwhile (another connection sends one every 20 ms);
- as the baseline, measured in the same run on the same kind of database: the same burst against
  the receiver started with `--max-batch 1`, a transaction per event (what group commit saves);
- and, for scale, the same events stored a transaction each by the bare driver (an INSERT and a
  COMMIT per event, nothing else: no HTTP, no validation).

    ./scripts/uv run --frozen python -m benchmarks webhook_receiver
"""

import datetime as dt
import hashlib
import hmac
import http.client
import json
import os
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy as sa

from benchmarks.postgres import fresh_database
from receiver.app import WEBHOOK_PATH
from receiver.envelope import event_record
from receiver.group_commit import MAX_BATCH
from receiver.signature import SIGNATURE_HEADER
from resources.warehouse import WarehouseResource
from resources.webhooks.store import SEQUENCE, WebhookStore
from schemas.tables import records_to_rows
from schemas.webhooks import WEBHOOK_EVENTS

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "tests" / "contract_examples" / "webhook_enrollment_created.json"
EVENTS = int(os.environ.get("BENCH_WEBHOOK_EVENTS", 5000))
DUPLICATES = EVENTS // 10
CONNECTIONS = 8
TARGET_PER_SECOND = 300
SIGNING_KEY = "bench-webhook-key"
PROBE_SECONDS = 0.02
STARTUP_SECONDS = 60

STORED = "events stored per second"
LOST = "events lost"
DOUBLED = "events stored twice"
NUMBERED = "sequence numbers run 1..N"
NOT_200 = "answers other than 200"
ANSWERS = "answers"
ONE_BY_ONE = "baseline: the receiver with --max-batch 1, events stored per second"
BARE = "for scale: the bare driver, a commit per event, events per second"
TARGETS = {
    STORED: f"≥ {TARGET_PER_SECOND}",
    LOST: "0",
    DOUBLED: "0",
    NUMBERED: "True",
    NOT_200: "0",
}


def _bodies() -> list[bytes]:
    """EVENTS distinct signed-to-be bodies: Thinkific's example with ids of its length."""
    example = json.loads(EXAMPLE.read_text())
    return [json.dumps(example | {"id": str(10**22 + n)}).encode() for n in range(EVENTS)]


def _signature(body: bytes) -> str:
    return hmac.new(SIGNING_KEY.encode(), body, hashlib.sha256).hexdigest()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def receiver_process(warehouse_url: str, max_batch: int) -> Iterator[tuple[int, int]]:
    """The receiver command in its own process: (its port, its pid), once it accepts."""
    port = _free_port()
    environment = os.environ | {
        "THINKIFIC_WEBHOOK_SECRET": SIGNING_KEY,
        "WAREHOUSE_URL": warehouse_url,
        "WAREHOUSE_SCHEMA": "",
    }
    command = [sys.executable, "-m", "pipelines.webhooks", f"--port={port}"]
    command.append(f"--max-batch={max_batch}")
    process = subprocess.Popen(
        command, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the receiver did not start") from None
                time.sleep(0.1)
        yield port, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


@dataclass
class Burst:
    seconds: float
    answers: Counter[tuple[int, str]]
    cpu_seconds: float
    unsigned_ms: list[float]


def _post(connection: http.client.HTTPConnection, body: bytes, signature: str | None) -> Any:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers[SIGNATURE_HEADER] = signature
    connection.request("POST", WEBHOOK_PATH, body, headers)
    response = connection.getresponse()
    return response.status, json.loads(response.read())


def _burst(port: int, pid: int, deliveries: list[tuple[bytes, str]]) -> Burst:
    """Send the deliveries over CONNECTIONS connections while probing with unsigned requests."""
    answers: Counter[tuple[int, str]] = Counter()
    lock = threading.Lock()
    unsigned_ms: list[float] = []
    done = threading.Event()

    def send(share: list[tuple[bytes, str]]) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for body, signature in share:
            status, answer = _post(connection, body, signature)
            with lock:
                answers[status, answer.get("status", answer.get("error", ""))] += 1
        connection.close()

    def probe() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while not done.wait(PROBE_SECONDS):
            started = time.perf_counter()
            _post(connection, b"{}", None)
            unsigned_ms.append((time.perf_counter() - started) * 1000)
        connection.close()

    senders = [
        threading.Thread(target=send, args=(deliveries[k::CONNECTIONS],))
        for k in range(CONNECTIONS)
    ]
    prober = threading.Thread(target=probe)
    cpu_before = _cpu_seconds(pid)
    started = time.perf_counter()
    prober.start()
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()
    seconds = time.perf_counter() - started
    cpu_seconds = _cpu_seconds(pid) - cpu_before
    done.set()
    prober.join()
    return Burst(seconds, answers, cpu_seconds, unsigned_ms)


def _receiver_under_burst(
    warehouse_url: str, bodies: list[bytes], max_batch: int = MAX_BATCH
) -> dict[str, Any]:
    """The burst against the receiver command on `warehouse_url`, then what the table holds."""
    rng = random.Random(7)
    deliveries = [(body, _signature(body)) for body in bodies]
    deliveries += [rng.choice(deliveries) for _ in range(DUPLICATES)]
    rng.shuffle(deliveries)
    with receiver_process(warehouse_url, max_batch) as (port, pid):
        burst = _burst(port, pid, deliveries)
    warehouse = WarehouseResource(url=warehouse_url)
    stored = WebhookStore(warehouse).after(0, limit=10 * EVENTS)
    warehouse.dispose()
    sent_ids = {json.loads(body)["id"] for body in bodies}
    stored_ids = [event.id for event in stored]
    numbers = [event.sequence_number for event in stored]
    not_200 = sum(count for (status, _), count in burst.answers.items() if status != 200)
    return {
        STORED: round(len(set(stored_ids)) / burst.seconds),
        "requests answered per second": round(len(deliveries) / burst.seconds),
        LOST: len(sent_ids - set(stored_ids)),
        DOUBLED: len(stored_ids) - len(set(stored_ids)),
        NUMBERED: numbers == list(range(1, len(stored) + 1)),
        NOT_200: not_200,
        "burst duration (s)": round(burst.seconds, 2),
        "receiver CPU per request (ms)": round(burst.cpu_seconds / len(deliveries) * 1000, 2),
        "unsigned request meanwhile, median (ms)": round(statistics.median(burst.unsigned_ms), 1),
        "unsigned request meanwhile, slowest (ms)": round(max(burst.unsigned_ms), 1),
        ANSWERS: {f"{status} {what}": count for (status, what), count in burst.answers.items()},
    }


def _records(bodies: list[bytes]) -> list[dict[str, Any]]:
    received = dt.datetime.now(dt.UTC)
    return [record for body in bodies if (record := event_record(body, received)) is not None]


def _bare_commits(warehouse_url: str, records: list[dict[str, Any]]) -> int:
    """Events per second stored by the bare driver, an INSERT and a COMMIT per event."""
    warehouse = WarehouseResource(url=warehouse_url)
    store = WebhookStore(warehouse)
    store.create_table()
    table_name = store.table.name
    warehouse.dispose()
    rows = [
        {SEQUENCE: number, **row}
        for number, row in enumerate(records_to_rows(WEBHOOK_EVENTS, records), start=1)
    ]
    columns = list(rows[0])
    url = sa.make_url(warehouse_url)
    if url.get_backend_name() == "sqlite":
        marks = ", ".join("?" * len(columns))
        connection: Any = sqlite3.connect(url.database)  # BEGINs before each INSERT
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = NORMAL")
        values = [[_sqlite_value(row[c]) for c in columns] for row in rows]
    else:
        marks = ", ".join(["%s"] * len(columns))
        connection = psycopg.connect(url.set(drivername="postgresql").render_as_string(False))
        values = [[row[c] for c in columns] for row in rows]
    insert = f"INSERT INTO {table_name} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608
    with closing(connection):
        started = time.perf_counter()
        for row_values in values:
            connection.execute(insert, row_values)
            connection.commit()
        return round(len(values) / (time.perf_counter() - started))


def _sqlite_value(value: Any) -> Any:
    return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value


def _measure(warehouse_url: Callable[[], Any], bodies: list[bytes]) -> dict[str, Any]:
    """The receiver's burst and the baselines, each on a fresh database from `warehouse_url`."""
    with warehouse_url() as url:
        measured = _receiver_under_burst(url, bodies)
    with warehouse_url() as url:
        measured[ONE_BY_ONE] = _receiver_under_burst(url, bodies, max_batch=1)[STORED]
    measured["receiver ÷ baseline"] = round(measured[STORED] / measured[ONE_BY_ONE], 1)
    with warehouse_url() as url:
        measured[BARE] = _bare_commits(url, _records(bodies))
    return measured


def _exact_and_on_target(measured: dict[str, Any]) -> bool:
    exact = measured[LOST] == measured[DOUBLED] == measured[NOT_200] == 0 and measured[NUMBERED]
    return exact and measured[STORED] >= TARGET_PER_SECOND


@contextmanager
def _sqlite_url() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{Path(folder) / 'warehouse.db'}"


@contextmanager
def _postgresql_url() -> Iterator[str]:
    with fresh_database("bench_webhooks") as url:
        yield url.render_as_string(hide_password=False)


def main() -> dict:
    load = os.getloadavg()[0]
    bodies = _bodies()
    measured = {
        "SQLite": _measure(_sqlite_url, bodies),
        "PostgreSQL": _measure(_postgresql_url, bodies),
    }
    metrics = [metric for metric in measured["SQLite"] if metric != ANSWERS]
    rows = [
        {"metric": metric, **{db: values[metric] for db, values in measured.items()}}
        | {"target": TARGETS.get(metric, "")}
        for metric in metrics
    ]
    answers = "; ".join(f"{db}: {values[ANSWERS]}" for db, values in measured.items())
    missed = [db for db, values in measured.items() if not _exact_and_on_target(values)]
    return {
        "title": f"Webhook receiver: a burst of {EVENTS:,} events over {CONNECTIONS} connections",
        "rows": rows,
        "notes": " ".join(
            [
                f"{EVENTS:,} distinct signed `enrollment.created` events (Thinkific's example,",
                f"each with its own 23-digit id) and {DUPLICATES:,} exact repeats, shuffled, sent",
                f"by {CONNECTIONS} threads over one keep-alive `http.client` connection each to",
                "the receiver command in its own process, on a fresh database; a ninth",
                f"connection sends an unsigned request every {PROBE_SECONDS * 1000:.0f} ms",
                "meanwhile. Lost and doubled events are read back from the table after the",
                f"receiver has stopped. Answers: {answers}. The receiver stores each batch of",
                "the events waiting in one transaction (group commit) and answers each after its",
                "batch's commit; the baseline is the same command with `--max-batch 1`, a",
                "transaction per event, under the same burst. For scale, the bare driver stores",
                "the same events (validated and shaped beforehand, untimed) in this process, an",
                "INSERT and a COMMIT each (sqlite3 in WAL mode with synchronous=NORMAL, as the",
                "warehouse runs it; psycopg), with no HTTP and no validation. Measured apart",
                "(the same burst, not in this run): the receiver before its group commit",
                "(commit c08cfde: pandera validating each event on the event loop, a commit per",
                "event) stored 30.4 events/s on SQLite, at 29.3 ms of CPU per request, while",
                "unsigned requests waited 69 ms (median) and up to 451 ms.",
                "The machine and its PostgreSQL server are shared with other work: commit",
                "latency, and so every PostgreSQL figure, varies from run to run. Load average",
                f"when it started: {load:.1f} on {os.cpu_count()} cores.",
                f"Missed the target or not exact: {missed}." if missed else "",
            ]
        ).strip(),
    }
