"""`dashboard/audit_log`: the team actions' audit log, its latest rows as a table in the UI.

Every team action run (applied or refused) and every seat allocation import reports a
materialization of this asset with the same metadata (see `assets.dashboard.team_actions` and
`assets.uploads.files`), so the asset's history is the log's; materialising it directly just shows
the log as it is.
"""

import time

from dagster import AssetKey, MaterializeResult, asset

from assets.conventions import DASHBOARD_GROUP, OWNER, SITE_PARTITIONS
from assets.dashboard.common import KINDS, definition_metadata, metadata_table, table_metadata
from resources.dashboard.audit_log import AUDIT_LOG, count, latest
from resources.dashboard.store import DashboardStore
from resources.warehouse import WarehouseResource

AUDIT_LOG_KEY = AssetKey([DASHBOARD_GROUP, "audit_log"])
LATEST_SHOWN = 50
AUDIT_COLUMNS = {
    "when": "string",
    "action": "string",
    "status": "string",
    "rows affected": "int",
    "team": "string",
    "other team": "string",
    "config": "string",
    "detail": "string",
    "run id": "string",
}


def audit_metadata(store: DashboardStore, started: float) -> dict:
    rows = [
        dict(
            zip(
                AUDIT_COLUMNS,
                (
                    row["recorded_at"].isoformat(timespec="seconds"),
                    row["action"],
                    row["status"],
                    row["rows_affected"],
                    row["team"] or "",
                    row["target_team"] or "",
                    row["config"],
                    row["detail"] or "",
                    row["run_id"],
                ),
                strict=True,
            )
        )
        for row in latest(store, LATEST_SHOWN)
    ]
    return {
        **table_metadata(AUDIT_LOG, count(store), started),
        "latest_actions": metadata_table(rows, AUDIT_COLUMNS),
    }


@asset(
    key=AUDIT_LOG_KEY,
    group_name=DASHBOARD_GROUP,
    description="Every Teams-tab action run (allocate/assign/unassign seats, rename, merge, "
    "archive teams, move/remove members) and seat allocation upload import (action "
    "upload_seat_allocations): when, which run, the config, applied or refused "
    f"(and why), rows affected. The latest {LATEST_SHOWN} are in this asset's metadata; "
    "dashboard_audit_log holds every row. Each action run and seat allocation import reports "
    "a materialization.",
    owners=[OWNER],
    kinds=KINDS,
    partitions_def=SITE_PARTITIONS,
    metadata=definition_metadata("audit_log"),
)
def audit_log(warehouse: WarehouseResource) -> MaterializeResult:
    return MaterializeResult(metadata=audit_metadata(DashboardStore(warehouse), time.monotonic()))
