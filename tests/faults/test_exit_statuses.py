"""The exit statuses a cron job or a service manager sees, through the commands the README gives.

`scripts/sync` exits with the main command's own status (0 ok, 1 a step failed, 2 a setting is
unusable, 130 stopped); `make sync` runs it, but GNU make cannot pass a recipe's status on: it
exits 2 for any failure, after printing the command's own message and the recipe's status.
"""

from pathlib import Path

import pytest

from simulator import Fault as SimulatedFault
from simulator import SimulatorServer
from tests.faults.catalogue import BY_NAME
from tests.faults.harness import (
    SCRIPTS_SYNC,
    SLOW_SITE,
    Outcome,
    command_environment,
    run_command,
    site_environment,
    stop_mid_sync,
)
from tests.process_tree import STOP_BOUND_SECONDS, STOPS, make

pytestmark = pytest.mark.slow

WRONG_KEY = BY_NAME["Wrong API key or subdomain, or a plan without API access"]
NOT_A_NUMBER = BY_NAME["A setting that is not a number"]
STOPPED = BY_NAME["Stopped with Ctrl-C or SIGTERM"]
MAKE_FAILED = 2
"""GNU make's own status when a recipe fails, whatever the recipe's."""
REQUESTS_BEFORE_THE_SIGNAL = 8


def _environment(server: SimulatorServer, tmp_path: Path, **overrides: str) -> dict[str, str]:
    site = site_environment(server, **overrides)
    return command_environment(tmp_path / "home", f"sqlite:///{tmp_path / 'warehouse.db'}", site)


def test_scripts_sync_exits_1_when_a_step_failed(fault_site, tmp_path):
    env = _environment(fault_site, tmp_path, THINKIFIC_API_KEY="WRONG")
    run_command(SCRIPTS_SYNC, env).assert_clear_failure(WRONG_KEY)


def test_scripts_sync_exits_2_when_a_setting_is_unusable(fault_site, tmp_path):
    env = _environment(fault_site, tmp_path, THINKIFIC_REQUESTS_PER_MINUTE="abc")
    run_command(SCRIPTS_SYNC, env).assert_clear_failure(NOT_A_NUMBER)


@pytest.mark.parametrize("stop", STOPS)
def test_scripts_sync_exits_130_when_stopped_mid_sync(stop, tmp_path):
    with SimulatorServer(SLOW_SITE, host="127.0.0.1", port=0) as server:
        # The GraphQL step, the run's last, answers late: the stop lands mid-sync however slowly
        # a loaded machine delivers it (without this the sync could end first, exit 0).
        server.faults.add(SimulatedFault(endpoint="graphql", kind="latency", latency_ms=30_000))
        env = _environment(server, tmp_path)
        stopped, seconds, _ = stop_mid_sync(
            [server], env, stop, REQUESTS_BEFORE_THE_SIGNAL, command_line=SCRIPTS_SYNC
        )
    Outcome(stopped.returncode, stopped.stdout, stopped.stderr, seconds).assert_clear_failure(
        STOPPED
    )
    assert seconds < STOP_BOUND_SECONDS


@pytest.mark.parametrize(
    ("setting", "fault", "command_status"),
    [
        ({"THINKIFIC_API_KEY": "WRONG"}, WRONG_KEY, 1),
        ({"THINKIFIC_REQUESTS_PER_MINUTE": "abc"}, NOT_A_NUMBER, 2),
    ],
    ids=["failed_step", "unusable_setting"],
)
def test_make_sync_exits_2_after_the_commands_message_and_status(
    setting, fault, command_status, fault_site, tmp_path
):
    env = _environment(fault_site, tmp_path, **setting)
    outcome = run_command(make("sync", ""), env)
    assert outcome.returncode == MAKE_FAILED, outcome.output[-3000:]
    assert outcome.output.count(fault.says) == 1, outcome.output[-3000:]
    assert f"] Error {command_status}\n" in outcome.stderr
