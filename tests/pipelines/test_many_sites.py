"""The main command with a sites file, run as a user runs it: every site synced at once into its
own place of the warehouse, a broken site named, the others loaded."""

import dataclasses
from pathlib import Path

import pytest

from resources.warehouse import WarehouseResource
from resources.warehouse.sites import site_location
from simulator import SimulatorServer
from tests.faults.harness import FAULT_SITE, PATIENCE, command_environment, run_sync
from tests.pipelines.ground_truth import assert_warehouse_equals_ground_truth

SITES = ("acme", "globex", "initech", "broken")


def _sites_file(path: Path, servers: dict[str, SimulatorServer]) -> Path:
    entries = [
        f"  - name: {name}\n"
        f"    subdomain: {server.config.subdomain}\n"
        f"    api_key_env: {name.upper()}_THINKIFIC_API_KEY\n"
        f"    access_token_env: {name.upper()}_THINKIFIC_TOKEN\n"
        f"    base_url: {server.base_url}\n"
        f"    graphql_url: {server.graphql_url}\n"
        f"    requests_per_minute: {server.config.requests_per_minute}\n"
        for name, server in servers.items()
    ]
    path.write_text("sites:\n" + "".join(entries), encoding="utf-8")
    return path


def _keys(servers: dict[str, SimulatorServer]) -> dict[str, str]:
    keys = {}
    for name, server in servers.items():
        keys[f"{name.upper()}_THINKIFIC_API_KEY"] = (
            "not-the-key" if name == "broken" else server.config.api_key
        )
        keys[f"{name.upper()}_THINKIFIC_TOKEN"] = server.config.access_token
    return keys


@pytest.fixture(scope="module")
def four_sites():
    servers = {}
    for seed, name in enumerate(SITES, start=1):
        config = dataclasses.replace(
            FAULT_SITE, seed=seed, subdomain=f"{name}-school", api_key=f"{name}-key-{seed}"
        )
        servers[name] = SimulatorServer(config, host="127.0.0.1", port=0).start()
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture(scope="module")
def synced(four_sites, tmp_path_factory):
    """One run of the main command over the four sites, which every test of the module reads."""
    tmp_path = tmp_path_factory.mktemp("many_sites")
    warehouse_url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    site_settings = {"THINKIFIC_SITES_FILE": str(_sites_file(tmp_path / "sites.yaml", four_sites))}
    env = command_environment(
        tmp_path / "home", warehouse_url, site_settings | _keys(four_sites) | PATIENCE
    )
    return run_sync(env, timeout=240), warehouse_url


def test_every_working_site_holds_exactly_its_own_ground_truth(four_sites, synced):
    _, warehouse_url = synced
    for name in ("acme", "globex", "initech"):
        url, schema = site_location(warehouse_url, None, name)
        warehouse = WarehouseResource(url=url, schema_name=schema)
        assert_warehouse_equals_ground_truth(warehouse, four_sites[name].ground_truth())
        warehouse.dispose()


def test_the_command_fails_naming_the_broken_site_and_only_it(synced):
    outcome, _ = synced
    assert outcome.returncode == 1, outcome.output[-4000:]
    verdict = [line for line in outcome.stderr.splitlines() if "did not sync" in line]
    assert len(verdict) == 1 and "broken" in verdict[0], outcome.stderr[-2000:]
    assert not any(name in verdict[0] for name in ("acme", "globex", "initech"))


def test_each_site_prints_its_own_summary_and_its_own_cause(synced):
    outcome, _ = synced
    for name in SITES:
        assert any(
            line.startswith(name) and "Sync summary" in line for line in outcome.stdout.splitlines()
        ), outcome.stdout[-4000:]
    broken_lines = [line for line in outcome.stdout.splitlines() if line.startswith("broken")]
    assert any("THINKIFIC_API_KEY" in line or "key" in line.lower() for line in broken_lines)
    assert "Traceback" not in outcome.output


def test_no_key_appears_in_anything_the_command_printed(four_sites, synced):
    outcome, _ = synced
    for server in four_sites.values():
        assert server.config.api_key not in outcome.output
        assert server.config.access_token not in outcome.output
