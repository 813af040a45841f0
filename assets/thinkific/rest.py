"""The REST assets: one `thinkific/<stream>` asset per stream of the registry read over REST,
built by `stream_asset` from the stream's entry.

Assets only orchestrate: the reads come from `resources.extraction.plan`, the load from
`resources.extraction.engine`, HTTP from `resources.thinkific`, SQL from `resources.warehouse`.
An incremental stream's asset takes `IncrementalSyncConfig` (and the run tag
`thinkific/full_refresh`, which the weekly reconciliation sets) to read everything.
"""

from collections.abc import Sequence

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    Config,
    MaterializeResult,
    asset,
)
from pydantic import Field

from assets.conventions import (
    NIGHTLY_FRESHNESS,
    OWNER,
    SITE_PARTITIONS,
    THINKIFIC_GROUP,
    THINKIFIC_STEP_POOL,
)
from assets.failures import with_known_failures
from assets.thinkific.checks import primary_key_spec, with_primary_key_check
from assets.thinkific.run_reads import (
    full_refresh_requested,
    read_since,
    warm_the_run,
)
from resources.extraction.engine import load, load_unpacked
from resources.extraction.metadata import COLUMN_SCHEMA, column_schema, request_metadata
from resources.extraction.plan import rest_reads, unpacked_records
from resources.extraction.site_claim import claim_the_warehouse
from resources.thinkific import ThinkificResource
from resources.thinkific.client import ThinkificClient
from resources.thinkific.sent import logging_sent_on_failure
from resources.warehouse import WarehouseResource
from schemas.thinkific import STREAMS
from schemas.thinkific.streams import Stream, Unpacked

KINDS = {"thinkific", "python", "sql"}
UNPACKED_KINDS = {"python", "sql"}


class IncrementalSyncConfig(Config):
    full_refresh: bool = Field(
        default=False,
        description="Read every enrollment instead of those updated since the watermark's day. "
        "Catches expiries (Thinkific changes `expired` without touching `updated_at`) and "
        "enrollments deleted with their user. Also set by the run tag thinkific/full_refresh.",
    )


def _decorator(stream: Stream):
    """What every Thinkific asset shares: key prefix, group, freshness, its table's column
    schema, the primary-key check (its result attached with `with_primary_key_check`), failures
    named by their cause (`assets.failures`); and, when it calls the API, the `thinkific` pool."""
    unpacked = isinstance(stream.read, Unpacked)
    decorate = asset(
        name=stream.name,
        key_prefix=[THINKIFIC_GROUP],
        group_name=THINKIFIC_GROUP,
        description=stream.description,
        deps=[AssetKey([THINKIFIC_GROUP, dep]) for dep in stream.depends_on],
        kinds=UNPACKED_KINDS if unpacked else KINDS,
        owners=[OWNER],
        pool=None if unpacked else THINKIFIC_STEP_POOL,
        freshness_policy=NIGHTLY_FRESHNESS,
        check_specs=[primary_key_spec(stream.name)],
        partitions_def=SITE_PARTITIONS,
        metadata={COLUMN_SCHEMA: column_schema(stream.spec)},
    )
    return lambda compute: decorate(with_known_failures(compute))


def stream_asset(stream: Stream) -> AssetsDefinition:
    """The asset of a stream read over REST, or unpacked from another stream's table."""
    if isinstance(stream.read, Unpacked):
        return _unpacked_asset(stream)
    if stream.incremental is not None:
        return _incremental_asset(stream)

    @_decorator(stream)
    def _asset(
        context: AssetExecutionContext, thinkific: ThinkificResource, warehouse: WarehouseResource
    ) -> MaterializeResult:
        claim_the_warehouse(thinkific, warehouse, context.log)
        warm_the_run(context, thinkific, warehouse)
        client = thinkific.get_client(context.log, asset=context.asset_key.to_user_string())
        with _logging_sent_on_failure(context, client):
            reads = rest_reads(stream, warehouse, client, log=context.log)
            metadata = load(warehouse, stream.table, reads, log=context.log)
        result = MaterializeResult(metadata={**metadata, **request_metadata(client.stats)})
        return with_primary_key_check(result, warehouse, stream.name)

    return _asset


def _incremental_asset(stream: Stream) -> AssetsDefinition:
    @_decorator(stream)
    def _asset(
        context: AssetExecutionContext,
        config: IncrementalSyncConfig,
        thinkific: ThinkificResource,
        warehouse: WarehouseResource,
    ) -> MaterializeResult:
        claim_the_warehouse(thinkific, warehouse, context.log)
        warm_the_run(context, thinkific, warehouse)
        client = thinkific.get_client(context.log, asset=context.asset_key.to_user_string())
        watermark = warehouse.watermark(stream.table)
        full = config.full_refresh or full_refresh_requested(context, stream)
        since = read_since(stream, warehouse, full)
        if since is None:
            reason = "full refresh requested" if full else "no watermark yet"
            context.log.info(f"{stream.name}: reading everything ({reason})")
        else:
            context.log.info(
                f"{stream.name}: reading those updated on or after {since} (watermark {watermark})"
            )
        with _logging_sent_on_failure(context, client):
            reads = rest_reads(stream, warehouse, client, log=context.log, since=since)
            metadata = load(
                warehouse, stream.table, reads, log=context.log, incremental=since is not None
            )
        result = MaterializeResult(metadata={**metadata, **request_metadata(client.stats)})
        return with_primary_key_check(result, warehouse, stream.name)

    return _asset


def _logging_sent_on_failure(context: AssetExecutionContext, client: ThinkificClient):
    return logging_sent_on_failure(
        context.log, context.asset_key.to_user_string(), lambda: client.stats
    )


def _unpacked_asset(stream: Stream) -> AssetsDefinition:
    @_decorator(stream)
    def _asset(warehouse: WarehouseResource) -> MaterializeResult:
        metadata = load_unpacked(warehouse, stream.table, unpacked_records(stream, warehouse))
        return with_primary_key_check(MaterializeResult(metadata=metadata), warehouse, stream.name)

    return _asset


def rest_assets(streams: Sequence[Stream]) -> list[AssetsDefinition]:
    """The assets of every stream not read over GraphQL (those share one step: `graphql`)."""
    return [stream_asset(stream) for stream in streams if not stream.graphql]


thinkific_assets = rest_assets(STREAMS)


def asset_of(stream: str) -> AssetsDefinition:
    """The asset of a stream read over REST (or unpacked), by the stream's name."""
    return next(asset for asset in thinkific_assets if asset.key.path[-1] == stream)
