"""Relay-style connections over records kept in id order, as Thinkific's GraphQL pages them.

A cursor names the record it points at (opaque to clients: base64 of `cursor:<id>`), so a page
after it starts at the next id even when records before it were deleted or created meanwhile.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable

import numpy as np
from graphql import GraphQLError

CURSOR_PREFIX = "cursor:"

Renderer = Callable[[np.ndarray], list[dict]]
"""Renders the records at these positions of the connection's ids, in that order."""


def encode_cursor(record_id: int) -> str:
    return base64.b64encode(f"{CURSOR_PREFIX}{record_id}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.b64decode(cursor, validate=True).decode()
        if text.startswith(CURSOR_PREFIX):
            return int(text[len(CURSOR_PREFIX) :])
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise GraphQLError(f"Invalid cursor: {cursor!r}", extensions={"code": "BAD_USER_INPUT"})


def connection(
    ids: np.ndarray,
    render: Renderer,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> dict:
    """One page of the records whose ascending ids are `ids`, with `nodes`, `edges`,
    `pageInfo` and `totalCount`. The cost check has already required `first` or `last`."""
    low = int(np.searchsorted(ids, decode_cursor(after), "right")) if after else 0
    high = int(np.searchsorted(ids, decode_cursor(before), "left")) if before else len(ids)
    high = max(low, high)
    if first is not None:
        high = min(high, low + first)
    if last is not None:
        low = max(low, high - last)
    positions = np.arange(low, high)
    nodes = render(positions)
    cursors = [encode_cursor(record_id) for record_id in ids[positions].tolist()]
    return {
        "nodes": nodes,
        "edges": [{"cursor": c, "node": n} for c, n in zip(cursors, nodes, strict=True)],
        "pageInfo": {
            "hasNextPage": high < len(ids),
            "hasPreviousPage": low > 0,
            "startCursor": cursors[0] if cursors else None,
            "endCursor": cursors[-1] if cursors else None,
        },
        "totalCount": len(ids),
    }
