"""`python -m simulator` starts a server on a free port, prints how to reach it, stops cleanly."""

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from simulator.__main__ import main

ROOT = Path(__file__).resolve().parents[2]
HEADERS = {"X-Auth-API-Key": "sim-api-key", "X-Auth-Subdomain": "sim-site"}


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


@contextmanager
def _serving(*flags: str) -> Iterator[tuple[subprocess.Popen, str]]:
    """`python -m simulator --port 0 <flags>` running, and the REST base URL its banner names;
    killed on the way out if it is still running."""
    command = [sys.executable, "-m", "simulator", "--port", "0", *flags]
    server = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        banner = server.stdout.readline()
        yield server, re.search(r"(http://\S+/api/public/v1)", banner).group(1)
    finally:
        server.kill()
        server.wait()


def test_cli_serves_on_a_free_port_and_exits_cleanly_on_sigterm():
    flags = ["--users", "40", "--groups", "2", "--courses", "3", "--bundles", "1"]
    flags += ["--enrollments", "50", "--api-key", "cli-key", "--subdomain", "cli-site"]
    with _serving(*flags, "--requests-per-minute", "30") as (server, base_url):
        credentials = "".join(server.stdout.readline() for _ in range(3))
        assert "cli-key" in credentials
        assert "cli-site" in credentials
        headers = {"X-Auth-API-Key": "cli-key", "X-Auth-Subdomain": "cli-site"}
        body = requests.get(f"{base_url}/users", headers=headers, timeout=5).json()
        assert body["meta"]["pagination"]["total_items"] == 40
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=10) == 0


def test_cli_latency_flags_delay_every_answer():
    with _serving("--latency-ms", "300", "--latency-jitter-ms", "100") as (_, base_url):
        started = time.monotonic()
        requests.get(f"{base_url}/users", headers=HEADERS, timeout=5).raise_for_status()
        assert time.monotonic() - started >= 0.3


def test_cli_rejects_a_negative_latency_with_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--latency-ms", "-1"])
    assert exited.value.code == 2
    assert "latency_ms must not be negative" in capsys.readouterr().err
