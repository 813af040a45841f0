"""The receiver command, `python -m pipelines.webhooks`, started as a user starts it."""

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import requests

from tests.deploy.deployment import free_port
from tests.faults.harness import ROOT

STARTUP_SECONDS = 60


@dataclass
class ReceiverCommand:
    base_url: str
    """`http://127.0.0.1:<port>`, to which the paths the command prints are relative."""
    output: str = ""
    """What it printed (stdout and stderr), read once it has stopped."""


def wait_until_serving(process: subprocess.Popen, url: str) -> None:
    """Returns once the receiver `process` answers a POST to `url`."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the receiver exited with status {process.returncode}"
        try:
            requests.post(url, data=b"{}", timeout=2)
            return
        except requests.ConnectionError:
            time.sleep(0.2)
    raise AssertionError("the receiver did not start")


def spawn_receiver(env: dict[str, str], port: int) -> subprocess.Popen:
    """`python -m pipelines.webhooks` on `port`, its output (both streams) on a pipe."""
    return subprocess.Popen(
        [sys.executable, "-m", "pipelines.webhooks", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@contextmanager
def receiver_command(env: dict[str, str], path: str) -> Iterator[ReceiverCommand]:
    """The command on a free port with `env`, serving `path` for the duration of the block."""
    port = free_port()
    process = spawn_receiver(env, port)
    receiver = ReceiverCommand(f"http://127.0.0.1:{port}")
    try:
        wait_until_serving(process, receiver.base_url + path)
        yield receiver
    finally:
        process.terminate()
        receiver.output = process.communicate(timeout=30)[0]
