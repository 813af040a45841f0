"""Users: the list filters, single records, and `POST`/`PUT` with their 422s."""

from tests.simulator.helpers import fetch_all


def _users(simulator, api, **params) -> list[dict]:
    return fetch_all(api, f"{simulator.base_url}/users", **params)


def test_email_filter_is_case_insensitive_and_exact(simulator, api):
    user = simulator.ground_truth()["users"][5]
    found = _users(simulator, api, **{"query[email]": user["email"].upper()})
    assert [u["id"] for u in found] == [user["id"]]
    assert _users(simulator, api, **{"query[email]": user["email"][1:]}) == []


def test_group_id_filter_lists_the_members_of_a_group(simulator, api):
    truth = simulator.ground_truth()
    group_id = truth["groups"][0]["id"]
    members = sorted(m["user_id"] for m in truth["group_memberships"] if m["group_id"] == group_id)
    found = _users(simulator, api, **{"query[group_id]": group_id})
    assert [u["id"] for u in found] == members
    assert members


def test_role_filter_lists_users_holding_the_role(simulator, api):
    expected = [u["id"] for u in simulator.ground_truth()["users"] if "group_analyst" in u["roles"]]
    found = _users(simulator, api, **{"query[role]": "group_analyst"})
    assert [u["id"] for u in found] == expected
    assert expected


def test_external_source_filter(simulator, api):
    user = simulator.site.create(
        "users", {"first_name": "Sso", "last_name": "User", "email": "sso@x.example"}
    )
    simulator.site.update("users", user["id"], {"external_source": "okta-test"})
    found = _users(simulator, api, **{"query[external_source]": "okta-test"})
    assert [u["id"] for u in found] == [user["id"]]


def test_custom_profile_field_filter_needs_label_and_value_together(simulator, api):
    target = next(
        u
        for u in simulator.ground_truth()["users"]
        if any(f["label"] == "Employee ID" for f in u["custom_profile_fields"])
    )
    value = next(f["value"] for f in target["custom_profile_fields"] if f["label"] == "Employee ID")
    params = {"query[custom_profile_field_label]": "Employee ID"}
    found = _users(simulator, api, **params, **{"query[custom_profile_field_value]": value})
    assert [u["id"] for u in found] == [target["id"]]
    assert len(_users(simulator, api, **params)) == 60


def test_get_user_by_id_and_404_for_unknown_ids(simulator, api):
    user = simulator.ground_truth()["users"][0]
    assert api.get(f"{simulator.base_url}/users/{user['id']}").json() == user
    for unknown in ("1", "not-a-number"):
        response = api.get(f"{simulator.base_url}/users/{unknown}")
        assert response.status_code == 404
        assert response.json() == {"error": "Record not found."}


def test_create_user_answers_201_with_the_user(simulator, api):
    body = {
        "first_name": "Ana",
        "last_name": "Lima",
        "email": "Ana.Lima@Example.com",
        "password": "secret",
        "roles": ["affiliate"],
        "company": "Acme",
        "custom_profile_fields": [{"custom_profile_field_definition_id": 1, "value": "555"}],
    }
    response = api.post(f"{simulator.base_url}/users", json=body)
    assert response.status_code == 201
    user = response.json()
    assert user["full_name"] == "Ana Lima"
    assert user["email"] == "Ana.Lima@Example.com"
    assert user["roles"] == ["affiliate"]
    assert user["custom_profile_fields"][0]["value"] == "555"
    assert "password" not in user
    assert api.get(f"{simulator.base_url}/users/{user['id']}").json() == user


def test_create_user_with_blank_required_fields_is_422_by_field(simulator, api):
    response = api.post(f"{simulator.base_url}/users", json={"first_name": " ", "email": "a@b.c"})
    assert response.status_code == 422
    assert response.json() == {
        "errors": {"first_name": ["can't be blank"], "last_name": ["can't be blank"]}
    }


def test_create_user_with_a_taken_email_in_any_case_is_422(simulator, api):
    taken = simulator.ground_truth()["users"][0]["email"].swapcase()
    body = {"first_name": "A", "last_name": "B", "email": taken}
    response = api.post(f"{simulator.base_url}/users", json=body)
    assert response.status_code == 422
    assert response.json() == {"errors": {"email": ["has already been taken"]}}


def test_send_welcome_email_is_recorded_in_ground_truth(simulator, api):
    for email, welcome in (("w1@x.example", True), ("w2@x.example", False)):
        body = {"first_name": "W", "last_name": "E", "email": email, "send_welcome_email": welcome}
        assert api.post(f"{simulator.base_url}/users", json=body).status_code == 201
    assert simulator.ground_truth()["welcome_emails"] == ["w1@x.example"]


def test_put_user_answers_204_and_changes_the_user(simulator, api):
    user = simulator.ground_truth()["users"][0]
    response = api.put(f"{simulator.base_url}/users/{user['id']}", json={"company": "NewCo"})
    assert response.status_code == 204
    assert response.content == b""
    assert api.get(f"{simulator.base_url}/users/{user['id']}").json()["company"] == "NewCo"


def test_malformed_json_body_is_400(simulator, api):
    response = api.post(
        f"{simulator.base_url}/users",
        data="{not json",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert "error" in response.json()


def test_unknown_route_is_404(simulator, api):
    assert api.get(f"{simulator.base_url}/no_such_thing").status_code == 404
    assert api.delete(f"{simulator.base_url}/users").status_code == 404
