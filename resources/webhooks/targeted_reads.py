"""The reads an event falls back on when its payload is not enough: one record, or one user's quiz
results, never a whole table.

- REST: `GET <the stream's list path>/{id}` (`/enrollments/{id}`, `/users/{id}`,
  `/courses/{id}`); a 404 means the record is gone, and gives nothing.
- GraphQL: the quiz submissions of some users (the API's filter by user).
  It needs THINKIFIC_ACCESS_TOKEN: without one there is no such read, and the events that
  needed it wait for the nightly sync.
"""

import logging
from collections import Counter
from collections.abc import Sequence
from typing import Any

from resources.extraction.plan import graphql_reads
from resources.thinkific.client import ThinkificClient
from resources.thinkific.errors import ThinkificNotFoundError
from resources.thinkific.graphql import ThinkificGraphQLClient
from resources.thinkific.resource import ThinkificResource
from schemas.thinkific import stream_of
from schemas.thinkific.streams import RestList


class TargetedReads:
    """Reads of single records; `reads` counts them per stream (a GraphQL read: its pages)."""

    def __init__(
        self,
        client: ThinkificClient,
        graphql: ThinkificGraphQLClient | None,
        log: logging.Logger | Any,
    ) -> None:
        self._client = client
        self._graphql = graphql
        self._log = log
        self.reads: Counter[str] = Counter()

    @classmethod
    def of(cls, thinkific: ThinkificResource, log: logging.Logger | Any) -> "TargetedReads":
        """The reads of the resource's site; GraphQL only where it has an access token."""
        graphql = thinkific.get_graphql_client(log) if thinkific.access_token else None
        return cls(thinkific.get_client(log), graphql, log)

    @property
    def graphql(self) -> bool:
        """Whether quiz results can be read."""
        return self._graphql is not None

    def record(self, stream: str, record_id: int) -> list[dict[str, Any]]:
        """One record of a stream read from its REST list endpoint's path, as a list: empty
        when the record is gone."""
        read = stream_of(stream).read
        assert isinstance(read, RestList), f"{stream} is not read from a REST list"
        self.reads[stream] += 1
        try:
            return [self._client.get(f"{read.path}/{record_id}")]
        except ThinkificNotFoundError:
            self._log.warning(f"{stream} {record_id}: gone from Thinkific (404); nothing to apply")
            return []

    def quiz_results(self, user_ids: Sequence[int]) -> list[dict[str, Any]]:
        """Every quiz submission of these users (needs `graphql`)."""
        assert self._graphql is not None, "quiz results are read over GraphQL"
        records = []
        for read in graphql_reads(stream_of("quiz_results"), self._graphql, user_ids):
            for page in read.pages():
                self.reads["quiz_results"] += 1
                records += page.records
        return records
