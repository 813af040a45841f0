"""`make sync` over a sites file, stopped mid-run as a service manager (SIGTERM) or a terminal
(Ctrl-C) stops it: every site's process is gone within the bound, the command says it was
interrupted, and the rerun completes every site."""

import pytest

from tests.faults.harness import SLOW_SITE, command_environment, run_sync, stop_mid_sync
from tests.pipelines.ground_truth import assert_warehouse_equals_ground_truth
from tests.process_tree import STOP_BOUND_SECONDS, STOPS
from tests.sites.simulated import simulated_sites, site_warehouse_at, sites_environment

pytestmark = pytest.mark.slow

REQUESTS_BEFORE_THE_SIGNAL = 6


@pytest.mark.parametrize("stop", STOPS)
def test_a_stop_mid_sync_of_every_site_ends_every_process_and_the_rerun_completes(stop, tmp_path):
    with simulated_sites(("north", "south"), SLOW_SITE) as servers:
        warehouse_url = f"sqlite:///{tmp_path / 'warehouse.db'}"
        env = command_environment(
            tmp_path / "home", warehouse_url, sites_environment(tmp_path, servers)
        )
        stopped, seconds, tree = stop_mid_sync(
            list(servers.values()), env, stop, REQUESTS_BEFORE_THE_SIGNAL
        )
        stdout, stderr = stopped.stdout, stopped.stderr

        assert len(tree) >= 4 and seconds < STOP_BOUND_SECONDS  # make, the command, two sites
        assert "Traceback" not in stdout + stderr, (stdout + stderr)[-4000:]
        assert "Sites that did not sync: north (interrupted), south (interrupted)" in stderr
        assert "Error 130" in stderr

        rerun = run_sync(env, timeout=240)
        assert rerun.returncode == 0, rerun.output[-3000:]
        for name, server in servers.items():
            warehouse = site_warehouse_at(warehouse_url, name)
            assert_warehouse_equals_ground_truth(warehouse, server.ground_truth())
            warehouse.dispose()
