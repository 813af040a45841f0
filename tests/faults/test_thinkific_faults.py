"""The main command against a Thinkific that refuses, forbids, fails or vanishes.

Each test runs `python -m pipelines` as a subprocess against a simulated site over HTTP, starting
from a warehouse that one clean sync filled, and checks what the README's table of failures
promises: the exit status, the cause said once with its fix, no traceback, the summary (its
requests those the site received), and the tables unchanged (or, where the sync got part way, a
rerun that ends equal to the site).
"""

import re
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from resources.warehouse import WarehouseResource
from simulator import Fault as SimulatedFault
from simulator import SimulatorServer
from tests.faults.catalogue import BY_NAME
from tests.faults.harness import (
    FAULT_SITE,
    command_environment,
    requests_received,
    run_sync,
    site_environment,
    summary_total_requests,
    table_contents,
)
from tests.pipelines.ground_truth import assert_warehouse_equals_ground_truth

pytestmark = pytest.mark.slow

BOUND_SECONDS = 60
"""Every fault here ends well within this (start-up included) with the short retries."""


def _sync(server: SimulatorServer, database: Path, tmp_path: Path, **site: str):
    env = command_environment(
        tmp_path / "home", f"sqlite:///{database}", site_environment(server, **site)
    )
    return run_sync(env)


def _assert_ends_clearly_and_changes_nothing(outcome, fault_name, before, database):
    outcome.assert_clear_failure(BY_NAME[fault_name])
    assert outcome.seconds < BOUND_SECONDS
    assert table_contents(database) == before


def _empty_tables(database: Path) -> dict[str, list[tuple]]:
    """Every table a failed first sync may have created: each empty."""
    return {name: [] for name in table_contents(database)}


def test_a_wrong_key_fails_once_and_changes_nothing(fault_site, synced_warehouse, tmp_path):
    before = table_contents(synced_warehouse)
    outcome = _sync(fault_site, synced_warehouse, tmp_path, THINKIFIC_API_KEY="WRONG")
    fault = "Wrong API key or subdomain, or a plan without API access"
    _assert_ends_clearly_and_changes_nothing(outcome, fault, before, synced_warehouse)
    # The first 401 ends the run's REST requests: beyond those already on their way with it
    # (the run's first requests go side by side, at most ten at once), nothing is sent.
    statuses = [request["status"] for request in fault_site.stats.snapshot()["requests"]]
    assert set(statuses) == {401} and len(statuses) <= 10
    assert summary_total_requests(outcome.stdout) == requests_received(fault_site)


def test_a_wrong_key_without_a_token_ends_instead_of_hanging(
    fault_site, synced_warehouse, tmp_path
):
    before = table_contents(synced_warehouse)
    outcome = _sync(
        fault_site, synced_warehouse, tmp_path, THINKIFIC_API_KEY="WRONG", THINKIFIC_ACCESS_TOKEN=""
    )
    fault = "Wrong API key or subdomain, or a plan without API access"
    _assert_ends_clearly_and_changes_nothing(outcome, fault, before, synced_warehouse)


def test_a_wrong_subdomain_on_a_new_warehouse_fails_once_with_the_401(fault_site, tmp_path):
    database = tmp_path / "new.db"
    outcome = _sync(
        fault_site, database, tmp_path, THINKIFIC_SUBDOMAIN="nonexistent", THINKIFIC_ACCESS_TOKEN=""
    )
    fault = "Wrong API key or subdomain, or a plan without API access"
    _assert_ends_clearly_and_changes_nothing(outcome, fault, _empty_tables(database), database)


def test_a_wrong_subdomain_on_a_synced_warehouse_is_refused_before_any_request(
    fault_site, synced_warehouse, tmp_path
):
    """The warehouse holds the site's rows: another subdomain is another site, not read."""
    before = table_contents(synced_warehouse)
    outcome = _sync(fault_site, synced_warehouse, tmp_path, THINKIFIC_SUBDOMAIN="nonexistent")
    fault = "A sync of another site than the one the warehouse holds"
    _assert_ends_clearly_and_changes_nothing(outcome, fault, before, synced_warehouse)
    assert "'sim-site'" in outcome.stderr and "'nonexistent'" in outcome.stderr
    assert fault_site.stats.snapshot()["served"] == 0


def test_a_plan_that_forbids_the_api_fails_with_the_403_and_changes_nothing(
    fault_site, synced_warehouse, tmp_path
):
    body = {"error": "Access to Apps is not available on your plan. Upgrade to gain access"}
    fault_site.faults.add(SimulatedFault(kind="status", status=403, body=body))
    before = table_contents(synced_warehouse)
    outcome = _sync(fault_site, synced_warehouse, tmp_path)
    fault = "The plan or the key's scope forbids a call"
    _assert_ends_clearly_and_changes_nothing(outcome, fault, before, synced_warehouse)
    assert "Upgrade to gain access" in outcome.stderr


def test_no_token_skips_certificates_and_quiz_results_and_succeeds(
    fault_site, synced_warehouse, tmp_path
):
    outcome = _sync(fault_site, synced_warehouse, tmp_path, THINKIFIC_ACCESS_TOKEN="")
    fault = BY_NAME["No API access token"]
    assert outcome.returncode == 0, outcome.output[-3000:]
    assert "Traceback" not in outcome.output
    skipped = [line for line in outcome.stdout.splitlines() if fault.says in line]
    assert [line.split()[:2] for line in skipped] == [
        ["thinkific/certificates", "skipped"],
        ["thinkific/quiz_results", "skipped"],
    ]


def test_a_refused_token_fails_the_learning_tables_and_loads_the_rest(
    fault_site, synced_warehouse, tmp_path
):
    """A full read, as the weekly reconciliation's: a nightly read of a site where nobody
    progressed sends no GraphQL query, so it cannot meet the refusal."""
    before = table_contents(synced_warehouse)
    env = command_environment(
        tmp_path / "home",
        f"sqlite:///{synced_warehouse}",
        site_environment(fault_site, THINKIFIC_ACCESS_TOKEN="WRONG"),
    )
    outcome = run_sync(env, extra_args=["--full-refresh"])
    outcome.assert_clear_failure(BY_NAME["API access token refused"])
    assert outcome.seconds < BOUND_SECONDS
    assert table_contents(synced_warehouse) == before
    assert "thinkific/users                  loaded" in outcome.stdout


def test_nothing_answering_at_the_url_fails_naming_the_url(synced_warehouse, tmp_path):
    with SimulatorServer(FAULT_SITE, host="127.0.0.1", port=0) as server:
        site = site_environment(server)
    # Stopped: its port answers nothing now.
    before = table_contents(synced_warehouse)
    env = command_environment(tmp_path / "home", f"sqlite:///{synced_warehouse}", site)
    outcome = run_sync(env)
    _assert_ends_clearly_and_changes_nothing(
        outcome, "Nothing answers at the Thinkific URL", before, synced_warehouse
    )
    # GraphQL's step may be the first to find the site gone; each names its own setting.
    assert re.search(r"check THINKIFIC_(BASE|GRAPHQL)_URL", outcome.stderr)


def test_server_errors_beyond_the_retries_fail_once_and_change_nothing(
    fault_site, synced_warehouse, tmp_path
):
    fault_site.faults.add(SimulatedFault(kind="status", status=503))
    before = table_contents(synced_warehouse)
    outcome = _sync(fault_site, synced_warehouse, tmp_path)
    fault = "Thinkific answers 5xx for longer than the retries"
    _assert_ends_clearly_and_changes_nothing(outcome, fault, before, synced_warehouse)
    assert summary_total_requests(outcome.stdout) == requests_received(fault_site)


def test_thinkific_vanishing_mid_sync_keeps_what_loaded_and_the_rerun_completes(tmp_path):
    database = tmp_path / "warehouse.db"
    # Pages of 100 ms, one at a time: the site goes while the sync is still reading.
    server = SimulatorServer(replace(FAULT_SITE, latency_ms=100), host="127.0.0.1", port=0)
    server.start()
    threading.Thread(target=_stop_after_requests, args=(server, 8), daemon=True).start()
    outcome = _sync(server, database, tmp_path, THINKIFIC_MAX_IN_FLIGHT="1")
    outcome.assert_clear_failure(BY_NAME["Thinkific stops answering during the sync"])
    assert "loaded" in outcome.stdout and outcome.seconds < BOUND_SECONDS

    with SimulatorServer(FAULT_SITE, host="127.0.0.1", port=0) as back:
        rerun = _sync(back, database, tmp_path)
        assert rerun.returncode == 0, rerun.output[-3000:]
        truth = back.ground_truth()
    assert_warehouse_equals_ground_truth(WarehouseResource(url=f"sqlite:///{database}"), truth)


def _stop_after_requests(server: SimulatorServer, requests: int) -> None:
    deadline = time.monotonic() + BOUND_SECONDS
    while server.stats.snapshot()["served"] < requests and time.monotonic() < deadline:
        time.sleep(0.01)
    server.stop()


@pytest.mark.parametrize(
    ("fault", "variable", "value"),
    [
        ("A setting that is not a number", "THINKIFIC_REQUESTS_PER_MINUTE", "lots"),
        ("A setting outside the values it takes", "THINKIFIC_PACING", "fast"),
    ],
)
def test_an_unusable_setting_stops_before_anything_starts(
    fault_site, tmp_path, fault, variable, value
):
    env = command_environment(
        tmp_path / "home",
        f"sqlite:///{tmp_path / 'warehouse.db'}",
        site_environment(fault_site, **{variable: value}),
    )
    outcome = run_sync(env)
    outcome.assert_clear_failure(BY_NAME[fault])
    assert f"{variable}={value!r}" in outcome.stderr
    assert fault_site.stats.snapshot()["served"] == 0
