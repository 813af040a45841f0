"""Webhooks with a sites file: the receiver command serves a path per site, each verified with
that site's key and stored in that site's tables; the sensor applies each site's events in a
run tagged with the site, reported on that site's partition."""

import json

import pytest
import requests

from simulator.webhook_events import WebhookEvents
from simulator.webhooks import SIGNATURE_HEADER, sign
from tests.deploy.deployment import free_port
from tests.sites.interpreter import json_of_script
from tests.sites.simulated import site_warehouse_at, synced_sites
from tests.webhooks.receiver_command import spawn_receiver, wait_until_serving

APPLY = """
import json
from dagster import DagsterInstance, build_sensor_context
from pipelines.definitions import defs

repository = defs.get_repository_def()
with DagsterInstance.get() as instance:
    sensor = defs.resolve_sensor_def("thinkific_webhook_events")
    with build_sensor_context(instance=instance, repository_def=repository) as context:
        result = sensor(context)
    runs = []
    for request in result.run_requests:
        ran = defs.resolve_job_def("apply_webhook_events").execute_in_process(
            run_config=request.run_config, tags=request.tags, instance=instance,
            raise_on_error=False,
        )
        reported = sorted(
            {event.partition for event in ran.all_events
             if event.event_type_value in ("ASSET_MATERIALIZATION", "ASSET_OBSERVATION")}
        )
        runs.append({"site": request.tags["thinkific/site"], "success": ran.success,
                     "reported_on": reported})
print(json.dumps({"runs": runs, "cursor": result.cursor}))
"""


@pytest.fixture(scope="module")
def receiving(tmp_path_factory):
    """Two synced sites, the receiver command serving both, and what it printed on start."""
    tmp_path = tmp_path_factory.mktemp("site_webhooks")
    with synced_sites(tmp_path, ("acme", "globex")) as (servers, env):
        port = free_port()
        receiver = spawn_receiver(env, port)
        started = [receiver.stdout.readline() for _ in range(4)]
        wait_until_serving(receiver, f"http://127.0.0.1:{port}/webhooks/thinkific/acme")
        try:
            yield servers, env, f"http://127.0.0.1:{port}", started, tmp_path
        finally:
            receiver.terminate()
            receiver.wait(timeout=30)


def _post(base: str, site: str, event: dict, key: str) -> requests.Response:
    body = json.dumps(event).encode()
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(body, key)}
    return requests.post(
        f"{base}/webhooks/thinkific/{site}", data=body, headers=headers, timeout=10
    )


def test_the_receiver_serves_a_path_per_site(receiving):
    _, _, _, started, _ = receiving
    paths = [line.split()[-1] for line in started if line.startswith("Receiving")]
    assert [path.rsplit("/", 1)[1] for path in paths] == ["acme", "globex"]


def test_an_event_signed_with_another_sites_key_is_refused(receiving):
    servers, _, base, _, _ = receiving
    event = WebhookEvents(servers["globex"], seed=3).event("enrollment.progress")
    assert _post(base, "acme", event, servers["globex"].config.api_key).status_code == 401


def test_a_sites_events_are_applied_to_its_tables_in_a_run_of_its_own(receiving):
    servers, env, base, _, folder = receiving
    globex = servers["globex"]
    event = WebhookEvents(globex, seed=4).event("enrollment.progress")
    stored = _post(base, "globex", event, globex.config.api_key)
    assert stored.json()["status"] == "stored"

    applied = json_of_script(APPLY, env)

    assert applied["runs"] == [{"site": "globex", "success": True, "reported_on": ["globex"]}]
    assert json.loads(applied["cursor"]) == {"globex": 1}
    acme = site_warehouse_at(f"sqlite:///{folder / 'warehouse.db'}", "acme")
    with acme.engine.connect() as connection:
        landed = connection.exec_driver_sql("SELECT count(*) FROM thinkific_webhook_events")
        assert landed.scalar_one() == 0
    acme.dispose()
