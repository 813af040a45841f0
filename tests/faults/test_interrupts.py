"""Stopping `make sync` mid-run, as a service manager (SIGTERM) or a terminal (Ctrl-C) does.

The command stops the running step, records the run as failed, prints the summary and exits;
every process it started (make, uv, python, Dagster's log tailers) is gone within seconds, and a
rerun ends with tables equal to the site's.
"""

import os
import signal
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
    session_processes,
    site_environment,
    wait_until_gone,
)
from tests.pipelines.ground_truth import assert_warehouse_equals_ground_truth

GONE_WITHIN_SECONDS = 10
REQUESTS_BEFORE_THE_SIGNAL = 8
SLOW_SITE = replace(FAULT_SITE, requests_per_minute=60)
"""Thinkific's limit halved, so the sync is still reading when the signal comes."""


def _signal_mid_sync(
    server: SimulatorServer, tmp_path, send
) -> tuple[subprocess.CompletedProcess, float]:
    env = command_environment(
        tmp_path / "home", f"sqlite:///{tmp_path / 'warehouse.db'}", site_environment(server)
    )
    make = subprocess.Popen(
        ["make", "sync"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while server.stats.snapshot()["served"] < REQUESTS_BEFORE_THE_SIGNAL:
        assert make.poll() is None and time.monotonic() < deadline, "the sync did not get going"
        time.sleep(0.1)
    assert len(session_processes(make.pid)) >= 3  # make, uv, python (and Dagster's tailers)
    send(make.pid)
    gone = wait_until_gone(make.pid, GONE_WITHIN_SECONDS)
    stdout, stderr = make.communicate(timeout=5)
    return subprocess.CompletedProcess(make.args, make.returncode, stdout, stderr), gone


@pytest.mark.parametrize(
    "send",
    [
        pytest.param(lambda pid: os.kill(pid, signal.SIGTERM), id="SIGTERM to make"),
        pytest.param(lambda pid: os.killpg(pid, signal.SIGINT), id="Ctrl-C to the terminal"),
    ],
)
def test_a_signal_mid_sync_stops_everything_and_the_rerun_completes(send, tmp_path):
    with SimulatorServer(SLOW_SITE, host="127.0.0.1", port=0) as server:
        stopped, seconds = _signal_mid_sync(server, tmp_path, send)
        output = stopped.stdout + stopped.stderr
        assert output.count(BY_NAME["Stopped with Ctrl-C or SIGTERM"].says) == 1, output[-3000:]
        assert "Error 130" in stopped.stderr and "Sync summary" in stopped.stdout
        assert "Traceback" not in output
        assert seconds < GONE_WITHIN_SECONDS

        env = command_environment(
            tmp_path / "home", f"sqlite:///{tmp_path / 'warehouse.db'}", site_environment(server)
        )
        rerun = run_sync(env)
        assert rerun.returncode == 0, rerun.output[-3000:]
        truth = server.ground_truth()
    warehouse = WarehouseResource(url=f"sqlite:///{tmp_path / 'warehouse.db'}")
    assert_warehouse_equals_ground_truth(warehouse, truth)
