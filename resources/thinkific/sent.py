"""Requests sent to Thinkific that no materialization reports, as log records.

A loaded asset's materialization carries its requests (`request_metadata`); yet requests also
reach Thinkific, and count against the site's limit, for an asset whose step fails or is
interrupted, and for answers fetched ahead that no step took (`ReadAhead.settle`). Each is
logged as a record that carries a `SentRequests` (under `SENT_REQUESTS`, read without parsing
the text), which the main command's summary adds to the asset's requests.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from resources.thinkific.graphql_stats import GraphQLStats
from resources.thinkific.stats import ClientStats

SENT_REQUESTS = "thinkific_sent_requests"


@dataclass(frozen=True)
class SentRequests:
    asset: str
    """The asset key the requests were sent for, like `thinkific/users`."""
    requests: int
    retries: int
    rate_limited: int


def log_sent(log: Any, asset: str, sent: ClientStats | GraphQLStats, what: str) -> None:
    """Logs `sent` as the asset's requests; `what` says which (after "N requests")."""
    log.info(
        "%s: %d requests %s",
        asset,
        sent.requests,
        what,
        extra={SENT_REQUESTS: SentRequests(asset, sent.requests, sent.retries, sent.rate_limited)},
    )


@contextmanager
def logging_sent_on_failure(
    log: Any, asset: str, stats: Callable[[], ClientStats | GraphQLStats]
) -> Iterator[None]:
    """Inside the block, any error or interrupt first logs what `stats()` says was sent."""
    try:
        yield
    except BaseException:
        log_sent(log, asset, stats(), "sent before the step stopped")
        raise
