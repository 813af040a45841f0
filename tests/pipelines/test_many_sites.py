"""The main command with a sites file, run as a user runs it: every site synced at once into its
own place of the warehouse, a broken site named, the others loaded."""

import pytest
from dagster import AssetKey, DagsterInstance

from tests.faults.harness import PATIENCE, command_environment, run_sync
from tests.pipelines.ground_truth import assert_warehouse_equals_ground_truth
from tests.sites.simulated import simulated_sites, site_keys, site_warehouse_at, write_sites_file

SITES = ("acme", "globex", "initech", "broken")


@pytest.fixture(scope="module")
def four_sites():
    with simulated_sites(SITES) as servers:
        yield servers


@pytest.fixture(scope="module")
def synced(four_sites, tmp_path_factory):
    """One run of the main command over the four sites, which every test of the module reads."""
    tmp_path = tmp_path_factory.mktemp("many_sites")
    warehouse_url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    sites = write_sites_file(tmp_path / "sites.yaml", four_sites, with_tokens=True)
    settings = {"THINKIFIC_SITES_FILE": str(sites), **site_keys(four_sites, wrong={"broken"})}
    env = command_environment(tmp_path / "home", warehouse_url, settings | PATIENCE)
    return run_sync(env, timeout=240), warehouse_url, tmp_path / "home"


def test_every_working_site_holds_exactly_its_own_ground_truth(four_sites, synced):
    _, warehouse_url, _ = synced
    for name in ("acme", "globex", "initech"):
        warehouse = site_warehouse_at(warehouse_url, name)
        assert_warehouse_equals_ground_truth(warehouse, four_sites[name].ground_truth())
        warehouse.dispose()


def test_the_command_fails_naming_the_broken_site_and_only_it(synced):
    outcome, _, _ = synced
    assert outcome.returncode == 1, outcome.output[-4000:]
    verdict = [line for line in outcome.stderr.splitlines() if "did not sync" in line]
    assert len(verdict) == 1 and "broken" in verdict[0], outcome.stderr[-2000:]
    assert not any(name in verdict[0] for name in ("acme", "globex", "initech"))


def test_each_site_prints_its_own_summary_and_its_own_cause(synced):
    outcome, _, _ = synced
    for name in SITES:
        assert any(
            line.startswith(name) and "Sync summary" in line for line in outcome.stdout.splitlines()
        ), outcome.stdout[-4000:]
    broken_lines = [line for line in outcome.stdout.splitlines() if line.startswith("broken")]
    # The advice names the site's own variable and entry, not the single-site settings.
    assert any(
        "Check BROKEN_KEY and the subdomain of site 'broken' of the sites file (line" in line
        for line in broken_lines
    ), "\n".join(broken_lines)
    assert "Traceback" not in outcome.output


def test_no_key_appears_in_anything_the_command_printed(four_sites, synced):
    outcome, _, _ = synced
    for server in four_sites.values():
        assert server.config.api_key not in outcome.output
        assert server.config.access_token not in outcome.output


def test_each_sites_run_is_recorded_as_its_partition_for_the_ui(synced):
    _, _, home = synced
    with DagsterInstance.from_config(str(home)) as instance:
        loaded = instance.get_materialized_partitions(AssetKey(["thinkific", "users"]))
        runs = instance.get_runs()
    assert loaded == {"acme", "globex", "initech"}
    assert sorted(run.tags.get("dagster/partition") for run in runs) == sorted(SITES)
