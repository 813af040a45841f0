"""No job can hang Dagster's executor when a step fails and another is skipped.

Dagster 1.13's `ActiveExecution.plan_events_iterator` processes skips, then abandons, and does not
go back to skips: a step whose last unresolved dependency is *abandoned* (it sat downstream of a
failure) while another of its inputs was *skipped* lands in the pending-skip list and stays there,
and the in-process executor spins forever (the shape of dagster-io/dagster#33661; the smallest
reproduction is in the issue's closing note). The guard: a step that can be skipped may depend
only on steps that cannot be abandoned, i.e. steps with no dependencies of their own.
"""

import time

import pytest
from dagster import DagsterInstance, JobDefinition
from dagster._core.execution.api import create_execution_plan
from dagster._core.execution.plan.plan import ExecutionPlan

from pipelines.definitions import defs
from pipelines.jobs.schedules import SYNC_JOB_NAME
from simulator import SimulatorConfig, SimulatorServer

JOBS = sorted(job.name for job in defs.resolve_all_job_defs() if len(job.graph.nodes) > 1)
"""Jobs of more than one step (a one-step job has nothing to wait on; the Teams tab's jobs are
one op each, with required forms that a plan cannot be built without)."""


def _skip_sources(plan: ExecutionPlan) -> dict[str, set[str]]:
    """For each step that may be skipped, the dependencies that may make it skip: those feeding
    it an optional output, and those that may be skipped themselves."""
    sources: dict[str, set[str]] = {}
    for step in plan.get_steps_to_execute_in_topo_order():
        for step_input in step.step_inputs:
            for handle in step_input.get_step_output_handle_dependencies():
                output = plan.get_step_output(handle)
                if output.properties.asset_check_key is not None:
                    continue  # a missing check result never skips a step
                if not output.properties.is_required or handle.step_key in sources:
                    sources.setdefault(step.key, set()).add(handle.step_key)
    return sources


def _ancestors(steps: dict, key: str) -> set[str]:
    found: set[str] = set()
    pending = [key]
    while pending:
        for dependency in steps[pending.pop()].get_execution_dependency_keys():
            if dependency not in found:
                found.add(dependency)
                pending.append(dependency)
    return found


def hang_hazards(job: JobDefinition) -> list[str]:
    """Each skip-prone step's dependency that could be abandoned after a skip source resolved,
    as `step <- dependency (skip source)`.

    A dependency that is an ancestor of the skip source resolves before it (if it is abandoned,
    so is the source, and the step is abandoned, not skipped); a dependency without
    dependencies of its own succeeds or fails but is never abandoned.
    """
    plan = create_execution_plan(job)
    steps = {step.key: step for step in plan.get_steps_to_execute_in_topo_order()}
    return [
        f"{key} <- {dependency} ({source})"
        for key, skip_sources in sorted(_skip_sources(plan).items())
        for source in sorted(skip_sources)
        for dependency in sorted(steps[key].get_execution_dependency_keys())
        if steps[dependency].get_execution_dependency_keys()
        and dependency not in _ancestors(steps, source) | {source}
    ]


@pytest.mark.parametrize("job_name", JOBS)
def test_no_step_that_can_be_skipped_waits_on_a_step_that_can_be_abandoned(job_name, monkeypatch):
    # Planning resolves the resources' config: the EnvVars need a value, any value.
    monkeypatch.setenv("THINKIFIC_API_KEY", "planning-only")
    monkeypatch.setenv("THINKIFIC_SUBDOMAIN", "planning-only")
    job = defs.resolve_job_def(job_name)
    assert hang_hazards(job) == []


def test_sync_ends_when_the_key_is_wrong_and_no_token_is_set(tmp_path, monkeypatch):
    """The reported hang itself: every REST step fails (401) and GraphQL is skipped (no token)."""
    with SimulatorServer(SimulatorConfig(users=20, groups=2, enrollments=40), port=0) as server:
        monkeypatch.setenv("THINKIFIC_API_KEY", "WRONG")
        monkeypatch.setenv("THINKIFIC_SUBDOMAIN", server.config.subdomain)
        monkeypatch.setenv("THINKIFIC_BASE_URL", server.base_url)
        monkeypatch.delenv("THINKIFIC_ACCESS_TOKEN", raising=False)
        monkeypatch.setenv("WAREHOUSE_URL", f"sqlite:///{tmp_path / 'warehouse.db'}")
        from pipelines.resources import all_resources

        job = defs.resolve_job_def(SYNC_JOB_NAME)
        started = time.monotonic()
        result = job.execute_in_process(
            instance=DagsterInstance.ephemeral(),
            resources=all_resources(),
            raise_on_error=False,
        )
    assert not result.success
    assert time.monotonic() - started < 60
