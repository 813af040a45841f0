"""The webhook events table in the warehouse: each event stored once, read back in arrival order.

The columns are `schemas.webhooks.WebhookEvent`'s, plus `sequence_number`: 1, 2, 3 … in the
order events were stored, the cursor the webhook sensor keeps. `add_many` stores a batch in one
transaction (one commit for the lot, which is what makes a burst cheap): it validates each event
(`records_to_rows`, as pandera would: pandera's cost per call would be most of a small batch's),
reads which of their ids are stored already (a duplicate or replayed delivery) and the last
number, and inserts the new ones numbered on from it; a stored event is committed when
`add_many` returns. Writers take turns, so numbers follow commit order and a sensor never passes
a number still being written: SQLite has one writer at a time anyway (the transaction takes the
write lock up front); on PostgreSQL the transaction first locks the table against other writers
(readers are not held up). `after` reads what the sensor needs of the events past its cursor;
`landed` reads a range of them whole, to apply (`resources.webhooks.apply`).

SQLAlchemy Core on the warehouse's engine, the table defined by `define_table` (numbered by
`sequence_number`, the event id unique); the warehouse resource's own tables are all loaded by
snapshot or upsert, which this append-only table is not.
"""

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa

from resources.warehouse import WarehouseResource
from resources.warehouse.ddl import define_table
from resources.warehouse.engine import aware, transaction
from resources.warehouse.migrate import ensure_tables
from schemas.tables import RecordValidationError, records_to_rows
from schemas.webhooks import SEQUENCE_NUMBER, WEBHOOK_EVENTS

SEQUENCE = SEQUENCE_NUMBER.name


@dataclass(frozen=True)
class StoredEvent:
    """One stored event by its number, id, topic and the user it names (`after`)."""

    sequence_number: int
    id: str
    topic: str
    user_id: int | None
    user_email: str | None


@dataclass(frozen=True)
class LandedEvent:
    """One stored event as it is applied: its envelope's times and its payload."""

    sequence_number: int
    id: str
    topic: str
    created_at: dt.datetime | None
    received_at: dt.datetime
    payload: dict[str, Any]

    @property
    def at(self) -> dt.datetime:
        """When the event happened: the envelope's `created_at`, else when it was received."""
        return self.created_at or self.received_at


@dataclass(frozen=True)
class Refused:
    """An event whose values do not fit the table (nothing of it is stored); `reason` says which."""

    reason: str


Outcome = Literal["stored", "duplicate"] | Refused
"""What became of one event given to `add_many`."""


def _events_table(schema: str | None) -> sa.Table:
    return define_table(sa.MetaData(schema=schema), WEBHOOK_EVENTS)


class WebhookStore:
    def __init__(self, warehouse: WarehouseResource) -> None:
        self._engine = warehouse.engine
        self._schema = warehouse.schema
        self.safe_url = warehouse.safe_url
        """The warehouse's URL with its password masked."""
        self.table = _events_table(self._schema)
        self._created = False

    def create_table(self) -> None:
        """Create the table (and PostgreSQL schema) where missing (`resources.warehouse.migrate`);
        safe to repeat, and to race: IF NOT EXISTS statements under the schema lock, never a
        look followed by a write."""
        ensure_tables(self._engine, [self.table])
        self._created = True

    def add_many(self, events: Sequence[Mapping[str, Any]]) -> list[Outcome]:
        """Store events (records of `WebhookEvent`'s columns, validated here) in one transaction,
        each id once: the first of a batch to carry an id is `stored`, an id stored before or
        earlier in the batch is a `duplicate`, an event that does not fit the table is `Refused`.
        A few hundred at a time: the batch's ids are looked up in one query."""
        if not self._created:
            self.create_table()
        validated = [_validated(event) for event in events]
        rows = [row for row in validated if isinstance(row, dict)]
        inserted = iter(self._insert(rows) if rows else [])
        return [
            row if isinstance(row, Refused) else "stored" if next(inserted) else "duplicate"
            for row in validated
        ]

    def _insert(self, rows: list[dict[str, Any]]) -> list[bool]:
        """Insert the rows whose id is not stored yet, numbered in order; True for each one
        inserted."""
        table = self.table
        with transaction(self._engine, write=True) as connection:
            if connection.dialect.name == "postgresql":
                name = connection.dialect.identifier_preparer.format_table(table)
                connection.exec_driver_sql(f"LOCK TABLE {name} IN SHARE ROW EXCLUSIVE MODE")
            ids = {row["id"] for row in rows}
            taken = set(connection.scalars(sa.select(table.c.id).where(table.c.id.in_(ids))))
            last = connection.scalar(sa.select(sa.func.coalesce(sa.func.max(table.c[SEQUENCE]), 0)))
            inserted, new_rows = [], []
            for row in rows:
                inserted.append(row["id"] not in taken)
                if inserted[-1]:
                    taken.add(row["id"])
                    last += 1
                    new_rows.append({SEQUENCE: last, **row})
            if new_rows:
                connection.execute(sa.insert(table), new_rows)
        return inserted

    def after(self, sequence_number: int, limit: int) -> list[StoredEvent]:
        """Up to `limit` events stored after `sequence_number`, in the order they were stored."""
        columns = (SEQUENCE, "id", "topic", "user_id", "user_email")
        rows = self._rows(columns, self.table.c[SEQUENCE] > sequence_number, limit=limit)
        return [StoredEvent(*row) for row in rows]

    def landed(self, after: int, through: int) -> list[LandedEvent]:
        """The events numbered after `after` up to `through`, in stored order, payloads parsed."""
        number = self.table.c[SEQUENCE]
        columns = (SEQUENCE, "id", "topic", "created_at", "received_at", "payload")
        rows = self._rows(columns, number > after, number <= through)
        return [
            LandedEvent(
                sequence_number=row.sequence_number,
                id=row.id,
                topic=row.topic,
                created_at=aware(row.created_at),
                received_at=aware(row.received_at),
                payload=json.loads(row.payload),
            )
            for row in rows
        ]

    def _rows(
        self, columns: Sequence[str], *criteria: Any, limit: int | None = None
    ) -> list[sa.Row[Any]]:
        """The named columns of the events meeting the criteria, in stored order."""
        if not self._created:
            self.create_table()
        table = self.table
        query = (
            sa.select(*(table.c[name] for name in columns))
            .where(*criteria)
            .order_by(table.c[SEQUENCE])
            .limit(limit)
        )
        with self._engine.connect() as connection:
            return list(connection.execute(query).all())


def _validated(event: Mapping[str, Any]) -> dict[str, Any] | Refused:
    """The event as a row of plain Python values, or why it does not fit the table."""
    try:
        (row,) = records_to_rows(WEBHOOK_EVENTS, [event])
    except RecordValidationError as error:
        return Refused("; ".join(f"column {f.column}: {f.check}" for f in error.failures))
    return row
