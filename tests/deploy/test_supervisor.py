"""The supervisor behind the UI and deployment commands: every child stops with it, within a
bound, even when the supervisor is killed outright, and a dead child stops the rest."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipelines.commands import process_groups
from pipelines.commands.process_groups import KILL_TIMEOUT_SECONDS, STOP_TIMEOUT_SECONDS, watch
from pipelines.commands.supervisor import ChildExited, Supervisor
from tests.process_tree import process_tree, running, wait_until_gone

ROOT = Path(__file__).resolve().parents[2]
STOP_BOUND = STOP_TIMEOUT_SECONDS + KILL_TIMEOUT_SECONDS + 0.5  # and a moment to poll


def _pid_in(path: Path) -> int:
    """The pid written to the file, 0 until it is there."""
    text = path.read_text().strip() if path.exists() else ""
    return int(text) if text else 0


def _spawner(pid_file: Path, prelude: str = "") -> list[str]:
    """A shell that starts a grandchild and writes its pid to `pid_file`."""
    return ["sh", "-c", f"{prelude}sleep 300 & echo $! > {pid_file}; wait"]


def test_stopping_ends_each_child_and_the_processes_it_started(tmp_path):
    pid_file = tmp_path / "grandchild.pid"

    with Supervisor(cwd=tmp_path) as supervisor:
        supervisor.start("spawner", _spawner(pid_file))
        supervisor.start("sleeper", ["sleep", "300"])
        supervisor.wait_until_ready("spawner", lambda: _pid_in(pid_file), timeout=10)
        grandchild = _pid_in(pid_file)

    assert not running({grandchild})


def test_what_ignores_sigterm_is_killed_once_the_stop_timeout_has_passed(tmp_path, monkeypatch):
    monkeypatch.setattr(process_groups, "STOP_TIMEOUT_SECONDS", 0.5)
    pid_file = tmp_path / "grandchild.pid"

    with Supervisor(cwd=tmp_path) as supervisor:
        supervisor.start("stubborn", _spawner(pid_file, prelude="trap '' TERM; "))
        supervisor.wait_until_ready("stubborn", lambda: _pid_in(pid_file), timeout=10)
        grandchild = _pid_in(pid_file)
        stopping = time.monotonic()

    assert not running({grandchild})
    assert 0.5 <= time.monotonic() - stopping < 0.5 + KILL_TIMEOUT_SECONDS + 0.5


def test_a_child_that_exits_ends_the_supervision_with_its_status(tmp_path):
    with pytest.raises(ChildExited) as exited, Supervisor(cwd=tmp_path) as supervisor:
        supervisor.start("sleeper", ["sleep", "300"])
        supervisor.start("failing", [sys.executable, "-c", "raise SystemExit(3)"])
        supervisor.wait()

    assert exited.value.returncode == 3


SUPERVISE = """
import sys
from pipelines.commands.supervisor import Supervisor
with Supervisor(cwd=".") as supervisor:
    supervisor.start("child", sys.argv[1:])
    print("ready", flush=True)
    try:
        supervisor.wait()
    except KeyboardInterrupt:
        print("stopped", flush=True)
"""
DAGSTER_LIKE_CHILD = (
    # Like Dagster's processes: SIGTERM does whatever SIGINT does.
    "import signal, time; "
    "signal.signal(signal.SIGTERM, signal.getsignal(signal.SIGINT)); time.sleep(300)"
)


def _supervising(child: list[str], **options) -> subprocess.Popen[str]:
    """A process supervising `child`, once it says it is ready."""
    supervisor = subprocess.Popen(
        [sys.executable, "-c", SUPERVISE, *child],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        **options,
    )
    assert supervisor.stdout is not None
    assert "ready\n" in iter(supervisor.stdout.readline, "")
    return supervisor


def test_ctrl_c_stops_the_children_and_the_watchdog_even_when_started_with_ctrl_c_ignored():
    # A shell starts background jobs with SIGINT ignored; the children must not inherit that.
    supervisor = _supervising(
        [sys.executable, "-c", DAGSTER_LIKE_CHILD],
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    time.sleep(1)  # the child sets its handlers up
    tree = process_tree(supervisor.pid)

    started = time.monotonic()
    supervisor.send_signal(signal.SIGINT)
    output, _ = supervisor.communicate(timeout=30)

    assert "stopped" in output
    assert time.monotonic() - started < STOP_TIMEOUT_SECONDS, "the child had to be killed"
    assert len(tree) == 3  # the supervisor, its watchdog and the child
    assert not running(tree)


def test_a_killed_supervisors_watchdog_stops_the_children_and_what_they_started(tmp_path):
    pid_file = tmp_path / "grandchild.pid"
    supervisor = _supervising(_spawner(pid_file))
    while not _pid_in(pid_file):
        time.sleep(0.05)
    tree = process_tree(supervisor.pid)

    supervisor.kill()
    supervisor.wait()

    assert len(tree) == 4  # the supervisor, its watchdog, the shell and its sleep
    assert _pid_in(pid_file) in tree
    assert wait_until_gone(tree, timeout=STOP_BOUND) < STOP_TIMEOUT_SECONDS


def test_a_dismissed_watchdog_leaves_the_groups_alone():
    sleeper = subprocess.Popen(["sleep", "300"], start_new_session=True)
    try:
        watch([f"{sleeper.pid}\n", f"{process_groups.DISMISSAL}\n"])

        assert running({sleeper.pid})
    finally:
        sleeper.kill()
        sleeper.wait()


def test_a_group_left_with_only_unreaped_processes_counts_as_stopped():
    exited = subprocess.Popen(["true"], start_new_session=True)
    deadline = time.monotonic() + 10
    while running({exited.pid}) and time.monotonic() < deadline:
        time.sleep(0.01)  # until it has exited: a zombie until waited for, as orphans until init
    try:
        started = time.monotonic()
        process_groups.stop_groups([exited.pid])
        assert time.monotonic() - started < 1.0, "the stop waited on a zombie"
    finally:
        exited.wait()
