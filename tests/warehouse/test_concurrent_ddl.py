"""Two processes creating a new PostgreSQL warehouse's tables, indexes and triggers at once (two
syncs reaching the dashboard steps together) both succeed: `IF NOT EXISTS` alone raced."""

import threading

import pytest

from resources.dashboard.change_log import take_changes
from resources.dashboard.store import DashboardStore
from resources.warehouse import WarehouseResource


@pytest.mark.postgres
def test_two_runs_creating_the_dashboard_tables_and_triggers_at_once_both_succeed(
    postgresql_url,
):
    ready = threading.Barrier(2, timeout=30)
    errors: list[BaseException] = []

    def create() -> None:
        store = DashboardStore(WarehouseResource(url=postgresql_url))
        try:
            ready.wait()
            store.ensure_tables()
            with store.transaction() as connection:
                take_changes(connection, store, "seat_usage")
        except BaseException as error:
            errors.append(error)
        finally:
            store.engine.dispose()

    threads = [threading.Thread(target=create) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
