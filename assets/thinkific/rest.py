"""Extraction assets: one per Thinkific stream, each streamed page by page into its table.

Assets only orchestrate: HTTP lives in `resources.thinkific.resource`, SQL in
`resources.warehouse.resource`, column names and types in `schemas.thinkific`.
"""

from collections.abc import Callable
from typing import Any

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
    THINKIFIC_GROUP,
    THINKIFIC_POOL,
)
from assets.failures import with_known_failures
from assets.thinkific.checks import primary_key_spec, with_primary_key_check
from resources.extraction.engine import Listing, load_derived, load_listings
from resources.thinkific.resource import ThinkificResource
from resources.warehouse import WarehouseResource

KINDS = {"thinkific", "python", "sql"}


def thinkific_asset(name: str, description: str, deps: list[str] | None = None):
    """The decorator every extraction asset shares: key prefix, group, pool, freshness,
    and the primary-key check (its result attached with `with_primary_key_check`); failures
    name their cause (`assets.failures`)."""
    decorate = asset(
        name=name,
        key_prefix=[THINKIFIC_GROUP],
        group_name=THINKIFIC_GROUP,
        description=description,
        deps=[AssetKey([THINKIFIC_GROUP, dep]) for dep in deps or []],
        kinds=KINDS,
        owners=[OWNER],
        pool=THINKIFIC_POOL,
        freshness_policy=NIGHTLY_FRESHNESS,
        check_specs=[primary_key_spec(name)],
    )
    return lambda compute: decorate(with_known_failures(compute))


def list_stream_asset(stream: str, path: str, description: str) -> AssetsDefinition:
    """An asset for a stream that is one paginated list endpoint, fully refreshed every run."""

    @thinkific_asset(stream, description)
    def _asset(
        context: AssetExecutionContext, thinkific: ThinkificResource, warehouse: WarehouseResource
    ) -> MaterializeResult:
        client = thinkific.get_client(context.log)
        listing = Listing(path, label=stream)
        result = load_listings(warehouse, client, f"thinkific_{stream}", [listing], log=context.log)
        return with_primary_key_check(result, warehouse, stream)

    return _asset


users = list_stream_asset(
    "users",
    "/users",
    "Every Thinkific user (no server-side change filter exists, so a full snapshot each run). "
    "Users missing from a complete snapshot get `deleted_at`.",
)
groups = list_stream_asset(
    "groups", "/groups", "Thinkific groups: the units B2B customers map to dashboard teams."
)
products = list_stream_asset(
    "products",
    "/products",
    "Thinkific products (courses and bundles for sale), with prices and certificate flags.",
)
courses = list_stream_asset("courses", "/courses", "Thinkific courses.")


FULL_REFRESH_TAG = "thinkific/full_refresh"
"""Run tag that makes `thinkific/enrollments` read everything (weekly reconciliation sets it)."""


class EnrollmentSyncConfig(Config):
    full_refresh: bool = Field(
        default=False,
        description="Read every enrollment instead of those updated since the watermark's day. "
        "Catches expiries (Thinkific changes `expired` without touching `updated_at`) and "
        "enrollments deleted with their user. Also set by the run tag thinkific/full_refresh.",
    )


@thinkific_asset(
    "enrollments",
    "Every enrollment of every user in every course, with progress, completion and expiry. "
    "Incremental: a run reads only enrollments updated on or after the day of the watermark "
    "(the highest committed `updated_at`) and merges them by id; the first run, a full-refresh "
    "run and the weekly reconciliation read everything and mark vanished enrollments deleted.",
)
def enrollments(
    context: AssetExecutionContext,
    config: EnrollmentSyncConfig,
    thinkific: ThinkificResource,
    warehouse: WarehouseResource,
) -> MaterializeResult:
    client = thinkific.get_client(context.log)
    table = "thinkific_enrollments"
    watermark = warehouse.watermark(table)
    full = config.full_refresh or context.run.tags.get(FULL_REFRESH_TAG) == "true"
    if full or watermark is None:
        reason = "full refresh requested" if full else "no watermark yet"
        context.log.info(f"enrollments: reading everything ({reason})")
        listing = Listing("/enrollments", label="enrollments")
        result = load_listings(warehouse, client, table, [listing], log=context.log)
        return with_primary_key_check(result, warehouse, "enrollments")
    since = watermark.date().isoformat()
    context.log.info(
        f"enrollments: reading those updated on or after {since} (watermark {watermark})"
    )
    listing = Listing(
        "/enrollments", label="enrollments", params={"query[updated_on_or_after]": since}
    )
    result = load_listings(warehouse, client, table, [listing], log=context.log, incremental=True)
    return with_primary_key_check(result, warehouse, "enrollments")


def _per_group(
    warehouse: WarehouseResource, stream: str, listing: Callable[[int, str], Listing]
) -> list[Listing]:
    """One listing per live group, in id order, labelled for progress logs."""
    frame = warehouse.read_frame("thinkific_groups")
    group_ids = sorted(int(value) for value in frame["id"])
    return [
        listing(group_id, f"{stream} (group {number} of {len(group_ids)}, id {group_id})")
        for number, group_id in enumerate(group_ids, start=1)
    ]


def _members_listing(group_id: int, label: str) -> Listing:
    return Listing(
        "/users",
        label=label,
        params={"query[group_id]": group_id},
        records=lambda users: [{"group_id": group_id, "user_id": user["id"]} for user in users],
    )


def _analysts_listing(group_id: int, label: str) -> Listing:
    return Listing(
        f"/groups/{group_id}/analysts",
        label=label,
        records=lambda answer: [
            {"group_id": group_id, "user_id": user_id}
            for user_id in answer.get("group_analysts") or []
        ],
        paginated=False,
    )


@thinkific_asset(
    "group_memberships",
    "Who is in which Thinkific group: one row per group and user. Thinkific has no membership "
    "endpoint, so each group's users are paged through `/users?query[group_id]=`.",
    deps=["groups"],
)
def group_memberships(
    context: AssetExecutionContext, thinkific: ThinkificResource, warehouse: WarehouseResource
) -> MaterializeResult:
    listings = _per_group(warehouse, "group_memberships", _members_listing)
    client = thinkific.get_client(context.log)
    table = "thinkific_group_memberships"
    result = load_listings(warehouse, client, table, listings, log=context.log)
    return with_primary_key_check(result, warehouse, "group_memberships")


@thinkific_asset(
    "group_analysts",
    "Which users analyse which Thinkific group (the dashboard's natural team managers).",
    deps=["groups"],
)
def group_analysts(
    context: AssetExecutionContext, thinkific: ThinkificResource, warehouse: WarehouseResource
) -> MaterializeResult:
    listings = _per_group(warehouse, "group_analysts", _analysts_listing)
    client = thinkific.get_client(context.log)
    table = "thinkific_group_analysts"
    result = load_listings(warehouse, client, table, listings, log=context.log)
    return with_primary_key_check(result, warehouse, "group_analysts")


@thinkific_asset(
    "bundles",
    "Thinkific bundles with the ids of the courses each contains. Thinkific has no bundle list: "
    "bundles are found among the products whose `productable_type` is `Bundle`.",
    deps=["products"],
)
def bundles(
    context: AssetExecutionContext, thinkific: ThinkificResource, warehouse: WarehouseResource
) -> MaterializeResult:
    client = thinkific.get_client(context.log)
    products_frame = warehouse.read_frame("thinkific_products")
    bundle_ids = sorted(
        int(bundle_id)
        for bundle_id in products_frame.loc[
            products_frame["productable_type"] == "Bundle", "productable_id"
        ]
    )

    def with_course_ids(bundle: dict[str, Any]) -> list[dict[str, Any]]:
        if bundle.get("course_ids") is None:
            # The spec marks course_ids required, yet its own example lacks it: page them.
            pages = client.iter_pages(
                f"/bundles/{bundle['id']}/courses", stream=f"bundle {bundle['id']} courses"
            )
            bundle["course_ids"] = [course["id"] for page in pages for course in page.items]
        return [bundle]

    listings = [
        Listing(
            f"/bundles/{bundle_id}",
            label=f"bundles (bundle {number} of {len(bundle_ids)})",
            records=with_course_ids,
            paginated=False,
        )
        for number, bundle_id in enumerate(bundle_ids, start=1)
    ]
    result = load_listings(warehouse, client, "thinkific_bundles", listings, log=context.log)
    return with_primary_key_check(result, warehouse, "bundles")


@asset(
    name="bundle_courses",
    key_prefix=[THINKIFIC_GROUP],
    group_name=THINKIFIC_GROUP,
    description="Which courses each bundle contains: one row per bundle and course, unpacked from "
    "`thinkific/bundles` (no API call of its own).",
    deps=[bundles],
    kinds={"python", "sql"},
    owners=[OWNER],
    freshness_policy=NIGHTLY_FRESHNESS,
    check_specs=[primary_key_spec("bundle_courses")],
)
@with_known_failures
def bundle_courses(warehouse: WarehouseResource) -> MaterializeResult:
    frame = warehouse.read_frame("thinkific_bundles", decode_arrays=True)
    links = [
        {"bundle_id": int(bundle_id), "course_id": int(course_id)}
        for bundle_id, course_ids in frame[["id", "course_ids"]].itertuples(index=False)
        for course_id in course_ids
    ]
    result = load_derived(warehouse, "thinkific_bundle_courses", links)
    return with_primary_key_check(result, warehouse, "bundle_courses")


thinkific_assets = [
    users,
    groups,
    group_memberships,
    group_analysts,
    products,
    courses,
    bundles,
    bundle_courses,
    enrollments,
]
