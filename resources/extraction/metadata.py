"""Dagster column-schema metadata, read off the pandera model that defines each table."""

from functools import cache

from dagster import TableColumn, TableColumnConstraints, TableSchema

from schemas.dashboard import DASHBOARD_TABLES
from schemas.thinkific import TABLES


@cache
def column_schema(table: str) -> TableSchema:
    spec = TABLES.get(table) or DASHBOARD_TABLES[table]
    schema = spec.model.to_schema()
    return TableSchema(
        columns=[
            TableColumn(
                name=name,
                type=str(column.dtype),
                description=column.description,
                constraints=TableColumnConstraints(
                    nullable=column.nullable, unique=[name] == list(spec.primary_key)
                ),
            )
            for name, column in schema.columns.items()
        ]
    )
