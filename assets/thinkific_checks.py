"""Data-quality checks on the extracted tables: unique keys and references that resolve."""

from dagster import (
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetKey,
    asset_check,
)

from assets.conventions import THINKIFIC_GROUP
from resources.warehouse import WarehouseResource

KEYED_STREAMS = [
    "users",
    "groups",
    "group_memberships",
    "group_analysts",
    "products",
    "courses",
    "bundles",
    "bundle_courses",
    "enrollments",
]

REFERENCES: list[tuple[str, str, str]] = [
    # (stream, column, referenced stream): the column holds ids of the referenced stream's rows.
    ("enrollments", "user_id", "users"),
    ("enrollments", "course_id", "courses"),
    ("group_memberships", "user_id", "users"),
    ("group_memberships", "group_id", "groups"),
    ("group_analysts", "user_id", "users"),
    ("group_analysts", "group_id", "groups"),
    ("bundle_courses", "bundle_id", "bundles"),
    ("bundle_courses", "course_id", "courses"),
]


def _key(stream: str) -> AssetKey:
    return AssetKey([THINKIFIC_GROUP, stream])


def primary_key_check(stream: str) -> AssetChecksDefinition:
    table = f"thinkific_{stream}"

    @asset_check(
        asset=_key(stream),
        name="primary_key_unique",
        description=f"No two live rows of `{table}` share a primary key.",
        blocking=True,
    )
    def _check(warehouse: WarehouseResource) -> AssetCheckResult:
        duplicates = warehouse.duplicate_keys(table)
        return AssetCheckResult(
            passed=not duplicates,
            metadata={"duplicate_keys": len(duplicates), "examples": str(duplicates[:10])},
        )

    return _check


def reference_check(stream: str, column: str, referenced: str) -> AssetChecksDefinition:
    table, referenced_table = f"thinkific_{stream}", f"thinkific_{referenced}"

    @asset_check(
        asset=_key(stream),
        name=f"{column}_references_known_{referenced}",
        description=f"Every `{table}.{column}` names a live row of `{referenced_table}`. A warning "
        "rather than an error: a record created in Thinkific between two streams' snapshots "
        "resolves on the next run.",
        additional_deps=[_key(referenced)],
    )
    def _check(warehouse: WarehouseResource) -> AssetCheckResult:
        orphans = warehouse.orphan_values(table, column, referenced_table, "id")
        return AssetCheckResult(
            passed=not orphans,
            severity=AssetCheckSeverity.WARN,
            metadata={"unknown_ids": len(orphans), "examples": str(orphans[:10])},
        )

    return _check


thinkific_checks = [primary_key_check(stream) for stream in KEYED_STREAMS] + [
    reference_check(stream, column, referenced) for stream, column, referenced in REFERENCES
]
