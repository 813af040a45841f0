"""A warehouse made by an earlier version gets the dashboard's newer columns in place."""

import datetime as dt

import pytest
import sqlalchemy as sa

from resources.dashboard.store import DashboardStore
from resources.warehouse import WarehouseResource
from resources.warehouse.ddl import COLUMN_TYPES
from resources.warehouse.migrate import IncompatibleTableError
from schemas.dashboard import DASHBOARD_TABLES

ADDED_SINCE = {"archived_at", "merged_into"}


def _create_old_teams_table(warehouse: WarehouseResource, keep: set[str]) -> None:
    """`dashboard_teams` with only the columns in `keep`, holding one team."""
    spec = DASHBOARD_TABLES["dashboard_teams"]
    columns = [
        sa.Column(column.name, COLUMN_TYPES[column.kind](), nullable=column.nullable)
        for column in spec.columns
        if column.name in keep
    ]
    table = sa.Table("dashboard_teams", sa.MetaData(), *columns)
    row = {"team": "acme", "name": "Acme", "created_at": dt.datetime(2026, 1, 5, tzinfo=dt.UTC)}
    with warehouse.engine.begin() as connection:
        table.create(connection)
        connection.execute(table.insert(), {name: row[name] for name in keep})


def test_columns_added_since_are_added_and_old_rows_kept(warehouse: WarehouseResource):
    _create_old_teams_table(warehouse, keep={"team", "name", "created_at"})

    teams = DashboardStore(warehouse).read("dashboard_teams")

    assert teams["name"].tolist() == ["Acme"]
    assert set(teams.columns) >= ADDED_SINCE
    assert teams[sorted(ADDED_SINCE)].isna().all().all()


def test_a_foreign_table_under_a_dashboard_name_is_refused_with_what_to_do(
    warehouse: WarehouseResource,
):
    _create_old_teams_table(warehouse, keep={"team"})

    with pytest.raises(IncompatibleTableError, match="Rename or drop it"):
        DashboardStore(warehouse).ensure_tables()
