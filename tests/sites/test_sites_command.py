"""The main command with a sites file, as a user types it: settings refused before anything
starts, `--site` syncing one site, and a single-site warehouse moved to its site."""

import os
from pathlib import Path

import pytest

from pipelines.commands.demo_site import thinkific_site
from resources.warehouse import WarehouseResource
from simulator import SimulatorServer
from tests.faults.harness import (
    FAULT_SITE,
    command_environment,
    run_sync,
    site_environment,
)
from tests.pipelines.ground_truth import assert_warehouse_equals_ground_truth
from tests.sites.simulated import (
    simulated_sites,
    site_warehouse_at,
    sites_environment,
    users_per_site,
)

EXIT_SETTINGS = 2


def _entry(name: str, subdomain: str) -> str:
    return f"  - name: {name}\n    subdomain: {subdomain}\n    api_key_env: {name.upper()}_KEY\n"


def _command(tmp_path: Path, settings: dict[str, str]) -> dict[str, str]:
    return command_environment(
        tmp_path / "home", f"sqlite:///{tmp_path / 'warehouse.db'}", settings
    )


def _environment(tmp_path: Path, sites: str, **variables: str) -> dict[str, str]:
    (tmp_path / "sites.yaml").write_text(sites, encoding="utf-8")
    return _command(tmp_path, {"THINKIFIC_SITES_FILE": str(tmp_path / "sites.yaml"), **variables})


def _refused(env: dict[str, str], *arguments: str) -> str:
    outcome = run_sync(env, timeout=60, extra_args=list(arguments))
    assert outcome.returncode == EXIT_SETTINGS, outcome.output[-3000:]
    assert "Traceback" not in outcome.output
    assert outcome.stderr.startswith("Not started: "), outcome.stderr
    return outcome.stderr


def test_a_malformed_sites_file_is_refused_naming_the_line_and_the_site(tmp_path):
    sites = "sites:\n" + _entry("acme", "acme") + _entry("acme", "acme-two")
    said = _refused(_environment(tmp_path, sites, ACME_KEY="k1"))
    assert "sites.yaml line 5" in said and "line 2" in said and "'acme'" in said
    assert not list(tmp_path.glob("warehouse*.db"))


def test_a_missing_key_variable_is_refused_naming_the_site_and_the_variable(tmp_path):
    sites = "sites:\n" + _entry("acme", "acme") + _entry("globex", "globex")
    said = _refused(_environment(tmp_path, sites, ACME_KEY="a-secret-key-123"))
    assert "'globex'" in said and "GLOBEX_KEY" in said
    assert "a-secret-key-123" not in said
    assert not list(tmp_path.glob("warehouse*.db"))


def test_an_unknown_site_is_refused_listing_the_sites_there_are(tmp_path):
    sites = "sites:\n" + _entry("acme", "acme") + _entry("globex", "globex")
    said = _refused(_environment(tmp_path, sites, ACME_KEY="k", GLOBEX_KEY="k"), "--site", "nope")
    assert "--site nope" in said and "acme, globex" in said


def test_site_without_a_sites_file_is_refused(tmp_path):
    env = command_environment(tmp_path / "home", f"sqlite:///{tmp_path / 'w.db'}", {})
    said = _refused(env, "--site", "acme")
    assert "THINKIFIC_SITES_FILE" in said


@pytest.fixture
def two_servers():
    with simulated_sites(("acme", "globex")) as servers:
        yield servers


def _site_warehouse(tmp_path: Path, name: str) -> WarehouseResource:
    return site_warehouse_at(f"sqlite:///{tmp_path / 'warehouse.db'}", name)


def _sync_single_site(tmp_path: Path, server: SimulatorServer) -> None:
    """The warehouse a deployment from before sites had: one site synced by the variables."""
    single = command_environment(
        tmp_path / "home", f"sqlite:///{tmp_path / 'warehouse.db'}", site_environment(server)
    )
    assert run_sync(single, timeout=120).returncode == 0


def test_site_option_syncs_that_site_only(two_servers, tmp_path):
    env = _command(tmp_path, sites_environment(tmp_path, two_servers))

    outcome = run_sync(env, timeout=120, extra_args=["--site", "globex"])

    assert outcome.returncode == 0, outcome.output[-3000:]
    assert two_servers["acme"].stats.snapshot()["served"] == 0
    globex = _site_warehouse(tmp_path, "globex")
    assert_warehouse_equals_ground_truth(globex, two_servers["globex"].ground_truth())
    globex.dispose()


def test_a_single_site_warehouse_moves_to_its_site_on_the_first_run_with_sites(
    two_servers, tmp_path
):
    acme = two_servers["acme"]
    _sync_single_site(tmp_path, acme)
    acme.site.update(
        "enrollments", acme.ground_truth()["enrollments"][0]["id"], {"percentage_completed": 0.5}
    )
    # THINKIFIC_SUBDOMAIN, the single-site setting, says which site the old tables are.
    env = _command(tmp_path, sites_environment(tmp_path, two_servers, THINKIFIC_SUBDOMAIN="acme"))

    outcome = run_sync(env, timeout=240)

    assert outcome.returncode == 0, outcome.output[-3000:]
    assert "Moved the single-site warehouse" in outcome.stdout
    assert not (tmp_path / "warehouse.db").exists()
    for name, server in two_servers.items():
        warehouse = _site_warehouse(tmp_path, name)
        assert_warehouse_equals_ground_truth(warehouse, server.ground_truth())
        warehouse.dispose()


@pytest.mark.postgres
def test_on_postgresql_every_sites_rows_are_in_one_view_with_a_site_column(
    two_servers, tmp_path, postgresql_url
):
    settings = sites_environment(tmp_path, two_servers, WAREHOUSE_SCHEMA="lms")
    env = command_environment(tmp_path / "home", postgresql_url, settings)

    outcome = run_sync(env, timeout=240)

    assert outcome.returncode == 0, outcome.output[-3000:]
    assert users_per_site(postgresql_url, "lms_all_sites") == dict.fromkeys(
        two_servers, FAULT_SITE.users
    )


def test_with_a_sites_file_no_command_starts_the_demo_site(monkeypatch, tmp_path):
    for name in ("THINKIFIC_API_KEY", "THINKIFIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("THINKIFIC_SITES_FILE", str(tmp_path / "sites.yaml"))
    with thinkific_site() as site:
        assert not site.is_demo
        assert "THINKIFIC_BASE_URL" not in os.environ
    assert site.description == f"the sites named in {tmp_path / 'sites.yaml'}"


def test_a_single_site_warehouse_no_site_claims_stops_the_command_with_the_fix(
    two_servers, tmp_path
):
    acme = two_servers["acme"]
    _sync_single_site(tmp_path, acme)

    said = _refused(_command(tmp_path, sites_environment(tmp_path, two_servers)))

    assert "set THINKIFIC_SUBDOMAIN to the subdomain they were synced from (acme, globex)" in said
    assert (
        WarehouseResource(url=f"sqlite:///{tmp_path / 'warehouse.db'}").count("thinkific_users")
        == acme.config.users
    )
