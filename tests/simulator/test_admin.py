"""The `/_simulator` admin routes drive the same Python API over HTTP, unauthenticated."""


def test_ground_truth_route_matches_the_python_api(simulator, http):
    assert http.get(f"{simulator.admin_url}/ground_truth").json() == simulator.ground_truth()


def test_stats_and_stats_reset_routes(simulator, api, http):
    api.get(f"{simulator.base_url}/users")
    stats = http.get(f"{simulator.admin_url}/stats").json()
    assert stats["served"] == 1
    assert stats["requests"][0]["path"] == "/api/public/v1/users"
    assert http.post(f"{simulator.admin_url}/stats/reset").status_code == 204
    assert http.get(f"{simulator.admin_url}/stats").json()["served"] == 0


def test_stats_route_reports_the_busiest_minute_and_the_most_in_flight(simulator, api, http):
    for _ in range(2):
        api.get(f"{simulator.base_url}/users")
    stats = http.get(f"{simulator.admin_url}/stats").json()
    assert (stats["max_requests_in_60s"], stats["max_in_flight"]) == (2, 1)
    assert all(request["finished"] >= request["time"] for request in stats["requests"])


def test_admin_requests_are_neither_counted_nor_rate_limited(start_simulator, http):
    sim = start_simulator(requests_per_minute=1)
    for _ in range(5):
        assert http.get(f"{sim.admin_url}/stats").status_code == 200
    assert sim.stats.snapshot()["served"] == 0


def test_clock_route_advances_the_clock(simulator, http):
    before = simulator.clock.timestamp()
    response = http.post(f"{simulator.admin_url}/clock", json={"advance_seconds": 7200})
    assert response.status_code == 200
    assert simulator.clock.timestamp() - before >= 7200
    assert "now" in response.json()


def test_fault_routes_add_and_clear_faults(simulator, api, http):
    fault = {"endpoint": "users", "kind": "status", "status": 503, "times": 1}
    response = http.post(f"{simulator.admin_url}/faults", json=fault)
    assert response.status_code == 201
    assert response.json()["status"] == 503
    assert api.get(f"{simulator.base_url}/users").status_code == 503
    http.post(f"{simulator.admin_url}/faults", json={"kind": "status", "status": 500})
    assert http.delete(f"{simulator.admin_url}/faults").status_code == 204
    assert api.get(f"{simulator.base_url}/users").status_code == 200


def test_an_invalid_fault_is_400(simulator, http):
    response = http.post(f"{simulator.admin_url}/faults", json={"kind": "explode"})
    assert response.status_code == 400
    assert "kind" in response.json()["error"]


def test_record_routes_create_update_and_delete(simulator, api, http):
    created = http.post(
        f"{simulator.admin_url}/records/users",
        json={"first_name": "Ad", "last_name": "Min", "email": "ad@x.example"},
    )
    assert created.status_code == 201
    user_id = created.json()["id"]
    updated = http.patch(
        f"{simulator.admin_url}/records/users/{user_id}", json={"company": "Admin Co"}
    )
    assert updated.json()["company"] == "Admin Co"
    assert api.get(f"{simulator.base_url}/users/{user_id}").json()["company"] == "Admin Co"
    assert http.delete(f"{simulator.admin_url}/records/users/{user_id}").status_code == 204
    assert api.get(f"{simulator.base_url}/users/{user_id}").status_code == 404


def test_record_route_answers_api_errors(simulator, http):
    response = http.post(f"{simulator.admin_url}/records/users", json={"first_name": "x"})
    assert response.status_code == 422
    assert http.delete(f"{simulator.admin_url}/records/users/1").status_code == 404


def test_membership_routes_add_and_remove(simulator, http):
    truth = simulator.ground_truth()
    pair = {"group_id": truth["groups"][0]["id"], "user_id": truth["users"][0]["id"]}
    assert http.post(f"{simulator.admin_url}/memberships", json=pair).status_code == 204
    assert pair in simulator.ground_truth()["group_memberships"]
    assert http.delete(f"{simulator.admin_url}/memberships", json=pair).status_code == 204
    assert pair not in simulator.ground_truth()["group_memberships"]


def test_unknown_admin_route_is_404(simulator, http):
    assert http.get(f"{simulator.admin_url}/nothing").status_code == 404
    assert http.post(f"{simulator.admin_url}/stats/other").status_code == 404


def test_progress_route_runs_a_day_of_learner_activity(start_simulator, http):
    sim = start_simulator(users=50, courses=30, enrollments=1200)
    before = sim.ground_truth()
    response = http.post(f"{sim.admin_url}/progress", json={"share": 0.02, "seed": 1})
    assert response.status_code == 200
    (user_id,) = response.json()["users"]
    after = sim.ground_truth()
    for table in ("quiz_results", "certificates"):
        added = [r for r in after[table] if r not in before[table]]
        assert [int(r["user"]["id"]) for r in added] == [user_id]


def test_graphql_budget_route_changes_the_points_a_minute(simulator, http):
    response = http.post(f"{simulator.admin_url}/graphql_budget", json={"points_per_minute": 7})
    assert response.status_code == 200
    headers = {"Authorization": f"Bearer {simulator.config.access_token}"}
    answer = http.post(
        simulator.graphql_url,
        json={"query": "{ site { courses(first: 1) { nodes { id } } } }"},
        headers=headers,
    ).json()
    assert answer["extensions"]["limit"] == 7
    assert http.post(f"{simulator.admin_url}/graphql_budget", json={}).status_code == 400
