"""What the main command prints besides failures: Dagster's event log and its notices of beta
APIs only when asked."""

import pytest

from tests.faults.harness import command_environment, run_sync, site_environment

pytestmark = pytest.mark.slow


def test_verbose_adds_dagster_event_log_and_beta_notices_to_progress_lines(fault_site, tmp_path):
    env = command_environment(
        tmp_path / "home", f"sqlite:///{tmp_path / 'warehouse.db'}", site_environment(fault_site)
    )
    quiet = run_sync(env)
    verbose = run_sync(env, extra_args=["--verbose"])
    assert quiet.returncode == verbose.returncode == 0
    assert "STEP_START" not in quiet.output
    assert "STEP_START" in verbose.output
    assert "BetaWarning" not in quiet.output
    assert "BetaWarning" in verbose.output
    assert "thinkific/users" in verbose.stdout and "Sync summary" in verbose.stdout
