"""The one load engine: reads of one stream, page by page, into its warehouse table.

Every stream loads the same way, whatever it reads (`resources.extraction.reads`: REST list
endpoints, single GETs, GraphQL connections): each page is validated against the table's model,
staged in the warehouse together with a checkpoint, and the read is committed in one transaction.
Only what the reads are differs between streams; `resources.extraction.plan` builds them from
the stream registry.

Crash safety: each staged page and the checkpoint that covers it are committed together, so a
rerun after a crash resumes after the last staged page (reads that can start at a page); the
target table changes only in the final commit. Completeness: a read is complete when no read's
`total_items` moved while it was paged and the distinct rows staged equal the rows the reads
announced. Only a complete read may mark absent rows deleted (`deleted_at`), advance a
watermark or record when it began (the table's `complete_read_at`, what webhook events are
compared with); an incomplete one still loads what it read, and the next run reads again.
"""

import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from resources.crash_points import crash_point
from resources.extraction.metadata import load_metadata
from resources.extraction.reads import Page, Read, Records
from resources.warehouse import WarehouseResource
from resources.warehouse.snapshot import RESUME_MAX_AGE, SnapshotLoader
from schemas.tables import TableSpec, records_to_frame

WARM_READS = 16
"""Reads of one load (memberships: one per group) whose first answer is asked for before they
are read, so that many small reads are in flight side by side instead of one after another."""


@dataclass
class ReadProgress:
    """How far a load got: the checkpoint staged with every page (`listing`: which read;
    `page` and, for a read paged by cursors, `cursor`: where in it). `started_at`: when its
    first page was asked for (ISO 8601), kept across a resume; absent from a checkpoint written
    before it was kept, and then not recorded at all."""

    fingerprint: str
    started_at: str | None = None
    listing: int = 0
    page: int = 1
    cursor: str | None = None
    listing_total: int | None = None
    listing_rows: int = 0
    announced_rows: int = 0
    drifted: bool = False

    def finish_listing(self, rows: int, total_counts_rows: bool = True) -> None:
        counted = self.listing_total is not None and total_counts_rows
        self.announced_rows += self.listing_total if counted else rows
        self.listing, self.page, self.cursor, self.listing_total, self.listing_rows = (
            self.listing + 1,
            1,
            None,
            None,
            0,
        )


def _fingerprint(reads: Sequence[Read]) -> str:
    """Identifies what is being read, so a checkpoint is only resumed by the same reads."""
    described = [read.identity for read in reads]
    return hashlib.sha256(json.dumps(described, default=str).encode()).hexdigest()[:16]


Bound = Callable[[], str | None]
"""Asked after each staged page that has more after it: why the load should stop there and
continue in a later run (points or minutes spent, say), or None to go on."""


def unbounded() -> str | None:
    return None


class _Stopped(Exception):
    """The load stopped on its bound; the text says which."""


class _Stager:
    """Stages the pages of one load's reads, keeping its `ReadProgress` with each page."""

    def __init__(
        self,
        load: SnapshotLoader,
        spec: TableSpec,
        progress: ReadProgress,
        checkpoints: bool,
        bound: Bound,
    ) -> None:
        self.load, self.spec, self.progress, self.checkpoints = load, spec, progress, checkpoints
        self.bound = bound

    def stage(self, records: Records) -> None:
        checkpoint = asdict(self.progress) if self.checkpoints else None
        self.load.append(records_to_frame(self.spec, records), checkpoint=checkpoint)

    def read(self, read: Read, log: Any) -> None:
        """Stage every remaining page of one read, each with the checkpoint that covers it."""
        table, progress = self.spec.name, self.progress
        pages = read.pages(progress.page, progress.listing_rows, progress.cursor)
        if not read.paginated:
            (page,) = pages
            crash_point("page_fetched", table)
            progress.finish_listing(page.read_rows)
            self.stage(page.records)
            crash_point("page_staged", table)
            return
        for page in pages:
            crash_point("page_fetched", table)
            _note_total(progress, page, read.label, log)
            progress.listing_rows += page.read_rows
            progress.page, progress.cursor = page.number + 1, page.cursor
            self.stage(page.records)
            crash_point("page_staged", table)
            if not page.final:
                self.check_bound()
        progress.finish_listing(progress.listing_rows, read.total_counts_rows)
        self.stage([])

    def check_bound(self) -> None:
        reason = self.bound()
        if reason is not None:
            raise _Stopped(reason)


def _note_total(progress: ReadProgress, page: Page, label: str, log: Any) -> None:
    total = page.total_items
    if progress.listing_total is None:
        progress.listing_total = total
    elif total != progress.listing_total:
        log.warning(
            f"{label}: {progress.listing_total} rows became {total} while paging; this read "
            "will not delete anything or advance a watermark"
        )
        progress.drifted = True


def load(
    warehouse: WarehouseResource,
    table: str,
    reads: Sequence[Read],
    *,
    log: Any,
    incremental: bool = False,
    bound: Bound = unbounded,
    resume_max_age: dt.timedelta = RESUME_MAX_AGE,
) -> dict[str, Any]:
    """Read every read into `table`, resuming an interrupted load of the same reads where they
    can resume (staged less than `resume_max_age` ago); the load's metadata.

    A full load (`incremental=False`) is a snapshot: when complete, live rows it did not see
    are marked deleted. An incremental load only upserts. Either advances the table's
    watermark (its highest `updated_at`, where it has one) only when complete.

    A resumable load stops between pages when its `bound` says so, leaving what it staged for
    the next run to continue: the table is not changed, and the metadata says how far it got.
    """
    started = time.monotonic()
    spec = warehouse.spec(table)
    resumable = all(read.resumable for read in reads)
    fingerprint = _fingerprint(reads)
    with warehouse.snapshot(table, resumable, resume_max_age) as loader:
        saved = loader.checkpoint
        resumed = bool(saved and saved.get("fingerprint") == fingerprint)
        if resumed:
            progress = ReadProgress(**saved)
            log.info(
                f"{table}: resuming an interrupted read at listing {progress.listing + 1} of "
                f"{len(reads)}, page {progress.page}"
            )
        else:
            if resumable:
                loader.restart()
            progress = ReadProgress(fingerprint, started_at=dt.datetime.now(dt.UTC).isoformat())
        stager = _Stager(loader, spec, progress, resumable, bound if resumable else unbounded)
        remaining = reads[progress.listing :]
        try:
            for number, read in enumerate(remaining):
                for later in remaining[number + 1 : number + 1 + WARM_READS]:
                    later.warm()  # not this one: it may resume at a later page
                stager.read(read, log)
                if number + 1 < len(remaining):
                    stager.check_bound()
        except _Stopped as stopped:
            return _stopped_metadata(table, loader, progress, len(reads), str(stopped), log) | {
                "resumed": resumed,
                "duration_seconds": time.monotonic() - started,
            }
        staged = loader.staged_rows()
        complete = not progress.drifted and staged == progress.announced_rows
        if not complete and not progress.drifted:
            log.warning(
                f"{table}: read {staged} distinct rows where the listings announced "
                f"{progress.announced_rows}; rows moved while paging. Nothing is deleted and the "
                "watermark stays; the next run reads again."
            )
        crash_point("before_merge", table)
        started_at = dt.datetime.fromisoformat(progress.started_at) if progress.started_at else None
        result = loader.commit(
            complete_snapshot=complete and not incremental,
            advance=complete,
            read_started_at=started_at,
        )
    return {
        **load_metadata(warehouse, table, result, time.monotonic() - started),
        "complete_read": complete,
        "resumed": resumed,
        "incremental": incremental,
        **({"watermark": str(warehouse.watermark(table))} if incremental or complete else {}),
    }


def _stopped_metadata(
    table: str,
    loader: SnapshotLoader,
    progress: ReadProgress,
    reads: int,
    reason: str,
    log: Any,
) -> dict[str, Any]:
    """What a load that stopped on its bound says: how far it got, in a log line too."""
    staged = loader.staged_rows()
    where = f"read {progress.listing + 1} of {reads}, page {progress.page}"
    log.info(
        f"{table}: stopped on its bound ({reason}) with {staged} rows staged, before {where}; "
        "the next run continues there. The table changes when the read ends."
    )
    return {
        "complete_read": False,
        "stopped_on_bound": reason,
        "rows_staged": staged,
        "continues_at": where,
    }


def load_unpacked(warehouse: WarehouseResource, table: str, records: Records) -> dict[str, Any]:
    """Load rows derived without an API call, as one complete snapshot; the load's metadata."""
    started = time.monotonic()
    with warehouse.snapshot(table) as loader:
        loader.append(records_to_frame(warehouse.spec(table), records))
        result = loader.commit()
    return load_metadata(warehouse, table, result, time.monotonic() - started)


def refresh(warehouse: WarehouseResource, table: str, reads: Iterable[Read]) -> dict[str, Any]:
    """Upsert every row of the reads (some users' rows, say), deleting nothing; the metadata.
    A failure while reading loads nothing."""
    started = time.monotonic()
    records = [row for read in reads for page in read.pages() for row in page.records]
    result = warehouse.upsert(table, records_to_frame(warehouse.spec(table), records))
    return load_metadata(warehouse, table, result, time.monotonic() - started)
