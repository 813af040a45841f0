"""Each fault mode does what it says, only where it is aimed, and only as often as asked."""

import json
import socket
import time
from urllib.parse import urlsplit

import pytest
import requests

from simulator import Fault
from tests.simulator.helpers import fetch_all


def test_latency_fault_delays_the_answer(simulator, api):
    simulator.faults.add(Fault("users", kind="latency", latency_ms=300))
    started = time.monotonic()
    assert api.get(f"{simulator.base_url}/users").status_code == 200
    assert time.monotonic() - started >= 0.3


@pytest.mark.parametrize("status", [500, 502, 503, 504, *range(520, 528), 530])
def test_status_fault_answers_server_and_cloudflare_errors(simulator, api, status):
    simulator.faults.add(Fault("users", kind="status", status=status))
    response = api.get(f"{simulator.base_url}/users")
    assert response.status_code == status
    assert response.content


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (401, {"error": "Authentication Error"}),
        (403, {"error": "Access to Apps is not available on your plan. Upgrade to gain access"}),
        (400, {"error": "Parameter ID is required."}),
    ],
)
def test_status_fault_answers_client_errors_with_the_contract_body(simulator, api, status, body):
    simulator.faults.add(Fault("users", kind="status", status=status))
    response = api.get(f"{simulator.base_url}/users")
    assert response.status_code == status
    assert response.json() == body


def test_status_fault_sends_the_given_body_such_as_the_legacy_403_rate_limit(simulator, api):
    simulator.faults.add(Fault("users", kind="status", status=403, body="Rate Limit Exceeded"))
    response = api.get(f"{simulator.base_url}/users")
    assert response.status_code == 403
    assert response.text == "Rate Limit Exceeded"


def test_status_fault_with_a_json_body(simulator, api):
    body = {"error": "Access token has insufficient scope."}
    simulator.faults.add(Fault("users", kind="status", status=403, body=body))
    assert api.get(f"{simulator.base_url}/users").json() == body


def test_status_429_fault_carries_a_ratelimit_reset(simulator, api):
    simulator.faults.add(Fault("users", kind="status", status=429))
    response = api.get(f"{simulator.base_url}/users")
    assert response.status_code == 429
    assert int(response.headers["RateLimit-Reset"]) >= int(simulator.clock.timestamp())


def test_fault_only_hits_its_endpoint(simulator, api):
    simulator.faults.add(Fault("enrollments", kind="status", status=503))
    assert api.get(f"{simulator.base_url}/users").status_code == 200
    assert api.get(f"{simulator.base_url}/enrollments").status_code == 503


def test_wildcard_fault_hits_every_endpoint(simulator, api):
    simulator.faults.add(Fault("*", kind="status", status=502))
    for resource in ("users", "groups", "enrollments"):
        assert api.get(f"{simulator.base_url}/{resource}").status_code == 502


def test_nth_fault_fires_on_the_nth_request_to_its_endpoint_only(simulator, api):
    simulator.faults.add(Fault("users", kind="status", status=500, nth=3))
    api.get(f"{simulator.base_url}/groups")
    statuses = [api.get(f"{simulator.base_url}/users").status_code for _ in range(5)]
    assert statuses == [200, 200, 500, 200, 200]


def test_times_caps_how_often_a_fault_fires(simulator, api):
    fault = simulator.faults.add(Fault("users", kind="status", status=503, times=2))
    statuses = [api.get(f"{simulator.base_url}/users").status_code for _ in range(4)]
    assert statuses == [503, 503, 200, 200]
    assert fault.fired == 2


def test_rate_fires_a_seeded_share_of_requests(simulator, api):
    simulator.faults.add(Fault("groups", kind="status", status=500, rate=0.3))
    statuses = [api.get(f"{simulator.base_url}/groups").status_code for _ in range(100)]
    assert 15 <= statuses.count(500) <= 45
    assert statuses.count(200) == 100 - statuses.count(500)


def test_rate_faults_repeat_with_the_same_seed(start_simulator, http):
    def failures() -> list[int]:
        sim = start_simulator(seed=11)
        sim.faults.add(Fault("groups", kind="status", status=500, rate=0.5))
        return [
            http.get(f"{sim.base_url}/groups", headers=sim.auth_headers).status_code
            for _ in range(20)
        ]

    assert failures() == failures()


def test_reset_fault_drops_the_connection(simulator, api):
    simulator.faults.add(Fault("users", kind="reset", times=1))
    with pytest.raises(requests.ConnectionError):
        api.get(f"{simulator.base_url}/users")
    assert api.get(f"{simulator.base_url}/users").status_code == 200
    assert simulator.stats.snapshot()["by_status"] == {"reset": 1, "200": 1}


def test_reset_fault_sends_a_tcp_rst_not_a_clean_close(simulator):
    simulator.faults.add(Fault("users", kind="reset"))
    url = urlsplit(simulator.base_url)
    headers = "".join(f"{k}: {v}\r\n" for k, v in simulator.auth_headers.items())
    with socket.create_connection((url.hostname, url.port), timeout=5) as connection:
        connection.sendall(f"GET {url.path}/users HTTP/1.1\r\nHost: x\r\n{headers}\r\n".encode())
        with pytest.raises(ConnectionResetError):
            connection.recv(1024)


def test_truncate_fault_sends_half_a_json_body_with_a_matching_content_length(simulator, api):
    full = api.get(f"{simulator.base_url}/users").content
    simulator.faults.add(Fault("users", kind="truncate"))
    response = api.get(f"{simulator.base_url}/users")
    assert response.status_code == 200
    assert int(response.headers["Content-Length"]) == len(response.content) == len(full) // 2
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)
    with pytest.raises(requests.JSONDecodeError):
        response.json()


def test_redirect_fault_answers_302_to_another_host(simulator, api):
    simulator.faults.add(Fault("users", kind="redirect"))
    response = api.get(f"{simulator.base_url}/users", allow_redirects=False)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.hostname == "login.thinkific-elsewhere.invalid"
    assert location.hostname != urlsplit(simulator.base_url).hostname


def test_insert_rows_drift_shifts_later_pages_so_a_record_repeats(simulator, api):
    simulator.faults.add(Fault("users", kind="insert_rows", rows=2, times=1))
    first = api.get(f"{simulator.base_url}/users", params={"limit": 10}).json()["items"]
    second = api.get(f"{simulator.base_url}/users", params={"limit": 10, "page": 2}).json()
    assert [u["id"] for u in second["items"][:2]] == [u["id"] for u in first[-2:]]
    assert second["meta"]["pagination"]["total_items"] == 62
    ground_truth_ids = [user["id"] for user in simulator.ground_truth()["users"]]
    assert ground_truth_ids[:2] == sorted(ground_truth_ids[:2])
    assert ground_truth_ids[1] < first[0]["id"]


def test_delete_rows_drift_shifts_later_pages_so_a_record_is_skipped(simulator, api):
    before = [user["id"] for user in simulator.ground_truth()["users"]]
    simulator.faults.add(Fault("users", kind="delete_rows", rows=3, times=1))
    paged = [u["id"] for u in fetch_all(api, f"{simulator.base_url}/users", limit=10)]
    assert before[:3] == paged[:3]  # page 1 was served before the drift
    assert set(before) - set(paged) == {before[10], before[11], before[12]}
    assert len(paged) == 57


def test_drift_faults_ignore_first_pages_and_single_records(simulator, api):
    fault = simulator.faults.add(Fault("users", kind="delete_rows"))
    api.get(f"{simulator.base_url}/users")
    api.get(f"{simulator.base_url}/users/{simulator.ground_truth()['users'][0]['id']}")
    assert fault.fired == 0
    assert len(simulator.ground_truth()["users"]) == 60


def test_enrollment_drift_inserts_a_valid_new_enrollment_at_the_front(simulator, api):
    first_id = simulator.ground_truth()["enrollments"][0]["id"]
    simulator.faults.add(Fault("enrollments", kind="insert_rows", times=1))
    api.get(f"{simulator.base_url}/enrollments", params={"page": 2})
    inserted = simulator.ground_truth()["enrollments"][0]
    assert inserted["id"] < first_id
    pairs = [(e["user_id"], e["course_id"]) for e in simulator.ground_truth()["enrollments"]]
    assert len(pairs) == len(set(pairs)) == 151


def test_faults_never_touch_admin_routes(simulator, http):
    simulator.faults.add(Fault("*", kind="status", status=503))
    simulator.faults.add(Fault("*", kind="reset"))
    assert http.get(f"{simulator.admin_url}/stats").status_code == 200


def test_clearing_faults_restores_normal_answers(simulator, api):
    simulator.faults.add(Fault("users", kind="status", status=500))
    assert api.get(f"{simulator.base_url}/users").status_code == 500
    simulator.faults.clear()
    assert api.get(f"{simulator.base_url}/users").status_code == 200


def test_first_answering_fault_wins_and_latency_adds_up(simulator, api):
    simulator.faults.add(Fault("users", kind="latency", latency_ms=100))
    simulator.faults.add(Fault("users", kind="status", status=502, latency_ms=100))
    late = simulator.faults.add(Fault("users", kind="status", status=504))
    started = time.monotonic()
    assert api.get(f"{simulator.base_url}/users").status_code == 502
    assert time.monotonic() - started >= 0.2
    assert late.fired == 0


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": "explode"},
        {"kind": "status"},
        {"kind": "latency"},
        {"kind": "status", "status": 503, "rate": 1.5},
        {"kind": "status", "status": 503, "nth": 0},
        {"endpoint": "users/1", "kind": "reset"},
    ],
)
def test_invalid_faults_are_rejected(fields):
    with pytest.raises(ValueError):
        Fault(**fields)
