"""Landing events as the receiver stores them, applying them, and syncing a simulated site."""

import datetime as dt
import json
import logging
from pathlib import Path
from typing import Any

import dagster as dg

from assets.thinkific.graphql import certificates_and_quiz_results
from assets.thinkific.rest import thinkific_assets
from receiver.envelope import event_record
from resources.thinkific.resource import ThinkificResource
from resources.warehouse import WarehouseResource
from resources.webhooks.apply import StreamReport, apply_events
from resources.webhooks.changes import TOPICS
from resources.webhooks.store import LandedEvent, WebhookStore
from resources.webhooks.targeted_reads import TargetedReads
from simulator import SimulatorServer
from tests.contract_examples import EXAMPLES
from tests.graphql.helpers import graphql_resource


def topic_of(path: Path) -> str:
    """The topic of an example envelope."""
    example = json.loads(path.read_text())
    return f"{example['resource']}.{example['action']}"


WEBHOOK_EXAMPLES = sorted(EXAMPLES.glob("webhook_*.json"))
KEPT_EXAMPLES = [path for path in WEBHOOK_EXAMPLES if topic_of(path) in TOPICS]
"""Thinkific's example envelopes of the topics the receiver keeps."""
FAST_SITE = {"requests_per_minute": 6000, "max_in_flight": 10, "graphql_points_per_minute": 100_000}
log = logging.getLogger(__name__)


def landed(envelope: dict[str, Any], number: int = 1) -> LandedEvent:
    """An envelope as the events table hands it back, received now."""
    record = event_record(json.dumps(envelope).encode(), dt.datetime.now(dt.UTC))
    assert record is not None, "not an event of a kept topic"
    created = dt.datetime.fromisoformat(envelope["created_at"])
    return LandedEvent(
        number, record["id"], record["topic"], created, record["received_at"], envelope["payload"]
    )


def land(warehouse: WarehouseResource, events: list[dict[str, Any]]) -> tuple[int, int]:
    """Stores events as the receiver does; the range of numbers they were given (after,
    through], the config of the run that applies them."""
    store = WebhookStore(warehouse)
    after = _last_number(store)
    records = [
        event_record(json.dumps(event).encode(), dt.datetime.now(dt.UTC)) for event in events
    ]
    store.add_many(records)
    return after, _last_number(store)


def _last_number(store: WebhookStore) -> int:
    stored = store.after(0, 1_000_000)
    return stored[-1].sequence_number if stored else 0


def thinkific(sim: SimulatorServer, **settings: Any) -> ThinkificResource:
    """The site's REST and GraphQL API, at the site's own rate limit."""
    return graphql_resource(sim, requests_per_minute=sim.config.requests_per_minute, **settings)


def apply_range(
    warehouse: WarehouseResource, site: ThinkificResource, after: int, through: int
) -> dict[str, StreamReport]:
    """Applies the stored events numbered after `after` up to `through`, as the job does."""
    events = WebhookStore(warehouse).landed(after, through)
    return apply_events(warehouse, events, TargetedReads.of(site, log), log)


def apply(
    warehouse: WarehouseResource, site: ThinkificResource, *events: dict[str, Any]
) -> dict[str, StreamReport]:
    """Lands the events and applies them."""
    return apply_range(warehouse, site, *land(warehouse, list(events)))


def sync(sim: SimulatorServer, warehouse: WarehouseResource, **run: Any) -> None:
    """The nightly sync of every Thinkific stream, quiz results and certificates included;
    `run` passes `run_config` or `tags` (a full refresh)."""
    result = dg.materialize(
        [*thinkific_assets, certificates_and_quiz_results],
        resources={"thinkific": thinkific(sim), "warehouse": warehouse},
        raise_on_error=False,
        **run,
    )
    assert result.success, [e.message for e in result.get_step_failure_events()]


def requests_made(sim: SimulatorServer) -> list[str]:
    """The REST paths asked for since the counters were last reset, and one `graphql` per
    GraphQL query."""
    stats = sim.stats.snapshot()
    rest = [entry["path"].removeprefix("/api/public/v1") for entry in stats["requests"]]
    return rest + ["graphql"] * stats["graphql"]["requests"]


def envelope(topic: str, payload: dict[str, Any], at: str, event_id: str) -> dict[str, Any]:
    """A Thinkific envelope of `topic` sent at `at` (ISO 8601)."""
    resource, action = topic.split(".")
    return {
        "id": event_id,
        "resource": resource,
        "action": action,
        "tenant_id": "3",
        "created_at": at,
        "payload": payload,
    }
