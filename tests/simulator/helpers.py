"""Small HTTP helpers shared by the simulator tests."""

from __future__ import annotations

import threading
from typing import Any

import requests

from simulator import SimulatorServer

REQUEST_TIMEOUT_SECONDS = 10


class TimeoutSession(requests.Session):
    """A session whose requests give up after a while instead of hanging a test."""

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", REQUEST_TIMEOUT_SECONDS)
        return super().request(*args, **kwargs)


def session_for(simulator: SimulatorServer) -> requests.Session:
    """A session that sends the site's REST credentials."""
    session = TimeoutSession()
    session.headers.update(simulator.auth_headers)
    return session


def fetch_all(session: requests.Session, url: str, **params: Any) -> list[dict]:
    """Every item of a list endpoint, following `next_page` until it is null."""
    items: list[dict] = []
    page: int | None = 1
    while page is not None:
        response = session.get(url, params={**params, "page": page})
        response.raise_for_status()
        body = response.json()
        items.extend(body["items"])
        page = body["meta"]["pagination"]["next_page"]
    return items


def get_concurrently(simulator: SimulatorServer, url: str, count: int) -> list[int]:
    """The statuses of `count` GETs of `url`, sent together from threads of their own."""
    start_together = threading.Barrier(count)
    statuses: list[int] = []

    def call() -> None:
        with session_for(simulator) as session:
            start_together.wait()
            statuses.append(session.get(url).status_code)

    threads = [threading.Thread(target=call) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses
