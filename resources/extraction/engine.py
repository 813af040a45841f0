"""Loads one Thinkific stream, page by page, into its warehouse table and describes the load.

Every extraction asset does the same things: read one or more listings (paginated endpoints or
single GETs), validate each page against the table's pandera model, stage it in the warehouse
together with a checkpoint, and commit in one transaction. Only what the listings are differs
between streams, so assets describe them as `Listing`s and call `load_listings`.

Crash safety: each staged page and the checkpoint that covers it are committed together, so a
rerun after a crash resumes after the last staged page; the target table changes only in the
final commit. Completeness: a read is complete when no listing's `total_items` moved while it
was paged and the distinct rows staged equal the rows the listings announced. Only a complete
read may mark absent rows deleted or advance a watermark; an incomplete one still loads what it
read, and the next run reads again.
"""

import hashlib
import json
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import closing
from dataclasses import asdict, dataclass, field
from typing import Any

from dagster import MaterializeResult, MetadataValue

from resources.crash_points import crash_point
from resources.extraction.metadata import column_schema
from resources.extraction.prefetch import prefetched
from resources.thinkific.resource import (
    ThinkificClient,
    ThinkificNotFoundError,
)
from resources.warehouse import WarehouseResource
from resources.warehouse.merge import LoadResult
from resources.warehouse.snapshot import SnapshotLoader
from schemas.thinkific import to_frame

Records = list[dict[str, Any]]


def _same_items(items: Any) -> Records:
    return items


@dataclass(frozen=True)
class Listing:
    """One list to read: a paginated endpoint, or (`paginated=False`) a single GET.

    `records` turns a page's items (or the GET's answer) into rows of the target table.
    """

    path: str
    label: str
    params: Mapping[str, Any] = field(default_factory=dict)
    records: Callable[[Any], Records] = _same_items
    paginated: bool = True


@dataclass
class ReadProgress:
    """How far a read got: the checkpoint staged with every page."""

    fingerprint: str
    listing: int = 0
    page: int = 1
    listing_total: int | None = None
    listing_rows: int = 0
    announced_rows: int = 0
    drifted: bool = False

    def finish_listing(self, rows: int) -> None:
        self.announced_rows += self.listing_total if self.listing_total is not None else rows
        self.listing, self.page, self.listing_total, self.listing_rows = (
            self.listing + 1,
            1,
            None,
            0,
        )


def _fingerprint(listings: Sequence[Listing]) -> str:
    """Identifies what is being read, so a checkpoint is only resumed by the same read."""
    described = [[listing.path, sorted(listing.params.items())] for listing in listings]
    return hashlib.sha256(json.dumps(described, default=str).encode()).hexdigest()[:16]


def _stage_listing(
    client: ThinkificClient,
    load: SnapshotLoader,
    table: str,
    listing: Listing,
    progress: ReadProgress,
    log: Any,
) -> None:
    """Stage every remaining page of one listing, each with the checkpoint that covers it."""
    if listing.paginated:
        pages = client.iter_pages(
            listing.path,
            dict(listing.params),
            stream=listing.label,
            first_page=progress.page,
            rows_before=progress.listing_rows,
        )
        with closing(prefetched(pages)) as read_ahead:
            for page in read_ahead:
                crash_point("page_fetched", table)
                _note_total(progress, page.total_items, listing.label, log)
                progress.listing_rows += len(page.items)
                progress.page = page.number + 1
                frame = to_frame(table, listing.records(page.items))
                load.append(frame, checkpoint=asdict(progress))
                crash_point("page_staged", table)
        progress.finish_listing(progress.listing_rows)
        load.append(to_frame(table, []), checkpoint=asdict(progress))
        return
    try:
        records = listing.records(client.get(listing.path, dict(listing.params)))
    except ThinkificNotFoundError:
        log.warning(f"{listing.label}: gone while the sync ran (404); skipped")
        records = []
    crash_point("page_fetched", table)
    progress.finish_listing(len(records))
    load.append(to_frame(table, records), checkpoint=asdict(progress))
    crash_point("page_staged", table)


def _note_total(progress: ReadProgress, total: int | None, label: str, log: Any) -> None:
    if progress.listing_total is None:
        progress.listing_total = total
    elif total != progress.listing_total:
        log.warning(
            f"{label}: {progress.listing_total} rows became {total} while paging; this read "
            "will not delete anything or advance a watermark"
        )
        progress.drifted = True


def load_listings(
    warehouse: WarehouseResource,
    client: ThinkificClient,
    table: str,
    listings: Sequence[Listing],
    *,
    log: Any,
    incremental: bool = False,
) -> MaterializeResult:
    """Read every listing into `table`, resuming an interrupted read of the same listings.

    A full read (`incremental=False`) is a snapshot: when complete, live rows it did not see
    are marked deleted. An incremental read only upserts. Either advances the table's
    watermark (its highest `updated_at`, where it has one) only when complete.
    """
    started = time.monotonic()
    fingerprint = _fingerprint(listings)
    with warehouse.snapshot(table, resumable=True) as load:
        saved = load.checkpoint
        resumed = bool(saved and saved.get("fingerprint") == fingerprint)
        if resumed:
            progress = ReadProgress(**saved)
            log.info(
                f"{table}: resuming an interrupted read at listing {progress.listing + 1} of "
                f"{len(listings)}, page {progress.page}"
            )
        else:
            load.restart()
            progress = ReadProgress(fingerprint)
        for listing in listings[progress.listing :]:
            _stage_listing(client, load, table, listing, progress, log)
        staged = load.staged_rows()
        complete = not progress.drifted and staged == progress.announced_rows
        if not complete and not progress.drifted:
            log.warning(
                f"{table}: read {staged} distinct rows where the listings announced "
                f"{progress.announced_rows}; rows moved while paging. Nothing is deleted and the "
                "watermark stays; the next run reads again."
            )
        crash_point("before_merge", table)
        result = load.commit(complete_snapshot=complete and not incremental, advance=complete)
    return MaterializeResult(
        metadata={
            **load_metadata(warehouse, table, result, time.monotonic() - started),
            "complete_read": complete,
            "resumed": resumed,
            "incremental": incremental,
            **({"watermark": str(warehouse.watermark(table))} if incremental or complete else {}),
            **request_metadata(client),
        }
    )


def load_derived(warehouse: WarehouseResource, table: str, records: Records) -> MaterializeResult:
    """Load rows derived without an API call, as one complete snapshot."""
    started = time.monotonic()
    with warehouse.snapshot(table) as load:
        load.append(to_frame(table, records))
        result = load.commit()
    duration = time.monotonic() - started
    return MaterializeResult(metadata=load_metadata(warehouse, table, result, duration))


def load_metadata(
    warehouse: WarehouseResource, table: str, result: LoadResult, duration_seconds: float
) -> dict[str, Any]:
    """The numbers a data engineer checks after a load, as Dagster metadata."""
    return {
        "dagster/row_count": warehouse.count(table),
        "dagster/table_name": table,
        "dagster/column_schema": column_schema(table),
        "rows_read": result.total,
        "rows_inserted": result.inserted,
        "rows_updated": result.updated,
        "rows_unchanged": result.unchanged,
        "rows_deleted": result.deleted,
        "rows_restored": result.restored,
        "duration_seconds": MetadataValue.float(round(duration_seconds, 2)),
    }


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
