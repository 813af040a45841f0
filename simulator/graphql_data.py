"""The site's certificates and quiz submissions as GraphQL serves them, and as ground truth.

Records are plain dicts keyed by GraphQL field names. For execution, a field that takes arguments
(a connection) is a callable, which graphql-core's default resolver calls with the arguments;
ground truth has the same records without those fields. Only live records appear: a deleted
user's or course's certificates and quiz submissions go with them, as on Thinkific.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from graphql import GraphQLError, GraphQLResolveInfo

from simulator.relay import connection
from simulator.site import Site
from simulator.table import Table
from simulator.timestamps import format_ms

Resolver = Callable[..., Any]


class LearningGraph:
    """Root values and ground truth over one site; call under `site.lock` for a consistent view."""

    def __init__(self, site: Site) -> None:
        self._site = site
        self._tables = site.tables

    def root(self) -> dict[str, Any]:
        """The root value of one execution."""
        return {
            "site": {"courses": self._courses, "quizSubmissions": self._quiz_submissions},
            "userByEmail": self._user_by_email,
        }

    def ground_truth(self) -> dict[str, list[dict]]:
        """Every live certificate and quiz submission with every field the contract lists."""
        with self._site.lock:
            certificates = self._live(self._tables.certificates)
            submissions = self._live(self._tables.quiz_submissions)
            return {
                "certificates": self._certificates(certificates, linked=False),
                "quiz_results": self._submissions(submissions, linked=False),
            }

    # Which records are live

    def _alive(self, table: Table, ids: np.ndarray) -> np.ndarray:
        return table.alive[table.rows_of(ids)]

    def _live(self, table: Table) -> np.ndarray:
        """Live rows of certificates or quiz submissions: their user and course still exist."""
        tables = self._tables
        mask = table.alive & self._alive(tables.users, table.column("user_id"))
        if table is tables.certificates:
            course_ids = table.column("course_id")
        else:
            course_ids = tables.quizzes.column("course_id")[
                tables.quizzes.rows_of(table.column("quiz_id"))
            ]
        return np.flatnonzero(mask & self._alive(tables.courses, course_ids))

    # Rendering

    def _users(self, ids: np.ndarray, linked: bool) -> list[dict]:
        users = self._tables.users
        names = ["id", "email", "first_name", "last_name"]
        return [
            {
                "id": str(user["id"]),
                "email": user["email"],
                "firstName": user["first_name"],
                "lastName": user["last_name"],
                **(
                    {"certificates": self._certificates_of("user_id", user["id"])} if linked else {}
                ),
            }
            for user in users.records(users.rows_of(ids), names)
        ]

    def _course_nodes(self, ids: np.ndarray, linked: bool) -> list[dict]:
        courses = self._tables.courses
        return [
            {
                "id": str(course["id"]),
                "name": course["name"],
                **(
                    {"certificates": self._certificates_of("course_id", course["id"])}
                    if linked
                    else {}
                ),
            }
            for course in courses.records(courses.rows_of(ids), ["id", "name"])
        ]

    def _certificates(self, rows: np.ndarray, linked: bool) -> list[dict]:
        table = self._tables.certificates
        names = ["id", "credential_id", "issued_at", "expiry_date", "pdf_download_path"]
        users = self._users(table.column("user_id")[rows], linked)
        courses = self._course_nodes(table.column("course_id")[rows], linked)
        return [
            {
                "id": str(certificate["id"]),
                "credentialId": certificate["credential_id"],
                "issuedAt": format_ms(certificate["issued_at"]),
                "expiryDate": format_ms(certificate["expiry_date"]),
                "pdfDownloadPath": certificate["pdf_download_path"],
                "user": user,
                "course": course,
            }
            for certificate, user, course in zip(
                table.records(rows, names), users, courses, strict=True
            )
        ]

    def _submissions(self, rows: np.ndarray, linked: bool) -> list[dict]:
        table, quizzes = self._tables.quiz_submissions, self._tables.quizzes
        names = ["id", "attempts", "correct_count", "incorrect_count", "passed"]
        quiz_records = quizzes.records(
            quizzes.rows_of(table.column("quiz_id")[rows]), ["id", "name", "passing_score"]
        )
        users = self._users(table.column("user_id")[rows], linked)
        times = table.records(rows, ["created_at", "completed_at"])
        return [
            {
                "id": str(submission["id"]),
                "attempts": submission["attempts"],
                "correctCount": submission["correct_count"],
                "incorrectCount": submission["incorrect_count"],
                "passed": submission["passed"],
                "completedAt": format_ms(when["completed_at"]),
                "createdAt": format_ms(when["created_at"]),
                "quiz": {
                    "id": str(quiz["id"]),
                    "name": quiz["name"],
                    "passingScore": quiz["passing_score"],
                },
                "user": user,
            }
            for submission, when, quiz, user in zip(
                table.records(rows, names), times, quiz_records, users, strict=True
            )
        ]

    # Resolvers of the fields that take arguments

    def _page(self, table: Table, rows: np.ndarray, render: Callable, **args: Any) -> dict:
        """One page of `table`'s `rows` (in id order), rendered by `render(rows, linked=True)`."""
        return connection(table.ids[rows], lambda at: render(rows[at], linked=True), **args)

    def _certificates_of(self, column: str, record_id: int) -> Resolver:
        def certificates(info: GraphQLResolveInfo, **args: Any) -> dict:
            table = self._tables.certificates
            rows = self._live(table)
            rows = rows[table.column(column)[rows] == record_id]
            return self._page(table, rows, self._certificates, **args)

        return certificates

    def _courses(self, info: GraphQLResolveInfo, **args: Any) -> dict:
        courses = self._tables.courses

        def render(rows: np.ndarray, linked: bool) -> list[dict]:
            return self._course_nodes(courses.ids[rows], linked)

        return self._page(courses, courses.live_rows(), render, **args)

    def _quiz_submissions(
        self, info: GraphQLResolveInfo, filter: dict[str, list[str]] | None = None, **args: Any
    ) -> dict:
        table = self._tables.quiz_submissions
        rows = self._live(table)
        for name, wanted in (filter or {}).items():
            if wanted is not None:
                rows = rows[self._matches(name, _ids(wanted), rows)]
        return self._page(table, rows, self._submissions, **args)

    def _matches(self, name: str, wanted: list[int], rows: np.ndarray) -> np.ndarray:
        """Which submission rows one `QuizSubmissionFilter` field keeps."""
        tables = self._tables
        table, quizzes, memberships = tables.quiz_submissions, tables.quizzes, tables.memberships
        if name == "courseIds":
            quiz_rows = quizzes.rows_of(table.column("quiz_id")[rows])
            return np.isin(quizzes.column("course_id")[quiz_rows], wanted)
        if name == "groupIds":
            in_groups = memberships.alive & np.isin(memberships.column("group_id"), wanted)
            wanted = memberships.column("user_id")[in_groups].tolist()
        return np.isin(table.column("user_id")[rows], wanted)

    def _user_by_email(self, info: GraphQLResolveInfo, email: str) -> dict | None:
        user_id = self._site.user_by_email.get(email.strip().lower())
        if user_id is None:
            return None
        return self._users(np.array([user_id]), linked=True)[0]


def _ids(values: list[str]) -> list[int]:
    try:
        return [int(value) for value in values]
    except ValueError:
        raise GraphQLError(
            f"Invalid ID in {values!r}", extensions={"code": "BAD_USER_INPUT"}
        ) from None
