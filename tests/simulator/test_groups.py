"""Groups, memberships (`POST /group_users`, by name) and group analysts."""

from tests.simulator.helpers import fetch_all


def test_get_group_and_its_array_shaped_404(simulator, api):
    group = simulator.ground_truth()["groups"][0]
    assert api.get(f"{simulator.base_url}/groups/{group['id']}").json() == group
    missing = api.get(f"{simulator.base_url}/groups/1")
    assert missing.status_code == 404
    assert missing.json() == {"error": ["Record not found."]}


def test_create_group_answers_200_with_an_8_character_token(simulator, api):
    response = api.post(f"{simulator.base_url}/groups", json={"name": "Night Shift"})
    assert response.status_code == 200
    group = response.json()
    assert group["name"] == "Night Shift"
    assert len(group["token"]) == 8
    assert group["created_at"].endswith("Z")


def test_create_group_with_a_blank_name_is_422_by_field(simulator, api):
    response = api.post(f"{simulator.base_url}/groups", json={"name": ""})
    assert response.status_code == 422
    assert response.json() == {"errors": {"name": ["can't be blank"]}}


def test_delete_group_answers_204_and_drops_it_with_its_memberships(simulator, api):
    group_id = simulator.ground_truth()["groups"][0]["id"]
    response = api.delete(f"{simulator.base_url}/groups/{group_id}")
    assert response.status_code == 204
    assert api.get(f"{simulator.base_url}/groups/{group_id}").status_code == 404
    truth = simulator.ground_truth()
    assert group_id not in {m["group_id"] for m in truth["group_memberships"]}
    assert group_id not in {a["group_id"] for a in truth["group_analysts"]}


def test_group_users_adds_a_user_to_groups_by_name(simulator, api):
    truth = simulator.ground_truth()
    user_id = truth["users"][0]["id"]
    names = [g["name"] for g in truth["groups"][:2]]
    response = api.post(
        f"{simulator.base_url}/group_users", json={"user_id": user_id, "group_names": names}
    )
    assert response.status_code == 201
    assert response.content == b""
    for group in truth["groups"][:2]:
        members = fetch_all(api, f"{simulator.base_url}/users", **{"query[group_id]": group["id"]})
        assert user_id in [u["id"] for u in members]


def test_group_users_with_an_unknown_group_name_is_422(simulator, api):
    user_id = simulator.ground_truth()["users"][0]["id"]
    body = {"user_id": user_id, "group_names": ["No Such Group"]}
    response = api.post(f"{simulator.base_url}/group_users", json=body)
    assert response.status_code == 422
    assert response.json() == {"errors": ["Invalid group_names"]}


def test_group_analysts_are_a_bare_list_of_user_ids(simulator, api):
    truth = simulator.ground_truth()
    group_id = truth["group_analysts"][0]["group_id"]
    expected = sorted(a["user_id"] for a in truth["group_analysts"] if a["group_id"] == group_id)
    response = api.get(f"{simulator.base_url}/groups/{group_id}/analysts")
    assert response.json() == {"group_analysts": expected}


def test_group_analysts_hold_the_group_analyst_role(simulator):
    truth = simulator.ground_truth()
    roles = {u["id"]: u["roles"] for u in truth["users"]}
    assert truth["group_analysts"]
    assert all("group_analyst" in roles[a["user_id"]] for a in truth["group_analysts"])


def test_group_analysts_of_an_unknown_group_is_404(simulator, api):
    response = api.get(f"{simulator.base_url}/groups/1/analysts")
    assert response.status_code == 404
    assert response.json() == {"error": [{"group_id": "Could not find group with ID 1."}]}


def test_assigning_an_analyst_without_the_role_is_422(simulator, api):
    truth = simulator.ground_truth()
    group_id = truth["groups"][0]["id"]
    plain_user = next(u["id"] for u in truth["users"] if not u["roles"])
    analyst = next(u["id"] for u in truth["users"] if "group_analyst" in u["roles"])
    url = f"{simulator.base_url}/groups/{group_id}/analysts"
    refused = api.post(url, json={"user_ids": [plain_user]})
    assert refused.status_code == 422
    assert refused.json() == {
        "errors": {"group_analysts": f"User IDs missing group_analysts role:: {plain_user}"}
    }
    assert api.post(url, json={"user_ids": [analyst]}).status_code == 201
    assert analyst in api.get(url).json()["group_analysts"]


def test_create_group_with_a_taken_name_in_any_case_is_422(simulator, api):
    taken = simulator.ground_truth()["groups"][0]["name"].upper()
    response = api.post(f"{simulator.base_url}/groups", json={"name": taken})
    assert response.status_code == 422
    assert response.json() == {"errors": {"name": ["has already been taken"]}}


def test_group_users_for_an_unknown_user_is_422(simulator, api):
    names = [simulator.ground_truth()["groups"][0]["name"]]
    response = api.post(
        f"{simulator.base_url}/group_users", json={"user_id": 1, "group_names": names}
    )
    assert response.status_code == 422
    assert response.json() == {"errors": ["Invalid user_id"]}
