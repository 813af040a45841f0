"""The deployment's settings: local defaults for what is unset, the environment's values
otherwise, and databases created on first start."""

import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from pipelines.commands.deploy_databases import ensure_database
from pipelines.commands.deploy_settings import Addresses, deployment_environment, prepare_home

ROOT = Path(__file__).resolve().parents[2]
ADDRESSES = Addresses(host="127.0.0.1", webserver_port=3000, code_server_port=4266)


def test_unset_settings_point_at_the_local_postgresql_server(tmp_path):
    settings = deployment_environment({}, tmp_path, ADDRESSES)

    assert settings["DAGSTER_PG_HOST"] == "127.0.0.1"
    assert settings["DAGSTER_PG_DB"] == "dagster"
    assert settings["DAGSTER_PG_PASSWORD"] == ""
    assert settings["DAGSTER_HOME"] == str(tmp_path)
    assert settings["DAGSTER_CODE_SERVER_PORT"] == "4266"
    assert settings["WAREHOUSE_URL"] == (
        "postgresql+psycopg://postgres@127.0.0.1:5432/thinkific_warehouse"
    )


def test_the_demo_site_is_deployed_into_a_warehouse_database_of_its_own(tmp_path):
    settings = deployment_environment({}, tmp_path, ADDRESSES, demo=True)

    assert settings["WAREHOUSE_URL"] == (
        "postgresql+psycopg://postgres@127.0.0.1:5432/thinkific_demo"
    )


def test_settings_in_the_environment_are_kept(tmp_path):
    environ = {
        "DAGSTER_PG_HOST": "db.internal",
        "DAGSTER_PG_USER": "dagster",
        "DAGSTER_PG_PASSWORD": "s3cret",
        "WAREHOUSE_URL": "sqlite:///w.db",
    }

    settings = deployment_environment(environ, tmp_path, ADDRESSES)

    assert {name: settings[name] for name in environ} == environ


def test_a_home_with_a_dagster_yaml_of_its_own_is_refused(tmp_path):
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")

    with pytest.raises(SystemExit, match="not the deployment's instance config"):
        prepare_home(tmp_path)

    assert (tmp_path / "dagster.yaml").read_text() == "telemetry:\n  enabled: false\n"


@pytest.mark.postgres
def test_a_missing_database_is_created_and_an_existing_one_kept(postgres_admin_engine):
    url = postgres_admin_engine.url.set(database=f"test_deploy_{uuid.uuid4().hex[:12]}")
    try:
        ensure_database(url)
        ensure_database(url)  # exists now: left alone

        with sa.create_engine(url, poolclass=sa.NullPool).connect() as connection:
            assert connection.exec_driver_sql("SELECT current_database()").scalar() == url.database
    finally:
        with postgres_admin_engine.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')


def test_an_unreachable_server_is_named_without_its_password():
    url = sa.make_url("postgresql+psycopg://dagster:s3cr3t-Pa55@127.0.0.1:1/dagster")

    with pytest.raises(RuntimeError) as refused:
        ensure_database(url)

    assert "dagster:***@127.0.0.1:1/dagster" in str(refused.value)
    assert "s3cr3t-Pa55" not in str(refused.value)


def test_the_home_holds_the_deployment_instance_config(tmp_path):
    home = prepare_home(tmp_path / "home")

    assert (home / "dagster.yaml").resolve() == ROOT / "deploy" / "dagster.yaml"
