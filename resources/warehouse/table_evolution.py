"""Bringing a table made by an earlier version up to its current model.

Tables are created from their models when missing (`CREATE TABLE IF NOT EXISTS`), which leaves a
table made by an earlier version without the columns added since. A column added later is
nullable by rule (old rows have no value for it), so it can be added in place; a missing column
that is not nullable means the table is not one of ours, and that is an error, not a guess.
"""

import sqlalchemy as sa
from sqlalchemy.schema import CreateColumn


class IncompatibleTableError(RuntimeError):
    """A table exists under a model's name but lacks a column that cannot be added in place."""


def add_missing_columns(connection: sa.Connection, table: sa.Table) -> list[str]:
    """Adds the model's nullable columns that the existing `table` lacks; returns their names."""
    existing = {
        column["name"]
        for column in sa.inspect(connection).get_columns(table.name, schema=table.schema)
    }
    missing = [column for column in table.columns if column.name not in existing]
    required = [column.name for column in missing if not column.nullable]
    if required:
        raise IncompatibleTableError(
            f"Table {table.name} exists without the required column(s) {', '.join(required)}: "
            "it was not made by this project, or by a version too old to upgrade in place. "
            "Rename or drop it (after a backup) and run again to recreate it."
        )
    preparer = connection.dialect.identifier_preparer
    for column in missing:
        definition = CreateColumn(column).compile(dialect=connection.dialect)
        connection.execute(
            sa.text(f"ALTER TABLE {preparer.format_table(table)} ADD COLUMN {definition}")
        )
    return [column.name for column in missing]
