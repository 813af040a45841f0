"""The API key and access token never reach a log line, an error, or Dagster event metadata."""

import logging

from dagster import DagsterInstance

from simulator import Fault
from tests.pipelines.sync_harness import run_sync

KEY = "sk-live-9f8e7d6c5b4a"
TOKEN = "tok-live-0a1b2c3d4e5f"
SECRET_SITE = {"api_key": KEY, "access_token": TOKEN, "requests_per_minute": 6000}


def _everything_a_run_recorded(instance: DagsterInstance, result) -> str:
    """Every entry of the run's event log (log lines, events, metadata, errors), as text."""
    entries = instance.all_logs(result.run_id)
    assert any(entry.user_message for entry in entries)
    return "\n".join(f"{entry.user_message}\n{entry.dagster_event!r}" for entry in entries)


def test_no_log_line_or_event_of_a_run_with_faults_contains_a_secret(
    start_simulator, sqlite_warehouse, caplog
):
    caplog.set_level(logging.DEBUG)
    sim = start_simulator(users=120, enrollments=300, **SECRET_SITE)
    sim.faults.add(Fault(endpoint="users", kind="status", status=503, nth=1, times=1))
    sim.faults.add(Fault(endpoint="enrollments", kind="reset", nth=1, times=1))
    with DagsterInstance.ephemeral() as instance:
        result = run_sync(sim, sqlite_warehouse, instance, access_token=TOKEN, backoff_seconds=0.01)
        assert result.success
        recorded = _everything_a_run_recorded(instance, result) + caplog.text
    assert "page 1 of" in recorded
    assert KEY not in recorded
    assert TOKEN not in recorded


def test_no_error_of_a_failed_run_contains_a_secret(start_simulator, sqlite_warehouse, caplog):
    caplog.set_level(logging.DEBUG)
    sim = start_simulator(**SECRET_SITE)
    sim.faults.add(Fault(endpoint="groups", kind="redirect"))
    sim.faults.add(Fault(endpoint="users", kind="status", status=403, body='{"error": "nope"}'))
    with DagsterInstance.ephemeral() as instance:
        result = run_sync(sim, sqlite_warehouse, instance, access_token=TOKEN)
        assert not result.success
        recorded = _everything_a_run_recorded(instance, result) + caplog.text
    assert "redirect" in recorded.lower()
    assert KEY not in recorded
    assert TOKEN not in recorded
