"""On PostgreSQL an import keeps other writers out of the tables it fills with plain inserts
(`lock_for_writing`), as SQLite's single writer does; readers read on."""

import pytest
import sqlalchemy as sa

from resources.dashboard.store import DashboardStore
from resources.uploads.staging import lock_for_writing
from resources.warehouse import WarehouseResource
from tests.uploads.helpers import AT


@pytest.mark.postgres
def test_tables_locked_for_writing_keep_other_writers_out_and_let_readers_read(
    postgresql_url: str,
):
    store = DashboardStore(WarehouseResource(url=postgresql_url))
    users = store.table("dashboard_users")
    with store.transaction() as connection, store.engine.connect() as other:
        lock_for_writing(connection, users)
        other.exec_driver_sql("SET lock_timeout = '200ms'")
        assert other.execute(sa.select(sa.func.count()).select_from(users)).scalar_one() == 0
        with pytest.raises(sa.exc.OperationalError, match="lock timeout"):
            other.execute(users.insert().values(email="ada@example.com", created_at=AT))
