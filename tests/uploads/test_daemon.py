"""End to end: a file dropped into the uploads folder while `dagster-daemon` runs becomes a
partition, a successful run and imported rows, with no one launching anything."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
DEADLINE_SECONDS = 90
CONTENT = "name,email,team\nAda Lovelace,ada@example.com,T\nAlan Turing,alan@example.com,T\n"


@pytest.fixture
def dagster_home(tmp_path: Path) -> Path:
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    # Create the instance's storage now: the daemon and this test opening a new instance at
    # the same moment would both run its migrations and one of them fail.
    with DagsterInstance.from_config(str(home)):
        pass
    return home


@pytest.fixture
def daemon(tmp_path: Path, dagster_home: Path, sqlite_url: str) -> Iterator[Path]:
    """`dagster-daemon run` on the test code location; yields the uploads folder. The daemon's
    whole process group (code server, run workers) is killed at teardown."""
    workspace = tmp_path / "workspace.yaml"
    workspace.write_text(
        "load_from:\n  - python_module:\n      module_name: tests.uploads.daemon_definitions\n"
        f"      working_directory: {ROOT}\n"
    )
    uploads = tmp_path / "uploads"
    env = {k: v for k, v in os.environ.items() if not k.startswith("THINKIFIC_")}
    env |= {
        "DAGSTER_HOME": str(dagster_home),
        "UPLOADS_DIR": str(uploads),
        "WAREHOUSE_URL": sqlite_url,
    }
    log = (tmp_path / "daemon.log").open("w")
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "dagster-daemon"), "run", "-w", str(workspace)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield uploads
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def _imported_users(url: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            if not sa.inspect(connection).has_table("dashboard_users"):
                return 0
            return connection.execute(sa.text("SELECT count(*) FROM dashboard_users")).scalar_one()
    finally:
        engine.dispose()


def test_a_file_dropped_while_the_daemon_runs_is_imported(
    daemon: Path, dagster_home: Path, sqlite_url: str, tmp_path: Path
):
    time.sleep(1)
    (daemon / "users").mkdir(parents=True)
    partial = daemon / "users" / ".staff.csv"
    partial.write_text(CONTENT)
    partial.rename(daemon / "users" / "staff.csv")
    deadline = time.monotonic() + DEADLINE_SECONDS
    with DagsterInstance.from_config(str(dagster_home)) as instance:
        while time.monotonic() < deadline:
            keys = instance.get_dynamic_partitions("uploads_user_csv")
            done = instance.get_runs(filters=RunsFilter(statuses=[DagsterRunStatus.SUCCESS]))
            if keys and done and _imported_users(sqlite_url) == 2:
                break
            time.sleep(0.5)
        else:
            pytest.fail(
                f"no import within {DEADLINE_SECONDS} s: partitions {keys}, runs "
                f"{[(r.run_id, r.status) for r in instance.get_runs()]}\n"
                + (tmp_path / "daemon.log").read_text()[-3000:]
            )
    (key,) = keys
    (run,) = done
    assert key.startswith("staff-")
    assert run.tags["dagster/partition"] == key
    assert (daemon / "users" / "staff.report.csv").exists()
