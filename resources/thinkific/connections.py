"""The generic GraphQL pager: any top-level Relay connection a registry entry declares
(`schemas.thinkific.streams.GraphQLConnection`), paged by cursor.

Each page asks for `first` rows after the previous page's `endCursor` and costs what the entry's
declaration says by the contract's rule (`GraphQLConnection.points`); `totalCount`, where the
connection has one, is the count a stitched read checks. A targeted refresh filters by users (the
entry's `filter_by_users`), at most `users_per_filter` a filter (`user_batches`), asking for
`page_size_per_user` rows a user: a page costs what it asks for, not what it returns.
"""

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from resources.thinkific.errors import ThinkificError
from resources.thinkific.graphql import ThinkificGraphQLClient
from schemas.thinkific.streams import GraphQLConnection

Records = list[dict[str, Any]]


@dataclass(frozen=True)
class ConnectionPage:
    """One page of a connection: its rows; `end_cursor`, where the page after it starts (a
    resumed read starts there; on an empty page, where this one started); `total_count`, the
    rows the connection announced (`totalCount`; None where the answer gives none); whether
    another page follows."""

    records: Records
    end_cursor: str | None
    total_count: int | None
    has_next: bool


def field(parent: Any, name: str, query: str) -> Any:
    """A field an answer without errors must have; its absence is a shape error, not data."""
    if not isinstance(parent, dict) or parent.get(name) is None:
        raise ThinkificError(f"GraphQL {query}: the answer has no `{name}` where one was asked for")
    return parent[name]


def next_cursor(connection: dict[str, Any], query: str) -> str | None:
    """The cursor after this page, or None on the last page."""
    page_info = field(connection, "pageInfo", query)
    return field(page_info, "endCursor", query) if page_info.get("hasNextPage") else None


def page_of(
    connection: dict[str, Any], records: Records, after: str | None, query: str
) -> ConnectionPage:
    after_page = next_cursor(connection, query)
    end_cursor = field(connection, "pageInfo", query).get("endCursor") or after
    total = connection.get("totalCount")
    return ConnectionPage(
        records, end_cursor, total if isinstance(total, int) else None, after_page is not None
    )


def following(
    fetch: Callable[[str | None], ConnectionPage], after: str | None
) -> Iterator[ConnectionPage]:
    """Every page of a connection from the one after `after` (None: from the first)."""
    while True:
        page = fetch(after)
        yield page
        if not page.has_next:
            return
        after = page.end_cursor


def operation_name(connection: GraphQLConnection) -> str:
    """The name of the connection's query (`query QuizSubmissions(...)` → `QuizSubmissions`)."""
    named = re.match(r"\s*query\s+(\w+)", connection.query)
    if named is None:
        raise ValueError(f"a connection's query must be a named query: {connection.query[:60]!r}")
    return named.group(1)


def user_batches(connection: GraphQLConnection, user_ids: Sequence[Any]) -> list[list[Any]]:
    """The users in the groups one filter of the connection takes."""
    size = connection.users_per_filter
    return [list(user_ids[start : start + size]) for start in range(0, len(user_ids), size)]


def connection_pages(
    client: ThinkificGraphQLClient,
    connection: GraphQLConnection,
    user_ids: Sequence[Any] = (),
    after: str | None = None,
) -> Iterator[ConnectionPage]:
    """Every row of the connection, or only the given users' (at most `users_per_filter`), page
    by page after `after`."""
    if user_ids and connection.filter_by_users is None:
        raise ValueError(f"{operation_name(connection)}: the connection has no filter by users")
    if len(user_ids) > connection.users_per_filter:
        raise ValueError(
            f"a filter takes at most {connection.users_per_filter} users: use user_batches"
        )
    query = operation_name(connection)
    filter_: dict[str, list[str]] = {name: list(values) for name, values in connection.filter}
    if user_ids:
        assert connection.filter_by_users is not None
        filter_[connection.filter_by_users] = [str(user_id) for user_id in user_ids]
    filtered = connection.filter_by_users is not None or bool(connection.filter)
    first = connection.page_size
    if user_ids:
        first = min(first, connection.page_size_per_user * len(user_ids))
    cost = connection.points(first)

    def fetch(after: str | None) -> ConnectionPage:
        variables: dict[str, Any] = {"first": first, "after": after}
        if filtered:
            variables["filter"] = filter_ or None
        answer = client.query(query, connection.query, variables, cost)
        for name in connection.path:
            answer = field(answer, name, query)
        return page_of(answer, field(answer, "nodes", query), after, query)

    return following(fetch, after)
