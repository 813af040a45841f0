"""What a Thinkific step had sent when it stopped (failed or interrupted), as a log record.

A loaded asset's materialization carries its requests (`request_metadata`); an asset whose step
fails has none, yet its requests reached Thinkific and count against the site's limit. So the
step logs what its client had sent before the error goes on, and the main command's summary
counts it (`SENT_REQUESTS` holds a `SentRequests` on the record, read without parsing the text).
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


@contextmanager
def logging_sent_on_failure(
    log: Any, asset: str, stats: Callable[[], ClientStats | GraphQLStats]
) -> Iterator[None]:
    """Inside the block, any error or interrupt first logs what `stats()` says was sent."""
    try:
        yield
    except BaseException:
        sent = stats()
        log.info(
            "%s: %d requests sent before the step stopped",
            asset,
            sent.requests,
            extra={
                SENT_REQUESTS: SentRequests(asset, sent.requests, sent.retries, sent.rate_limited)
            },
        )
        raise
