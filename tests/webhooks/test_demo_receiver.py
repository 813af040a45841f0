"""The receiver command on the demo path: with neither THINKIFIC_API_KEY nor
THINKIFIC_WEBHOOK_SECRET set it verifies with the demo simulator's key, so the README's sender,
run with its defaults, lands its events."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.commands.webhooks import DEMO_KEY_NOTICE
from receiver.app import WEBHOOK_PATH
from resources.warehouse import WarehouseResource
from resources.webhooks.store import WebhookStore
from tests.faults.harness import ROOT, command_environment
from tests.webhooks.receiver_command import receiver_command

README_SENDER_FLAGS = ["--count", "20", "--duplicates", "5", "--reorder", "--tamper", "2"]


def _warehouse_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'warehouse.db'}"


def _environment(tmp_path: Path, **site: str) -> dict[str, str]:
    """No Thinkific or warehouse setting of this process; `site`; the warehouse in `tmp_path`."""
    return command_environment(tmp_path / "home", _warehouse_url(tmp_path), site)


def _send(url: str) -> dict[int, int]:
    """The README's sender command, run with its defaults: how many answers of each status."""
    sent = subprocess.run(
        [sys.executable, "-m", "simulator.webhooks", url, *README_SENDER_FLAGS],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return ast.literal_eval(sent.stdout.partition(" events: ")[2])


def test_with_no_key_set_the_senders_events_land_once_each_and_tampered_ones_are_refused(
    tmp_path,
):
    with receiver_command(_environment(tmp_path), WEBHOOK_PATH) as receiver:
        answers = _send(receiver.base_url + WEBHOOK_PATH)
    stored = WebhookStore(WarehouseResource(url=_warehouse_url(tmp_path))).after(0, limit=100)
    assert answers == {200: 20 + 5, 401: 2}
    assert len(stored) == len({event.id for event in stored}) == 20


@pytest.mark.parametrize(
    "site",
    [{}, {"THINKIFIC_API_KEY": "", "THINKIFIC_WEBHOOK_SECRET": ""}],
    ids=["unset", "empty"],
)
def test_with_no_key_set_the_receiver_says_it_verifies_with_the_demo_simulators_key(site, tmp_path):
    with receiver_command(_environment(tmp_path, **site), WEBHOOK_PATH) as receiver:
        pass
    assert receiver.output.count(DEMO_KEY_NOTICE) == 1, receiver.output
    assert f"into {_warehouse_url(tmp_path)}," in receiver.output


def test_with_a_key_set_the_receiver_says_nothing_of_the_demo(tmp_path):
    env = _environment(tmp_path, THINKIFIC_API_KEY="a-key")
    with receiver_command(env, WEBHOOK_PATH) as receiver:
        pass
    assert "Receiving webhooks on" in receiver.output
    assert DEMO_KEY_NOTICE not in receiver.output
