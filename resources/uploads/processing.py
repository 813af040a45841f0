"""One upload from file to report: file-level checks, then read, validate and stage the rows in
chunks, then import them (one transaction) or count what an import would do. A user file's
chunks are imported (or counted) as they come, beside the reading on PostgreSQL
(`resources.uploads.users`, `resources.uploads.pipeline`).

`process_upload` never raises for a bad file: a file-level problem comes back as a rejected
`Outcome` with its reason, with nothing imported and no report written. Row problems go to the
report; the valid rows are imported all together, or not at all.

Given a Thinkific client, a user import reads the file twice: a validation pass finds the valid
rows' users that Thinkific lacks, they are created over HTTP outside any transaction, then the
import pass links them. A group matching import is followed by team mapping
(`resources.dashboard.team_mapping.map_teams`, its own transaction), so the memberships the new
mappings derive exist at once. A seat allocation import buys seats row by row and records one
audit row (`resources.uploads.seat_allocations`).
"""

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, Protocol

import pandas as pd

from resources.dashboard.outbox import Template
from resources.dashboard.store import DashboardStore
from resources.dashboard.team_mapping import map_teams
from resources.thinkific.resource import ThinkificClient
from resources.uploads.files import hostile_name_reason
from resources.uploads.groups import StagedGroupMappings
from resources.uploads.pipeline import InOrder, in_order
from resources.uploads.reading import Layout, Limits, UploadRejected, inspect, read_rows
from resources.uploads.report import Report
from resources.uploads.seat_allocations import SeatUpload, StagedSeatAllocations
from resources.uploads.staging import upload_transaction
from resources.uploads.thinkific_users import create_users
from resources.uploads.users import MissingUser, StagedUsers, UserImport
from resources.uploads.validation import Known, RowValidator, load_known
from schemas.uploads import GROUP_MATCHING, SEAT_ALLOCATIONS, USER_CSV, UploadFormat

Mode = Literal["validate", "import"]
Status = Literal["rejected", "validated", "imported"]


@dataclass(frozen=True)
class UploadJob:
    """What to do with one file."""

    path: Path
    fmt: UploadFormat
    mode: Mode
    limits: Limits
    run_id: str
    at: dt.datetime
    report: Path | None = None
    """Where the error report goes; None writes none."""
    emails: str = "default"
    welcome: Template | None = None
    thinkific: ThinkificClient | None = None
    """A client to create the users Thinkific lacks (user files, import mode); None creates none."""
    send_welcome: bool = False
    """Whether Thinkific sends its own welcome email to the users created there."""


@dataclass(frozen=True)
class Outcome:
    status: Status
    reason: str | None = None
    layout: Layout | None = None
    rows: int = 0
    rows_valid: int = 0
    problems: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    sample: list[dict[str, Any]] = field(default_factory=list)
    problem_counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    field_values: list[dict[str, Any]] = field(default_factory=list)
    """The first additional field values of a user file: row, email, field, value (neutralised)."""

    @property
    def rows_invalid(self) -> int:
        return self.rows - self.rows_valid


class Staged(Protocol):
    """An upload's valid rows, staged on its connection chunk by chunk, then imported or
    counted (`finish`, as the staged rows were made to); one implementation per format."""

    def add(self, valid: pd.DataFrame) -> None: ...

    def finish(self) -> dict[str, int]: ...

    def drop(self) -> None: ...


@dataclass
class _Pass:
    """One read of the file through validation and staging."""

    store: DashboardStore
    job: UploadJob
    layout: Layout
    known: Known
    thinkific_ids: Mapping[str, int] = field(default_factory=dict)
    missing: list[MissingUser] = field(default_factory=list)
    """The users Thinkific lacks, found by a pass run with `find_missing`."""

    def run(
        self,
        write: bool,
        report: Report,
        extra: pd.DataFrame | None = None,
        find_missing: bool = False,
    ) -> Outcome:
        job = self.job
        validator = RowValidator(job.fmt, self.known, self.layout.fields)
        rows = valid = 0
        preview: list[dict[str, Any]] = []
        with (
            upload_transaction(self.store, write=write) as connection,
            in_order(connection) as work,
        ):
            staged = self._staged(work, write, find_missing)
            for chunk in read_rows(job.path, job.fmt, self.layout, job.limits):
                good, problems = validator.validate(chunk)
                report.add(problems)
                staged.add(good)
                rows += len(chunk)
                valid += len(good)
            if extra is not None:
                report.add(extra)
            counts = staged.finish()
            if isinstance(staged, StagedUsers):
                self.missing = staged.missing
                preview = staged.fields.preview
            staged.drop()
        return Outcome(
            status="imported" if write else "validated",
            layout=self.layout,
            rows=rows,
            rows_valid=valid,
            problems=report.total,
            counts=counts,
            sample=report.sample,
            problem_counts=report.counts,
            field_values=preview,
        )

    def _staged(self, work: InOrder, write: bool, find_missing: bool) -> Staged:
        job, connection = self.job, work.connection
        if job.fmt is GROUP_MATCHING:
            return StagedGroupMappings(connection, self.store, job.at, write)
        if job.fmt is SEAT_ALLOCATIONS:
            upload = SeatUpload(job.path, job.run_id, job.at)
            return StagedSeatAllocations(connection, self.store, upload, write)
        return StagedUsers(
            work,
            self.store,
            UserImport(job.run_id, job.at, job.emails, job.welcome),
            write=write,
            fields=self.layout.fields,
            thinkific_ids=self.thinkific_ids,
            find_missing=find_missing,
        )


def _memberships(store: DashboardStore, job: UploadJob) -> dict[str, int]:
    """Team mapping after new group mappings: the memberships they derive, right away."""
    mapped = map_teams(store, job.at, job.run_id)
    return {
        "memberships_added": mapped.members_added,
        "membership_roles_changed": mapped.roles_changed,
        "memberships_removed": mapped.members_removed,
        "users_created": mapped.users_created,
    }


def process_upload(store: DashboardStore, job: UploadJob) -> Outcome:
    """Validates (and in import mode imports) one file; see the module docstring."""
    hostile = hostile_name_reason(job.path.name)
    if hostile is not None:
        return Outcome(status="rejected", reason=hostile)
    try:
        layout = inspect(job.path, job.fmt, job.limits)
        passes = _Pass(store, job, layout, load_known(store, job.fmt, job.at))
        importing = job.mode == "import"
        extra = None
        created = {}
        if importing and job.thinkific is not None and job.fmt is USER_CSV:
            passes.run(write=False, report=Report(None), find_missing=True)
            creation = create_users(job.thinkific, passes.missing, job.send_welcome)
            passes.thinkific_ids, extra = creation.ids, creation.problems
            created = {"thinkific_users_created": creation.created}
        with Report(job.report) as report:
            outcome = passes.run(write=importing, report=report, extra=extra)
            report.commit()
    except UploadRejected as rejected:
        return Outcome(status="rejected", reason=str(rejected))
    counts = {**outcome.counts, **created}
    if importing and job.fmt is GROUP_MATCHING:
        counts |= _memberships(store, job)
    return replace(outcome, counts=counts)
