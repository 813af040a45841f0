"""The data dictionary: every table the code location writes to the warehouse.

Described by the same specs the warehouse defines its tables from and the Dagster UI shows as
each asset's column schema.
"""

from schemas.dashboard import DASHBOARD_TABLES
from schemas.tables import TableSpec
from schemas.thinkific import TABLES
from schemas.webhooks import RECORD_VERSIONS, WEBHOOK_EVENTS

WAREHOUSE_TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (*TABLES.values(), WEBHOOK_EVENTS, RECORD_VERSIONS, *DASHBOARD_TABLES.values())
}
"""Every table the code location writes to the warehouse, by name (but the sync's own
bookkeeping, `warehouse_sync_state`)."""
