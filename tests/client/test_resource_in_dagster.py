"""The resource inside a real Dagster run: EnvVar credentials, run logs, metadata, no secrets."""

import dataclasses
import threading

import dagster as dg

from resources.thinkific.resource import ThinkificResource

API_KEY = "sk_dagster_5e4d3c2b1a"
ACCESS_TOKEN = "at_dagster_0f9e8d"


@dg.asset
def users(context: dg.AssetExecutionContext, thinkific: ThinkificResource) -> dg.MaterializeResult:
    client = thinkific.get_client(context.log)
    rows = sum(len(page.items) for page in client.iter_pages("/users", stream="users"))
    stats = dataclasses.asdict(client.stats)
    del stats["status_counts"]
    return dg.MaterializeResult(metadata={"rows": rows, **stats})


def test_a_run_logs_progress_and_records_stats_without_secrets(start_simulator, monkeypatch):
    sim = start_simulator(api_key=API_KEY, access_token=ACCESS_TOKEN)
    monkeypatch.setenv("TEST_THINKIFIC_API_KEY", API_KEY)
    monkeypatch.setenv("TEST_THINKIFIC_ACCESS_TOKEN", ACCESS_TOKEN)
    resource = ThinkificResource(
        api_key=dg.EnvVar("TEST_THINKIFIC_API_KEY"),
        access_token=dg.EnvVar("TEST_THINKIFIC_ACCESS_TOKEN"),
        subdomain=sim.config.subdomain,
        base_url=sim.base_url,
    )
    with dg.instance_for_test() as instance:
        result = dg.materialize([users], resources={"thinkific": resource}, instance=instance)
        logs = instance.all_logs(result.run_id)
    assert result.success
    rows = len(sim.ground_truth()["users"])
    (materialization,) = result.asset_materializations_for_node("users")
    assert materialization.metadata["rows"].value == rows
    assert materialization.metadata["pages"].value == 1
    messages = [entry.user_message for entry in logs]
    assert any(message.endswith(f"users: page 1 of 1, {rows} rows so far") for message in messages)
    everything = "\n".join(repr(entry) for entry in logs)
    assert API_KEY not in everything and ACCESS_TOKEN not in everything


@dg.asset
def warms_courses_and_reads_nothing(
    context: dg.AssetExecutionContext, thinkific: ThinkificResource
) -> None:
    arrived = threading.Event()
    client = thinkific.get_client(context.log, asset="thinkific/courses")
    client.warm("/courses", on_answer=lambda _body: arrived.set())
    assert arrived.wait(5)


def test_what_a_run_warmed_and_never_read_is_logged_at_its_end_as_the_warmed_assets(
    start_simulator,
):
    sim = start_simulator()
    resource = ThinkificResource(
        api_key=sim.config.api_key, subdomain=sim.config.subdomain, base_url=sim.base_url
    )
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [warms_courses_and_reads_nothing], resources={"thinkific": resource}, instance=instance
        )
        messages = [entry.user_message for entry in instance.all_logs(result.run_id)]
    assert sim.stats.snapshot()["served"] == 1
    assert "thinkific/courses: 1 requests fetched ahead and not read" in messages
