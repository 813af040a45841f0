"""Extraction assets: one per Thinkific stream, each streamed page by page into its table.

Assets only orchestrate: HTTP lives in `resources.thinkific`, SQL in `resources.warehouse`,
column names and types in `schemas.thinkific`.
"""

from collections.abc import Iterator
from typing import Any

from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, MaterializeResult, asset

from assets.conventions import (
    API_RETRY_POLICY,
    NIGHTLY_FRESHNESS,
    OWNER,
    THINKIFIC_GROUP,
    THINKIFIC_POOL,
)
from assets.stream_load import load_snapshot
from resources.thinkific import ThinkificClient, ThinkificNotFoundError, ThinkificResource
from resources.warehouse import WarehouseResource

KINDS = {"thinkific", "python", "sql"}


def thinkific_asset(name: str, description: str, deps: list[str] | None = None):
    """The decorator every extraction asset shares: key prefix, group, pool, retries, freshness."""
    return asset(
        name=name,
        key_prefix=[THINKIFIC_GROUP],
        group_name=THINKIFIC_GROUP,
        description=description,
        deps=[AssetKey([THINKIFIC_GROUP, dep]) for dep in deps or []],
        kinds=KINDS,
        owners=[OWNER],
        pool=THINKIFIC_POOL,
        retry_policy=API_RETRY_POLICY,
        freshness_policy=NIGHTLY_FRESHNESS,
    )


def _items(client: ThinkificClient, path: str, stream: str, params: dict[str, Any] | None = None):
    for page in client.iter_pages(path, params, stream=stream):
        yield page.items


def list_stream_asset(stream: str, path: str, description: str) -> AssetsDefinition:
    """An asset for a stream that is one paginated list endpoint, fully refreshed every run."""

    @thinkific_asset(stream, description)
    def _asset(
        context: AssetExecutionContext, thinkific: ThinkificResource, warehouse: WarehouseResource
    ) -> MaterializeResult:
        client = thinkific.get_client(context.log)
        return load_snapshot(warehouse, f"thinkific_{stream}", _items(client, path, stream), client)

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
enrollments = list_stream_asset(
    "enrollments",
    "/enrollments",
    "Every enrollment of every user in every course, with progress, completion and expiry.",
)


def _live_ids(warehouse: WarehouseResource, table: str, column: str = "id") -> list[int]:
    frame = warehouse.read_frame(table)
    return [int(value) for value in frame[column]]


@thinkific_asset(
    "group_memberships",
    "Who is in which Thinkific group: one row per group and user. Thinkific has no membership "
    "endpoint, so each group's users are paged through `/users?query[group_id]=`.",
    deps=["groups"],
)
def group_memberships(
    context: AssetExecutionContext, thinkific: ThinkificResource, warehouse: WarehouseResource
) -> MaterializeResult:
    client = thinkific.get_client(context.log)
    group_ids = _live_ids(warehouse, "thinkific_groups")

    def pages() -> Iterator[list[dict[str, Any]]]:
        for number, group_id in enumerate(group_ids, start=1):
            stream = f"group_memberships (group {number} of {len(group_ids)}, id {group_id})"
            params = {"query[group_id]": group_id}
            for page in client.iter_pages("/users", params, stream=stream):
                yield [{"group_id": group_id, "user_id": user["id"]} for user in page.items]

    return load_snapshot(warehouse, "thinkific_group_memberships", pages(), client)


@thinkific_asset(
    "group_analysts",
    "Which users analyse which Thinkific group (the dashboard's natural team managers).",
    deps=["groups"],
)
def group_analysts(
    context: AssetExecutionContext, thinkific: ThinkificResource, warehouse: WarehouseResource
) -> MaterializeResult:
    client = thinkific.get_client(context.log)
    group_ids = _live_ids(warehouse, "thinkific_groups")

    def pages() -> Iterator[list[dict[str, Any]]]:
        for number, group_id in enumerate(group_ids, start=1):
            try:
                answer = client.get(f"/groups/{group_id}/analysts")
            except ThinkificNotFoundError:
                context.log.warning(f"group {group_id} was deleted during the sync; skipped")
                continue
            analysts = answer.get("group_analysts") or []
            context.log.info(
                f"group_analysts: group {number} of {len(group_ids)}, {len(analysts)} analysts"
            )
            yield [{"group_id": group_id, "user_id": user_id} for user_id in analysts]

    return load_snapshot(warehouse, "thinkific_group_analysts", pages(), client)


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
    bundle_ids = [
        int(bundle_id)
        for bundle_id in products_frame.loc[
            products_frame["productable_type"] == "Bundle", "productable_id"
        ]
    ]

    def pages() -> Iterator[list[dict[str, Any]]]:
        for number, bundle_id in enumerate(bundle_ids, start=1):
            try:
                bundle = client.get(f"/bundles/{bundle_id}")
            except ThinkificNotFoundError:
                context.log.warning(f"bundle {bundle_id} was deleted during the sync; skipped")
                continue
            if bundle.get("course_ids") is None:
                # The spec marks course_ids required, yet its own example lacks it: page them.
                courses_path = f"/bundles/{bundle_id}/courses"
                bundle["course_ids"] = [
                    course["id"]
                    for items in _items(client, courses_path, f"bundle {bundle_id} courses")
                    for course in items
                ]
            context.log.info(f"bundles: bundle {number} of {len(bundle_ids)}")
            yield [bundle]

    return load_snapshot(warehouse, "thinkific_bundles", pages(), client)


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
)
def bundle_courses(warehouse: WarehouseResource) -> MaterializeResult:
    links = [
        {"bundle_id": int(bundle_id), "course_id": int(course_id)}
        for bundle_id, course_ids in warehouse.read_frame("thinkific_bundles", decode_arrays=True)[
            ["id", "course_ids"]
        ].itertuples(index=False)
        for course_id in course_ids
    ]
    return load_snapshot(warehouse, "thinkific_bundle_courses", [links])


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
