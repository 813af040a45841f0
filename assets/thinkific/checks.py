"""Data-quality checks on the extracted tables, from the stream registry: unique keys, and
references (`Stream.references`) that resolve.

The primary-key check runs inside the asset's own step (a check spec of the asset), not as a step
of its own: a separate blocking check step can be *abandoned* when its asset fails, and a step
that then also waits on a skipped asset (certificates without a token) hangs Dagster's executor
(see tests/pipelines/test_no_executor_hang.py). Reference checks need the referenced table
loaded first, so they stay separate steps, which depend only on asset steps.
"""

from collections.abc import Sequence

from dagster import (
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    MaterializeResult,
    asset_check,
)

from assets.conventions import THINKIFIC_GROUP
from assets.failures import with_known_failures
from resources.warehouse import WarehouseResource
from schemas.thinkific import STREAMS
from schemas.thinkific.streams import TABLE_PREFIX, Stream


def _key(stream: str) -> AssetKey:
    return AssetKey([THINKIFIC_GROUP, stream])


PRIMARY_KEY_CHECK = "primary_key_unique"


def primary_key_spec(stream: str) -> AssetCheckSpec:
    """The blocking primary-key check of a stream's asset, evaluated in the asset's step."""
    return AssetCheckSpec(
        PRIMARY_KEY_CHECK,
        asset=_key(stream),
        description=f"No two live rows of `{TABLE_PREFIX}{stream}` share a primary key.",
        blocking=True,
    )


def with_primary_key_check(
    result: MaterializeResult, warehouse: WarehouseResource, stream: str
) -> MaterializeResult:
    """`result` with the outcome of the stream's primary-key check attached."""
    duplicates = warehouse.duplicate_keys(f"{TABLE_PREFIX}{stream}")
    check = AssetCheckResult(
        asset_key=_key(stream),
        check_name=PRIMARY_KEY_CHECK,
        passed=not duplicates,
        metadata={"duplicate_keys": len(duplicates), "examples": str(duplicates[:10])},
    )
    return MaterializeResult(
        asset_key=result.asset_key,
        metadata=result.metadata,
        check_results=[*(result.check_results or []), check],
    )


def reference_check(stream: str, column: str, referenced: str) -> AssetChecksDefinition:
    table, referenced_table = f"{TABLE_PREFIX}{stream}", f"{TABLE_PREFIX}{referenced}"

    @asset_check(
        asset=_key(stream),
        name=f"{column}_references_known_{referenced}",
        description=f"Every `{table}.{column}` names a live row of `{referenced_table}`. A warning "
        "rather than an error: a record created in Thinkific between two streams' snapshots "
        "resolves on the next run.",
        additional_deps=[_key(referenced)],
    )
    @with_known_failures
    def _check(warehouse: WarehouseResource) -> AssetCheckResult:
        orphans = warehouse.orphan_values(table, column, referenced_table, "id")
        return AssetCheckResult(
            passed=not orphans,
            severity=AssetCheckSeverity.WARN,
            metadata={"unknown_ids": len(orphans), "examples": str(orphans[:10])},
        )

    return _check


def reference_checks(streams: Sequence[Stream]) -> list[AssetChecksDefinition]:
    """A reference check for every reference of these streams."""
    return [
        reference_check(stream.name, reference.column, reference.stream)
        for stream in streams
        for reference in stream.references
    ]


thinkific_checks = reference_checks([stream for stream in STREAMS if not stream.graphql])
"""The reference checks of the REST (and unpacked) streams' assets."""
thinkific_graphql_checks = reference_checks([stream for stream in STREAMS if stream.graphql])
"""The reference checks of the GraphQL streams' assets (the multi-asset step)."""
