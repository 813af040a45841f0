"""How a run reads a GraphQL table (certificates, quiz results): in full, or following activity.

- In full (a complete snapshot: rows gone get `deleted_at`): until a complete read has ended,
  on a full refresh (the weekly reconciliation's run tag, `--full-refresh`), and in the runs
  that follow a full read that stopped (a crash, a kill, a failure, or its bound) until it ends.
  A full read may be bounded (points or minutes a run): it stops between pages on its bound and
  the next run continues it (its staged pages kept up to `FULL_READ_RESUME_MAX_AGE`), so a site
  too big for one night's budget is read over several; the table changes when the read ends.
- Following activity (the nightly run otherwise): only the rows of the users whose enrollments
  changed since the mark of the table's last read (`resources.extraction.activity`), upserted;
  nothing is deleted. A full read's mark is taken when it starts and recorded once it ends or
  stops on its bound, so what changed while it spanned several runs is read again by the first
  nightly read after it; a full read resumed after a failure keeps the mark before it (reading
  a little more again), or, when there is none, takes the mark of the run that resumed it.
"""

import datetime as dt
import time
from typing import Any

from resources.extraction.activity import (
    changed_users,
    ever_read_completely,
    last_mark,
    latest_enrollment_change,
    save_mark,
)
from resources.extraction.engine import load, refresh
from resources.extraction.plan import graphql_reads
from resources.thinkific.graphql import ThinkificGraphQLClient
from resources.warehouse import WarehouseResource
from schemas.thinkific.streams import Stream

FULL_READ_RESUME_MAX_AGE = dt.timedelta(days=8)
"""A full read's staged pages wait this long for the run that continues it: longer than the
week between two weekly reconciliations, so a bounded read is never thrown away half done."""


class SpendingBound:
    """Why a full read should stop now: this run spent `max_points` GraphQL points or
    `max_minutes` on it (None: no such bound)."""

    def __init__(
        self,
        client: ThinkificGraphQLClient,
        max_points: int | None,
        max_minutes: float | None,
    ) -> None:
        self._client, self._max_points, self._max_minutes = client, max_points, max_minutes
        self._points_before = client.stats.points_spent
        self._started = time.monotonic()

    def __call__(self) -> str | None:
        points = self._client.stats.points_spent - self._points_before
        if self._max_points is not None and points >= self._max_points:
            return f"{points} points spent, bound {self._max_points}"
        minutes = (time.monotonic() - self._started) / 60
        if self._max_minutes is not None and minutes >= self._max_minutes:
            return f"{minutes:.1f} minutes spent, bound {self._max_minutes:g}"
        return None


def mark_once_enrollments_are_read(warehouse: WarehouseResource, table: str) -> None:
    """A full read that ended before the run's enrollments were loaded (a first sync's, read
    early beside them) knew of no enrollment to mark: once they are in, it takes their latest
    change, so that the next nightly read follows activity instead of reading in full again."""
    if last_mark(warehouse, table) is None and ever_read_completely(warehouse, table):
        save_mark(warehouse, table, latest_enrollment_change(warehouse))


def reads_in_full(warehouse: WarehouseResource, table: str, full_refresh: bool) -> bool:
    """Whether this run reads the table in full (see the module), rather than following
    activity: then it needs nothing from the run's REST reads, and may start before them."""
    return (
        full_refresh
        or warehouse.has_checkpoint(table)
        or last_mark(warehouse, table) is None
        or not ever_read_completely(warehouse, table)
    )


def read_learning_records(
    warehouse: WarehouseResource,
    stream: Stream,
    client: ThinkificGraphQLClient,
    *,
    full_refresh: bool,
    max_points: int | None = None,
    max_minutes: float | None = None,
    log: Any,
) -> dict[str, Any]:
    """Read the stream's table as this run should (see the module); the load's metadata, its
    `load` saying which read it was. `max_points` and `max_minutes` bound a full read's run."""
    table = stream.table
    continuing = warehouse.has_checkpoint(table)
    since = last_mark(warehouse, table)
    mark = latest_enrollment_change(warehouse)
    if reads_in_full(warehouse, table, full_refresh):
        metadata = load(
            warehouse,
            table,
            graphql_reads(stream, client),
            log=log,
            bound=SpendingBound(client, max_points, max_minutes),
            resume_max_age=FULL_READ_RESUME_MAX_AGE,
        )
        if not continuing or since is None:
            # A read started before the run's enrollments were read, on a first sync, knew of
            # none: it takes the mark after them (what changed while both ran waits for the
            # weekly read).
            save_mark(warehouse, table, mark or latest_enrollment_change(warehouse))
        return metadata | {"load": "full read"}
    users = changed_users(warehouse, stream, since)
    log.info(
        f"{table}: the enrollments of {len(users)} users changed since {since.isoformat()}; "
        "reading only their rows (the weekly full read catches the rest)"
    )
    metadata = refresh(warehouse, table, graphql_reads(stream, client, users) if users else [])
    save_mark(warehouse, table, mark)
    return metadata | {"load": f"activity of {len(users)} users since {since.isoformat()}"}
