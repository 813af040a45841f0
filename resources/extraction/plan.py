"""The reads of each stream, built from its registry entry (`schemas.thinkific.streams`).

A stream's `read` says where its rows come from, as data; here it becomes the reads the engine
loads: one listing for a `RestList`, one per live parent row for a `PerParent` (in id order,
labelled for progress logs), the rows of another table for an `Unpacked`, and the pages of the
declared connection for a `GraphQLConnection` (or of its named reader, for certificates).
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from typing import Any

from resources.extraction.reads import GraphQLRead, Read, Records, RestListing
from resources.thinkific.client import ThinkificClient
from resources.thinkific.connections import connection_pages, user_batches
from resources.thinkific.graphql import ThinkificGraphQLClient
from resources.thinkific.learning_queries import certificate_pages, user_certificate_pages
from resources.warehouse import WarehouseResource
from schemas.thinkific.streams import (
    TABLE_PREFIX,
    FillMissing,
    GraphQLConnection,
    Link,
    PerParent,
    RestList,
    Stream,
    Unpacked,
)

GraphQLReader = Callable[[ThinkificGraphQLClient, Sequence[Any]], list[GraphQLRead]]


def _certificates(client: ThinkificGraphQLClient, emails: Sequence[Any]) -> list[GraphQLRead]:
    """Course by course (the count that must hold still: the courses'), or one read per user."""
    if not emails:
        pages = partial(certificate_pages, client)
        return [GraphQLRead("certificates", pages, ["certificates"], total_counts_rows=False)]
    return [
        GraphQLRead(
            f"certificates (user {number} of {len(emails)})",
            partial(user_certificate_pages, client, email),
            ["certificates", email],
        )
        for number, email in enumerate(emails, start=1)
    ]


def connection_reads(
    name: str,
    connection: GraphQLConnection,
    client: ThinkificGraphQLClient,
    user_ids: Sequence[Any],
) -> list[GraphQLRead]:
    """A declared connection's reads (the generic pager): one read of the whole connection, or
    one per filter of users."""
    if not user_ids:
        pages = partial(connection_pages, client, connection, [])
        return [GraphQLRead(name, pages, [name])]
    batches = user_batches(connection, user_ids)
    return [
        GraphQLRead(
            f"{name} (users {number} of {len(batches)})",
            partial(connection_pages, client, connection, batch),
            [name, batch],
        )
        for number, batch in enumerate(batches, start=1)
    ]


GRAPHQL_READERS: dict[str, GraphQLReader] = {
    # The exceptions to `connection_reads`, named by a registry entry's `reader`: a reader's
    # reads give every row of the stream, or with users only theirs.
    "certificates": _certificates,
}


def rest_reads(
    stream: Stream,
    warehouse: WarehouseResource,
    client: ThinkificClient,
    *,
    log: Any,
    since: str | None = None,
) -> list[Read]:
    """The REST reads of a stream; `since` (a date) limits an incremental stream's read to the
    rows its cursor puts on or after that day."""
    read = stream.read
    if isinstance(read, RestList):
        params = {stream.incremental.query_filter: since} if stream.incremental and since else {}
        return [RestListing(client, read.path, label=stream.name, params=params, log=log)]
    if isinstance(read, PerParent):
        return _per_parent(stream.name, read, warehouse, client, log)
    raise TypeError(f"{stream.name}: a {type(read).__name__} is not read over REST")


def _per_parent(
    name: str, read: PerParent, warehouse: WarehouseResource, client: ThinkificClient, log: Any
) -> list[Read]:
    parents = warehouse.read_frame(f"{TABLE_PREFIX}{read.parent}")
    return per_parent_reads(name, read, parent_ids(read, parents.to_dict("records")), client, log)


def parent_ids(read: PerParent, parents: Iterable[Mapping[str, Any]]) -> list[int]:
    """The ids a per-parent read visits, in order: of the parent rows (or the parent listing's
    items, which carry the same fields) that `read.where` keeps."""
    if read.where is not None:
        column, value = read.where
        parents = [parent for parent in parents if parent.get(column) == value]
    return sorted(int(parent[read.parent_id]) for parent in parents)


def per_parent_reads(
    name: str, read: PerParent, ids: Sequence[int], client: ThinkificClient, log: Any
) -> list[Read]:
    """One read per parent id, labelled for progress logs."""
    return [
        RestListing(
            client,
            read.path.format(id=parent_id),
            label=f"{name} ({number} of {len(ids)}, {read.parent} id {parent_id})",
            params={key: value.format(id=parent_id) for key, value in read.params},
            records=_shaper(read, parent_id, client),
            paginated=read.paginated,
            log=log,
        )
        for number, parent_id in enumerate(ids, start=1)
    ]


def _shaper(read: PerParent, parent_id: int, client: ThinkificClient) -> Callable[[Any], Records]:
    """How the answers of one parent's read become rows."""

    def records(answer: Any) -> Records:
        items = answer
        if read.answer_key is not None:
            items = answer.get(read.answer_key) or []
        elif isinstance(answer, dict):
            items = [answer]
        if read.link is not None:
            return _links(read.link, parent_id, items)
        if read.fill_missing is not None:
            for record in items:
                _fill(record, read.fill_missing, client)
        return items

    return records


def _links(link: Link, parent_id: int, items: list[Any]) -> Records:
    """One link row per item, built in one comprehension (no call per row)."""
    parent, column, key = link.parent_column, link.item_column, link.item_key
    if key is None:
        return [{parent: parent_id, column: item} for item in items]
    return [{parent: parent_id, column: item[key]} for item in items]


def _fill(record: dict[str, Any], fill: FillMissing, client: ThinkificClient) -> None:
    if record.get(fill.field) is not None:
        return
    path = fill.path.format(id=record["id"])
    pages = client.iter_pages(path, stream=f"{path} ({fill.field})")
    record[fill.field] = [item["id"] for page in pages for item in page.items]


def unpacked_records(stream: Stream, warehouse: WarehouseResource) -> Records:
    """The rows of an `Unpacked` stream, from the live rows of its source table."""
    read = stream.read
    if not isinstance(read, Unpacked):
        raise TypeError(f"{stream.name}: not an unpacked stream")
    frame = warehouse.read_frame(f"{TABLE_PREFIX}{read.source}", decode_arrays=True)
    return [
        {read.source_column: int(source_id), read.item_column: int(item)}
        for source_id, items in frame[["id", read.array]].itertuples(index=False)
        for item in items
    ]


def graphql_reads(
    stream: Stream, client: ThinkificGraphQLClient, only: Sequence[Any] = ()
) -> list[GraphQLRead]:
    """The reads of a GraphQL stream: every row, or with `only` the rows of those users."""
    read = stream.read
    if not isinstance(read, GraphQLConnection):
        raise TypeError(f"{stream.name}: not a GraphQL stream")
    if read.reader is not None:
        return GRAPHQL_READERS[read.reader](client, only)
    return connection_reads(stream.name, read, client, only)
