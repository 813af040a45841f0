"""How a run reads a GraphQL table (certificates, quiz results): in full, or following activity.

- In full (a complete snapshot: rows gone get `deleted_at`): the first read, a full refresh (the
  weekly reconciliation's run tag, `--full-refresh`), and the runs that follow until a full read
  that stopped (a crash, a kill, a failure) has resumed and ended.
- Following activity (the nightly run otherwise): only the rows of the users whose enrollments
  changed since the table's last read (`resources.extraction.activity`), upserted; nothing is
  deleted. A day in which 2% of a site's users progressed costs a few percent of a full read.
"""

from typing import Any

from resources.extraction.activity import (
    changed_users,
    last_mark,
    latest_enrollment_change,
    save_mark,
)
from resources.extraction.engine import load, refresh
from resources.extraction.plan import graphql_reads
from resources.thinkific.graphql import ThinkificGraphQLClient
from resources.warehouse import WarehouseResource
from schemas.thinkific.streams import Stream


def read_learning_records(
    warehouse: WarehouseResource,
    stream: Stream,
    client: ThinkificGraphQLClient,
    *,
    full_refresh: bool,
    log: Any,
) -> dict[str, Any]:
    """Read the stream's table as this run should (see the module); the load's metadata, its
    `load` saying which read it was."""
    table = stream.table
    mark = latest_enrollment_change(warehouse)
    since = last_mark(warehouse, table)
    if full_refresh or since is None or warehouse.has_checkpoint(table):
        metadata = load(warehouse, table, graphql_reads(stream, client), log=log)
        if metadata["complete_read"]:
            save_mark(warehouse, table, mark)
        return metadata | {"load": "complete snapshot"}
    users = changed_users(warehouse, stream, since)
    log.info(
        f"{table}: the enrollments of {len(users)} users changed since {since.isoformat()}; "
        "reading only their rows (the weekly full read catches the rest)"
    )
    metadata = refresh(warehouse, table, graphql_reads(stream, client, users) if users else [])
    save_mark(warehouse, table, mark)
    return metadata | {"load": f"activity of {len(users)} users since {since.isoformat()}"}
