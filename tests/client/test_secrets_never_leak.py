"""The API key and access token appear in no log record, error text, repr or stats, whatever
happens: successes, retries, rate limits, every kind of failure."""

import logging
import socket
import traceback
from collections.abc import Callable
from typing import Any

from resources.thinkific.resource import ThinkificError
from simulator import Fault
from tests.client.simulated import client_for, resource_for

API_KEY = "sk_live_9f8e7d6c5b4a"
ACCESS_TOKEN = "at/7Q+x==tok"  # characters that URL-encoding changes


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def failure_texts(call: Callable[[], Any]) -> list[str]:
    """The call must fail with a ThinkificError; every text a user could see of it."""
    try:
        call()
    except ThinkificError as error:
        return [str(error), repr(error), "".join(traceback.format_exception(error))]
    raise AssertionError("the call was expected to fail")


def test_no_secret_reaches_logs_errors_reprs_or_stats(start_simulator, caplog):
    sim = start_simulator(api_key=API_KEY, access_token=ACCESS_TOKEN, requests_per_minute=4)
    client = client_for(sim)
    user, group = sim.ground_truth()["users"][0], sim.ground_truth()["groups"][0]
    texts: list[str] = []
    with caplog.at_level(logging.DEBUG):
        sim.faults.add(Fault("users", "status", status=503, nth=1, times=1))
        sim.faults.add(Fault("users", "reset", nth=2, times=1))
        sim.faults.add(Fault("users", "truncate", nth=3, times=1))
        for _ in range(3):  # past the limit of 4 requests a minute: 429s too
            list(client.iter_pages("/users", stream="users"))
        sim.faults.clear()
        texts += failure_texts(
            lambda: client.post("/users", {"first_name": "A", "last_name": "B", **user})
        )
        texts += failure_texts(lambda: client.get("/users/987654"))
        texts += failure_texts(lambda: client_for(sim, subdomain="elsewhere").get("/users"))
        sim.faults.add(Fault("groups", "redirect", nth=1, times=1))
        texts += failure_texts(lambda: client.get(f"/groups/{group['id']}"))
        sim.faults.add(Fault("courses", "status", status=403, nth=1, times=1))
        texts += failure_texts(lambda: client.get("/courses"))
        sim.faults.add(Fault("courses", "status", status=503))
        texts += failure_texts(lambda: client_for(sim, max_attempts=2).get("/courses"))
        # A base URL that (wrongly) embeds the key: requests and urllib3 echo URLs in their texts.
        unreachable = f"http://127.0.0.1:{closed_port()}/{API_KEY}/api"
        texts += failure_texts(lambda: client_for(sim, base_url=unreachable).get("/users"))
    assert client.stats.retries >= 3 and client.stats.rate_limited >= 1  # it all happened
    texts += [record.getMessage() for record in caplog.records]
    texts += [caplog.text, repr(client), str(client.stats), repr(resource_for(sim))]
    leaks = [text for text in texts if API_KEY in text or ACCESS_TOKEN in text]
    assert leaks == []
    assert any("urllib3" in record.name for record in caplog.records)
