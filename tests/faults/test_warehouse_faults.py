"""The main command against a warehouse it cannot reach, cannot write, or fills up.

Real faults, not mocks: a PostgreSQL URL where nothing listens, a database that does not exist, a
database in read-only mode, a tablespace and an SQLite file on a small tmpfs that fills up, a
read-only mount. Each ends with the cause said once, no traceback, and the summary; where the
sync got part way, the rerun on a healthy warehouse ends equal to the site.
"""

import contextlib
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from resources.warehouse import WarehouseResource
from tests.faults.catalogue import BY_NAME
from tests.faults.harness import command_environment, run_sync, site_environment, table_contents
from tests.pipelines.ground_truth import assert_warehouse_equals_ground_truth

pytestmark = pytest.mark.slow

BOUND_SECONDS = 60


@contextlib.contextmanager
def tmpfs(path: Path, size: str, *options: str) -> Iterator[Path]:
    """A tmpfs of `size` mounted at `path` for the block (root only; skips elsewhere)."""
    path.mkdir(parents=True, exist_ok=True)
    mount = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", ",".join([f"size={size}", *options]), "tmpfs", str(path)],
        capture_output=True,
        text=True,
    )
    if mount.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mount.stderr.strip()}): needs root")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def _sync(server, url: str, tmp_path: Path):
    return run_sync(command_environment(tmp_path / "home", url, site_environment(server)))


def _assert_clear(outcome, fault_name: str) -> None:
    outcome.assert_clear_failure(BY_NAME[fault_name])
    assert outcome.seconds < BOUND_SECONDS


@pytest.mark.postgres
def test_a_postgresql_url_where_nothing_listens_fails_naming_warehouse_url(fault_site, tmp_path):
    outcome = _sync(fault_site, "postgresql+psycopg://postgres@127.0.0.1:1/warehouse", tmp_path)
    _assert_clear(outcome, "The warehouse database cannot be reached")
    # Nothing was asked of Thinkific: every step stops at the warehouse first.
    assert fault_site.stats.snapshot()["served"] == 0


@pytest.mark.postgres
def test_a_missing_postgresql_database_fails_saying_so(fault_site, postgres_admin_engine, tmp_path):
    url = postgres_admin_engine.url.set(database=f"missing_{uuid.uuid4().hex[:8]}")
    outcome = _sync(fault_site, url.render_as_string(hide_password=False), tmp_path)
    _assert_clear(outcome, "The warehouse database does not exist")


@pytest.mark.postgres
def test_a_read_only_postgresql_database_fails_saying_so(fault_site, postgresql_url, tmp_path):
    engine = sa.create_engine(postgresql_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        name = connection.exec_driver_sql("SELECT current_database()").scalar()
        connection.exec_driver_sql(
            f'ALTER DATABASE "{name}" SET default_transaction_read_only = on'
        )
    engine.dispose()
    outcome = _sync(fault_site, postgresql_url, tmp_path)
    _assert_clear(outcome, "The warehouse database is in read-only mode")


def test_a_read_only_sqlite_warehouse_fails_and_stays_as_it_was(
    fault_site, synced_warehouse, tmp_path
):
    before = table_contents(synced_warehouse)
    with tmpfs(tmp_path / "ro", "16m") as mounted:
        for file in synced_warehouse.parent.glob("warehouse.db*"):
            shutil.copy(file, mounted / file.name)
        subprocess.run(["mount", "-o", "remount,ro", str(mounted)], check=True)
        outcome = _sync(fault_site, f"sqlite:///{mounted / 'warehouse.db'}", tmp_path)
        after = table_contents(mounted / "warehouse.db")
    _assert_clear(outcome, "The warehouse file is read-only")
    assert after == before


def test_a_full_disk_under_sqlite_fails_and_the_rerun_with_room_completes(fault_site, tmp_path):
    with tmpfs(tmp_path / "small", "256k") as mounted:
        outcome = _sync(fault_site, f"sqlite:///{mounted / 'warehouse.db'}", tmp_path)
        for file in mounted.glob("warehouse.db*"):
            shutil.copy(file, tmp_path / file.name)
    _assert_clear(outcome, "The warehouse's disk is full")
    rerun = _sync(fault_site, f"sqlite:///{tmp_path / 'warehouse.db'}", tmp_path)
    assert rerun.returncode == 0, rerun.output[-3000:]
    warehouse = WarehouseResource(url=f"sqlite:///{tmp_path / 'warehouse.db'}")
    assert_warehouse_equals_ground_truth(warehouse, fault_site.ground_truth())


@pytest.mark.postgres
def test_a_full_postgresql_tablespace_fails_and_the_rerun_with_room_completes(
    fault_site, postgresql_url, tmp_path
):
    tablespace = f"small_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(postgresql_url, isolation_level="AUTOCOMMIT")
    # Under /tmp itself: the server's user must reach it, and pytest's folders are root's only.
    with tmpfs(Path("/tmp") / tablespace, "384k", "mode=0700") as mounted:
        shutil.chown(mounted, "postgres", "postgres")
        with admin.connect() as connection:
            name = connection.exec_driver_sql("SELECT current_database()").scalar()
            connection.exec_driver_sql(f"CREATE TABLESPACE {tablespace} LOCATION '{mounted}'")
            connection.exec_driver_sql(
                f'ALTER DATABASE "{name}" SET default_tablespace = {tablespace}'
            )
        try:
            outcome = _sync(fault_site, postgresql_url, tmp_path)
        finally:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'ALTER DATABASE "{name}" RESET default_tablespace')
                _move_tables_out_of(connection, tablespace)
                connection.exec_driver_sql(f"DROP TABLESPACE {tablespace}")
    admin.dispose()
    _assert_clear(outcome, "The warehouse's disk is full")
    rerun = _sync(fault_site, postgresql_url, tmp_path)
    assert rerun.returncode == 0, rerun.output[-3000:]
    warehouse = WarehouseResource(url=postgresql_url)
    assert_warehouse_equals_ground_truth(warehouse, fault_site.ground_truth())


def _move_tables_out_of(connection: sa.Connection, tablespace: str) -> None:
    """Every table and index of the database back to the default tablespace (so the small one
    can be dropped), with what they hold: the rerun resumes from it."""
    for kind in ("TABLE", "INDEX"):
        connection.exec_driver_sql(
            f"ALTER {kind} ALL IN TABLESPACE {tablespace} SET TABLESPACE pg_default"
        )
