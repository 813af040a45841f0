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
held up every REST read and the Teams tab behind it (the demo site at 2,000 points a minute:
REST requests spread over 186 s instead of 2). Without
THINKIFIC_ACCESS_TOKEN the step still succeeds but materialises nothing: each asset gets an
observation saying why, the run log a warning, and the rest of the sync carries on.
"""

from collections.abc import Iterator, Sequence
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetObservation,
    AssetSpec,
    Config,
    MaterializeResult,
    multi_asset,
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
from assets.thinkific.run_reads import FULL_REFRESH_TAG
from resources.extraction.engine import refresh
from resources.extraction.learning_records import read_learning_records
from resources.extraction.metadata import COLUMN_SCHEMA, column_schema, graphql_metadata
from resources.extraction.plan import graphql_reads
from resources.extraction.site_claim import claim_the_warehouse
from resources.thinkific import ThinkificResource
from resources.thinkific.sent import logging_sent_on_failure
from resources.warehouse import WarehouseResource
from schemas.thinkific import STREAMS, stream_of
from schemas.thinkific.streams import GraphQLConnection, Stream

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


class LearningRecordsConfig(Config):
    """Left empty (the nightly run), each selected table is read in full the first time and
    then only for the users whose enrollments changed (`resources.extraction.learning_records`)."""

    full_refresh: bool = Field(
        default=False,
        description="Read every row and mark rows gone deleted, instead of following the "
        "enrollments that changed. Also set by the run tag thinkific/full_refresh (the weekly "
        "reconciliation).",
    )

    certificate_user_emails: list[str] = Field(
        default_factory=list,
        description="Only refresh (upsert) these users' certificates; nothing is deleted.",
    )
    quiz_user_ids: list[int] = Field(
        default_factory=list,
        description="Only refresh (upsert) these users' quiz results; nothing is deleted.",
    )

    def users(self, stream: Stream) -> Sequence[Any]:
        """The users a targeted refresh of the stream names (by its `refresh_by`), if any."""
        assert isinstance(stream.read, GraphQLConnection)
        if stream.read.refresh_by == "email":
            return self.certificate_user_emails
        return self.quiz_user_ids


GRAPHQL_STREAMS = [stream for stream in STREAMS if stream.graphql]


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


@multi_asset(
    specs=[_spec(stream) for stream in GRAPHQL_STREAMS],
    check_specs=[primary_key_spec(stream.name) for stream in GRAPHQL_STREAMS],
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
    for key in selected:
        stream = stream_of(key.path[-1])
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
                full_refresh = (
                    config.full_refresh or context.run.tags.get(FULL_REFRESH_TAG) == "true"
                )
                metadata = read_learning_records(
                    warehouse,
                    stream,
                    client,
                    full_refresh=full_refresh,
                    max_points=thinkific.graphql_full_read_max_points,
                    max_minutes=thinkific.graphql_full_read_max_minutes,
                    log=context.log,
                )
        metadata |= graphql_metadata(client.stats.since(before))
        result = MaterializeResult(asset_key=key, metadata=metadata)
        yield with_primary_key_check(result, warehouse, stream.name)
