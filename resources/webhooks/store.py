"""The webhook events table in the warehouse: each event stored once, read back in arrival order.

The columns are `schemas.webhooks.WebhookEvent`'s, plus `sequence_number`: 1, 2, 3 … in the
order events were stored, the cursor the webhook sensor keeps. One statement stores an event:
it takes the next number and skips an event id already stored (a duplicate or replayed
delivery), so a stored event is committed when `add` returns. Writers take turns, so numbers
follow commit order and a sensor never passes a number still being written: SQLite has one
writer at a time anyway; on PostgreSQL each insert first locks the table against other writers
(readers are not held up).

SQLAlchemy Core on the warehouse's engine, the table defined by `define_table` (numbered by
`sequence_number`, the event id unique); the warehouse resource's own tables are all loaded by
snapshot or upsert, which this append-only table is not.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.schema import CreateSchema, CreateTable

from resources.warehouse import WarehouseResource
from resources.warehouse.ddl import define_table
from schemas.tables import records_to_frame
from schemas.webhooks import WEBHOOK_EVENTS

SEQUENCE = "sequence_number"


@dataclass(frozen=True)
class StoredEvent:
    """What the sensor needs of one stored event."""

    sequence_number: int
    id: str
    topic: str
    user_id: int | None
    user_email: str | None


def _events_table(schema: str | None) -> sa.Table:
    return define_table(sa.MetaData(schema=schema), WEBHOOK_EVENTS, numbered_by=SEQUENCE)


class WebhookStore:
    def __init__(self, warehouse: WarehouseResource) -> None:
        self._engine = warehouse.engine
        self._schema = warehouse.schema
        self.table = _events_table(self._schema)
        self._created = False

    def create_table(self) -> None:
        """Create the table (and PostgreSQL schema) where missing; safe to repeat, and to race:
        each is one IF NOT EXISTS statement, never a look followed by a write."""
        with self._engine.begin() as connection:
            if self._schema:
                connection.execute(CreateSchema(self._schema, if_not_exists=True))
            connection.execute(CreateTable(self.table, if_not_exists=True))
        self._created = True

    def add(self, event: dict[str, Any]) -> bool:
        """Store one event (a record of `WebhookEvent`'s columns, validated here); False when
        an event with its id was already stored."""
        if not self._created:
            self.create_table()
        row = _row(event)
        table = self.table
        number = sa.select(sa.func.coalesce(sa.func.max(table.c[SEQUENCE]), 0) + 1)
        values = [sa.literal(row[name], table.c[name].type) for name in row]
        # WHERE true: SQLite cannot otherwise tell an INSERT ... SELECT's ON CONFLICT from a join's.
        insert = _insert_for(self._engine)(table).from_select(
            [SEQUENCE, *row], sa.select(number.scalar_subquery(), *values).where(sa.true())
        )
        insert = insert.on_conflict_do_nothing(
            index_elements=list(WEBHOOK_EVENTS.primary_key)
        ).returning(table.c[SEQUENCE])
        with self._engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                name = connection.dialect.identifier_preparer.format_table(table)
                connection.exec_driver_sql(f"LOCK TABLE {name} IN SHARE ROW EXCLUSIVE MODE")
            return connection.execute(insert).scalar_one_or_none() is not None

    def after(self, sequence_number: int, limit: int) -> list[StoredEvent]:
        """Up to `limit` events stored after `sequence_number`, in the order they were stored."""
        if not self._created:
            self.create_table()
        table = self.table
        query = (
            sa.select(
                table.c[SEQUENCE], table.c.id, table.c.topic, table.c.user_id, table.c.user_email
            )
            .where(table.c[SEQUENCE] > sequence_number)
            .order_by(table.c[SEQUENCE])
            .limit(limit)
        )
        with self._engine.connect() as connection:
            return [StoredEvent(*row) for row in connection.execute(query)]


def _insert_for(engine: sa.Engine) -> Callable[[sa.Table], Any]:
    """The dialect's INSERT, which has ON CONFLICT."""
    return {"sqlite": sqlite.insert, "postgresql": postgresql.insert}[engine.dialect.name]


def _row(event: dict[str, Any]) -> dict[str, Any]:
    """The event read and validated as the model types it, as plain Python values."""
    frame = records_to_frame(WEBHOOK_EVENTS, [event])
    (row,) = frame.astype(object).where(frame.notna(), None).to_dict("records")
    return {
        name: value.to_pydatetime() if isinstance(value, pd.Timestamp) else value
        for name, value in row.items()
    }
