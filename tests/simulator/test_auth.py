"""REST authentication: key + subdomain headers, or a bearer token; 401 otherwise."""

import pytest

AUTH_ERROR = {"error": "Authentication Error"}


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Auth-API-Key": "wrong-key", "X-Auth-Subdomain": "test-site"},
        {"X-Auth-API-Key": "test-key", "X-Auth-Subdomain": "wrong-site"},
        {"X-Auth-API-Key": "test-key"},
        {"X-Auth-Subdomain": "test-site"},
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": "Basic dGVzdC1rZXk6"},
    ],
    ids=[
        "wrong-key",
        "wrong-subdomain",
        "missing-subdomain",
        "missing-key",
        "no-headers",
        "wrong-bearer",
        "basic-auth",
    ],
)
def test_bad_or_missing_credentials_get_401_authentication_error(simulator, headers, http):
    response = http.get(f"{simulator.base_url}/users", headers=headers)
    assert response.status_code == 401
    assert response.json() == AUTH_ERROR


def test_key_and_subdomain_headers_are_accepted(simulator, http):
    headers = {"X-Auth-API-Key": "test-key", "X-Auth-Subdomain": "test-site"}
    assert http.get(f"{simulator.base_url}/users", headers=headers).status_code == 200


def test_bearer_access_token_is_accepted(simulator, http):
    headers = {"Authorization": "Bearer test-token"}
    assert http.get(f"{simulator.base_url}/users", headers=headers).status_code == 200


def test_unauthenticated_requests_are_logged_but_do_not_use_the_rate_limit(start_simulator, http):
    sim = start_simulator(requests_per_minute=2)
    for _ in range(3):
        assert http.get(f"{sim.base_url}/users").status_code == 401
    assert http.get(f"{sim.base_url}/users", headers=sim.auth_headers).status_code == 200
    assert sim.stats.snapshot()["by_status"] == {"401": 3, "200": 1}
