"""`python -m simulator` starts a server on a free port, prints how to reach it, stops cleanly."""

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


def test_help_prints_the_defaults():
    result = subprocess.run(
        [sys.executable, "-m", "simulator", "--help"],
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "200"},  # no wrapping inside values such as sim-api-key
        capture_output=True,
        text=True,
        check=True,
    )
    for default in ("default: 500", "default: 120", "default: sim-api-key", "default: 8765"):
        assert default in result.stdout


def test_cli_serves_on_a_free_port_and_exits_cleanly_on_sigterm():
    command = [sys.executable, "-m", "simulator", "--port", "0", "--users", "40", "--groups", "2"]
    command += ["--courses", "3", "--bundles", "1", "--enrollments", "50"]
    command += ["--api-key", "cli-key", "--subdomain", "cli-site", "--requests-per-minute", "30"]
    server = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        banner = server.stdout.readline()
        base_url = re.search(r"(http://\S+/api/public/v1)", banner).group(1)
        credentials = "".join(server.stdout.readline() for _ in range(3))
        assert "cli-key" in credentials
        assert "cli-site" in credentials
        headers = {"X-Auth-API-Key": "cli-key", "X-Auth-Subdomain": "cli-site"}
        body = requests.get(f"{base_url}/users", headers=headers, timeout=5).json()
        assert body["meta"]["pagination"]["total_items"] == 40
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=10) == 0
    finally:
        server.kill()
        server.wait()
