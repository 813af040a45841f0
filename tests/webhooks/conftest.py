"""The webhook receiver served by uvicorn on a free 127.0.0.1 port, events to send it, and
simulated sites to apply events about."""

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import uvicorn

from receiver.app import WEBHOOK_PATH, create_app
from receiver.server import REQUEST_SECONDS, ReceiverConfig
from resources.warehouse import WarehouseResource
from resources.webhooks.store import StoredEvent, WebhookStore
from simulator import SimulatorConfig, SimulatorServer
from simulator.webhook_events import WebhookEvents
from simulator.webhooks import SIGNATURE_HEADER, sign
from tests.webhooks.applying import FAST_SITE, sync

SECRET = "whk-test-key"
MAX_BODY_BYTES = 32 * 1024
IMPATIENT_REQUEST_SECONDS = 0.5
STARTUP_SECONDS = 10


@dataclass
class Receiver:
    url: str
    store: WebhookStore

    def post(
        self, body: bytes, signature: str | None, extra_headers: dict[str, str] | None = None
    ) -> requests.Response:
        headers = {"Content-Type": "application/json"} | (extra_headers or {})
        if signature is not None:
            headers[SIGNATURE_HEADER] = signature
        return requests.post(self.url, data=body, headers=headers, timeout=10)

    def post_signed(
        self, body: bytes, extra_headers: dict[str, str] | None = None
    ) -> requests.Response:
        return self.post(body, sign(body, SECRET), extra_headers)

    def stored(self) -> list[StoredEvent]:
        return self.store.after(0, limit=10_000)

    def stores(self, event: dict[str, Any]) -> bool:
        """Whether a valid event sent now is answered `stored`: the receiver still serves."""
        response = self.post_signed(json.dumps(event).encode())
        return response.json() == {"status": "stored", "id": event["id"]}

    def connect(self) -> socket.socket:
        """A raw connection, for what no HTTP client sends."""
        address = urlsplit(self.url)
        return socket.create_connection((address.hostname, address.port), timeout=10)


@contextmanager
def _serving(warehouse: WarehouseResource, request_seconds: float) -> Iterator[Receiver]:
    """The receiver served as the command serves it, in a thread, storing into `warehouse`."""
    store = WebhookStore(warehouse)
    app = create_app(store, SECRET, max_body_bytes=MAX_BODY_BYTES)
    config = ReceiverConfig(
        app, host="127.0.0.1", port=0, log_level="warning", request_seconds=request_seconds
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_SECONDS
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the receiver did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield Receiver(f"http://127.0.0.1:{port}{WEBHOOK_PATH}", store)
    server.should_exit = True
    thread.join()


@pytest.fixture
def receiver(sqlite_warehouse: WarehouseResource) -> Iterator[Receiver]:
    """The receiver, with the command's request deadline, storing into an empty SQLite
    warehouse."""
    with _serving(sqlite_warehouse, REQUEST_SECONDS) as serving:
        yield serving


@pytest.fixture
def impatient_receiver(sqlite_warehouse: WarehouseResource) -> Iterator[Receiver]:
    """The receiver with a request deadline of IMPATIENT_REQUEST_SECONDS, for the tests that
    wait for it."""
    with _serving(sqlite_warehouse, IMPATIENT_REQUEST_SECONDS) as serving:
        yield serving


@pytest.fixture(scope="session")
def site() -> SimulatorServer:
    """A small simulated site (never started) to draw event payloads from."""
    return SimulatorServer(SimulatorConfig(users=60, courses=6, enrollments=300, api_key=SECRET))


@pytest.fixture
def events(site: SimulatorServer) -> WebhookEvents:
    return WebhookEvents(site, seed=1)


def envelope(**fields: Any) -> dict[str, Any]:
    """A minimal valid quiz.attempted envelope, with `fields` replaced."""
    return {
        "id": "20191029145629636106318",
        "resource": "quiz",
        "action": "attempted",
        "tenant_id": "12345",
        "created_at": "2019-08-27T21:02:50.000Z",
        "payload": {"attempts": 1, "user": {"id": 7, "email": "a@b.example"}, "quiz": {"id": 3}},
    } | fields


@pytest.fixture
def live_site(start_simulator: Callable[..., SimulatorServer]) -> SimulatorServer:
    """A small site served over HTTP, with room in its rate limits for a sync in seconds."""
    return start_simulator(**FAST_SITE)


@pytest.fixture
def synced_site(live_site: SimulatorServer, warehouse: WarehouseResource) -> SimulatorServer:
    """The site after a nightly sync into `warehouse` (SQLite, then PostgreSQL), its request
    counters reset."""
    sync(live_site, warehouse)
    live_site.stats.reset()
    return live_site
