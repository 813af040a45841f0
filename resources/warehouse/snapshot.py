"""A snapshot load: pages staged one by one, then applied in one transaction, or not at all.

`SnapshotLoader` stages page after page into a staging table with the target's columns and key
(each page its own short transaction, so memory stays flat), and `commit` merges, stamps
`deleted_at` on target rows absent from the snapshot (clearing it on rows that came back) and
drops the staging table, in one transaction. A snapshot that is not committed leaves the target
untouched and its staging table dropped. A resumable snapshot keeps its staging table and a
checkpoint instead, so that a rerun after a crash continues where it stopped.
"""

import datetime as dt
import json
import weakref
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.schema import DropTable

from resources.crash_points import crash_point
from resources.warehouse.ddl import resume_table, save_state, staging_table
from resources.warehouse.engine import WarehouseError, aware, drop_table, transaction
from resources.warehouse.merge import LoadResult, load_rows, merge, rows_of
from resources.warehouse.migrate import create_working_table
from schemas.tables import TableSpec

if TYPE_CHECKING:
    from resources.warehouse.resource import WarehouseResource

WATERMARK_COLUMN = "updated_at"
RESUME_MAX_AGE = dt.timedelta(hours=6)
"""A checkpoint older than this is not resumed: its staged pages are too stale to merge (unless
the load says otherwise: a read that spans several runs on purpose)."""


def _keep_for_resume(engine: sa.Engine, table: sa.Table) -> None:
    """The cleanup of a resumable load: none, its staging table waits for the next run."""


class SnapshotLoader:
    """Stages one complete snapshot page by page; `commit` applies it, anything else drops it.

    Leaving the `with` block without `commit` (an exception, or simply not committing), calling
    `abort`, or dropping the last reference to an uncommitted loader drops the staging table and
    leaves the target untouched: an incomplete snapshot never marks anything deleted. A
    resumable loader keeps its staging table and checkpoint instead, for the next run.
    """

    def __init__(
        self,
        warehouse: "WarehouseResource",
        spec: TableSpec,
        target: sa.Table,
        *,
        resumable: bool = False,
        resume_max_age: dt.timedelta = RESUME_MAX_AGE,
    ) -> None:
        self._engine = warehouse.engine
        self._spec = spec
        self._target = target
        self._state = warehouse.sync_state
        self._resumable = resumable
        self._resume_max_age = resume_max_age
        metadata = sa.MetaData(schema=warehouse.schema)
        self._staging = (resume_table if resumable else staging_table)(metadata, spec)
        with transaction(self._engine, write=True) as connection:
            create_working_table(connection, self._staging, if_not_exists=True)
        self._checkpoint = self._saved_checkpoint() if resumable else None
        if resumable and self._checkpoint is None:
            self.restart()
        cleanup = _keep_for_resume if resumable else drop_table
        self._drop_staging = weakref.finalize(self, cleanup, self._engine, self._staging)

    @property
    def staging_table_name(self) -> str:
        return self._staging.name

    @property
    def is_open(self) -> bool:
        """True until the snapshot is committed or aborted."""
        return self._drop_staging.alive

    @property
    def checkpoint(self) -> dict[str, Any] | None:
        """The checkpoint of the interrupted load this one resumes (recent enough), if any."""
        return self._checkpoint

    def restart(self) -> None:
        """Forgets staged rows and the checkpoint: the load starts from scratch."""
        with transaction(self._engine, write=True) as connection:
            connection.execute(sa.delete(self._staging))
            save_state(connection, self._state, self._spec.name, checkpoint=None)
        self._checkpoint = None

    def append(self, frame: pd.DataFrame, checkpoint: dict[str, Any] | None = None) -> None:
        """Stages one page (its own short transaction); rows staged again replace earlier ones.

        `checkpoint` (resumable loads) is saved in the same transaction as the page.
        """
        self._require_open()
        rows = rows_of(self._spec, frame)
        with transaction(self._engine, write=True) as connection:
            load_rows(connection, self._staging, rows)
            if checkpoint is not None:
                save_state(
                    connection,
                    self._state,
                    self._spec.name,
                    checkpoint=json.dumps(checkpoint),
                    checkpointed_at=dt.datetime.now(dt.UTC),
                )
            crash_point("stage_transaction", self._spec.name)

    def staged_rows(self) -> int:
        """Distinct keys staged so far."""
        with transaction(self._engine, write=False) as connection:
            query = sa.select(sa.func.count()).select_from(self._staging)
            return connection.execute(query).scalar_one()

    def commit(
        self,
        complete_snapshot: bool = True,
        advance: bool = True,
        read_started_at: dt.datetime | None = None,
    ) -> LoadResult:
        """Applies the snapshot in one transaction: merge; with `complete_snapshot`, mark live
        rows absent from it deleted; with `advance`, raise the table's watermark to the highest
        `updated_at` staged (tables that have one) and record `read_started_at`, when given, as
        the start of the table's last complete read; clear the checkpoint; drop staging.

        The watermark counts only rows this read staged, never rows already in the table: a row
        a webhook event wrote (`resources.webhooks`) may be newer than rows the read has not
        seen yet, and a watermark past them would keep the next incremental read from them.
        """
        self._require_open()
        with transaction(self._engine, write=True) as connection:
            result = merge(
                connection,
                self._spec,
                self._target,
                self._staging,
                complete_snapshot=complete_snapshot,
            )
            state: dict[str, Any] = {"checkpoint": None}
            if advance and WATERMARK_COLUMN in self._target.c:
                state["watermark"] = self._advanced_watermark(connection)
            if advance and read_started_at is not None:
                state["complete_read_at"] = read_started_at
            save_state(connection, self._state, self._spec.name, **state)
            connection.execute(DropTable(self._staging))
            crash_point("merge_transaction", self._spec.name)
        self._drop_staging.detach()
        return result

    def _advanced_watermark(self, connection: sa.Connection) -> dt.datetime | None:
        """The higher of the table's watermark and the highest `updated_at` staged."""
        staged = sa.select(sa.func.max(self._staging.c[WATERMARK_COLUMN]))
        state = self._state
        current = sa.select(state.c.watermark).where(state.c.table_name == self._spec.name)
        candidates = [
            aware(connection.execute(staged).scalar_one()),
            aware(connection.execute(current).scalar_one_or_none()),
        ]
        return max((moment for moment in candidates if moment is not None), default=None)

    def abort(self) -> None:
        """Drops the staging table without touching the target; does nothing once closed.
        A resumable load keeps it, with its checkpoint, for the next run."""
        self._drop_staging()

    def _saved_checkpoint(self) -> dict[str, Any] | None:
        state = self._state
        query = sa.select(state.c.checkpoint, state.c.checkpointed_at).where(
            state.c.table_name == self._spec.name
        )
        with transaction(self._engine, write=False) as connection:
            row = connection.execute(query).one_or_none()
        if row is None or row.checkpoint is None:
            return None
        saved_at = aware(row.checkpointed_at)
        if saved_at is None or dt.datetime.now(dt.UTC) - saved_at > self._resume_max_age:
            return None
        return json.loads(row.checkpoint)

    def _require_open(self) -> None:
        if not self.is_open:
            raise WarehouseError(f"the snapshot of {self._spec.name} is already closed")

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.abort()
