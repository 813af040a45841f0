"""Run the extraction assets in process against a running simulator, as the nightly job would."""

from dagster import DagsterInstance, ExecuteInProcessResult, materialize

from assets.thinkific.checks import thinkific_checks
from assets.thinkific.rest import thinkific_assets
from resources.thinkific.resource import ThinkificResource
from resources.warehouse import WarehouseResource
from simulator import SimulatorServer


def thinkific_for(sim: SimulatorServer, **overrides) -> ThinkificResource:
    settings = {
        "api_key": sim.config.api_key,
        "subdomain": sim.config.subdomain,
        "base_url": sim.base_url,
        "requests_per_minute": sim.config.requests_per_minute,
        **overrides,
    }
    return ThinkificResource(**settings)


def run_sync(
    sim: SimulatorServer,
    warehouse: WarehouseResource,
    instance: DagsterInstance | None = None,
    run_config: dict | None = None,
    **thinkific_overrides,
) -> ExecuteInProcessResult:
    return materialize(
        [*thinkific_assets, *thinkific_checks],
        resources={"thinkific": thinkific_for(sim, **thinkific_overrides), "warehouse": warehouse},
        instance=instance,
        run_config=run_config,
        raise_on_error=False,
    )


def failure_messages(result: ExecuteInProcessResult) -> str:
    return "\n".join(
        event.step_failure_data.error.message
        for event in result.get_step_failure_events()
        if event.step_failure_data.error
    )
