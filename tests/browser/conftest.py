"""Fixtures of the browser tests: Debian's Chromium driven by Playwright, and the UI command.

The browser is the system's `/usr/bin/chromium` (Playwright's own browser download is never
used). When it is missing and the tests run as root, `scripts/install-browser` installs it from
Debian's packages; where that is impossible the tests skip saying why, except under CI=true,
where a browser test may not skip.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import requests

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
INSTALL_BROWSER = ROOT / "scripts" / "install-browser"
INSTALL_TIMEOUT_SECONDS = 600
ARTIFACTS = ROOT / "tests" / "artifacts" / "browser"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
UI_READY_QUERY = "{ assetNodes { assetKey { path } } }"
UI_START_TIMEOUT_SECONDS = 150


def _cannot_run(reason: str) -> None:
    """Skip, or fail under CI=true: CI must run the browser tests."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but the browser test cannot run: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium_executable() -> Path:
    """Debian's Chromium, installed with scripts/install-browser if it is missing."""
    if CHROMIUM.exists():
        return CHROMIUM
    if os.geteuid() != 0:
        _cannot_run(
            f"{CHROMIUM} is missing and installing it needs root: run "
            "`sudo scripts/install-browser` (apt-get install -y chromium)"
        )
    if shutil.which("apt-get") is None:
        _cannot_run(f"{CHROMIUM} is missing and there is no apt-get to install it with")
    try:
        result = subprocess.run(
            [str(INSTALL_BROWSER)],
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT_SECONDS,
        )
    except subprocess.TimeoutExpired:
        _cannot_run(f"installing chromium took over {INSTALL_TIMEOUT_SECONDS} s")
    if result.returncode != 0 or not CHROMIUM.exists():
        output = (result.stdout + result.stderr).strip()[-2000:]
        _cannot_run(f"scripts/install-browser could not install chromium:\n{output}")
    return CHROMIUM


@pytest.fixture(scope="session")
def playwright_api():
    """Playwright's sync API (its driver ships in the wheel; no browser is downloaded)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _cannot_run("the playwright package is not installed (uv sync installs the dev group)")
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture
def browser(playwright_api, chromium_executable: Path) -> Iterator[BrowserContext]:
    """Headless Chromium with a new, empty profile, speaking only to 127.0.0.1."""
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        context = playwright_api.chromium.launch_persistent_context(
            profile,
            executable_path=str(chromium_executable),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1920, "height": 1200},
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def page(browser: BrowserContext) -> Page:
    page = browser.pages[0] if browser.pages else browser.new_page()
    # The first visit to a new Dagster instance shows a "Join the Dagster community" dialog;
    # dismiss it whenever it stands in the way, as a person would.
    page.add_locator_handler(
        page.get_by_role("button", name="Skip", exact=True), lambda skip: skip.click()
    )
    return page


@pytest.fixture
def artifacts() -> Path:
    """tests/artifacts/browser/ (gitignored), emptied of the previous run's screenshots."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    return ARTIFACTS


@dataclass(frozen=True)
class DagsterUI:
    url: str
    warehouse_url: str
    log: Path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_serving(url: str, ui: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + UI_START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if ui.poll() is not None:
            raise AssertionError(f"the UI command exited ({ui.returncode}); see {log}")
        try:
            answer = requests.post(f"{url}/graphql", json={"query": UI_READY_QUERY}, timeout=5)
            if answer.ok and answer.json().get("data", {}).get("assetNodes"):
                return
        except (requests.ConnectionError, requests.Timeout, ValueError):
            pass
        time.sleep(1)
    raise AssertionError(f"the Dagster UI did not serve the asset graph in time; see {log}")


@pytest.fixture
def dagster_ui(tmp_path: Path, artifacts: Path) -> Iterator[DagsterUI]:
    """The README's UI command on a free port, on the demo simulator (no THINKIFIC_* set), with
    DAGSTER_HOME and the warehouse in tmp_path; its whole process group is killed at teardown."""
    port = _free_port()
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    warehouse_url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("THINKIFIC_")}
    env["DAGSTER_HOME"] = str(home)
    env["WAREHOUSE_URL"] = warehouse_url
    # The UI command runs `dagster dev` by name: the interpreter's own scripts come first.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    log = artifacts / "ui.log"
    with log.open("w") as output:
        ui = subprocess.Popen(
            [sys.executable, "-m", "pipelines.ui", "-h", "127.0.0.1", "-p", str(port)],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(url, ui, log)
        yield DagsterUI(url=url, warehouse_url=warehouse_url, log=log)
    finally:
        _stop_process_group(ui)


def _stop_process_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    # `dagster dev` may leave children behind its exit: end whatever is left of the group.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
