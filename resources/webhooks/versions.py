"""What the warehouse holds about the rows webhook events change: each row as stored and how new
it is, which of the users and courses they refer to it holds, and its quizzes' passing scores.

A row holds every change made up to its version, the latest of:

- the start of its table's last complete read (`complete_read_at` in the sync state, which the
  load engine records with the merge): the sync is the truth as of then;
- its own version column, where its table has one (`OWN_VERSIONS`);
- its entry in `thinkific_webhook_versions` (`schemas.webhooks.RecordVersion`), written with
  every row the applier sets: the version of the event, or the time of the targeted read, the
  row came from, and the event's id.

The applier (`resources.webhooks.apply`) writes a change only when it is newer than that. The
times compared come from two clocks, Thinkific's (events, `updated_at`) and ours (reads): they
are taken to agree, as two NTP-synchronised clocks do; an event within a skew of a read may be
taken for stale, and then the next sync brings its change.
"""

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from resources.warehouse import WarehouseResource
from resources.warehouse.ddl import DELETED_AT, define_table
from resources.warehouse.engine import aware, insert
from resources.warehouse.migrate import ensure_tables
from schemas.webhooks import RECORD_VERSIONS

QUIZ_RESULTS = "thinkific_quiz_results"
OWN_VERSIONS = {"thinkific_enrollments": "updated_at", QUIZ_RESULTS: "completed_at"}
"""The tables whose rows say themselves how new they are: Thinkific moves an enrollment's
`updated_at` with every change, and a quiz result's `completed_at` with every attempt."""


@dataclass(frozen=True)
class StoredRow:
    """One row as the table holds it (`values`: every column, deleted or not; None when the
    table has no such row), its version, and the event that set it last, if one did."""

    values: dict[str, Any] | None
    version: dt.datetime | None
    event_id: str | None


class RecordVersions:
    """The versions table and the stored rows of the tables events change, all keyed by `id`."""

    def __init__(self, warehouse: WarehouseResource) -> None:
        self._warehouse = warehouse
        self.table = define_table(sa.MetaData(schema=warehouse.schema), RECORD_VERSIONS)

    def create_tables(self, table_names: Collection[str]) -> None:
        """The versions table and the named tables, where missing."""
        self._warehouse.ensure_tables(*table_names)
        ensure_tables(self._warehouse.engine, [self.table])

    def lock(self, connection: sa.Connection, table_names: Collection[str]) -> None:
        """On PostgreSQL, locks the versions table and the named tables, in one order, against
        other writers until the transaction ends: another applier, or a sync's merge, waits
        rather than slip a write between this transaction's reads and writes. Readers are not
        held up. SQLite has one writer at a time anyway (`transaction(write=True)`)."""
        if connection.dialect.name != "postgresql":
            return
        preparer = connection.dialect.identifier_preparer
        tables = [self.table, *(self._warehouse.table(name) for name in sorted(table_names))]
        names = ", ".join(preparer.format_table(table) for table in tables)
        connection.exec_driver_sql(f"LOCK TABLE {names} IN SHARE ROW EXCLUSIVE MODE")

    def stored(
        self, connection: sa.Connection, table_name: str, ids: Collection[int]
    ) -> dict[int, StoredRow]:
        """Each id's row, version and last event (an id the table lacks has no values, and
        the version of its table's last complete read)."""
        target = self._warehouse.table(table_name)
        spec = self._warehouse.spec(table_name)
        rows = {
            row["id"]: dict(row)
            for row in connection.execute(
                sa.select(*(target.c[name] for name in spec.column_names)).where(
                    target.c.id.in_(ids)
                )
            ).mappings()
        }
        versions = self.table
        marks = {
            record_id: (aware(version), event_id)
            for record_id, version, event_id in connection.execute(
                sa.select(versions.c.record_id, versions.c.version, versions.c.event_id).where(
                    versions.c.table_name == table_name, versions.c.record_id.in_(ids)
                )
            )
        }
        state = self._warehouse.sync_state
        read_at = aware(
            connection.execute(
                sa.select(state.c.complete_read_at).where(state.c.table_name == table_name)
            ).scalar_one_or_none()
        )
        own = OWN_VERSIONS.get(table_name)
        stored = {}
        for record_id in ids:
            row = rows.get(record_id)
            version, event_id = marks.get(record_id, (None, None))
            candidates = [read_at, version, aware(row[own]) if row and own else None]
            latest = max((moment for moment in candidates if moment is not None), default=None)
            stored[record_id] = StoredRow(row, latest, event_id)
        return stored

    def live_ids(
        self, connection: sa.Connection, table_name: str, ids: Collection[int]
    ) -> set[int]:
        """The ids among `ids` of live (not deleted) rows of the table."""
        target = self._warehouse.table(table_name)
        query = sa.select(target.c.id).where(target.c.id.in_(ids), target.c[DELETED_AT].is_(None))
        return set(connection.scalars(query))

    def passing_scores(self, connection: sa.Connection) -> dict[int, int | None]:
        """The passing score of every quiz the quiz results table holds, None for a quiz without
        one (when its rows disagree, after the score changed, the highest)."""
        results = self._warehouse.table(QUIZ_RESULTS)
        query = sa.select(results.c.quiz_id, sa.func.max(results.c.quiz_passing_score)).group_by(
            results.c.quiz_id
        )
        return {quiz: score for quiz, score in connection.execute(query)}

    def record(
        self,
        connection: sa.Connection,
        table_name: str,
        versions: Mapping[int, tuple[dt.datetime, str | None]],
    ) -> None:
        """Records the version (and event id) each id's row now holds."""
        if not versions:
            return
        statement = insert(connection, self.table)
        values = [
            {"table_name": table_name, "record_id": record_id, "version": at, "event_id": event}
            for record_id, (at, event) in versions.items()
        ]
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=["table_name", "record_id"],
                set_={
                    "version": statement.excluded.version,
                    "event_id": statement.excluded.event_id,
                },
            ),
            values,
        )
