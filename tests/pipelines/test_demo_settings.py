"""Demo mode checks every setting as a real site's sync does: an unusable value stops the
command before the demo starts, with the same message and exit status 2."""

import sys

import pytest

from tests.faults.harness import command_environment, run_command, run_sync

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("with_key", [False, True], ids=["demo", "real_site"])
def test_a_setting_that_is_not_a_number_is_refused_in_either_mode(with_key, tmp_path):
    site = {"THINKIFIC_REQUESTS_PER_MINUTE": "abc"}
    if with_key:
        site |= {"THINKIFIC_API_KEY": "k", "THINKIFIC_SUBDOMAIN": "acme"}
    env = command_environment(tmp_path / "home", f"sqlite:///{tmp_path / 'w.db'}", site)

    outcome = run_sync(env)

    assert outcome.returncode == 2, outcome.output[-3000:]
    assert "THINKIFIC_REQUESTS_PER_MINUTE='abc' is not an integer" in outcome.stderr
    assert "demo site" not in outcome.stdout
    assert not (tmp_path / "w.db").exists()


def test_a_key_without_a_subdomain_is_refused_before_anything_starts(tmp_path):
    env = command_environment(
        tmp_path / "home", f"sqlite:///{tmp_path / 'w.db'}", {"THINKIFIC_API_KEY": "k"}
    )

    outcome = run_sync(env)

    assert outcome.returncode == 2, outcome.output[-3000:]
    assert "THINKIFIC_SUBDOMAIN is not set" in outcome.stderr
    assert "Traceback" not in outcome.output


@pytest.mark.parametrize("command", ["pipelines.ui", "pipelines.deploy"])
def test_the_ui_and_the_deployment_refuse_it_before_the_demo_starts(command, tmp_path):
    env = command_environment(
        tmp_path / "home", f"sqlite:///{tmp_path / 'w.db'}", {"THINKIFIC_PACING": "fast"}
    )

    outcome = run_command([sys.executable, "-m", command], env)

    assert outcome.returncode == 2, outcome.output[-3000:]
    assert "THINKIFIC_PACING='fast' must be one of burst, smooth" in outcome.stderr
    assert "demo site" not in outcome.stdout
