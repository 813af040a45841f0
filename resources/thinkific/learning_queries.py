"""Certificates and quiz results from Thinkific's GraphQL API: the queries and how they page.

What the API allows (contract §6) decides how each stream is read:

- Certificates have no site-wide list and no date filter. All of them: page through every course
  and each course's certificates. Some of them: per user, `userByEmail(email:)`.
- Quiz submissions have one site-wide list, filterable by users, courses or groups, not by date:
  a connection declared in the registry (`schemas.thinkific.streams`), read by the generic pager
  (`resources.thinkific.connections`); its constants below are the entry's.

Page sizes keep every query under the 1,000-point cap and make points go as far as they can.
By the contract's rules (objects 100, a connection `first` x one node's cost plus `pageInfo`,
the sum / 100, rounded up), each query costs a base plus its page size times a node's points
(`points`), which each query declares so that the budget never assumes the per-query maximum:

- course certificates: 3 + courses x (certificates + 1) points: 25 x 5 → 153. Five per course
  keeps the many courses without certificates cheap; a course with more gets follow-up pages
  of its own (2 + 1 x (100 + 1) → 103 points a hundred certificates).
- a user's certificates: 3 + 10 x 2 → 23 points for ten (each node asks for its course): the
  nightly read asks for the few users who completed a course, most of whom hold few.
- quiz submissions: 3 + 220 x 2 → 443 points for 220 (each node has a quiz and a user);
  filtered by users, 20 a user up to 220 (one user: 43 points). Four pages cost 1,772 of a
  minute's 1,800: pages of 200 (403 points) left 188 of every 1,800 unspent, so a big site's
  read ran at 0.81 of Thinkific's 2,000 a minute; a few more a page would fill the minute
  better but push a small site's whole read (certificates and three pages) past it.

A page costs what it asks for (`first`), not what it returns, so a read's last page wastes up to
a page's worth of points, while each page adds only its base: small pages cost a big site about
1% more points than pages of 400, and let a small site's whole read fit in one minute's 1,800
instead of waiting out the minute for its last page.

Records are the nodes as answered (camelCase, nested `user`/`course`/`quiz`), what
`schemas.thinkific` reads; certificates read per course get that course as `course`.
"""

from collections.abc import Iterator
from typing import Any

from resources.thinkific.connections import ConnectionPage, Records
from resources.thinkific.connections import field as _field
from resources.thinkific.connections import following as _following
from resources.thinkific.connections import next_cursor as _next_cursor
from resources.thinkific.connections import page_of as _page_of
from resources.thinkific.errors import ThinkificError
from resources.thinkific.graphql import ThinkificGraphQLClient
from schemas.thinkific import stream_of
from schemas.thinkific.streams import GraphQLConnection

QUIZ_SUBMISSIONS_CONNECTION = stream_of("quiz_results").read
"""Quiz submissions: a connection declared in the registry, read by the generic pager."""
assert isinstance(QUIZ_SUBMISSIONS_CONNECTION, GraphQLConnection)
COURSES_PER_PAGE = 25
CERTIFICATES_PER_COURSE = 5
CERTIFICATES_PER_PAGE = 100
QUIZ_SUBMISSIONS_PER_PAGE = QUIZ_SUBMISSIONS_CONNECTION.page_size
USERS_PER_FILTER = QUIZ_SUBMISSIONS_CONNECTION.users_per_filter
CERTIFICATES_PER_USER = 10
SUBMISSIONS_PER_USER = QUIZ_SUBMISSIONS_CONNECTION.page_size_per_user
"""Pages of some users' rows ask for this many a user (up to a full page): a page costs what
it asks for, and a nightly read of a few users would pay for hundreds of rows it never gets."""

PAGE_INFO = "pageInfo { hasNextPage endCursor } totalCount"
"""Where a connection's next page starts, and how many rows it holds (a scalar: free)."""
CERTIFICATE = """
fragment Certificate on Certificate {
  id credentialId issuedAt expiryDate pdfDownloadPath
  user { id email firstName lastName }
}
"""
COURSE_CERTIFICATES = f"""
query CourseCertificates($courses: Int!, $after: String, $certificates: Int!) {{
  site {{
    courses(first: $courses, after: $after) {{
      edges {{ cursor node {{ id name
        certificates(first: $certificates) {{ nodes {{ ...Certificate }} {PAGE_INFO} }}
      }} }}
      {PAGE_INFO}
    }}
  }}
}}
{CERTIFICATE}"""
MORE_COURSE_CERTIFICATES = f"""
query MoreCourseCertificates($courseAfter: String, $after: String!, $certificates: Int!) {{
  site {{
    courses(first: 1, after: $courseAfter) {{ nodes {{ id name
      certificates(first: $certificates, after: $after) {{ nodes {{ ...Certificate }} {PAGE_INFO} }}
    }} }}
  }}
}}
{CERTIFICATE}"""
USER_CERTIFICATES = f"""
query UserCertificates($email: String!, $after: String, $certificates: Int!) {{
  userByEmail(email: $email) {{
    certificates(first: $certificates, after: $after) {{
      nodes {{ ...Certificate course {{ id name }} }}
      {PAGE_INFO}
    }}
  }}
}}
{CERTIFICATE}"""


def points(base: int, first: int, per_node: int) -> int:
    """A query's cost by the contract's rule, in the form the queries above reduce it to."""
    return base + first * per_node


COURSE_CERTIFICATES_COST = points(3, COURSES_PER_PAGE, CERTIFICATES_PER_COURSE + 1)
MORE_COURSE_CERTIFICATES_COST = points(2, 1, CERTIFICATES_PER_PAGE + 1)
USER_CERTIFICATES_COST = points(3, CERTIFICATES_PER_USER, 2)
QUIZ_SUBMISSIONS_COST = QUIZ_SUBMISSIONS_CONNECTION.page_points


def certificate_pages(
    client: ThinkificGraphQLClient, after: str | None = None
) -> Iterator[ConnectionPage]:
    """Every certificate of the site, course by course after the course cursor `after`; each
    page's count is the courses'.

    A page holds the courses whose certificates came with their page of courses, up to the
    next course that needs follow-up pages, which gets a page of its own: a resumed read asks
    again neither for a staged course's follow-ups nor for the courses before it.
    """
    query = "CourseCertificates"
    while True:
        variables = {
            "courses": COURSES_PER_PAGE,
            "after": after,
            "certificates": CERTIFICATES_PER_COURSE,
        }
        courses = _field(
            _field(
                client.query(query, COURSE_CERTIFICATES, variables, COURSE_CERTIFICATES_COST),
                "site",
                query,
            ),
            "courses",
            query,
        )
        total = _page_of(courses, [], after, query).total_count
        records: Records = []
        cursor = after  # the cursor just before each course, for its follow-up pages
        for edge in _field(courses, "edges", query):
            course = _field(edge, "node", query)
            certificates = _field(course, "certificates", query)
            first = _of_course(_field(certificates, "nodes", query), course)
            more_after = _next_cursor(certificates, query)
            course_cursor = _field(edge, "cursor", query)
            if more_after is None:
                records += first
            else:
                if records:
                    yield ConnectionPage(records, cursor, total, has_next=True)
                    records = []
                more = _more_course_certificates(client, cursor, course, more_after)
                yield ConnectionPage(first + more, course_cursor, total, has_next=True)
            cursor = course_cursor
        after = _next_cursor(courses, query)
        yield ConnectionPage(records, cursor, total, has_next=after is not None)
        if after is None:
            return


def _of_course(nodes: Records, course: dict[str, Any]) -> Records:
    return [{**node, "course": {"id": course["id"], "name": course.get("name")}} for node in nodes]


def _more_course_certificates(
    client: ThinkificGraphQLClient, course_after: str | None, course: dict[str, Any], after: str
) -> Records:
    """The certificates of one course after its first page.

    The course is addressed as the first course after the cursor of the one before it: the
    contract has no query for one course by id.
    """
    query = "MoreCourseCertificates"
    records: Records = []
    cursor: str | None = after
    while cursor is not None:
        variables = {
            "courseAfter": course_after,
            "after": cursor,
            "certificates": CERTIFICATES_PER_PAGE,
        }
        data = client.query(
            query, MORE_COURSE_CERTIFICATES, variables, MORE_COURSE_CERTIFICATES_COST
        )
        nodes = _field(_field(_field(data, "site", query), "courses", query), "nodes", query)
        if not nodes or nodes[0].get("id") != course["id"]:
            raise ThinkificError(
                f"GraphQL {query}: the course list changed while paging (expected course "
                f"{course['id']}); run the sync again."
            )
        certificates = _field(nodes[0], "certificates", query)
        records += _of_course(_field(certificates, "nodes", query), course)
        cursor = _next_cursor(certificates, query)
    return records


def user_certificate_pages(
    client: ThinkificGraphQLClient, email: str, after: str | None = None
) -> Iterator[ConnectionPage]:
    """The certificates of the user with this email, page by page after `after`; an email
    that names no user (deleted since) gives one empty page."""
    query = "UserCertificates"

    def fetch(after: str | None) -> ConnectionPage:
        variables = {"email": email, "after": after, "certificates": CERTIFICATES_PER_USER}
        user = client.query(query, USER_CERTIFICATES, variables, USER_CERTIFICATES_COST).get(
            "userByEmail"
        )
        if user is None:
            return ConnectionPage([], after, 0, has_next=False)
        certificates = _field(user, "certificates", query)
        return _page_of(certificates, _field(certificates, "nodes", query), after, query)

    return _following(fetch, after)
