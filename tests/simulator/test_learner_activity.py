"""A simulated day of learner activity changes what Thinkific changes: each learner who
progressed has a new quiz submission, a completed enrollment updated today and, in a course
whose product awards certificates, a certificate."""

from simulator.learner_activity import progress

SITE = {"users": 50, "courses": 30, "enrollments": 1200}


def _by_user(records: list[dict], user_id: int) -> list[dict]:
    return [record for record in records if int(record["user"]["id"]) == user_id]


def test_each_learner_who_progressed_has_a_new_submission_and_certificate(start_simulator):
    sim = start_simulator(**SITE)
    before = sim.ground_truth()
    (user_id,) = progress(sim.site, 0.02, seed=1)
    after = sim.ground_truth()
    for table in ("quiz_results", "certificates"):
        assert len(_by_user(after[table], user_id)) == len(_by_user(before[table], user_id)) + 1
        others = [r for r in after[table] if int(r["user"]["id"]) != user_id]
        assert others == [r for r in before[table] if int(r["user"]["id"]) != user_id]


def test_the_enrollment_of_a_learner_who_progressed_is_completed_and_updated_now(
    start_simulator,
):
    sim = start_simulator(**SITE)
    (user_id,) = progress(sim.site, 0.02, seed=1)
    latest = max(sim.ground_truth()["enrollments"], key=lambda e: e["updated_at"])
    assert latest["user_id"] == user_id and latest["completed"]
    assert latest["percentage_completed"] == 1.0
