"""Webhook payloads mapped onto the tables' rows: Thinkific's own examples and their variants."""

import copy
import datetime as dt

import pytest

from receiver.envelope import KEPT_TOPICS
from resources.webhooks.changes import TOPICS, changes_of
from tests.contract_examples import load_example
from tests.webhooks.applying import KEPT_EXAMPLES, WEBHOOK_EXAMPLES, landed, topic_of

QUIZ_EXAMPLE_QUIZ = 43811


def _change(envelope: dict, passing_scores: dict | None = None):
    (change,) = changes_of([landed(envelope)], passing_scores or {})
    return change


def _utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def test_every_topic_the_receiver_keeps_maps_onto_a_table():
    assert set(TOPICS) == set(KEPT_TOPICS)


@pytest.mark.parametrize("path", KEPT_EXAMPLES, ids=lambda path: path.stem)
def test_every_thinkific_example_of_a_kept_topic_is_a_complete_change_of_its_record(path):
    example = load_example(path.stem)
    change = _change(example, {QUIZ_EXAMPLE_QUIZ: 70})
    payload = example["payload"]
    assert change.complete, change.lacking
    assert change.record_id == payload.get("result_id", payload.get("id"))
    assert change.values["id"] == change.record_id


def test_the_other_thinkific_examples_are_of_topics_the_receiver_does_not_keep():
    others = {topic_of(path) for path in WEBHOOK_EXAMPLES if path not in KEPT_EXAMPLES}
    assert others == {"lesson.completed", "order.created", "user.signin"}
    assert not others & set(KEPT_TOPICS)


def test_an_enrollment_example_sets_every_enrollment_column():
    change = _change(load_example("webhook_enrollment_created"))

    assert change.stream == "enrollments"
    assert change.values == {
        "id": 97472,
        "user_email": "ninjas@thinkific.com",
        "user_name": "Robert Smith",
        "user_id": 123456,
        "course_name": "Introduction to Webhooks",
        "course_id": 4,
        "percentage_completed": 0.0,
        "expired": False,
        "is_free_trial": False,
        "completed": False,
        "started_at": _utc("2018-01-26T22:17:01.891Z"),
        "activated_at": _utc("2018-01-26T22:16:52.255Z"),
        "completed_at": None,
        "updated_at": _utc("2018-01-26T22:17:01.924Z"),
        "expiry_date": None,
        "created_at": _utc("2018-01-26T22:16:52.285Z"),
    }
    assert change.version == _utc("2018-01-26T22:17:01.924Z")


def test_a_progress_percentage_string_is_a_percentage_and_a_number_a_fraction():
    progress = load_example("webhook_enrollment_progress")
    as_number = copy.deepcopy(progress)
    as_number["payload"]["percentage_completed"] = 0.5

    assert _change(progress).values["percentage_completed"] == pytest.approx(0.24)
    assert _change(as_number).values["percentage_completed"] == 0.5


def test_an_enrollment_is_completed_by_a_completion_time_or_the_completed_topic():
    created = load_example("webhook_enrollment_created")
    completed = copy.deepcopy(created) | {"action": "completed"}

    assert _change(created).values["completed"] is False
    assert _change(completed).values["completed"] is True


def test_an_enrollment_has_expired_when_its_expiry_date_is_not_after_the_event():
    gist = load_example("webhook_enrollment_created_gist_variant")
    later = copy.deepcopy(gist)
    later["payload"]["expiry_date"] = "2014-03-01T00:00:00.000Z"

    assert _change(gist).values["expired"] is True
    assert _change(later).values["expired"] is False


def test_a_user_signup_sets_the_columns_it_carries_and_leaves_the_others_out():
    change = _change(load_example("webhook_user_signup"))

    assert change.stream == "users"
    assert change.values["full_name"] == "Robert Smith"
    assert change.values["roles"] == "[]"
    assert "affiliate_commission_type" not in change.values  # the sample has no such key
    assert "administered_course_ids" not in change.values  # null in webhooks, a list in REST
    assert change.version == _utc("2018-01-23T22:02:45.001Z")


def test_a_quiz_attempt_passes_or_fails_by_its_quizs_stored_passing_score():
    example = load_example("webhook_quiz_attempted")  # 1 of 5 answers right

    failed = _change(example, {QUIZ_EXAMPLE_QUIZ: 20 + 1})
    passed = _change(example, {QUIZ_EXAMPLE_QUIZ: 20})
    no_pass_mark = _change(example, {QUIZ_EXAMPLE_QUIZ: None})

    assert (failed.values["passed"], failed.values["quiz_passing_score"]) == (False, 21)
    assert passed.values["passed"] is True
    assert no_pass_mark.values["passed"] is True


def test_a_quiz_attempt_is_a_result_keyed_by_its_result_id_completed_at_the_event():
    change = _change(load_example("webhook_quiz_attempted"), {QUIZ_EXAMPLE_QUIZ: 70})

    assert change.stream == "quiz_results"
    assert change.values == {
        "id": 12511,
        "attempts": 2,
        "correct_count": 1,
        "incorrect_count": 4,
        "passed": False,
        "completed_at": _utc("2019-08-27T21:02:50.000Z"),
        "quiz_id": QUIZ_EXAMPLE_QUIZ,
        "quiz_name": "Webhook Quiz",
        "quiz_passing_score": 70,
        "user_id": 124567,
        "user_email": "sammy@thinkific.com",
    }


def test_a_quiz_attempt_at_a_quiz_not_stored_lacks_whether_it_passed():
    change = _change(load_example("webhook_quiz_attempted"), {})

    assert change.lacking == ("passed",)
    assert change.user_id == 124567


def test_an_enrollment_without_its_updated_at_lacks_its_version():
    example = load_example("webhook_enrollment_created")
    del example["payload"]["updated_at"]

    change = _change(example)

    assert change.lacking == ("updated_at",)
    assert change.record_id == 97472


def test_an_unreadable_value_is_lacking_and_the_record_id_is_still_read():
    example = load_example("webhook_enrollment_progress")
    example["payload"]["percentage_completed"] = "most of it"

    change = _change(example)

    assert "percentage_completed" in change.lacking
    assert change.record_id == 4


def test_a_user_without_an_email_lacks_it():
    example = load_example("webhook_user_signup")
    del example["payload"]["email"]

    change = _change(example)

    assert change.lacking == ("email",)
    assert change.record_id == 123456


def test_a_quiz_attempt_without_its_result_id_lacks_its_key_and_names_its_user():
    example = load_example("webhook_quiz_attempted")
    del example["payload"]["result_id"]

    change = _change(example, {QUIZ_EXAMPLE_QUIZ: 70})

    assert "id" in change.lacking
    assert (change.record_id, change.user_id) == (None, 124567)


def test_changes_come_back_in_the_events_order_whatever_their_tables():
    topics = ["webhook_user_signup", "webhook_enrollment_created", "webhook_user_signup"]
    events = [landed(load_example(name), number) for number, name in enumerate(topics, 1)]

    changes = changes_of(events, {})

    assert [change.event.sequence_number for change in changes] == [1, 2, 3]
    assert [change.stream for change in changes] == ["users", "enrollments", "users"]
