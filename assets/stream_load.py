"""Loads one Thinkific stream, page by page, into its warehouse table and describes the load.

Every extraction asset does the same four things: iterate pages, validate each page against its
pandera model, stage it in the warehouse, and commit the snapshot in one transaction. Only the
way pages are fetched differs between streams, so assets pass an iterable of record pages here.
"""

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from dagster import Failure, MaterializeResult, MetadataValue

from assets.table_metadata import column_schema
from resources.thinkific import (
    ThinkificAuthenticationError,
    ThinkificBadRequestError,
    ThinkificClient,
    ThinkificForbiddenError,
    ThinkificRedirectError,
    ThinkificValidationError,
)
from resources.warehouse import WarehouseResource
from schemas.tables import RecordValidationError
from schemas.thinkific import to_frame


def load_snapshot(
    warehouse: WarehouseResource,
    table: str,
    record_pages: Iterable[list[dict[str, Any]]],
    client: ThinkificClient | None = None,
) -> MaterializeResult:
    """Stage every page of a complete snapshot, then commit it (soft-deleting absent rows).

    If fetching or validating any page fails, the snapshot is abandoned: the table keeps its
    previous contents and nothing is marked deleted.
    """
    started = time.monotonic()
    rows = 0
    with no_step_retry_for_permanent_errors(), warehouse.snapshot(table) as snapshot:
        for records in record_pages:
            frame = to_frame(table, records)
            snapshot.append(frame)
            rows += len(frame)
        result = snapshot.commit()
    return MaterializeResult(
        metadata=load_metadata(table, rows, client, result, time.monotonic() - started)
    )


PERMANENT_ERRORS = (
    ThinkificAuthenticationError,
    ThinkificForbiddenError,
    ThinkificRedirectError,
    ThinkificBadRequestError,
    ThinkificValidationError,
    RecordValidationError,
)
"""Errors that a retry of the step cannot fix: credentials, plan, configuration, bad data."""


@contextmanager
def no_step_retry_for_permanent_errors() -> Iterator[None]:
    """Turn permanent errors into a Dagster `Failure` that the step's RetryPolicy does not retry.

    Transient trouble that outlasted the client's own retries (an outage) still propagates as
    is, so the RetryPolicy tries the step again later.
    """
    try:
        yield
    except PERMANENT_ERRORS as error:
        raise Failure(description=str(error), allow_retries=False) from error


def load_metadata(
    table: str,
    rows: int,
    client: ThinkificClient | None,
    result: Any,
    duration_seconds: float,
) -> dict[str, Any]:
    """The numbers a data engineer checks after a load, as Dagster metadata."""
    metadata: dict[str, Any] = {
        "dagster/row_count": result.total,
        "dagster/table_name": table,
        "dagster/column_schema": column_schema(table),
        "rows_fetched": rows,
        "rows_inserted": result.inserted,
        "rows_updated": result.updated,
        "rows_deleted": result.deleted,
        "rows_restored": result.restored,
        "duration_seconds": MetadataValue.float(round(duration_seconds, 2)),
    }
    if client is not None:
        metadata.update(request_metadata(client))
    return metadata


def request_metadata(client: ThinkificClient) -> dict[str, Any]:
    """What the load cost in API calls: pages, requests, retries, rate-limit waits."""
    stats = client.stats
    return {
        "pages": stats.pages,
        "requests": stats.requests,
        "retries": stats.retries,
        "rate_limited_responses": stats.rate_limited,
        "rate_limit_wait_seconds": MetadataValue.float(round(stats.rate_limit_wait_seconds, 2)),
    }
