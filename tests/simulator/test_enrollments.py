"""Enrollments: every list filter (date filters day-granular), single records, POST and PUT."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.simulator.helpers import fetch_all, session_for


def _ids(items: list[dict]) -> list[int]:
    return [item["id"] for item in items]


def _enrollments(simulator, api, **params) -> list[dict]:
    return fetch_all(api, f"{simulator.base_url}/enrollments", limit=250, **params)


@pytest.mark.parametrize(
    ("name", "value", "holds"),
    [
        ("free_trial", "true", lambda e: e["is_free_trial"]),
        ("free_trial", "false", lambda e: not e["is_free_trial"]),
        ("full", "true", lambda e: not e["is_free_trial"]),
        ("full", "false", lambda e: e["is_free_trial"]),
        ("completed", "true", lambda e: e["completed"]),
        ("completed", "false", lambda e: not e["completed"]),
        ("expired", "true", lambda e: e["expired"]),
        ("expired", "false", lambda e: not e["expired"]),
    ],
)
def test_boolean_filters(simulator, api, name, value, holds):
    expected = [e["id"] for e in simulator.ground_truth()["enrollments"] if holds(e)]
    assert expected
    assert _ids(_enrollments(simulator, api, **{f"query[{name}]": value})) == expected


@pytest.mark.parametrize("field", ["user_id", "course_id"])
def test_id_filters(simulator, api, field):
    truth = simulator.ground_truth()["enrollments"]
    wanted = truth[0][field]
    expected = [e["id"] for e in truth if e[field] == wanted]
    assert _ids(_enrollments(simulator, api, **{f"query[{field}]": wanted})) == expected


def test_email_filter_is_case_insensitive(simulator, api):
    truth = simulator.ground_truth()["enrollments"]
    email = truth[0]["user_email"]
    expected = [e["id"] for e in truth if e["user_email"] == email]
    assert _ids(_enrollments(simulator, api, **{"query[email]": email.upper()})) == expected


def test_filters_combine(simulator, api):
    truth = simulator.ground_truth()["enrollments"]
    course_id = truth[0]["course_id"]
    expected = [e["id"] for e in truth if e["course_id"] == course_id and e["completed"]]
    params = {"query[course_id]": course_id, "query[completed]": "true"}
    assert _ids(_enrollments(simulator, api, **params)) == expected


BOUNDARY_STAMPS = {
    "last_ms_of_day_before": "2024-03-04T23:59:59.999Z",
    "first_ms_of_day": "2024-03-05T00:00:00Z",
    "last_ms_of_day": "2024-03-05T23:59:59.999Z",
    "first_ms_of_day_after": "2024-03-06T00:00:00Z",
}
DAY_FILTERS = {
    "on": {"first_ms_of_day", "last_ms_of_day"},
    "before": {"last_ms_of_day_before"},
    "after": {"first_ms_of_day_after"},
    "on_or_before": {"last_ms_of_day_before", "first_ms_of_day", "last_ms_of_day"},
    "on_or_after": {"first_ms_of_day", "last_ms_of_day", "first_ms_of_day_after"},
}


@pytest.fixture
def boundary_site(start_simulator):
    """A site whose only enrollments sit on both sides of the 2024-03-05 day boundaries."""
    sim = start_simulator(enrollments=0)
    truth = sim.ground_truth()
    course_id = truth["courses"][0]["id"]
    names = {}
    for user, (name, stamp) in zip(truth["users"], BOUNDARY_STAMPS.items(), strict=False):
        fields = {"user_id": user["id"], "course_id": course_id, "activated_at": stamp}
        created = sim.site.create(
            "enrollments", fields | {"created_at": stamp, "updated_at": stamp}
        )
        names[created["id"]] = name
    return sim, names


@pytest.mark.parametrize("column", ["created", "updated"])
@pytest.mark.parametrize("comparison", list(DAY_FILTERS))
@pytest.mark.parametrize(
    "value",
    ["2024-03-05", "2024-03-05T17:45:12.345Z", "2024-03-06T00:30:00+01:00"],
    ids=["date", "utc-datetime", "offset-datetime-whose-utc-date-is-the-5th"],
)
def test_date_filters_are_day_granular_on_the_boundaries(boundary_site, column, comparison, value):
    sim, names = boundary_site
    params = {f"query[{column}_{comparison}]": value}
    found = fetch_all(session_for(sim), f"{sim.base_url}/enrollments", **params)
    assert {names[e["id"]] for e in found} == DAY_FILTERS[comparison]


def test_updated_on_or_after_matches_the_generated_data(simulator, api):
    truth = simulator.ground_truth()["enrollments"]
    day = sorted(e["updated_at"] for e in truth)[len(truth) // 2][:10]
    expected = [e["id"] for e in truth if e["updated_at"][:10] >= day]
    found = _enrollments(simulator, api, **{"query[updated_on_or_after]": day})
    assert _ids(found) == expected
    assert 0 < len(expected) < len(truth)


def test_an_invalid_date_filter_is_400(simulator, api):
    response = api.get(f"{simulator.base_url}/enrollments", params={"query[created_on]": "soon"})
    assert response.status_code == 400
    assert "error" in response.json()


def test_get_enrollment_and_404(simulator, api):
    enrollment = simulator.ground_truth()["enrollments"][0]
    url = f"{simulator.base_url}/enrollments"
    assert api.get(f"{url}/{enrollment['id']}").json() == enrollment
    assert api.get(f"{url}/1").json() == {"error": "Record not found."}


def _unenrolled_pair(simulator) -> tuple[int, int]:
    truth = simulator.ground_truth()
    taken = {(e["user_id"], e["course_id"]) for e in truth["enrollments"]}
    return next(
        (u["id"], c["id"])
        for u in truth["users"]
        for c in truth["courses"]
        if (u["id"], c["id"]) not in taken
    )


def test_create_enrollment_answers_201_with_the_enrollment(simulator, api):
    user_id, course_id = _unenrolled_pair(simulator)
    body = {
        "user_id": user_id,
        "course_id": course_id,
        "activated_at": "2026-01-01T01:01:00Z",
        "expiry_date": "2099-01-01T01:01:00Z",
    }
    response = api.post(f"{simulator.base_url}/enrollments", json=body)
    assert response.status_code == 201
    enrollment = response.json()
    assert enrollment["is_free_trial"] is False
    assert enrollment["activated_at"] == "2026-01-01T01:01:00Z"
    assert enrollment["expiry_date"] == "2099-01-01T01:01:00Z"
    assert enrollment["percentage_completed"] == 0.0
    assert enrollment["completed"] is False
    assert enrollment["created_at"] == enrollment["updated_at"]
    assert api.get(f"{simulator.base_url}/enrollments/{enrollment['id']}").json() == enrollment


def test_create_enrollment_without_activated_at_is_a_free_trial(simulator, api):
    user_id, course_id = _unenrolled_pair(simulator)
    body = {"user_id": user_id, "course_id": course_id}
    enrollment = api.post(f"{simulator.base_url}/enrollments", json=body).json()
    assert enrollment["is_free_trial"] is True
    assert enrollment["activated_at"] is None


def test_create_enrollment_for_unknown_course_and_user_is_422_array(simulator, api):
    response = api.post(f"{simulator.base_url}/enrollments", json={"user_id": 1, "course_id": 1})
    assert response.status_code == 422
    assert response.json() == {"errors": ["Course could not be found.", "User could not be found."]}


def test_a_second_enrollment_in_the_same_course_is_422_array(simulator, api):
    existing = simulator.ground_truth()["enrollments"][0]
    body = {"user_id": existing["user_id"], "course_id": existing["course_id"]}
    response = api.post(f"{simulator.base_url}/enrollments", json=body)
    assert response.status_code == 422
    assert isinstance(response.json()["errors"], list)


def test_put_enrollment_answers_204_and_bumps_updated_at(simulator, api):
    enrollment = simulator.ground_truth()["enrollments"][0]
    simulator.clock.advance(3600)
    url = f"{simulator.base_url}/enrollments/{enrollment['id']}"
    response = api.put(url, json={"expiry_date": "2030-05-06T07:08:09Z"})
    assert response.status_code == 204
    assert response.content == b""
    updated = api.get(url).json()
    assert updated["expiry_date"] == "2030-05-06T07:08:09Z"
    bumped = datetime.fromisoformat(updated["updated_at"])
    assert abs(bumped - simulator.clock.now()) < timedelta(seconds=5)
    assert bumped > datetime.fromisoformat(enrollment["updated_at"])


def test_expiry_happens_without_an_updated_at_bump(simulator, api):
    user_id, course_id = _unenrolled_pair(simulator)
    expires = simulator.clock.now() + timedelta(seconds=30)
    created = simulator.site.create(
        "enrollments",
        {
            "user_id": user_id,
            "course_id": course_id,
            "activated_at": "2026-01-01",
            "expiry_date": expires,
        },
    )
    url = f"{simulator.base_url}/enrollments/{created['id']}"
    assert api.get(url).json()["expired"] is False
    simulator.clock.advance(60)
    now_expired = api.get(url).json()
    assert now_expired["expired"] is True
    assert now_expired["updated_at"] == created["updated_at"]
    expired_ids = _ids(_enrollments(simulator, api, **{"query[expired]": "true"}))
    assert created["id"] in expired_ids


def test_bundle_enrollment_enrolls_in_each_course_the_user_lacks(simulator, api):
    truth = simulator.ground_truth()
    bundle = truth["bundles"][0]
    taken = {(e["user_id"], e["course_id"]) for e in truth["enrollments"]}
    user_id = next(
        u["id"]
        for u in truth["users"]
        if sum((u["id"], c) in taken for c in bundle["course_ids"]) == 1
    )
    response = api.post(
        f"{simulator.base_url}/bundles/{bundle['id']}/enrollments",
        json={"user_id": user_id, "activated_at": "2026-02-01T00:00:00Z", "expiry_date": None},
    )
    assert response.status_code == 201
    mine = _enrollments(simulator, api, **{"query[user_id]": user_id})
    assert set(bundle["course_ids"]) <= {e["course_id"] for e in mine}
    assert len(mine) == len({e["course_id"] for e in mine})


def test_created_at_is_present_and_enrollments_are_created_in_id_order(simulator):
    truth = simulator.ground_truth()["enrollments"]
    stamps = [datetime.fromisoformat(e["created_at"]) for e in truth]
    assert stamps == sorted(stamps)
    assert all(s.tzinfo == UTC for s in stamps)
