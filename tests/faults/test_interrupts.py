"""Stopping `make sync` mid-run, as a service manager (SIGTERM) or a terminal (Ctrl-C) does.

The command stops the running step, records the run as failed, prints the summary and exits;
every process it started is gone within seconds, and a rerun ends with tables equal to the
site's.
"""

import subprocess
import time
from dataclasses import replace

import pytest

from resources.warehouse import WarehouseResource
from simulator import SimulatorServer
from tests.faults.catalogue import BY_NAME
from tests.faults.harness import (
    FAULT_SITE,
    ROOT,
    command_environment,
    run_sync,
    site_environment,
)
from tests.pipelines.ground_truth import assert_warehouse_equals_ground_truth
from tests.process_tree import STOP_BOUND_SECONDS, STOPS, Stop, make, process_tree, wait_until_gone

pytestmark = pytest.mark.slow

REQUESTS_BEFORE_THE_SIGNAL = 8
SLOW_SITE = replace(FAULT_SITE, requests_per_minute=60)
"""Thinkific's limit halved, so the sync is still reading when the signal comes."""


def _stop_mid_sync(server: SimulatorServer, env: dict[str, str], stop: Stop):
    """`make sync` stopped once the site has served a few requests: (its output, the seconds
    until the last of its processes was gone, how many processes it had)."""
    command = subprocess.Popen(
        make("sync", ""),
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while server.stats.snapshot()["served"] < REQUESTS_BEFORE_THE_SIGNAL:
        assert command.poll() is None and time.monotonic() < deadline, "the sync did not start"
        time.sleep(0.1)
    tree = process_tree(command.pid)
    stop(command.pid)
    seconds = wait_until_gone(tree)
    stdout, stderr = command.communicate(timeout=5)
    ended = subprocess.CompletedProcess(command.args, command.returncode, stdout, stderr)
    return ended, seconds, tree


@pytest.mark.parametrize("stop", STOPS)
def test_a_stop_mid_sync_ends_every_process_and_the_rerun_completes(stop, tmp_path):
    database = tmp_path / "warehouse.db"
    with SimulatorServer(SLOW_SITE, host="127.0.0.1", port=0) as server:
        site = site_environment(server)
        env = command_environment(tmp_path / "home", f"sqlite:///{database}", site)
        stopped, seconds, tree = _stop_mid_sync(server, env, stop)
        output = stopped.stdout + stopped.stderr
        assert output.count(BY_NAME["Stopped with Ctrl-C or SIGTERM"].says) == 1, output[-3000:]
        assert "Error 130" in stopped.stderr and "Sync summary" in stopped.stdout
        assert "Traceback" not in output, output[-6000:]
        assert len(tree) >= 2 and seconds < STOP_BOUND_SECONDS  # make, python

        rerun = run_sync(env)
        assert rerun.returncode == 0, rerun.output[-3000:]
        truth = server.ground_truth()
    assert_warehouse_equals_ground_truth(WarehouseResource(url=f"sqlite:///{database}"), truth)
