"""The stream registry: every Thinkific stream declared once, as data.

A `Stream` says what a `thinkific/<stream>` asset loads into `thinkific_<stream>`: its model
(the columns), primary key, how it is read (`read`), its incremental cursor and filter where
the API has one, its references to other streams, and its description. The assets, their checks,
the warehouse's tables (`tables_of`), the main command's summary and the tests' ground truth all
read `STREAMS`; adding a stream is one entry here (and its data in the simulator, our stand-in
for Thinkific, which never reads this registry).

How a stream is read, as data (the load engine, `resources.extraction`, turns it into reads):

- `RestList`: one paginated REST list endpoint, read whole.
- `PerParent`: one read per live row of another stream (each group's members, each bundle).
- `Unpacked`: rows unpacked from an array column of another stream's table, with no API call.
- `GraphQLConnection`: a top-level Relay connection of the GraphQL API, declared as its query,
  where the connection sits in the answer, its page size and points, paged by one generic pager
  (`resources.thinkific.connections`), which can also refresh just some users' rows
  (`refresh_by`). Certificates alone name a special reader instead (no site-wide list exists).
"""

from dataclasses import dataclass
from typing import Literal

import pandera.pandas as pa

from schemas.tables import IndexSpec, TableSpec
from schemas.thinkific.models import (
    Bundle,
    BundleCourse,
    Certificate,
    Course,
    Enrollment,
    Group,
    GroupAnalyst,
    GroupMembership,
    Order,
    Product,
    QuizResult,
    User,
)

TABLE_PREFIX = "thinkific_"


@dataclass(frozen=True, kw_only=True)
class RestList:
    """A paginated REST list endpoint (`/users`), read whole every run."""

    path: str


@dataclass(frozen=True, kw_only=True)
class Link:
    """Rows that link a parent to each item its read answers: `{parent_column: the parent's
    id, item_column: the item's `item_key` (or the item itself, when the items are ids)}`."""

    parent_column: str
    item_column: str
    item_key: str | None = "id"


@dataclass(frozen=True, kw_only=True)
class FillMissing:
    """A record's array field that may be absent (null): filled with the ids of the items that
    a paginated list at `path` (`{id}`: the record's id) answers."""

    field: str
    path: str


@dataclass(frozen=True, kw_only=True)
class PerParent:
    """One read per live row of the `parent` stream, in id order.

    `path` and `params` take `{id}`, the parent's `parent_id` column; `where` keeps only the
    parents whose column holds a value. A `paginated` read is a list endpoint; otherwise one
    GET, whose answer is the record itself, or the list under `answer_key`. `link` turns each
    item into a link row; `fill_missing` completes a record's array field.
    """

    parent: str
    path: str
    params: tuple[tuple[str, str], ...] = ()
    parent_id: str = "id"
    where: tuple[str, str] | None = None
    paginated: bool = True
    answer_key: str | None = None
    link: Link | None = None
    fill_missing: FillMissing | None = None


@dataclass(frozen=True, kw_only=True)
class Unpacked:
    """Rows unpacked from the array column `array` of the `source` stream's live rows:
    `{source_column: the row's id, item_column: each element}`. No API call of its own."""

    source: str
    array: str
    source_column: str
    item_column: str


@dataclass(frozen=True, kw_only=True)
class GraphQLConnection:
    """A top-level Relay connection of the GraphQL API, as data (as dlt's `rest_api` declares a
    REST resource): the generic pager (`resources.thinkific.connections`) pages it by cursor.

    - `query`: one operation taking `$first: Int!`, `$after: String` and, when the connection
      is filtered (`filter_by_users` or `filter`), `$filter`; it asks for the connection's
      `nodes` and `pageInfo { hasNextPage endCursor }` (and `totalCount`, where it exists).
    - `path`: the fields from the answer's `data` down to the connection, e.g.
      `("site", "quizSubmissions")`.
    - `page_size`: the `first` of every page; `node_points`: the objects each node asks for. By
      the contract's rule (objects 100 points, a connection `first` x a node's cost, plus
      `pageInfo`, the sum / 100) a page costs one point per field of `path` plus one for
      `pageInfo`, plus `first` x `node_points`.
    - `filter`: fixed filter fields, e.g. `(("courseIds", ("12", "13")),)`.
    - `filter_by_users`: the filter field that takes user ids (e.g. `userIds`), for a targeted
      refresh; such pages ask for `page_size_per_user` rows a user (up to `page_size`), at most
      `users_per_filter` users a filter.
    - `refresh_by`: what a targeted refresh names its users by (their `email` or `user_id`); such
      a refresh upserts those users' rows and deletes nothing.
    - `reader`: the exception, not the rule: a named special reader
      (`resources.extraction.plan.GRAPHQL_READERS`) for a stream no single connection serves
      (certificates: course by course, with follow-up pages); the fields above are then unused.
    """

    refresh_by: Literal["email", "user_id"]
    query: str = ""
    path: tuple[str, ...] = ()
    page_size: int = 100
    node_points: int = 0
    filter: tuple[tuple[str, tuple[str, ...]], ...] = ()
    filter_by_users: str | None = None
    page_size_per_user: int = 20
    users_per_filter: int = 100
    reader: str | None = None

    def __post_init__(self) -> None:
        if self.reader is None and not (self.query and self.path):
            raise ValueError("a GraphQLConnection declares its query and path, or names a reader")
        if self.reader is None and self.filter_by_users is None:
            # The nightly read and the targeted refresh ask for some users' rows.
            raise ValueError("a GraphQLConnection declares the filter by users (`filter_by_users`)")

    @property
    def page_points(self) -> int:
        """What a page of `page_size` rows costs."""
        return self.points(self.page_size)

    def points(self, first: int) -> int:
        """What a page asking for `first` rows costs, by the contract's rule."""
        return len(self.path) + 1 + first * self.node_points


QUIZ_SUBMISSIONS_QUERY = """
query QuizSubmissions($first: Int!, $after: String, $filter: QuizSubmissionFilter) {
  site {
    quizSubmissions(first: $first, after: $after, filter: $filter) {
      nodes {
        id attempts correctCount incorrectCount passed completedAt createdAt
        quiz { id name passingScore }
        user { id email }
      }
      pageInfo { hasNextPage endCursor } totalCount
    }
  }
}"""
"""Every quiz submission of the site, each with its quiz and its user (two objects a node)."""


Read = RestList | PerParent | Unpacked | GraphQLConnection


@dataclass(frozen=True, kw_only=True)
class Incremental:
    """An incremental read: rows whose `cursor` column is on or after the day of the table's
    watermark (the highest `cursor` a complete read committed), asked for with the list
    parameter `query_filter` (Thinkific's date filters are day-granular: rows are de-duplicated
    by key). The first run, a full refresh and the weekly reconciliation read everything."""

    cursor: str
    query_filter: str


@dataclass(frozen=True, kw_only=True)
class Reference:
    """`column` holds ids of the `stream` stream's rows (checked by a warning asset check)."""

    column: str
    stream: str


@dataclass(frozen=True, kw_only=True)
class Stream:
    """One Thinkific stream: asset `thinkific/<name>`, table `thinkific_<name>`."""

    name: str
    model: type[pa.DataFrameModel]
    primary_key: tuple[str, ...]
    read: Read
    description: str
    incremental: Incremental | None = None
    references: tuple[Reference, ...] = ()
    indexes: tuple[IndexSpec, ...] = ()
    """Its table's indexes besides the key (`TableSpec.indexes`)."""

    @property
    def table(self) -> str:
        return f"{TABLE_PREFIX}{self.name}"

    @property
    def spec(self) -> TableSpec:
        return TableSpec(self.table, self.model, self.primary_key, indexes=self.indexes)

    @property
    def graphql(self) -> bool:
        """Read over GraphQL (by the one GraphQL step), not over REST."""
        return isinstance(self.read, GraphQLConnection)

    @property
    def depends_on(self) -> tuple[str, ...]:
        """The streams whose tables this stream's read starts from."""
        if isinstance(self.read, PerParent):
            return (self.read.parent,)
        if isinstance(self.read, Unpacked):
            return (self.read.source,)
        return ()


def tables_of(streams: tuple[Stream, ...] | list[Stream]) -> dict[str, TableSpec]:
    """The warehouse table registry of these streams, by table name."""
    return {stream.table: stream.spec for stream in streams}


def _refs(*pairs: tuple[str, str]) -> tuple[Reference, ...]:
    return tuple(Reference(column=column, stream=stream) for column, stream in pairs)


USERS_OF = ("user_id", "users")
GROUPS_OF = ("group_id", "groups")
COURSES_OF = ("course_id", "courses")

STREAMS: tuple[Stream, ...] = (
    Stream(
        name="users",
        model=User,
        primary_key=("id",),
        read=RestList(path="/users"),
        description=(
            "Every Thinkific user (no server-side change filter exists, so a full snapshot each "
            "run). Users missing from a complete snapshot get `deleted_at`."
        ),
        # The dashboard matches a member whose dashboard user is not linked by email, one index
        # search each (`resources.dashboard.team_mapping.thinkific_id_by_email`): the normalised
        # email, and the id, so that an email's highest id comes from the index alone.
        indexes=(
            IndexSpec(
                ("email", "id"), name="ix_thinkific_users_normalised_email", normalised=("email",)
            ),
        ),
    ),
    Stream(
        name="groups",
        model=Group,
        primary_key=("id",),
        read=RestList(path="/groups"),
        description="Thinkific groups: the units B2B customers map to dashboard teams.",
    ),
    Stream(
        name="group_memberships",
        model=GroupMembership,
        primary_key=("group_id", "user_id"),
        read=PerParent(
            parent="groups",
            path="/users",
            params=(("query[group_id]", "{id}"),),
            link=Link(parent_column="group_id", item_column="user_id"),
        ),
        description=(
            "Who is in which Thinkific group: one row per group and user. Thinkific has no "
            "membership endpoint, so each group's users are paged through "
            "`/users?query[group_id]=`."
        ),
        references=_refs(USERS_OF, GROUPS_OF),
    ),
    Stream(
        name="group_analysts",
        model=GroupAnalyst,
        primary_key=("group_id", "user_id"),
        read=PerParent(
            parent="groups",
            path="/groups/{id}/analysts",
            paginated=False,
            answer_key="group_analysts",
            link=Link(parent_column="group_id", item_column="user_id", item_key=None),
        ),
        description=(
            "Which users analyse which Thinkific group (the dashboard's natural team managers)."
        ),
        references=_refs(USERS_OF, GROUPS_OF),
    ),
    Stream(
        name="products",
        model=Product,
        primary_key=("id",),
        read=RestList(path="/products"),
        description=(
            "Thinkific products (courses and bundles for sale), with prices and certificate flags."
        ),
    ),
    Stream(
        name="courses",
        model=Course,
        primary_key=("id",),
        read=RestList(path="/courses"),
        description="Thinkific courses.",
    ),
    Stream(
        name="bundles",
        model=Bundle,
        primary_key=("id",),
        read=PerParent(
            parent="products",
            path="/bundles/{id}",
            parent_id="productable_id",
            where=("productable_type", "Bundle"),
            paginated=False,
            # The spec marks course_ids required, yet its own example lacks it: page them.
            fill_missing=FillMissing(field="course_ids", path="/bundles/{id}/courses"),
        ),
        description=(
            "Thinkific bundles with the ids of the courses each contains. Thinkific has no bundle "
            "list: bundles are found among the products whose `productable_type` is `Bundle`."
        ),
    ),
    Stream(
        name="bundle_courses",
        model=BundleCourse,
        primary_key=("bundle_id", "course_id"),
        read=Unpacked(
            source="bundles", array="course_ids", source_column="bundle_id", item_column="course_id"
        ),
        description=(
            "Which courses each bundle contains: one row per bundle and course, unpacked from "
            "`thinkific/bundles` (no API call of its own)."
        ),
        references=_refs(("bundle_id", "bundles"), COURSES_OF),
    ),
    Stream(
        name="enrollments",
        model=Enrollment,
        primary_key=("id",),
        read=RestList(path="/enrollments"),
        description=(
            "Every enrollment of every user in every course, with progress, completion and expiry. "
            "Incremental: a run reads only enrollments updated on or after the day of the watermark"
            " (the highest committed `updated_at`) and merges them by id; the first run, a "
            "full-refresh run and the weekly reconciliation read everything and mark vanished "
            "enrollments deleted."
        ),
        incremental=Incremental(cursor="updated_at", query_filter="query[updated_on_or_after]"),
        references=_refs(USERS_OF, COURSES_OF),
        indexes=(
            # Seat usage joins enrollments by user and course: SQLite, without hash joins, would
            # scan every enrollment; PostgreSQL hash-joins faster without the index
            # (benchmarks/bench_seat_usage.py measures both).
            IndexSpec(
                ("user_id", "course_id"),
                name="ix_thinkific_enrollments_user_course",
                dialects=("sqlite",),
            ),
            # The few enrollments with an expiry date: what expired since the last seat
            # calculation, and the next expiry the `seat_expiries` sensor looks for each minute,
            # are a range of it, not a scan of every enrollment.
            IndexSpec(("expiry_date",), where_not_null="expiry_date"),
        ),
    ),
    Stream(
        name="orders",
        model=Order,
        primary_key=("id",),
        read=RestList(path="/orders"),
        description=(
            "Thinkific orders: who bought which product when, and for how much (`amount_dollars`, "
            "`amount_cents`), with coupon, affiliate referral and status. No change filter exists: "
            "a full snapshot each run; orders missing from a complete snapshot get `deleted_at`."
        ),
        references=_refs(USERS_OF, ("product_id", "products")),
    ),
    Stream(
        name="certificates",
        model=Certificate,
        primary_key=("id",),
        # The exception: no site-wide certificate list exists, so a special reader pages the
        # courses and each course's certificates (`resources.thinkific.learning_queries`).
        read=GraphQLConnection(reader="certificates", refresh_by="email"),
        description=(
            "Every certificate issued on the site, with its user and course, read from Thinkific's "
            "GraphQL API course by course (no site-wide list exists)."
        ),
        references=_refs(USERS_OF, COURSES_OF),
    ),
    Stream(
        name="quiz_results",
        model=QuizResult,
        primary_key=("id",),
        # 3 + 220 x 2 → 443 points a page: four pages fit a minute's 1,800 (see
        # `resources.thinkific.learning_queries` on page sizes).
        read=GraphQLConnection(
            query=QUIZ_SUBMISSIONS_QUERY,
            path=("site", "quizSubmissions"),
            page_size=220,
            node_points=2,
            filter_by_users="userIds",
            page_size_per_user=20,
            users_per_filter=100,
            refresh_by="user_id",
        ),
        description=(
            "Every quiz submission: attempts, correct and incorrect answers, pass or fail, with its"
            " quiz and user, from Thinkific's GraphQL API."
        ),
        references=_refs(USERS_OF),
    ),
)
