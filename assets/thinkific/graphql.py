"""The GraphQL assets: every stream of the registry read over GraphQL (certificates and quiz
results), from one multi-asset step.

What the API allows, and so how each table is loaded (see `resources.thinkific.learning_queries`):

- Neither certificates nor quiz submissions can be filtered by date, so the first read, the
  weekly reconciliation (run tag `thinkific/full_refresh`) and `full_refresh` take a complete
  snapshot of each (rows that disappeared get `deleted_at`), resumable page by page; the
  nightly run reads only the rows of users whose enrollments changed since the last read.
- Certificates can be read per user (`userByEmail`), and quiz submissions filtered by user: a
  run can ask for just some users' rows (run config below, from the Launchpad), which are
  upserted without deleting anything.

All come from one step so that one client keeps one cost budget (2,000 points a minute per
site): two steps run as two processes could not share it. The step runs after every other
ready step of the run (`LAST`): a read paced by its points can take minutes, and run first it
would hold up every REST read, and the Teams tab behind them, for as long as its points take.
Its full reads still spend points while the REST steps run: the run's first Thinkific step
starts them (`resources.thinkific.early_reads`), and this step reports them when they end.
Without THINKIFIC_ACCESS_TOKEN the step still succeeds but materialises nothing: each asset
gets an observation saying why, the run log a warning, and the rest of the sync carries on.
"""

from collections.abc import Iterator, Sequence
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetObservation,
    AssetsDefinition,
    AssetSpec,
    MaterializeResult,
    multi_asset,
)

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
    GRAPHQL_OP_NAME,
    LearningRecordsConfig,
    graphql_full_refresh,
    read_graphql_table,
)
from resources.extraction.engine import refresh
from resources.extraction.learning_records import mark_once_enrollments_are_read
from resources.extraction.metadata import COLUMN_SCHEMA, column_schema, graphql_metadata
from resources.extraction.plan import graphql_reads
from resources.extraction.site_claim import claim_the_warehouse
from resources.thinkific import ThinkificResource
from resources.thinkific.early_reads import EarlyRead
from resources.thinkific.sent import log_sent, logging_sent_on_failure
from resources.warehouse import WarehouseResource
from schemas.thinkific import STREAMS
from schemas.thinkific.streams import Stream

CERTIFICATES = AssetKey([THINKIFIC_GROUP, "certificates"])
QUIZ_RESULTS = AssetKey([THINKIFIC_GROUP, "quiz_results"])
KINDS = {"thinkific", "python", "sql"}
LAST = {"dagster/priority": "-1"}
"""Executors start a run's ready steps by priority (default 0): this step after all others."""
NOT_MATERIALISED_REASON = (
    "Not materialised: THINKIFIC_ACCESS_TOKEN is not set. Certificates and quiz results come only "
    "from Thinkific's GraphQL API, which takes an API access token (Thinkific admin → Settings "
    "→ Code & analytics → API access tokens); set it to sync them. Every other table syncs "
    "without it."
)


def _spec(stream: Stream) -> AssetSpec:
    return AssetSpec(
        AssetKey([THINKIFIC_GROUP, stream.name]),
        description=stream.description,
        group_name=THINKIFIC_GROUP,
        kinds=KINDS,
        owners=[OWNER],
        skippable=True,
        freshness_policy=NIGHTLY_FRESHNESS,
        metadata={COLUMN_SCHEMA: column_schema(stream.spec)},
    )


def graphql_assets(streams: Sequence[Stream]) -> AssetsDefinition:
    """The one multi-asset step that reads these GraphQL streams (of the registry, or of a copy
    of it: a GraphQL stream is one registry entry, as a REST stream is)."""
    by_name = {stream.name: stream for stream in streams if stream.graphql}

    @multi_asset(
        specs=[_spec(stream) for stream in by_name.values()],
        check_specs=[primary_key_spec(name) for name in by_name],
        name=GRAPHQL_OP_NAME,
        can_subset=True,
        pool=THINKIFIC_STEP_POOL,
        op_tags=LAST,
        partitions_def=SITE_PARTITIONS,
    )
    @with_known_failures
    def certificates_and_quiz_results(
        context: AssetExecutionContext,
        config: LearningRecordsConfig,
        thinkific: ThinkificResource,
        warehouse: WarehouseResource,
    ) -> Iterator[MaterializeResult | AssetObservation]:
        selected = sorted(context.selected_asset_keys, key=lambda key: key.to_user_string())
        claim_the_warehouse(thinkific, warehouse, context.log)
        if not thinkific.access_token:
            context.log.warning(NOT_MATERIALISED_REASON)
            for key in selected:
                yield AssetObservation(
                    key,
                    description=NOT_MATERIALISED_REASON,
                    metadata={"skipped_because": NOT_MATERIALISED_REASON},
                )
            return
        client = thinkific.get_graphql_client(context.log)
        early = thinkific.early_reads
        if early.log is not None:
            early.log.target = context.log
        # Those read early first: the step reads others itself once the early reads have ended.
        for key in sorted(selected, key=lambda key: not early.started(key.to_user_string())):
            stream = by_name[key.path[-1]]
            outcome = early.outcome(key.to_user_string())
            if outcome is not None:
                result = MaterializeResult(asset_key=key, metadata=_reported(outcome, key, context))
                mark_once_enrollments_are_read(warehouse, stream.table)
                yield with_primary_key_check(result, warehouse, stream.name)
                continue
            users = config.users(stream)
            before = client.stats
            with logging_sent_on_failure(
                context.log, key.to_user_string(), lambda before=before: client.stats.since(before)
            ):
                if users:
                    reads = graphql_reads(stream, client, users)
                    metadata = refresh(warehouse, stream.table, reads)
                    metadata["load"] = f"refresh of {len(users)} users"
                else:
                    full_refresh = graphql_full_refresh(context, config)
                    metadata = read_graphql_table(
                        thinkific, warehouse, stream, client, full_refresh, context.log
                    )
            metadata |= graphql_metadata(client.stats.since(before))
            result = MaterializeResult(asset_key=key, metadata=metadata)
            yield with_primary_key_check(result, warehouse, stream.name)

    return certificates_and_quiz_results


certificates_and_quiz_results = graphql_assets(STREAMS)


def _reported(outcome: EarlyRead, key: AssetKey, context: AssetExecutionContext) -> dict[str, Any]:
    """The metadata of a read started early (`assets.thinkific.run_reads`), or its error."""
    if outcome.error is not None:
        log_sent(context.log, key.to_user_string(), outcome.cost, "sent before the step stopped")
        raise outcome.error
    assert outcome.metadata is not None
    context.log.info(
        f"{key.to_user_string()}: read beside the run's REST steps, started by its first "
        f"Thinkific step ({outcome.cost.pages} pages, {outcome.cost.points_spent} points)"
    )
    return outcome.metadata | graphql_metadata(outcome.cost) | {"started_early": True}
