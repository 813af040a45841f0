"""How the warehouse connects: SQLite settings, the default location, and no password leaks."""

import traceback

import pytest

from resources.warehouse import WarehouseResource
from resources.warehouse.engine import (
    PROJECT_ROOT,
    SQLITE_BUSY_TIMEOUT_MS,
    WarehouseError,
    default_warehouse_url,
    demo_warehouse_url,
    warehouse_url_from_env,
)

PASSWORD = "s3cr3t-Pa55word"


def test_every_sqlite_connection_is_in_wal_mode_with_a_busy_timeout(sqlite_warehouse):
    engine = sqlite_warehouse.engine
    with engine.connect() as first, engine.connect() as second:
        for connection in (first, second):
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            timeout = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
            assert timeout == SQLITE_BUSY_TIMEOUT_MS


def test_sqlite_file_is_created_with_its_missing_folders(tmp_path):
    warehouse = WarehouseResource(url=f"sqlite:///{tmp_path / 'new' / 'dir' / 'w.db'}")

    warehouse.ensure_tables("thinkific_groups")

    assert (tmp_path / "new" / "dir" / "w.db").is_file()
    warehouse.dispose()


def test_default_url_is_an_sqlite_file_in_the_project_data_folder():
    assert WarehouseResource().url == default_warehouse_url()
    assert default_warehouse_url() == f"sqlite:///{PROJECT_ROOT / '.data' / 'warehouse.db'}"
    assert (PROJECT_ROOT / "pyproject.toml").is_file()


def test_warehouse_url_comes_from_the_environment_with_the_default_as_fallback(monkeypatch):
    monkeypatch.setenv("WAREHOUSE_URL", "postgresql+psycopg://u@db/warehouse")
    from_env = warehouse_url_from_env()
    monkeypatch.delenv("WAREHOUSE_URL")

    assert from_env == "postgresql+psycopg://u@db/warehouse"
    assert warehouse_url_from_env() == default_warehouse_url()


def test_a_command_on_the_demo_site_falls_back_to_the_demos_own_file(monkeypatch):
    monkeypatch.setenv("WAREHOUSE_URL", "")
    assert warehouse_url_from_env(demo=True) == demo_warehouse_url()
    monkeypatch.setenv("WAREHOUSE_URL", "postgresql+psycopg://u@db/warehouse")
    assert warehouse_url_from_env(demo=True) == "postgresql+psycopg://u@db/warehouse"


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql+psycopg://warehouse:{PASSWORD}@127.0.0.1:1/warehouse",
        f"mysql://warehouse:{PASSWORD}@127.0.0.1/warehouse",
    ],
    ids=["unreachable_postgresql", "unsupported_database"],
)
def test_the_password_never_appears_in_an_error(url):
    warehouse = WarehouseResource(url=url)

    with pytest.raises(WarehouseError) as caught:
        warehouse.count("thinkific_users")

    shown = "".join(traceback.format_exception(caught.value))  # with any chained exception
    assert "warehouse:***@127.0.0.1" in str(caught.value)
    assert PASSWORD not in shown


def test_the_password_never_appears_in_the_resource_repr():
    warehouse = WarehouseResource(url=f"postgresql+psycopg://warehouse:{PASSWORD}@db/warehouse")

    assert PASSWORD not in repr(warehouse)
    assert PASSWORD not in str(warehouse)
    assert "warehouse:***@db" in repr(warehouse)
