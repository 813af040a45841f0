"""Generates what only GraphQL serves: quizzes, quiz submissions and certificates.

Drawn from a generator of its own (seeded by the site's seed), so adding these records leaves
every REST record of a seed exactly as it was. Everything follows from the enrollments:

- a certificate for each completed enrollment whose course's product `has_certificate`, issued
  when the enrollment completed, some with an expiry date;
- zero to three quizzes per course, and for each started enrollment a submission of each quiz
  of its course for about two thirds of them, made between the start and the last activity.
"""

from __future__ import annotations

import numpy as np

from simulator.schema import CERTIFICATES, QUIZ_SUBMISSIONS, QUIZZES
from simulator.table import Table, object_array
from simulator.timestamps import DAY_MS, NULL_MS

LEARNING_STREAM = 6
"""Second seed component: these records' random stream, apart from the REST records' one."""
PASSING_SCORES = (None, 50, 60, 70, 80)
MAX_QUIZ_MINUTES = 30


def generate_learning(
    seed: int, courses: Table, products: Table, enrollments: Table
) -> tuple[Table, Table, Table]:
    """(quizzes, quiz submissions, certificates) of a generated site, deterministic in `seed`."""
    rng = np.random.default_rng([seed, LEARNING_STREAM])
    quizzes = _quizzes(rng, courses)
    submissions = _quiz_submissions(rng, enrollments, courses, quizzes)
    certificates = _certificates(rng, enrollments, courses, products)
    return quizzes, submissions, certificates


def _ids(rng: np.random.Generator, count: int) -> np.ndarray:
    """Ascending ids with gaps, as Thinkific's are."""
    return int(rng.integers(1_000, 10_000)) + np.cumsum(rng.integers(1, 4, size=count))


def _quizzes(rng: np.random.Generator, courses: Table) -> Table:
    per_course = rng.choice(4, size=len(courses), p=[0.2, 0.4, 0.3, 0.1])
    course_rows = np.repeat(np.arange(len(courses)), per_course)
    numbers = np.arange(len(course_rows)) - np.repeat(
        np.cumsum(per_course) - per_course, per_course
    )
    names = courses.column("name")[course_rows].tolist()
    scores = object_array(list(PASSING_SCORES))[rng.integers(len(PASSING_SCORES), size=len(names))]
    return Table(
        QUIZZES,
        {
            "id": _ids(rng, len(course_rows)),
            "course_id": courses.ids[course_rows],
            "name": object_array(
                [f"{name}: Quiz {n + 1}" for name, n in zip(names, numbers.tolist(), strict=True)]
            ),
            "passing_score": scores,
        },
    )


def _quiz_submissions(
    rng: np.random.Generator, enrollments: Table, courses: Table, quizzes: Table
) -> Table:
    """Submissions of the quizzes of started enrollments' courses, in creation (= id) order."""
    quiz_course_rows = courses.rows_of(quizzes.column("course_id"))
    quizzes_per_course = np.bincount(quiz_course_rows, minlength=len(courses))
    first_quiz = np.cumsum(quizzes_per_course) - quizzes_per_course
    started = np.flatnonzero(enrollments.column("started_at") != NULL_MS)
    course_rows = courses.rows_of(enrollments.column("course_id")[started])
    counts = quizzes_per_course[course_rows]
    enrollment_rows = np.repeat(started, counts)
    quiz_rows = np.repeat(first_quiz[course_rows], counts) + (
        np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    )
    taken = rng.random(len(quiz_rows)) < 0.65
    enrollment_rows, quiz_rows = enrollment_rows[taken], quiz_rows[taken]
    count = len(quiz_rows)

    start = enrollments.column("started_at")[enrollment_rows]
    completed = enrollments.column("completed_at")[enrollment_rows]
    end = np.where(
        completed != NULL_MS, completed, enrollments.column("updated_at")[enrollment_rows]
    )
    end = np.maximum(end, start)
    created = start + (rng.random(count) * (end - start)).astype(np.int64)
    finished = np.minimum(created + rng.integers(60_000, MAX_QUIZ_MINUTES * 60_000, count), end)
    questions = rng.integers(4, 21, size=count)
    correct = rng.binomial(questions, 0.75)
    scores = quizzes.column("passing_score")[quiz_rows]
    passed = np.array(
        [
            score is None or right * 100 >= score * total
            for score, right, total in zip(
                scores.tolist(), correct.tolist(), questions.tolist(), strict=True
            )
        ],
        dtype=bool,
    )
    order = np.argsort(created, kind="stable")
    return Table(
        QUIZ_SUBMISSIONS,
        {
            "id": _ids(rng, count),
            "quiz_id": quizzes.ids[quiz_rows][order],
            "user_id": enrollments.column("user_id")[enrollment_rows][order],
            "attempts": rng.choice([1, 1, 1, 2, 3], size=count)[order],
            "correct_count": correct[order],
            "incorrect_count": (questions - correct)[order],
            "passed": passed[order],
            "created_at": created[order],
            "completed_at": finished[order],
        },
    )


def _certificates(
    rng: np.random.Generator, enrollments: Table, courses: Table, products: Table
) -> Table:
    """A certificate per completed enrollment in a course whose product has certificates."""
    course_products = products.rows_of(courses.column("product_id"))
    certified_course = products.column("has_certificate")[course_products]
    course_rows = courses.rows_of(enrollments.column("course_id"))
    completed_at = enrollments.column("completed_at")
    earned = np.flatnonzero((completed_at != NULL_MS) & certified_course[course_rows])
    earned = earned[np.argsort(completed_at[earned], kind="stable")]
    count = len(earned)
    issued = completed_at[earned]
    expires = rng.random(count) < 0.25
    valid_days = rng.choice([365, 730], size=count)
    credentials = [f"{value:012x}" for value in rng.integers(0, 2**48, size=count).tolist()]
    return Table(
        CERTIFICATES,
        {
            "id": _ids(rng, count),
            "user_id": enrollments.column("user_id")[earned],
            "course_id": enrollments.column("course_id")[earned],
            "credential_id": object_array(credentials),
            "issued_at": issued,
            "expiry_date": np.where(expires, issued + valid_days * DAY_MS, NULL_MS),
            "pdf_download_path": object_array(
                [f"/certificates/{credential}.pdf" for credential in credentials]
            ),
        },
    )
