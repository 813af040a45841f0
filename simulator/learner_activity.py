"""A learner's day on the site, for tests and benchmarks of reads that follow activity: quiz
attempts and course completions, with what Thinkific changes along with them.

As the contract describes Thinkific: a quiz attempt is a new quiz submission, and moves the
enrollment's progress (its `updated_at`); completing a course completes the enrollment and, when
the course's product awards certificates, issues the learner a certificate.
"""

from __future__ import annotations

import numpy as np

from simulator.site import Site
from simulator.timestamps import NULL_MS

QUESTIONS = 10
"""Questions of a quiz attempted here: seven answered right, enough to pass any passing score."""
CORRECT = 7


def attempt_quiz(site: Site, enrollment_id: int) -> None:
    """The enrollment's learner submits the first quiz of its course; its progress moves."""
    tables, now = site.tables, site.clock.now_ms()
    with site.lock:
        enrollment = site.live_row("enrollments", enrollment_id)
        course_id = tables.enrollments.get(enrollment, "course_id")
        quizzes = np.flatnonzero(
            tables.quizzes.alive & (tables.quizzes.column("course_id") == course_id)
        )
        if not len(quizzes):
            raise ValueError(f"course {course_id} has no quiz")
        submissions = tables.quiz_submissions
        submissions.insert(
            {
                "id": submissions.max_id() + 1,
                "quiz_id": tables.quizzes.ids[quizzes[0]],
                "user_id": tables.enrollments.get(enrollment, "user_id"),
                "attempts": 1,
                "correct_count": CORRECT,
                "incorrect_count": QUESTIONS - CORRECT,
                "passed": True,
                "created_at": now,
                "completed_at": now,
            }
        )
        site.update("enrollments", enrollment_id, {"percentage_completed": 0.9})


def complete_course(site: Site, enrollment_id: int) -> None:
    """The enrollment's learner completes its course: a certificate where its product awards
    one and the learner has none for it yet."""
    tables, now = site.tables, site.clock.now_ms()
    with site.lock:
        enrollment = site.live_row("enrollments", enrollment_id)
        user_id = tables.enrollments.get(enrollment, "user_id")
        course_id = tables.enrollments.get(enrollment, "course_id")
        site.update(
            "enrollments",
            enrollment_id,
            {"completed_at": now, "percentage_completed": 1.0},
        )
        product = tables.products.row_of(
            tables.courses.get(tables.courses.row_of(course_id), "product_id")
        )
        certificates = tables.certificates
        held = (
            certificates.alive
            & (certificates.column("user_id") == user_id)
            & (certificates.column("course_id") == course_id)
        )
        if product is None or not tables.products.get(product, "has_certificate") or held.any():
            return
        certificate_id = certificates.max_id() + 1
        certificates.insert(
            {
                "id": certificate_id,
                "user_id": user_id,
                "course_id": course_id,
                "credential_id": f"{certificate_id:012x}",
                "issued_at": now,
                "expiry_date": None,
                "pdf_download_path": f"/certificates/{certificate_id:012x}.pdf",
            }
        )


def progress(site: Site, share: float, seed: int) -> list[int]:
    """A day in which `share` of the live users (at least one) each attempt a quiz in one of
    their unfinished enrollments and complete its course (one whose product awards
    certificates, so that the day changes both GraphQL tables); the users who progressed."""
    tables = site.tables
    rng = np.random.default_rng(seed)
    with site.lock:
        enrollments, courses, products = tables.enrollments, tables.courses, tables.products
        certified = courses.ids[
            products.column("has_certificate")[
                products.rows_of(courses.column("product_id"))
            ].astype(bool)
        ]
        course_ids = enrollments.column("course_id")
        rows = np.flatnonzero(
            enrollments.alive
            & (enrollments.column("completed_at") == NULL_MS)
            & np.isin(course_ids, tables.quizzes.column("course_id"))
            & np.isin(course_ids, certified)
        )
        users = np.unique(enrollments.column("user_id")[rows])
        count = max(1, round(share * tables.users.live_count()))
        chosen = sorted(rng.choice(users, size=min(count, len(users)), replace=False).tolist())
        for user_id in chosen:
            enrollment_id = int(
                enrollments.ids[rows[enrollments.column("user_id")[rows] == user_id][0]]
            )
            attempt_quiz(site, enrollment_id)
            complete_course(site, enrollment_id)
        return chosen
