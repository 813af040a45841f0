"""Seat allocation uploads into the dashboard: each valid row buys seats, as the allocate_seats
job does, all rows in the upload's one transaction, with one audit row for the upload.

Rows go through `resources.dashboard.seat_allocations.allocate`, one by one in file order, under the
team actions' lock (`resources.dashboard.team_actions.lock`), so an upload and a team action never
interleave. Validation has already refused unknown products and teams, archived teams and past
expiry dates; should `allocate` still refuse a row (a product deleted by a sync in between), the
import fails as a whole and writes nothing. An `add` of 0 seats changes nothing and is counted
as unchanged. Rows stay in memory until the import: seat allocation files hold one row per team
and product, thousands at most.

Importing is idempotent, by two rules (the audit row's config records what they need: the
file's name, its sha256 and the `add` rows it applied):

- a file whose content (sha256) an earlier import already applied, under any name, imports
  nothing: its audit row says which run imported it. Dropping the same file again, or
  re-executing its run, never buys seats twice;
- otherwise `set` rows apply (they are idempotent by state), and an `add` row applies unless an
  earlier import of a file with the same name applied the same row (team, product, seats,
  expiry). A corrected file, dropped under its name again, imports the rows it corrects without
  adding the others twice. To buy the same seats again on purpose, drop a file under a new name
  (or `set` the new total).

A validate-only upload counts what an import would do, without writing.
"""

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa

from resources.dashboard.audit_log import AuditEntry, applied_configs, record
from resources.dashboard.seat_allocations import AllocationMode, allocate, in_place
from resources.dashboard.store import DashboardStore
from resources.dashboard.team_actions import lock
from resources.uploads.files import sha256_of
from schemas.team_actions import moment

ACTION = "upload_seat_allocations"

Addition = tuple[str, int, int, str | None]
"""An `add` row as the audit config records it: team key, product id, seats, expiry."""


@dataclass(frozen=True)
class SeatUpload:
    """The file being imported, by which run and at what instant."""

    path: Path
    run_id: str
    at: dt.datetime


@dataclass(frozen=True)
class _Row:
    team: str
    product_id: int
    seats: int
    mode: AllocationMode
    expires_at: dt.datetime | None

    def addition(self) -> Addition:
        expiry = self.expires_at.isoformat() if self.expires_at else None
        return (self.team, self.product_id, self.seats, expiry)


@dataclass(frozen=True)
class _Earlier:
    """What earlier imports applied: the run that imported this content, if one did, and the
    `add` rows imports of this file name applied."""

    run_id: str | None
    additions: set[Addition]


class StagedSeatAllocations:
    """The valid rows of one seat allocation upload."""

    def __init__(
        self, connection: sa.Connection, store: DashboardStore, upload: SeatUpload, write: bool
    ) -> None:
        self.connection = connection
        self.store = store
        self.upload = upload
        self.write = write
        self.sha256 = sha256_of(upload.path)
        self.rows: list[_Row] = []

    def add(self, valid: pd.DataFrame) -> None:
        """Keeps a chunk's valid rows (parsed, with `team_key` and `product_id`)."""
        columns = ("team_key", "product_id", "seats", "mode", "expires_at")
        for team, product_id, seats, mode, expires_at in zip(
            *(valid[column].tolist() for column in columns), strict=True
        ):
            expiry = moment(expires_at) if expires_at else None
            self.rows.append(_Row(team, int(product_id), int(seats), mode, expiry))

    def drop(self) -> None:
        """Nothing to drop: the rows are kept in memory."""

    def _earlier(self) -> _Earlier:
        run_id, additions = None, set()
        for earlier_run, config in applied_configs(self.connection, self.store, ACTION):
            if run_id is None and config["sha256"] == self.sha256:
                run_id = earlier_run
            if config["file"] == self.upload.path.name:
                additions |= {tuple(row) for row in config["added"]}
        return _Earlier(run_id, additions)

    def _imported(self, row: _Row, earlier: _Earlier) -> bool:
        """Whether an earlier import applied the row (see the module docstring)."""
        return earlier.run_id is not None or (
            row.mode == "add" and row.addition() in earlier.additions
        )

    def _pending(self, earlier: _Earlier) -> tuple[list[_Row], int]:
        """The rows to apply, in file order, and how many rows earlier imports applied."""
        imported = [self._imported(row, earlier) for row in self.rows]
        pending = [
            row
            for row, done in zip(self.rows, imported, strict=True)
            if not done and (row.mode == "set" or row.seats > 0)
        ]
        return pending, sum(imported)

    def _counts(self, already: int, changed: int) -> dict[str, int]:
        return {
            "allocations_changed": changed,
            "allocations_unchanged": len(self.rows) - already - changed,
            "rows_already_imported": already,
        }

    def finish(self) -> dict[str, int]:
        """Imports the rows (`write`), or counts what an import would do."""
        return self._apply() if self.write else self._plan()

    def _plan(self) -> dict[str, int]:
        """What `_apply` would do, counted; writes nothing."""
        pending, already = self._pending(self._earlier())
        c, store = self.connection, self.store
        changed = sum(
            row.mode == "add"
            or not in_place(c, store, row.team, row.product_id, row.seats, row.expires_at)
            for row in pending
        )
        return self._counts(already, changed)

    def _apply(self) -> dict[str, int]:
        """Buys the pending rows' seats and records the upload in the audit log."""
        lock(self.connection)
        earlier = self._earlier()
        pending, already = self._pending(earlier)
        changes = [
            allocate(
                self.connection,
                self.store,
                row.team,
                str(row.product_id),
                row.seats,
                row.mode,
                row.expires_at,
                self.upload.at,
            )
            for row in pending
        ]
        if earlier.run_id != self.upload.run_id:  # a step retry keeps its first attempt's row
            self._record(earlier, pending, already, sum(changes))
        return self._counts(already, sum(1 for rows in changes if rows))

    def _record(self, earlier: _Earlier, pending: list[_Row], already: int, rows: int) -> None:
        name = self.upload.path.name
        if earlier.run_id is not None:
            detail = f"already imported by run {earlier.run_id}: the same file imports nothing"
        elif already:
            detail = f"{already} add rows skipped: earlier imports of {name!r} applied them"
        else:
            detail = None
        config: dict[str, Any] = {
            "file": name,
            "sha256": self.sha256,
            "rows": len(self.rows),
            "added": [row.addition() for row in pending if row.mode == "add"],
        }
        entry = AuditEntry(
            run_id=self.upload.run_id,
            root_run_id=self.upload.run_id,
            action=ACTION,
            team=None,
            target_team=None,
            config=config,
            status="applied",
            rows_affected=rows,
            detail=detail,
            recorded_at=self.upload.at,
        )
        record(self.connection, self.store, entry)
