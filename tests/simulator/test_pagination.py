"""List envelopes and pagination meta, as the contract describes them."""

import http.client
from urllib.parse import urlsplit

from tests.simulator.helpers import session_for


def test_paging_1203_users_at_limit_250_returns_every_id_once_with_correct_meta(start_simulator):
    sim = start_simulator(users=1203, enrollments=0)
    session = session_for(sim)
    expected_pages = [
        (1, None, 2, "1-250 of 1203"),
        (2, 1, 3, "251-500 of 1203"),
        (3, 2, 4, "501-750 of 1203"),
        (4, 3, 5, "751-1000 of 1203"),
        (5, 4, None, "1001-1203 of 1203"),
    ]
    seen_ids = []
    for page, prev_page, next_page, entries_info in expected_pages:
        body = session.get(f"{sim.base_url}/users", params={"page": page, "limit": 250}).json()
        assert body["meta"]["pagination"] == {
            "current_page": page,
            "next_page": next_page,
            "prev_page": prev_page,
            "total_pages": 5,
            "total_items": 1203,
            "entries_info": entries_info,
        }
        seen_ids.extend(user["id"] for user in body["items"])
    assert len(seen_ids) == len(set(seen_ids)) == 1203
    assert seen_ids == sorted(seen_ids)
    assert seen_ids == [user["id"] for user in sim.ground_truth()["users"]]


def test_limit_above_250_is_capped_at_250(start_simulator):
    sim = start_simulator(users=300, enrollments=0)
    body = session_for(sim).get(f"{sim.base_url}/users", params={"limit": 1000}).json()
    assert len(body["items"]) == 250
    assert body["meta"]["pagination"]["total_pages"] == 2


def test_default_page_is_1_and_default_limit_is_25(simulator, api):
    body = api.get(f"{simulator.base_url}/users").json()
    assert len(body["items"]) == 25
    assert body["meta"]["pagination"]["current_page"] == 1
    assert body["meta"]["pagination"]["prev_page"] is None
    assert body["meta"]["pagination"]["entries_info"] == "1-25 of 60"


def test_page_past_the_end_is_empty_with_correct_meta(simulator, api):
    body = api.get(f"{simulator.base_url}/users", params={"page": 9, "limit": 25}).json()
    assert body["items"] == []
    assert body["meta"]["pagination"] == {
        "current_page": 9,
        "next_page": None,
        "prev_page": 8,
        "total_pages": 3,
        "total_items": 60,
        "entries_info": "0-0 of 60",
    }


def test_lists_come_back_in_id_order(simulator, api):
    for resource in ("users", "groups", "products", "courses", "enrollments", "orders"):
        ids = [item["id"] for item in api.get(f"{simulator.base_url}/{resource}").json()["items"]]
        assert ids == sorted(ids), resource


def test_connections_are_kept_alive_between_requests(simulator):
    url = urlsplit(simulator.base_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=5)
    for _ in range(3):
        connection.request("GET", url.path + "/groups", headers=simulator.auth_headers)
        response = connection.getresponse()
        response.read()
        assert response.status == 200
        assert response.version == 11
        assert not response.will_close
    connection.close()
