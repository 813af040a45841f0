"""Stopping `make sync` mid-run, as a service manager (SIGTERM) or a terminal (Ctrl-C) does.

The command stops the running step, records the run as failed, prints the summary (its requests
those the site received) and exits;
every process it started is gone within seconds, and a rerun ends with tables equal to the
site's.
"""

import pytest

from resources.warehouse import WarehouseResource
from simulator import SimulatorServer
from tests.faults.catalogue import BY_NAME
from tests.faults.harness import (
    SLOW_SITE,
    command_environment,
    requests_received,
    run_sync,
    site_environment,
    stop_mid_sync,
    summary_total_requests,
)
from tests.pipelines.ground_truth import assert_warehouse_equals_ground_truth
from tests.process_tree import STOP_BOUND_SECONDS, STOPS

pytestmark = pytest.mark.slow

REQUESTS_BEFORE_THE_SIGNAL = 8


@pytest.mark.parametrize("stop", STOPS)
def test_a_stop_mid_sync_ends_every_process_and_the_rerun_completes(stop, tmp_path):
    database = tmp_path / "warehouse.db"
    with SimulatorServer(SLOW_SITE, host="127.0.0.1", port=0) as server:
        site = site_environment(server)
        env = command_environment(tmp_path / "home", f"sqlite:///{database}", site)
        stopped, seconds, tree = stop_mid_sync([server], env, stop, REQUESTS_BEFORE_THE_SIGNAL)
        output = stopped.stdout + stopped.stderr
        assert output.count(BY_NAME["Stopped with Ctrl-C or SIGTERM"].says) == 1, output[-3000:]
        assert "Error 130" in stopped.stderr and "Sync summary" in stopped.stdout
        assert "Traceback" not in output, output[-6000:]
        assert len(tree) >= 2 and seconds < STOP_BOUND_SECONDS  # make, python
        assert summary_total_requests(stopped.stdout) == requests_received(server), output[-3000:]

        rerun = run_sync(env)
        assert rerun.returncode == 0, rerun.output[-3000:]
        truth = server.ground_truth()
    assert_warehouse_equals_ground_truth(WarehouseResource(url=f"sqlite:///{database}"), truth)
