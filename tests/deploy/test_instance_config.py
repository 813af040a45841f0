"""deploy/dagster.yaml: a PostgreSQL instance whose `thinkific` pool admits one step at a time,
with run monitoring and run retries on; and the code location puts every Thinkific call in it."""

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from dagster import AssetsDefinition, DagsterInstance
from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage

from assets.conventions import THINKIFIC_POOL
from pipelines.commands.deploy import dagster_command
from pipelines.commands.deploy_settings import prepare_home
from pipelines.definitions import defs
from tests.deploy.deployment import instance_database_env

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def deployment_home(tmp_path, postgresql_url, monkeypatch) -> Path:
    """A DAGSTER_HOME holding deploy/dagster.yaml, its variables pointing at a fresh database."""
    for name, value in instance_database_env(postgresql_url).items():
        monkeypatch.setenv(name, value)
    return prepare_home(tmp_path / "dagster_home")


@pytest.fixture
def instance(deployment_home) -> Iterator[DagsterInstance]:
    with DagsterInstance.from_config(str(deployment_home)) as instance:
        yield instance


@pytest.mark.postgres
def test_runs_events_and_schedules_are_stored_in_postgresql(instance):
    assert isinstance(instance.run_storage, PostgresRunStorage)
    assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
    assert isinstance(instance.schedule_storage, PostgresScheduleStorage)


@pytest.mark.postgres
def test_a_pool_admits_one_step_at_a_time_across_all_runs(instance):
    pools = instance.get_concurrency_config().pool_config

    assert pools.default_pool_limit == 1
    assert pools.pool_granularity is not None
    assert pools.pool_granularity.value == "op"


@pytest.mark.postgres
def test_the_run_queue_admits_one_run_per_site_and_the_sites_side_by_side(instance):
    limits = instance.get_concurrency_config().run_queue_config.tag_concurrency_limits

    per_site = {"key": "dagster/partition", "value": {"applyLimitPerUniqueValue": True}, "limit": 1}
    assert per_site in limits


@pytest.mark.postgres
def test_run_monitoring_frees_dead_runs_slots_and_crashed_runs_are_retried_once(instance):
    assert instance.run_monitoring_enabled
    assert instance.run_monitoring_settings["free_slots_after_run_end_seconds"] > 0
    assert instance.run_retries_enabled
    assert instance.run_retries_max_retries == 1
    assert not instance.run_retries_retry_on_asset_or_op_failure


@pytest.mark.postgres
def test_the_documented_upgrade_command_migrates_the_instance(deployment_home):
    environment = os.environ | {"DAGSTER_HOME": str(deployment_home)}

    migrate = subprocess.run(
        dagster_command("dagster", "instance", "migrate"),
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert migrate.returncode == 0, migrate.stdout + migrate.stderr
    assert "Updating run storage" in migrate.stdout


def test_every_asset_that_calls_thinkific_is_in_the_thinkific_pool():
    calling = [
        asset
        for asset in defs.resolve_asset_graph().assets_defs
        if isinstance(asset, AssetsDefinition) and "thinkific" in asset.required_resource_keys
    ]

    outside = [asset.key.to_user_string() for asset in calling if asset.op.pool != THINKIFIC_POOL]
    assert calling
    assert not outside
