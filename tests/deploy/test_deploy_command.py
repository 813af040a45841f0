"""The deployment command refuses to start beside a server already on its ports: that server
would answer the readiness checks in place of the one being started."""

import socket
import subprocess
import sys
from pathlib import Path

from tests.deploy.deployment import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_the_command_refuses_a_port_already_taken_before_touching_anything(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        command = [
            sys.executable, "-m", "pipelines.deploy", "--home", str(tmp_path / "home"),
            "--port", str(port), "--code-server-port", str(free_port()),
        ]  # fmt: skip
        refused = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)

    assert refused.returncode != 0
    assert f"port {port} of the webserver is taken" in refused.stderr
    assert not (tmp_path / "home").exists()
