"""Certificates and quiz results: Thinkific's GraphQL API into `thinkific_certificates` and
`thinkific_quiz_results`.

What the API allows, and so how each table is loaded (see `resources.thinkific.learning_queries`):

- Neither certificates nor quiz submissions can be filtered by date, so the nightly run takes a
  complete snapshot of each: rows that disappeared get `deleted_at`.
- Certificates can be read per user (`userByEmail`), and quiz submissions filtered by user: the
  webhook sensor asks for just the users its new events name (run config below), and those
  rows are upserted without deleting anything.

Both assets come from one step so that one client keeps one cost budget (2,000 points a minute
per site): two steps run as two processes could not share it. Without THINKIFIC_ACCESS_TOKEN the
step still succeeds but materialises nothing: each asset gets an observation saying why, the run
log a warning, and the rest of the sync carries on.
"""

import time
from collections.abc import Iterable, Iterator
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetObservation,
    AssetSpec,
    Config,
    MaterializeResult,
    MetadataValue,
    multi_asset,
)
from pydantic import Field

from assets.conventions import (
    NIGHTLY_FRESHNESS,
    OWNER,
    THINKIFIC_GROUP,
    THINKIFIC_POOL,
)
from assets.failures import with_known_failures
from assets.thinkific.checks import primary_key_spec, with_primary_key_check
from resources.extraction.engine import load_metadata
from resources.thinkific.graphql_stats import GraphQLStats
from resources.thinkific.learning_queries import (
    certificate_pages,
    quiz_result_pages,
    user_certificate_pages,
)
from resources.thinkific.resource import ThinkificGraphQLClient, ThinkificResource
from resources.warehouse import WarehouseResource
from resources.warehouse.merge import LoadResult
from schemas.thinkific import to_frame

CERTIFICATES = AssetKey([THINKIFIC_GROUP, "certificates"])
QUIZ_RESULTS = AssetKey([THINKIFIC_GROUP, "quiz_results"])
KINDS = {"thinkific", "python", "sql"}
NOT_MATERIALISED_REASON = (
    "Not materialised: THINKIFIC_ACCESS_TOKEN is not set. Certificates and quiz results come only "
    "from Thinkific's GraphQL API, which takes an API access token (Thinkific admin → Settings "
    "→ Code & analytics → API access tokens); set it to sync them. Every other table syncs "
    "without it."
)

Records = list[dict[str, Any]]


class LearningRecordsConfig(Config):
    """Left empty (the nightly run), each selected table is loaded as a complete snapshot."""

    certificate_user_emails: list[str] = Field(
        default_factory=list,
        description="Only refresh (upsert) these users' certificates; nothing is deleted.",
    )
    quiz_user_ids: list[int] = Field(
        default_factory=list,
        description="Only refresh (upsert) these users' quiz results; nothing is deleted.",
    )


def _spec(key: AssetKey, description: str) -> AssetSpec:
    return AssetSpec(
        key,
        description=description,
        group_name=THINKIFIC_GROUP,
        kinds=KINDS,
        owners=[OWNER],
        skippable=True,
        freshness_policy=NIGHTLY_FRESHNESS,
    )


@multi_asset(
    specs=[
        _spec(
            CERTIFICATES,
            "Every certificate issued on the site, with its user and course, read from "
            "Thinkific's GraphQL API course by course (no site-wide list exists).",
        ),
        _spec(
            QUIZ_RESULTS,
            "Every quiz submission: attempts, correct and incorrect answers, pass or fail, with "
            "its quiz and user, from Thinkific's GraphQL API.",
        ),
    ],
    check_specs=[primary_key_spec("certificates"), primary_key_spec("quiz_results")],
    can_subset=True,
    pool=THINKIFIC_POOL,
)
@with_known_failures
def certificates_and_quiz_results(
    context: AssetExecutionContext,
    config: LearningRecordsConfig,
    thinkific: ThinkificResource,
    warehouse: WarehouseResource,
) -> Iterator[MaterializeResult | AssetObservation]:
    selected = sorted(context.selected_asset_keys, key=lambda key: key.to_user_string())
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
    if CERTIFICATES in selected:
        emails = config.certificate_user_emails
        pages = user_certificate_pages(client, emails) if emails else certificate_pages(client)
        yield _load(warehouse, client, CERTIFICATES, "thinkific_certificates", pages, emails)
    if QUIZ_RESULTS in selected:
        users = config.quiz_user_ids
        pages = quiz_result_pages(client, users)
        yield _load(warehouse, client, QUIZ_RESULTS, "thinkific_quiz_results", pages, users)


def refresh_run_config(certificate_user_emails: list[str], quiz_user_ids: list[int]) -> dict:
    """Run config for a targeted refresh of these users (what the webhook sensor requests)."""
    config = LearningRecordsConfig(
        certificate_user_emails=certificate_user_emails, quiz_user_ids=quiz_user_ids
    )
    return {"ops": {certificates_and_quiz_results.node_def.name: {"config": config.model_dump()}}}


def _load(
    warehouse: WarehouseResource,
    client: ThinkificGraphQLClient,
    key: AssetKey,
    table: str,
    pages: Iterable[Records],
    only_users: list[Any],
) -> MaterializeResult:
    """A complete snapshot, or with `only_users` an upsert of those users' rows. A failure
    while paging (a partial answer, say) loads nothing: the table keeps what it had."""
    before, started = client.stats, time.monotonic()
    if only_users:
        result = warehouse.upsert(table, to_frame(table, [r for page in pages for r in page]))
    else:
        result = _snapshot(warehouse, table, pages)
    metadata = {
        **load_metadata(warehouse, table, result, time.monotonic() - started),
        "load": f"refresh of {len(only_users)} users" if only_users else "complete snapshot",
        **graphql_metadata(client.stats.since(before)),
    }
    return with_primary_key_check(
        MaterializeResult(asset_key=key, metadata=metadata), warehouse, key.path[-1]
    )


def _snapshot(warehouse: WarehouseResource, table: str, pages: Iterable[Records]) -> LoadResult:
    """Stage every page, then commit: rows absent from the complete read get `deleted_at`."""
    with warehouse.snapshot(table) as load:
        for records in pages:
            load.append(to_frame(table, records))
        return load.commit()


def graphql_metadata(stats: GraphQLStats) -> dict[str, Any]:
    """What a load cost in GraphQL calls and budget, under the REST loads' metadata names."""
    return {
        "pages": stats.pages,
        "requests": stats.requests,
        "retries": stats.retries,
        "rate_limited_responses": stats.rate_limited,
        "rate_limit_wait_seconds": MetadataValue.float(round(stats.rate_limit_wait_seconds, 2)),
        "partial_answers_retried": stats.partial_answers,
        "cost_points": stats.points_spent,
        "budget_wait_seconds": MetadataValue.float(round(stats.budget_wait_seconds, 2)),
    }
