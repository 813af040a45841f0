"""What the load engine reads: pages of rows, from a REST listing or a GraphQL connection.

A `Read` is one source of pages for one table: a paginated REST list endpoint, one REST GET,
or a GraphQL connection. Its pages carry the rows already shaped for the table (`Page.records`)
and, where the source announces it, how many items the whole read holds (`total_items`): what
the engine checks a read's completeness against. The engine (`resources.extraction.engine`)
does the rest the same way for every read.
"""

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from resources.thinkific.client import ThinkificClient
from resources.thinkific.connections import ConnectionPage
from resources.thinkific.errors import ThinkificNotFoundError
from resources.thinkific.read_ahead import AnswerHook

Records = list[dict[str, Any]]


@dataclass(frozen=True)
class Page:
    """One page of a read: the rows for the table, its number (from 1), the items the source
    answered on it (`read_rows`, what a resumed read counts from), the total it announced,
    for a source paged by cursors the cursor a resumed read starts after, and whether it is
    known to be the read's last (`final`)."""

    records: Records
    number: int
    read_rows: int
    total_items: int | None = None
    cursor: str | None = None
    final: bool = False


class Read(Protocol):
    """A source of pages for one table."""

    @property
    def label(self) -> str:
        """Names the read in progress logs and warnings."""
        ...

    @property
    def identity(self) -> list[Any]:
        """What is read (path and parameters): a checkpoint is resumed only by the same reads."""
        ...

    @property
    def paginated(self) -> bool:
        """False for a read of one answer (a single GET)."""
        ...

    @property
    def resumable(self) -> bool:
        """A paginated read that can start again at a later page (`pages(first_page=...)`)."""
        ...

    @property
    def total_counts_rows(self) -> bool:
        """Its pages' `total_items` is its row count (a REST listing's `total_items`, a
        connection's `totalCount`), rather than a count that must only hold still while it is
        paged (the courses whose certificates are read)."""
        ...

    def warm(self) -> None:
        """Start fetching the first answer now, for when the read comes (see
        `resources.thinkific.read_ahead`); a read that cannot does nothing."""
        ...

    def pages(
        self, first_page: int = 1, rows_before: int = 0, after: str | None = None
    ) -> Iterator[Page]:
        """The pages from `first_page` on, `rows_before` rows having been read before it; a
        source paged by cursors starts after the cursor `after` (a page's `cursor`)."""
        ...


def same_items(items: Any) -> Records:
    return items


@dataclass(frozen=True)
class RestListing:
    """A REST list endpoint (`paginated`), or one GET; `records` turns a page's items (or the
    GET's answer) into rows of the table. A GET answered 404 (the record went while the sync
    ran) gives no rows and a warning."""

    client: ThinkificClient
    path: str
    label: str
    params: Mapping[str, Any] = field(default_factory=dict)
    records: Callable[[Any], Records] = same_items
    paginated: bool = True
    log: Any = None

    @property
    def identity(self) -> list[Any]:
        return [self.path, sorted(self.params.items())]

    @property
    def resumable(self) -> bool:
        return True

    @property
    def total_counts_rows(self) -> bool:
        return True

    def warm(self, on_answer: AnswerHook | None = None) -> None:
        self.client.warm(
            self.path, dict(self.params), paginated=self.paginated, on_answer=on_answer
        )

    def pages(
        self, first_page: int = 1, rows_before: int = 0, after: str | None = None
    ) -> Iterator[Page]:
        if not self.paginated:
            yield self._single_page()
            return
        pages = self.client.iter_pages(
            self.path,
            dict(self.params),
            stream=self.label,
            first_page=first_page,
            rows_before=rows_before,
        )
        for page in pages:
            yield Page(self.records(page.items), page.number, len(page.items), page.total_items)

    def _single_page(self) -> Page:
        try:
            records = self.records(self.client.get(self.path, dict(self.params)))
        except ThinkificNotFoundError:
            if self.log is not None:
                self.log.warning(f"{self.label}: gone while the sync ran (404); skipped")
            records = []
        return Page(records, 1, len(records))


@dataclass(frozen=True)
class GraphQLRead:
    """A GraphQL connection, as the pages `connection(after)` yields from a cursor on (the
    nodes as answered, which the table's model reads). A resumed read starts after the cursor
    of the last page staged; each page announces the connection's `totalCount`, which counts
    its rows unless `total_counts_rows` is False."""

    label: str
    connection: Callable[[str | None], Iterable[ConnectionPage]]
    identity: list[Any] = field(default_factory=list)
    total_counts_rows: bool = True

    @property
    def paginated(self) -> bool:
        return True

    @property
    def resumable(self) -> bool:
        return True

    def warm(self) -> None:
        """GraphQL pages follow cursors: the next cannot be asked for before this one came."""

    def pages(
        self, first_page: int = 1, rows_before: int = 0, after: str | None = None
    ) -> Iterator[Page]:
        for number, page in enumerate(self.connection(after), start=first_page):
            records = page.records
            yield Page(
                records,
                number,
                len(records),
                page.total_count,
                page.end_cursor,
                final=not page.has_next,
            )
