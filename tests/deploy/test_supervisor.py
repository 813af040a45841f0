"""The supervisor behind the deployment command: every child stops with it, and a dead child
stops the rest."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipelines.supervisor import ChildExited, Supervisor

ROOT = Path(__file__).resolve().parents[2]


def _is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _pid_in(path: Path) -> int:
    """The pid written to the file, 0 until it is there."""
    text = path.read_text().strip() if path.exists() else ""
    return int(text) if text else 0


def test_stopping_ends_each_child_and_the_processes_it_started(tmp_path):
    grandchild_pid_file = tmp_path / "grandchild.pid"
    spawner = f"sleep 300 & echo $! > {grandchild_pid_file}; wait"

    with Supervisor(cwd=tmp_path) as supervisor:
        supervisor.start("spawner", ["sh", "-c", spawner])
        supervisor.start("sleeper", ["sleep", "300"])
        supervisor.wait_until_ready("spawner", lambda: _pid_in(grandchild_pid_file), timeout=10)
        grandchild = _pid_in(grandchild_pid_file)

    assert not _is_running(grandchild)


def test_a_child_that_exits_ends_the_supervision_with_its_status(tmp_path):
    with pytest.raises(ChildExited) as exited, Supervisor(cwd=tmp_path) as supervisor:
        supervisor.start("sleeper", ["sleep", "300"])
        supervisor.start("failing", [sys.executable, "-c", "raise SystemExit(3)"])
        supervisor.wait()

    assert exited.value.returncode == 3


SUPERVISE_A_DAGSTER_LIKE_CHILD = """
import sys
from pipelines.supervisor import Supervisor
# Like Dagster's processes: SIGTERM does whatever SIGINT does.
child = (
    "import signal, time; "
    "signal.signal(signal.SIGTERM, signal.getsignal(signal.SIGINT)); time.sleep(300)"
)
with Supervisor(cwd=".") as supervisor:
    supervisor.start("child", [sys.executable, "-c", child])
    print("ready", flush=True)
    try:
        supervisor.wait()
    except KeyboardInterrupt:
        print("stopped", flush=True)
"""


def test_ctrl_c_stops_the_children_even_when_started_with_ctrl_c_ignored():
    # A shell starts background jobs with SIGINT ignored; the children must not inherit that.
    supervisor = subprocess.Popen(
        [sys.executable, "-c", SUPERVISE_A_DAGSTER_LIKE_CHILD],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    assert supervisor.stdout is not None
    assert "ready\n" in iter(supervisor.stdout.readline, "")
    time.sleep(1)  # the child sets its handlers up

    started = time.monotonic()
    supervisor.send_signal(signal.SIGINT)
    output, _ = supervisor.communicate(timeout=30)

    assert "stopped" in output
    assert time.monotonic() - started < 10, "the child ignored SIGTERM and had to be killed"
