"""`uploads/user_csv`, `uploads/group_matching` and `uploads/seat_allocations`: one dynamic
partition per uploaded file.

The `upload_files` sensor (`pipelines.sensors.uploads`) adds a partition for each new or changed
file and requests its run. A run validates the file and, in import mode, imports its valid rows
(`resources.uploads.processing`); the asset's metadata shows the outcome, the counts and the first
problems, and the full report is a CSV beside the file. Two checks come with each
materialisation: `file_accepted` (blocking, ERROR: the file was rejected as a whole, moved to
quarantine, nothing imported) and `rows_valid` (WARN: some rows were refused; the others were
imported).

Mode: `auto` (the default, what the sensor launches) validates files named `*.validate.csv` and
imports the others; `validate` or `import` in the run config decides for a run launched by hand,
for example to import a partition that was only validated.

An import that changed teams, memberships, mappings, seats or assignments (`TEAM_CHANGES`)
reports `dashboard/teams` with those counts, and seat usage and the Teams tab follow by
declarative automation; a validation, a rejection or an import of nothing new reports nothing.
"""

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetMaterialization,
    Config,
    DynamicPartitionsDefinition,
    Failure,
    MaterializeResult,
    MetadataValue,
    TableColumn,
    TableSchema,
    asset,
)
from pydantic import Field

from assets.conventions import OWNER, THINKIFIC_STEP_POOL, site_partition
from assets.dashboard.audit import AUDIT_LOG_KEY, audit_metadata
from assets.dashboard.common import metadata_table
from assets.dashboard.imports import EmailSettings
from assets.dashboard.teams import teams_changed
from resources.dashboard.notifications import NotificationResource
from resources.dashboard.store import DashboardStore, utc_now
from resources.extraction.metadata import COLUMN_SCHEMA
from resources.thinkific.resource import ThinkificResource
from resources.uploads.files import hostile_name_reason, is_validate_only, report_path
from resources.uploads.processing import Mode, Outcome, UploadJob, process_upload
from resources.uploads.reading import DELIMITER_NAMES
from resources.uploads.report import REPORT_COLUMNS, neutralised
from resources.uploads.resource import PROJECT_ROOT, UploadsResource
from resources.warehouse import WarehouseResource
from schemas.uploads import (
    GROUP_MATCHING,
    SEAT_ALLOCATIONS,
    UPLOAD_FORMATS,
    USER_CSV,
    UploadFormat,
    field_column,
)

UPLOADS_GROUP = "uploads"
KINDS = {"csv", "python", "sql"}
PARTITIONS = {
    name: DynamicPartitionsDefinition(name=f"{UPLOADS_GROUP}_{name}") for name in UPLOAD_FORMATS
}
"""One dynamic partition per file, keyed `<safe name>-<content hash>`, per format."""
FILE_ACCEPTED = "file_accepted"
ROWS_VALID = "rows_valid"
PROBLEM_COLUMNS = dict(zip(REPORT_COLUMNS, ("int", "string", "string", "string"), strict=True))
FIELD_COLUMNS = {"row": "int", "email": "string", "field": "string", "value": "string"}
SUMMARY_LINES = 20
TEAM_CHANGES = {
    USER_CSV.name: (
        "teams_created",
        "users_created",
        "memberships_added",
        "roles_changed",
        "seats_assigned",
    ),
    GROUP_MATCHING.name: (
        "teams_created",
        "mappings_added",
        "roles_changed",
        "users_created",
        "memberships_added",
        "membership_roles_changed",
        "memberships_removed",
    ),
    SEAT_ALLOCATIONS.name: ("allocations_changed",),
}
"""The counts of an import, per format, that change what the Teams tab shows."""


def upload_key(fmt: UploadFormat) -> AssetKey:
    return AssetKey([UPLOADS_GROUP, fmt.name])


class UploadModeConfig(Config):
    mode: Literal["auto", "validate", "import"] = Field(
        default="auto",
        description="auto: only validate files named *.validate.csv, import the others; "
        "validate: report problems and what an import would do, write nothing; import: write "
        "the valid rows.",
    )

    def resolved(self, name: str) -> Mode:
        if self.mode == "auto":
            return "validate" if is_validate_only(name) else "import"
        return self.mode


class UserCsvConfig(UploadModeConfig, EmailSettings):
    create_in_thinkific: bool = Field(
        default=False,
        description="Create the users Thinkific does not have (POST /users, one request each) "
        "and link them; Thinkific emails them only when allow_emails is set.",
    )


def _column_schema(fmt: UploadFormat, fields: tuple[str, ...]) -> TableSchema:
    """The format's columns, then the file's additional fields."""
    schema = fmt.model.to_schema().add_columns({name: field_column(name) for name in fields})
    return TableSchema(
        columns=[
            TableColumn(name, "text", description=column.description)
            for name, column in schema.columns.items()
        ]
    )


def _summary(fmt: UploadFormat, name: str, outcome: Outcome) -> str:
    if outcome.status == "rejected":
        return f"**{name} rejected**: {outcome.reason}. Nothing was imported."
    lines = [
        f"**{name} {outcome.status}**: {outcome.rows_valid:,} of {outcome.rows:,} rows valid, "
        f"{outcome.problems:,} problems.",
        "",
        *(f"- {key.replace('_', ' ')}: {value:,}" for key, value in outcome.counts.items()),
    ]
    if outcome.problem_counts:
        lines += ["", "| column | problem | rows |", "|---|---|---|"]
        lines += [
            f"| {column} | {kind} | {rows:,} |"
            for (column, kind), rows in outcome.problem_counts.most_common(SUMMARY_LINES)
        ]
    lines += ["", f"Template: `{fmt.template}`."]
    return "\n".join(lines)


def _metadata(
    fmt: UploadFormat, path: Path, mode: Mode, outcome: Outcome, started: float
) -> dict[str, Any]:
    shown = path.name if hostile_name_reason(path.name) is None else repr(path.name)
    fields = outcome.layout.fields if outcome.layout is not None else ()
    metadata: dict[str, Any] = {
        "outcome": outcome.status,
        "mode": mode,
        "file": shown,
        "dagster/row_count": outcome.rows_valid,
        COLUMN_SCHEMA: _column_schema(fmt, fields),
        "rows": outcome.rows,
        "rows_valid": outcome.rows_valid,
        "rows_invalid": outcome.rows_invalid,
        "problems": outcome.problems,
        **outcome.counts,
        "summary": MetadataValue.md(_summary(fmt, shown, outcome)),
        "template": MetadataValue.path(str(PROJECT_ROOT / fmt.template)),
        "duration_seconds": MetadataValue.float(round(time.monotonic() - started, 2)),
    }
    if outcome.layout is not None:
        metadata["encoding"] = outcome.layout.encoding
        delimiter = outcome.layout.delimiter
        metadata["delimiter"] = DELIMITER_NAMES.get(delimiter, repr(delimiter))
        ignored = [neutralised(cell) for cell in outcome.layout.ignored]
        metadata["ignored_columns"] = ", ".join(ignored) or "none"
    if fmt.keeps_fields and outcome.layout is not None:
        metadata["additional_fields"] = ", ".join(fields) or "none"
    if fields:
        metadata["field_values"] = metadata_table(outcome.field_values, FIELD_COLUMNS)
    if outcome.reason is not None:
        metadata["reason"] = outcome.reason
    if outcome.status != "rejected":
        metadata["report"] = MetadataValue.path(str(report_path(path)))
        rows = [{**problem, "row": int(problem["row"])} for problem in outcome.sample]
        metadata["first_problems"] = metadata_table(rows, PROBLEM_COLUMNS)
    return metadata


def _check_results(fmt: UploadFormat, outcome: Outcome) -> list[AssetCheckResult]:
    rejected = outcome.status == "rejected"
    return [
        AssetCheckResult(
            asset_key=upload_key(fmt),
            check_name=FILE_ACCEPTED,
            passed=not rejected,
            severity=AssetCheckSeverity.ERROR,
            metadata={"reason": outcome.reason or "accepted"},
        ),
        AssetCheckResult(
            asset_key=upload_key(fmt),
            check_name=ROWS_VALID,
            passed=not rejected and outcome.rows_invalid == 0,
            severity=AssetCheckSeverity.WARN,
            metadata={"rows_invalid": outcome.rows_invalid, "problems": outcome.problems},
        ),
    ]


def _materialize(
    context: AssetExecutionContext,
    fmt: UploadFormat,
    uploads: UploadsResource,
    warehouse: WarehouseResource,
    job: Callable[[Path, Mode], UploadJob],
    config: UploadModeConfig,
) -> MaterializeResult:
    """Finds the partition's file, processes it, quarantines it if rejected, reports."""
    started = time.monotonic()
    key = context.partition_key
    path = uploads.locate(fmt, key)
    if path is None:
        folder = uploads.folder_of_key(fmt, key)
        raise Failure(
            description=f"no file in {folder} has partition key {key}: it was "
            "changed, removed or quarantined since. Drop the file again to process it.",
            allow_retries=False,
        )
    resolved = config.resolved(path.name)
    store = DashboardStore(warehouse)
    outcome = process_upload(store, job(path, resolved))
    metadata = _metadata(fmt, path, resolved, outcome, started)
    if outcome.status == "rejected":
        moved = uploads.quarantine(fmt, path, key, outcome.reason or "", context.run.run_id)
        metadata["quarantined_to"] = MetadataValue.path(str(moved))
        context.log.error(f"{metadata['file']} rejected: {outcome.reason}")
    else:
        context.log.info(f"{metadata['file']}: {outcome.status}, {outcome.counts}")
    if outcome.status == "imported":
        _report_imported(context, fmt, store, outcome, started)
    return MaterializeResult(metadata=metadata, check_results=_check_results(fmt, outcome))


def _report_imported(
    context: AssetExecutionContext,
    fmt: UploadFormat,
    store: DashboardStore,
    outcome: Outcome,
    started: float,
) -> None:
    """The dashboard assets an import wrote to: the audit log (seat allocations write an audit
    row, as a team action does) and the teams, when the import changed them."""
    site = site_partition(context.run.tags)
    if fmt is SEAT_ALLOCATIONS:
        context.log_event(
            AssetMaterialization(
                asset_key=AUDIT_LOG_KEY, metadata=audit_metadata(store, started), partition=site
            )
        )
    changes = {name: outcome.counts.get(name, 0) for name in TEAM_CHANGES[fmt.name]}
    changed = teams_changed(f"upload {fmt.name} ({context.partition_key})", changes, partition=site)
    if changed is not None:
        context.log_event(changed)


def _upload_asset(fmt: UploadFormat, description: str, **options: Any) -> Callable[..., Any]:
    return asset(
        name=fmt.name,
        key_prefix=[UPLOADS_GROUP],
        group_name=UPLOADS_GROUP,
        description=f"{description} Template: {fmt.template}. Drop files into the uploads "
        f"folder's {fmt.folder}/ (UPLOADS_DIR); name one *.validate.csv to only validate it.",
        partitions_def=PARTITIONS[fmt.name],
        metadata={COLUMN_SCHEMA: _column_schema(fmt, ())},
        kinds=KINDS,
        owners=[OWNER],
        check_specs=[
            AssetCheckSpec(
                FILE_ACCEPTED,
                asset=upload_key(fmt),
                blocking=True,
                description="The file was read as a whole (not empty, not binary, not too "
                "large or long, the required columns present): otherwise it is quarantined "
                "with its reason and nothing is imported.",
            ),
            AssetCheckSpec(
                ROWS_VALID,
                asset=upload_key(fmt),
                description="Every row passed validation; the report beside the file lists "
                "each refused cell (row, column, problem, value).",
            ),
        ],
        **options,
    )


@_upload_asset(
    USER_CSV,
    "CSV Import: users (User name, User email), optionally the team each joins (Team name) "
    "with a role and the products they get a seat in, then any additional fields. Valid rows "
    "become dashboard users, teams, memberships (source csv_import), seat assignments and "
    "fields kept per user (dashboard_user_fields) in one transaction; a file imported again "
    "adds nothing.",
    pool=THINKIFIC_STEP_POOL,
)
def user_csv(
    context: AssetExecutionContext,
    config: UserCsvConfig,
    uploads: UploadsResource,
    warehouse: WarehouseResource,
    thinkific: ThinkificResource,
    notifications: NotificationResource,
) -> MaterializeResult:
    def job(path: Path, mode: Mode) -> UploadJob:
        creating = config.create_in_thinkific and mode == "import"
        return UploadJob(
            path=path,
            fmt=USER_CSV,
            mode=mode,
            limits=uploads.limits,
            run_id=context.run.run_id,
            at=utc_now(),
            report=report_path(path),
            emails=config.emails,
            welcome=notifications.welcome() if config.allow_emails else None,
            thinkific=thinkific.get_client(context.log) if creating else None,
            send_welcome=config.allow_emails,
        )

    return _materialize(context, USER_CSV, uploads, warehouse, job, config)


@_upload_asset(
    GROUP_MATCHING,
    "Upload Group Matching: each row maps a Thinkific group (name or id) to a dashboard team "
    "with a default role. Valid rows are added to the group mappings (teams created as "
    "needed) in one transaction, then team mapping derives the memberships (source "
    "group_matching) right away.",
)
def group_matching(
    context: AssetExecutionContext,
    config: UploadModeConfig,
    uploads: UploadsResource,
    warehouse: WarehouseResource,
) -> MaterializeResult:
    job = _plain_job(context, GROUP_MATCHING, uploads)
    return _materialize(context, GROUP_MATCHING, uploads, warehouse, job, config)


def _plain_job(
    context: AssetExecutionContext, fmt: UploadFormat, uploads: UploadsResource
) -> Callable[[Path, Mode], UploadJob]:
    """How a format without options of its own processes a file."""

    def job(path: Path, mode: Mode) -> UploadJob:
        return UploadJob(
            path=path,
            fmt=fmt,
            mode=mode,
            limits=uploads.limits,
            run_id=context.run.run_id,
            at=utc_now(),
            report=report_path(path),
        )

    return job


@_upload_asset(
    SEAT_ALLOCATIONS,
    "Upload Seat Allocations: each row sets a team's seats of a product (name or id) to a "
    "number, or adds seats, optionally until an expiry date, as the allocate_seats job does. "
    "Teams must exist and be active. Valid rows are applied in one transaction with one audit "
    "row (dashboard/audit_log); the same file imported again buys nothing. Seat usage and the "
    "Teams tab follow (dashboard/teams).",
)
def seat_allocations(
    context: AssetExecutionContext,
    config: UploadModeConfig,
    uploads: UploadsResource,
    warehouse: WarehouseResource,
) -> MaterializeResult:
    job = _plain_job(context, SEAT_ALLOCATIONS, uploads)
    return _materialize(context, SEAT_ALLOCATIONS, uploads, warehouse, job, config)


upload_assets = [user_csv, group_matching, seat_allocations]
