"""Applying a batch of stored webhook events as changes to the Thinkific tables.

What each topic sets is `resources.webhooks.changes`; how new a stored row is,
`resources.webhooks.versions`. A batch is applied in three steps:

1. Each event becomes a change (the quizzes' passing scores looked up first).
2. Targeted reads (`resources.webhooks.targeted_reads`), before any write, for what payloads are
   not enough for: the record of a change that is not complete (GET it; a quiz result: its
   user's quiz results over GraphQL), then each user or course that an enrollment or quiz
   result refers to while neither the table (live rows) nor the batch holds it (GET it). A
   complete event about known records costs no request.
3. One write transaction (on PostgreSQL with the tables locked, `RecordVersions.lock`): for each
   record, the newest of its candidates (its complete changes in the batch, and what a read
   answered) is written if it is newer than the row's stored version, over the stored row's
   other columns, and its version is recorded. A read's version is an enrollment's
   `updated_at`, otherwise the time the reads began. Every other event is `stale` (older than
   the row, or than another candidate), or a `duplicate` when the row's version came from this
   very event (a replay). A written row marked deleted comes back: an event newer than the read
   that deleted it says the record is there.

Each event ends `applied`, `stale`, `duplicate`, `read` (its payload was not enough, a targeted
read stood in) or `unresolved` (not enough, and no read to stand in: no id to read by, a quiz
result without THINKIFIC_ACCESS_TOKEN, or Thinkific failing the read); the nightly sync brings
what an unresolved event missed. A failed read fails neither the run nor the other events.

Nothing here deletes, moves a watermark or marks a read complete: the nightly sync and the
weekly reconciliation stay the truth, and overwrite, soft-delete and advance as without events (the
watermark counts only the rows a read staged: `SnapshotLoader.commit`). A sync that read a row
before an event changed it and commits after the event was applied puts back what it read; the
row's next event, or the next sync, brings the change back.
"""

import datetime as dt
import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import sqlalchemy as sa

from resources.thinkific.errors import ThinkificError
from resources.warehouse import WarehouseResource
from resources.warehouse.engine import transaction
from resources.warehouse.merge import LoadResult, rows_of, upsert_rows
from resources.warehouse.rows import plain_records
from resources.webhooks.changes import Change, changes_of
from resources.webhooks.store import LandedEvent
from resources.webhooks.targeted_reads import TargetedReads
from resources.webhooks.versions import OWN_VERSIONS, RecordVersions, StoredRow
from schemas.tables import records_to_frame
from schemas.thinkific import stream_of

STREAMS = ("users", "courses", "enrollments", "quiz_results")
"""The streams a batch may change, in the order they are written."""
REFERENCES = {"enrollments": ("users", "courses"), "quiz_results": ("users",)}
"""The streams whose records a stream's rows refer to, read when a batch refers to one unknown."""
REFERENCE_COLUMNS = {"users": "user_id", "courses": "course_id"}
"""The column a reference to a stream's record is held in."""
OUTCOMES = ("applied", "stale", "duplicate", "read", "unresolved")
"""What can become of an event (see above)."""


@dataclass(frozen=True)
class Candidate:
    """A row a record may be set to: from an event's change, or from a read (`event` None)."""

    record_id: int
    values: dict[str, Any]
    version: dt.datetime
    event: LandedEvent | None = None

    @property
    def order(self) -> tuple[dt.datetime, bool, int]:
        """Newest last; a read wins a tie with an event, a later event one with an earlier."""
        return (self.version, self.event is None, self.event.sequence_number if self.event else 0)


@dataclass
class StreamReport:
    """What a batch did to one stream: its events' outcomes, the reads made, the rows written,
    and the Thinkific users whose rows (theirs, their enrollments, their quiz results) changed."""

    events: Counter[str] = field(default_factory=Counter)
    reads: int = 0
    rows: LoadResult = field(default_factory=LoadResult)
    users: set[int] = field(default_factory=set)

    @property
    def changed(self) -> bool:
        """Whether any row was inserted, changed or restored."""
        return bool(self.rows.inserted + self.rows.updated + self.rows.restored)


def apply_events(
    warehouse: WarehouseResource,
    events: Sequence[LandedEvent],
    reads: TargetedReads,
    log: logging.Logger | Any,
) -> dict[str, StreamReport]:
    """Applies the events (in stored order) as changes; what it did to each stream it touched."""
    versions = RecordVersions(warehouse)
    tables = [stream_of(stream).table for stream in STREAMS]
    versions.create_tables(tables)
    with transaction(warehouse.engine, write=False) as connection:
        passing_scores = versions.passing_scores(connection)
    changes = changes_of(events, passing_scores)
    reports = {change.stream: StreamReport() for change in changes}
    candidates: dict[str, list[Candidate]] = defaultdict(list)
    for change in changes:
        if change.complete:
            candidates[change.stream].append(
                Candidate(change.record_id, change.values, change.version, change.event)
            )
    read_at = dt.datetime.now(dt.UTC)
    incomplete = [change for change in changes if not change.complete]
    for change, outcome in _read_incomplete(incomplete, reads, candidates, read_at, log):
        reports[change.stream].events[outcome] += 1
    with transaction(warehouse.engine, write=False) as connection:
        unknown = _unknown_references(connection, versions, candidates)
    for stream, record_id in unknown:
        _read_into(candidates, stream, partial(reads.record, stream, record_id), read_at, log)
    for stream, count in reads.reads.items():
        reports.setdefault(stream, StreamReport()).reads = count
    with transaction(warehouse.engine, write=True) as connection:
        versions.lock(connection, tables)
        for stream in STREAMS:
            if candidates[stream]:
                report = reports.setdefault(stream, StreamReport())
                _write(connection, warehouse, versions, stream, candidates[stream], report)
    return reports


def _read_incomplete(
    changes: list[Change],
    reads: TargetedReads,
    candidates: dict[str, list[Candidate]],
    read_at: dt.datetime,
    log: logging.Logger | Any,
) -> Iterator[tuple[Change, str]]:
    """Reads what the incomplete changes lack into `candidates`; each change's outcome. The
    quiz results of all the users named are read at once."""
    quiz_changes, quiz_users = [], set()
    for change in changes:
        quiz = change.stream == "quiz_results"
        by = change.user_id if quiz else change.record_id
        event = f"{change.event.topic} event {change.event.id}"
        if by is None or (quiz and not reads.graphql):
            log.warning(
                f"{event} lacks {', '.join(change.lacking)}, and there is nothing to read it by "
                "(no id, or no THINKIFIC_ACCESS_TOKEN for quiz results): the nightly sync "
                "brings its change"
            )
            yield change, "unresolved"
        elif quiz:
            log.info(f"{event} lacks {', '.join(change.lacking)}: reading its user's quiz results")
            quiz_changes.append(change)
            quiz_users.add(by)
        else:
            log.info(f"{event} lacks {', '.join(change.lacking)}: reading the record instead")
            read = partial(reads.record, change.stream, by)
            yield change, _read_into(candidates, change.stream, read, read_at, log)
    if quiz_changes:
        read = partial(reads.quiz_results, sorted(quiz_users))
        outcome = _read_into(candidates, "quiz_results", read, read_at, log)
        for change in quiz_changes:
            yield change, outcome


def _read_into(
    candidates: dict[str, list[Candidate]],
    stream: str,
    read: Callable[[], list[dict[str, Any]]],
    read_at: dt.datetime,
    log: logging.Logger | Any,
) -> str:
    """Adds what a targeted read answers to the stream's candidates: `read`, or `unresolved`
    when Thinkific could not answer it (after the client's own retries)."""
    try:
        records = read()
    except ThinkificError as error:
        log.warning(f"{stream}: a targeted read failed, left to the nightly sync: {error}")
        return "unresolved"
    candidates[stream] += _read_candidates(stream, records, read_at)
    return "read"


def _unknown_references(
    connection: sa.Connection, versions: RecordVersions, candidates: dict[str, list[Candidate]]
) -> list[tuple[str, int]]:
    """The users and courses the candidates refer to that neither the tables (live rows) nor
    the candidates hold, as (stream, id)."""
    unknown = []
    for stream, referenced_streams in REFERENCES.items():
        for referenced in referenced_streams:
            column = REFERENCE_COLUMNS[referenced]
            held = {candidate.record_id for candidate in candidates[referenced]}
            wanted = {candidate.values[column] for candidate in candidates[stream]} - held
            live = versions.live_ids(connection, stream_of(referenced).table, wanted)
            unknown += [(referenced, record_id) for record_id in sorted(wanted - live)]
    return unknown


def _read_candidates(
    stream: str, records: list[dict[str, Any]], read_at: dt.datetime
) -> list[Candidate]:
    """Candidates from the records a read answered. A record's version is its own
    (`OWN_VERSIONS`), else the time the reads began."""
    spec = stream_of(stream).spec
    own = OWN_VERSIONS.get(spec.name)
    return [
        Candidate(values["id"], values, (values[own] if own else None) or read_at)
        for values in plain_records(records_to_frame(spec, records))
    ]


def _write(
    connection: sa.Connection,
    warehouse: WarehouseResource,
    versions: RecordVersions,
    stream: str,
    candidates: list[Candidate],
    report: StreamReport,
) -> None:
    """Writes each record's newest candidate where it is newer than the stored row, records
    its version, and counts each event's outcome in `report`."""
    table = stream_of(stream).spec
    by_record: dict[int, list[Candidate]] = defaultdict(list)
    for candidate in candidates:
        by_record[candidate.record_id].append(candidate)
    stored = versions.stored(connection, table.name, list(by_record))
    written: dict[int, Candidate] = {}
    for record_id, group in by_record.items():
        newest = max(group, key=lambda candidate: candidate.order)
        row = stored[record_id]
        if row.version is None or newest.version > row.version:
            written[record_id] = newest
        for candidate in group:
            if candidate.event is not None:
                report.events[_outcome(candidate, written.get(record_id), row)] += 1
    if not written:
        return
    merged = [
        {**(stored[record_id].values or {}), **candidate.values}
        for record_id, candidate in written.items()
    ]
    rows = rows_of(table, records_to_frame(table, merged))
    report.rows = upsert_rows(connection, table, warehouse.table(table.name), rows)
    users = rows["id"] if stream == "users" else rows["user_id"]
    report.users |= {int(user) for user in users.dropna()}
    versions.record(
        connection,
        table.name,
        {
            record_id: (candidate.version, candidate.event.id if candidate.event else None)
            for record_id, candidate in written.items()
        },
    )


def _outcome(candidate: Candidate, written: Candidate | None, row: StoredRow) -> str:
    """An event's outcome: its change written, a replay of the change the row holds, or older
    than the row or than another candidate."""
    if candidate is written:
        return "applied"
    if written is None and candidate.event is not None and candidate.event.id == row.event_id:
        return "duplicate"
    return "stale"
