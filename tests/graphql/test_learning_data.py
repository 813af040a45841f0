"""The generated certificates and quiz results: deterministic, and consistent with the REST data."""

from datetime import UTC, datetime

import pytest

from simulator import SimulatorConfig, SimulatorServer

PINNED_CLOCK = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _truth(**overrides) -> dict[str, list]:
    config = {"users": 200, "enrollments": 1500, "start_time": PINNED_CLOCK} | overrides
    return SimulatorServer(SimulatorConfig(**config)).ground_truth()


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.fixture(scope="module")
def truth() -> dict[str, list]:
    return _truth()


def test_same_seed_generates_the_same_certificates_and_quiz_results():
    first, second, other = _truth(seed=3), _truth(seed=3), _truth(seed=4)
    for stream in ("certificates", "quiz_results"):
        assert first[stream] == second[stream]
        assert first[stream] != other[stream]


def test_certificates_are_exactly_those_of_completed_enrollments_in_certified_courses(truth):
    certified = {
        product["productable_id"]
        for product in truth["products"]
        if product["productable_type"] == "Course" and product["has_certificate"]
    }
    earned = {
        (e["user_id"], e["course_id"], e["completed_at"])
        for e in truth["enrollments"]
        if e["completed"] and e["course_id"] in certified
    }
    issued = {
        (int(c["user"]["id"]), int(c["course"]["id"]), c["issuedAt"]) for c in truth["certificates"]
    }
    assert issued == earned
    assert len(issued) == len(truth["certificates"]) > 20


def test_quiz_results_are_of_started_enrollments_and_add_up(truth):
    started = {(e["user_id"], e["course_id"]) for e in truth["enrollments"] if e["started_at"]}
    course_ids = {course["name"]: course["id"] for course in truth["courses"]}
    for result in truth["quiz_results"]:
        course_id = course_ids[result["quiz"]["name"].rsplit(": Quiz", 1)[0]]  # "<course>: Quiz n"
        assert (int(result["user"]["id"]), course_id) in started
        answered = result["correctCount"] + result["incorrectCount"]
        score = result["quiz"]["passingScore"]
        assert result["passed"] == (
            score is None or 100 * result["correctCount"] >= score * answered
        )
        assert _moment(result["createdAt"]) <= _moment(result["completedAt"])
    assert len({result["id"] for result in truth["quiz_results"]}) == len(truth["quiz_results"])
