"""The job that applies stored webhook events as changes: `apply_webhook_events`.

One op applies a range of the events table (`after` < sequence number <= `through`, what the
webhook sensor asks for) with `resources.webhooks.apply`, then reports it in Dagster under the
keys of the tables it touched, so that what follows those assets follows the change too:

- an `AssetMaterialization` of `thinkific/<stream>` when rows of its table were inserted,
  changed or restored: the dashboard's assets, which follow their upstream materializations
  by declarative automation, then follow the event;
- an `AssetObservation` when the stream's events changed nothing (all stale or duplicates):
  visible in the asset's history, without setting anything downstream in motion.

Both carry the same metadata: the events and their outcomes, the targeted reads, the rows, and
the dashboard teams whose members' rows changed (`teams_affected`, `teams_affected_names`).

An op job rather than assets: the keys belong to the sync's assets already, and a run of a few
events is a partial update of those tables, not a new definition of them. It is outside the
`thinkific` pool on purpose: that pool runs one step at a time across runs, and a nightly sync
would hold events back for as long as it runs; a complete event calls no API, and the few
targeted reads pace themselves (a 429 is waited out like any other).

Re-executing a run (its range is in its config) applies nothing twice: a replayed event is a
duplicate of the version its row holds.
"""

from collections.abc import Iterator
from typing import Any

from dagster import (
    AssetKey,
    AssetMaterialization,
    AssetObservation,
    Config,
    OpExecutionContext,
    RunConfig,
    config_mapping,
    job,
    op,
)
from pydantic import Field

from assets.conventions import THINKIFIC_GROUP, site_partition
from assets.failures import with_known_failures
from resources.dashboard.store import DashboardStore
from resources.dashboard.team_mapping import teams_of_thinkific_users
from resources.extraction.metadata import COLUMN_SCHEMA, column_schema
from resources.extraction.site_claim import claim_the_warehouse
from resources.thinkific import ThinkificResource
from resources.warehouse import WarehouseResource
from resources.webhooks.apply import OUTCOMES, StreamReport, apply_events
from resources.webhooks.store import WebhookStore
from resources.webhooks.targeted_reads import TargetedReads
from schemas.thinkific import stream_of

JOB_NAME = "apply_webhook_events"
OP_NAME = "apply_events_as_changes"


class WebhookEventsConfig(Config):
    after: int = Field(ge=0, description="Apply the events stored after this sequence number…")
    through: int = Field(ge=0, description="…up to and including this one.")


@op(
    name=OP_NAME,
    description="Applies stored Thinkific webhook events as changes to the Thinkific tables.",
    out={},
)
@with_known_failures
def apply_webhook_events_op(
    context: OpExecutionContext,
    config: WebhookEventsConfig,
    thinkific: ThinkificResource,
    warehouse: WarehouseResource,
) -> Iterator[AssetMaterialization | AssetObservation]:
    claim_the_warehouse(thinkific, warehouse, context.log)
    events = WebhookStore(warehouse).landed(config.after, config.through)
    context.log.info(f"{len(events)} events stored after #{config.after} up to #{config.through}")
    reports = apply_events(warehouse, events, TargetedReads.of(thinkific, context.log), context.log)
    site = site_partition(context.run.tags)
    for stream, report in sorted(reports.items()):
        key = AssetKey([THINKIFIC_GROUP, stream])
        metadata = _metadata(warehouse, stream, report)
        teams = teams_of_thinkific_users(DashboardStore(warehouse), report.users)
        metadata |= {
            "teams_affected": len(teams),
            "teams_affected_names": ", ".join(teams) or "none",
        }
        if report.changed:
            yield AssetMaterialization(
                key, description="Webhook events applied", metadata=metadata, partition=site
            )
        else:
            yield AssetObservation(
                key,
                description="Webhook events: nothing to change",
                metadata=metadata,
                partition=site,
            )


def _metadata(warehouse: WarehouseResource, stream: str, report: StreamReport) -> dict[str, Any]:
    """What a batch did to a stream, as Dagster metadata."""
    table = stream_of(stream).table
    return {
        "dagster/row_count": warehouse.count(table),
        "dagster/table_name": table,
        COLUMN_SCHEMA: column_schema(warehouse.spec(table)),
        "events": sum(report.events.values()),
        **{f"events_{outcome}": report.events[outcome] for outcome in OUTCOMES},
        "targeted_reads": report.reads,
        "rows_inserted": report.rows.inserted,
        "rows_updated": report.rows.updated,
        "rows_unchanged": report.rows.unchanged,
        "rows_restored": report.rows.restored,
    }


@config_mapping
def _events_config(config: WebhookEventsConfig) -> RunConfig:
    return RunConfig(ops={OP_NAME: config})


@job(
    name=JOB_NAME,
    config=_events_config,
    description="Applies a range of stored Thinkific webhook events as changes (what the "
    "thinkific_webhook_events sensor launches); reported as materializations of the tables "
    "they changed.",
)
def apply_webhook_events() -> None:
    apply_webhook_events_op()


def run_config(after: int, through: int) -> dict[str, int]:
    """The run config of the job for the events after `after` up to `through`."""
    return {"after": after, "through": through}
