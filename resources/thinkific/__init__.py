"""Thinkific's REST and GraphQL APIs for one site: clients, pacing, retries, errors.
`ThinkificResource` (in `resource`) hands assets a paced, retrying client of either API."""

from resources.thinkific.resource import ThinkificResource

__all__ = ["ThinkificResource"]
