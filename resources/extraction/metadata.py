"""What a load tells a data engineer, as Dagster metadata: the table's columns, the rows it
loaded, and what it cost in API calls (REST) or in points of the cost budget (GraphQL)."""

from functools import cache
from typing import Any

from dagster import MetadataValue, TableColumn, TableColumnConstraints, TableSchema

from resources.thinkific.graphql_stats import GraphQLStats
from resources.thinkific.stats import ClientStats
from resources.warehouse import WarehouseResource
from resources.warehouse.merge import LoadResult
from schemas.tables import TableSpec

COLUMN_SCHEMA = "dagster/column_schema"


@cache
def column_schema(spec: TableSpec) -> TableSchema:
    """Every column of the table as the data dictionary describes it: its kind, its description
    (the pandera model's, or the warehouse's for the columns the warehouse adds), nullability,
    and whether it is the primary key."""
    return TableSchema(
        columns=[
            TableColumn(
                name=column.name,
                type=column.kind,
                description=column.description,
                constraints=TableColumnConstraints(
                    nullable=column.nullable,
                    unique=(column.name,) in (spec.row_key, spec.primary_key),
                    other=["primary key"] if column.name in spec.row_key else [],
                ),
            )
            for column in spec.table_columns
        ]
    )


def load_metadata(
    warehouse: WarehouseResource, table: str, result: LoadResult, duration_seconds: float
) -> dict[str, Any]:
    """The numbers a data engineer checks after a load."""
    return {
        "dagster/row_count": warehouse.count(table),
        "dagster/table_name": table,
        COLUMN_SCHEMA: column_schema(warehouse.spec(table)),
        "rows_read": result.total,
        "rows_inserted": result.inserted,
        "rows_updated": result.updated,
        "rows_unchanged": result.unchanged,
        "rows_deleted": result.deleted,
        "rows_restored": result.restored,
        "duration_seconds": MetadataValue.float(round(duration_seconds, 2)),
    }


def request_metadata(stats: ClientStats | GraphQLStats) -> dict[str, Any]:
    """What a load cost in REST calls: pages, requests, retries, rate-limit waits."""
    return {
        "pages": stats.pages,
        "requests": stats.requests,
        "retries": stats.retries,
        "rate_limited_responses": stats.rate_limited,
        "rate_limit_wait_seconds": MetadataValue.float(round(stats.rate_limit_wait_seconds, 2)),
    }


def graphql_metadata(stats: GraphQLStats) -> dict[str, Any]:
    """What a load cost in GraphQL calls and budget, under the REST loads' metadata names."""
    return {
        **request_metadata(stats),
        "partial_answers_retried": stats.partial_answers,
        "cost_points": stats.points_spent,
        "budget_wait_seconds": MetadataValue.float(round(stats.budget_wait_seconds, 2)),
    }
