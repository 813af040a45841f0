"""GET, POST and PUT of single records against the simulator."""

from tests.client.simulated import client_for


def test_get_returns_the_json_answer(simulator):
    group_id = simulator.ground_truth()["groups"][0]["id"]
    answer = client_for(simulator).get(f"/groups/{group_id}/analysts")
    assert set(answer) == {"group_analysts"}


def test_post_returns_the_created_record(simulator):
    created = client_for(simulator).post(
        "/users", {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"}
    )
    assert created["email"] == "ada@example.com"
    assert created["id"] in {user["id"] for user in simulator.ground_truth()["users"]}


def test_post_with_an_empty_answer_returns_none(simulator):
    truth = simulator.ground_truth()
    user_id, group = truth["users"][0]["id"], truth["groups"][0]
    answer = client_for(simulator).post(
        "/group_users", {"user_id": user_id, "group_names": [group["name"]]}
    )
    assert answer is None


def test_put_applies_the_change_and_returns_none(simulator):
    enrollment = simulator.ground_truth()["enrollments"][0]
    expiry = "2031-01-02T03:04:05Z"
    assert (
        client_for(simulator).put(f"/enrollments/{enrollment['id']}", {"expiry_date": expiry})
        is None
    )
    updated = next(
        e for e in simulator.ground_truth()["enrollments"] if e["id"] == enrollment["id"]
    )
    assert updated["expiry_date"] == expiry
