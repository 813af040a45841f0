"""Webhook events as changes to the Thinkific tables: the one place where each topic's payload is
mapped onto its table's model.

| topics | table | the row's key | the change's version (how new it is) |
|---|---|---|---|
| `enrollment.created`, `progress`, `completed` | `thinkific_enrollments` | `id` | `updated_at` |
| `user.signup`, `user.updated` | `thinkific_users` | `id` | the event's time |
| `quiz.attempted` | `thinkific_quiz_results` | `result_id` | the event's time |

The event's time is `LandedEvent.at`, the envelope's `created_at`.

Payloads are read by the tables' own models (`schemas.thinkific`), which know the webhook
spellings already (nested `user` and `course`, `free_trial`, percentages as strings). What a
payload does not carry is derived as the REST API derives it:

- enrollments: `user_name` from the nested user's names; `completed` when the payload has a
  completion time or the topic is `enrollment.completed`; `expired` when the expiry date is at
  or before the event;
- users: `full_name` from the names;
- quiz results: `completed_at` is the event's time (Thinkific sends `quiz.attempted` when an
  attempt is submitted), and `passed` compares the answers with the quiz's passing score, which
  no payload carries: it comes from the quiz's rows already stored (`passing_scores`).

A change carries only the columns its payload carries (`carried_columns`): a column the payload
leaves out keeps its stored value (the user.signup sample has no `affiliate_commission_type`).
A null array is left out too: Thinkific's samples send `administered_course_ids: null` where
REST has the list. A change is complete when it carries every column its table `NEEDS`, each
readable; otherwise `lacking` names what is missing and the event falls back to a targeted read.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from resources.warehouse.rows import plain_records
from resources.webhooks.store import LandedEvent
from schemas.tables import (
    RecordValidationError,
    TableSpec,
    carried_columns,
    read_integer,
    records_to_frame,
)
from schemas.thinkific import stream_of

LABELS = ("user_email", "user_name", "course_name")
"""An enrollment's copies of its user's and course's names: kept as stored when left out."""
NEEDS: dict[str, frozenset[str]] = {
    "enrollments": frozenset(stream_of("enrollments").spec.column_names) - set(LABELS),
    "users": frozenset({"id", "email"}),
    "quiz_results": frozenset(
        {"id", "quiz_id", "user_id", "attempts", "correct_count", "incorrect_count", "passed"}
    ),
}
"""What a row cannot do without, per stream: an enrollment every field that decides progress
and seats (the payload documents them all), a user what the dashboard links by, a quiz result
its ids, answers and pass or fail."""


@dataclass(frozen=True)
class Change:
    """The change one event implies to one row.

    `values`: the columns it carries, read as the table's model reads them (plain values).
    `record_id` and `user_id`: the row's key and its user, read from the payload even when the
    change is not complete (what a targeted read asks for), None when absent or unreadable.
    `lacking`: the needed columns the payload leaves out or that cannot be read; empty when
    the change is complete.
    """

    event: LandedEvent
    stream: str
    record_id: int | None
    user_id: int | None
    values: dict[str, Any]
    version: dt.datetime | None
    lacking: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return not self.lacking


def full_name(first: Any, last: Any) -> str:
    """A name as REST spells `full_name` and `user_name`: the names present, space-separated."""
    return " ".join(part for part in (first, last) if isinstance(part, str) and part)


def _named(record: dict[str, Any], column: str, person: Any) -> None:
    """Sets `column` to the person's full name when the person carries a name."""
    if isinstance(person, Mapping) and ("first_name" in person or "last_name" in person):
        record.setdefault(column, full_name(person.get("first_name"), person.get("last_name")))


def _enrollment_record(event: LandedEvent) -> dict[str, Any]:
    record = dict(event.payload)
    _named(record, "user_name", record.get("user"))
    return record


def _user_record(event: LandedEvent) -> dict[str, Any]:
    record = dict(event.payload)
    _named(record, "full_name", record)
    return record


def _quiz_result_record(event: LandedEvent) -> dict[str, Any]:
    record = dict(event.payload)
    if "result_id" in record:
        record.setdefault("id", record["result_id"])
    record.setdefault("completed_at", event.at)
    return record


def _enrollment_derived(event: LandedEvent, values: dict[str, Any], _: Mapping) -> None:
    if "completed_at" in values:
        completed = event.topic == "enrollment.completed" or values["completed_at"] is not None
        values.setdefault("completed", completed)
    if "expiry_date" in values:
        expiry = values["expiry_date"]
        values.setdefault("expired", expiry is not None and expiry <= event.at)


def _quiz_result_derived(
    event: LandedEvent, values: dict[str, Any], passing_scores: Mapping[int, int | None]
) -> None:
    quiz = values.get("quiz_id")
    right, wrong = values.get("correct_count"), values.get("incorrect_count")
    if quiz not in passing_scores or right is None or wrong is None:
        return
    score = passing_scores[quiz]
    values.setdefault("quiz_passing_score", score)
    values.setdefault("passed", score is None or right * 100 >= score * (right + wrong))


Derive = Callable[[LandedEvent, dict[str, Any], Mapping[int, int | None]], None]


@dataclass(frozen=True)
class Topic:
    """How a topic's events become rows of a stream: the record its model reads (`record`),
    the columns derived from the values read (`derive`), the column holding the change's
    version if the record has one (else the event's time), and where its user's id is."""

    stream: str
    record: Callable[[LandedEvent], dict[str, Any]]
    derive: Derive | None = None
    version_column: str | None = None
    user_path: tuple[str, ...] = ("user", "id")


_ENROLLMENT = Topic("enrollments", _enrollment_record, _enrollment_derived, "updated_at")
_USER = Topic("users", _user_record, user_path=("id",))
TOPICS: dict[str, Topic] = {
    "enrollment.created": _ENROLLMENT,
    "enrollment.progress": _ENROLLMENT,
    "enrollment.completed": _ENROLLMENT,
    "user.signup": _USER,
    "user.updated": _USER,
    "quiz.attempted": Topic("quiz_results", _quiz_result_record, _quiz_result_derived),
}
"""Every topic the receiver keeps (`receiver.envelope.KEPT_TOPICS`)."""


def changes_of(
    events: Sequence[LandedEvent], passing_scores: Mapping[int, int | None]
) -> list[Change]:
    """The change each event implies, in the events' order. `passing_scores`: the passing score
    of each quiz the quiz results table holds (None for a quiz without one); for a quiz it does
    not hold, a quiz result's `passed` stays unknown."""
    positions: dict[str, list[int]] = defaultdict(list)
    for position, event in enumerate(events):
        positions[TOPICS[event.topic].stream].append(position)
    changes: dict[int, Change] = {}
    for stream, at in positions.items():
        batch = [events[position] for position in at]
        changes.update(zip(at, _stream_changes(stream, batch, passing_scores), strict=True))
    return [changes[position] for position in range(len(events))]


def _stream_changes(
    stream: str, events: list[LandedEvent], passing_scores: Mapping[int, int | None]
) -> list[Change]:
    spec = stream_of(stream).spec
    arrays = {column.name for column in spec.columns if column.kind == "json"}
    topics = [TOPICS[event.topic] for event in events]
    records = [topic.record(event) for topic, event in zip(topics, events, strict=True)]
    changes = []
    for event, topic, record, (read, unreadable) in zip(
        events, topics, records, _read(spec, records), strict=True
    ):
        carried = {
            column
            for column in carried_columns(spec, record)
            if not (column in arrays and record.get(column) is None)
        }
        values = {column: read[column] for column in carried} if read is not None else {}
        if topic.derive is not None:
            topic.derive(event, values, passing_scores)
        version = values.get(topic.version_column) if topic.version_column else event.at
        lacking = set(NEEDS[stream] - carried - set(values)) | (unreadable & carried)
        if version is None and topic.version_column:
            lacking.add(topic.version_column)
        changes.append(
            Change(
                event=event,
                stream=stream,
                record_id=read_integer(record.get("id")),
                user_id=read_integer(_at(record, topic.user_path)),
                values=values,
                version=version,
                lacking=tuple(sorted(lacking)),
            )
        )
    return changes


def _at(record: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    """The value at a path of keys into nested objects, None where it stops."""
    value: Any = record
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _read(
    spec: TableSpec, records: list[dict[str, Any]]
) -> list[tuple[dict[str, Any] | None, set[str]]]:
    """Each record read by the table's model as plain values, and the columns whose value could
    not be read (or is null where the model allows none); None instead of the values of a
    record with such a column. One pandera call for the batch, a second when some fail."""
    unreadable: dict[int | None, set[str]] = defaultdict(set)
    try:
        frame = records_to_frame(spec, records)
    except RecordValidationError as error:
        for failure in error.failures:
            unreadable[failure.position].add(failure.column)
        frame = records_to_frame(
            spec, [record for p, record in enumerate(records) if p not in unreadable]
        )
    rows = iter(plain_records(frame))
    return [
        (None, unreadable[p]) if p in unreadable else (next(rows), set())
        for p in range(len(records))
    ]
