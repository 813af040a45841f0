"""What a REST list answer holds: its items and pagination, read as a `Page`, and the progress
of a paged read as a log record carries it (`PAGE_PROGRESS`) for the main command's display."""

from dataclasses import dataclass
from typing import Any

from resources.thinkific.errors import ThinkificError

PAGE_PROGRESS = "thinkific_page"
"""The attribute of a page's progress log record that holds its `PageProgress`, for a display
that draws progress (the main command's) without reading it out of the message."""


@dataclass(frozen=True)
class PageProgress:
    stream: str
    page: int
    total_pages: int | None
    rows: int


@dataclass(frozen=True)
class Page:
    """One page of a list endpoint."""

    items: list[dict[str, Any]]
    number: int
    total_pages: int | None
    total_items: int | None


def list_answer(answer: Any, endpoint: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The items and pagination of a list answer, or an error naming what arrived instead."""
    if not isinstance(answer, dict) or not isinstance(answer.get("items"), list):
        shape = sorted(answer) if isinstance(answer, dict) else type(answer).__name__
        raise ThinkificError(
            f"{endpoint} is not a list endpoint: expected {{items, meta}}, got {shape}",
            endpoint,
        )
    meta = answer.get("meta") or {}
    return answer["items"], meta.get("pagination") or {}


def whole_number(value: Any) -> int | None:
    """A page number or count; Thinkific's examples write them as floats (`2.0`)."""
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None
