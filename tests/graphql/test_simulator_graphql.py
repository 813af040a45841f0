"""The simulator's GraphQL API over HTTP: auth, the contract's cost rules, budget, Relay paging."""

from datetime import datetime

import pytest

from tests.graphql.helpers import bearer, post

COURSE_IDS = "query($first: Int!, $after: String) { site { courses(first: $first, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } } } }"  # noqa: E501
SMALL = "{ site { courses(first: 10) { nodes { id certificates(first: 5) { nodes { id user { id } } } } } } }"  # noqa: E501
"""100 (query) + 100 (site) + 10 x (5 x 100 (user)) = 5,200 → 52 points."""


def _error_code(body: dict) -> str:
    return body["errors"][0]["extensions"]["code"]


def test_graphql_accepts_the_access_token_and_refuses_the_rest_api_key(simulator):
    assert post(simulator, SMALL).status_code == 200
    refused = post(simulator, SMALL, headers=simulator.auth_headers)
    assert refused.status_code == 401
    assert _error_code(refused.json()) == "UNAUTHENTICATED"
    assert post(simulator, SMALL, headers=bearer(simulator.config.api_key)).status_code == 401


def test_every_answer_carries_cost_remaining_limit_and_reset_at(simulator):
    first = post(simulator, SMALL).json()["extensions"]
    second = post(simulator, SMALL).json()["extensions"]
    assert first["cost"] == second["cost"] == 52
    assert first["limit"] == 2000
    assert (first["remaining"], second["remaining"]) == (1948, 1896)
    reset_at = datetime.fromisoformat(second["resetAt"]).timestamp()
    assert 59 <= reset_at - simulator.clock.timestamp() <= 60


@pytest.mark.parametrize(
    ("query", "points"),
    [
        # Thinkific's worked example, on this schema: (100 + 100 + 25 x 25) / 100 → 9.
        (
            "{ site { courses(first: 25) { nodes { certificates(first: 25) "
            "{ nodes { id } } } } } }",
            9,
        ),
        # edges/node cost what nodes cost; pageInfo is one object: (200 + 10 x 1 + 100) → 4.
        ("{ site { courses(first: 10) { edges { node { id } } pageInfo { endCursor } } } }", 4),
        # two objects per submission: (200 + 400 x 200) / 100 → 802.
        ("{ site { quizSubmissions(first: 400) { nodes { quiz { id } user { id } } } } }", 802),
        # a variable page size and a fragment count as written: (200 + 50 x 100) / 100 → 52.
        (
            'query($n: Int!) { userByEmail(email: "x@y.z") { certificates(first: $n) '
            "{ nodes { ...C } } } } fragment C on Certificate { id course { id } }",
            52,
        ),
    ],
)
def test_cost_follows_the_contract_rules(simulator, query, points):
    answer = post(simulator, query, {"n": 50}).json()
    assert "errors" not in answer
    assert answer["extensions"]["cost"] == points


def test_query_costing_more_than_1000_points_is_refused_and_not_charged(simulator):
    costly = "{ site { quizSubmissions(first: 600) { nodes { quiz { id } user { id } } } } }"
    answer = post(simulator, costly).json()
    assert answer.get("data") is None
    assert _error_code(answer) == "MAX_QUERY_COST_EXCEEDED"
    assert "1202" in answer["errors"][0]["message"]
    assert simulator.stats.snapshot()["graphql"]["points"] == 0


@pytest.mark.parametrize("status", [200, 429])
def test_query_over_the_minute_budget_is_rate_limited_until_reset_at(start_simulator, status):
    sim = start_simulator(graphql_points_per_minute=100, graphql_rate_limit_status=status)
    assert post(sim, SMALL).status_code == 200
    refused = post(sim, SMALL)
    assert refused.status_code == status
    body = refused.json()
    assert _error_code(body) == "RATE_LIMITED"
    assert body["errors"][0]["message"] == "API rate limit exceeded"
    assert body["extensions"]["remaining"] == 48
    reset_at = datetime.fromisoformat(body["extensions"]["resetAt"]).timestamp()
    sim.clock.advance(reset_at - sim.clock.timestamp() + 0.01)
    assert "errors" not in post(sim, SMALL).json()
    assert sim.stats.snapshot()["graphql"]["refused"] == 1


def test_stats_record_the_highest_cost_within_any_minute(simulator):
    for _ in range(3):
        post(simulator, SMALL)
    simulator.clock.advance(61)
    post(simulator, SMALL)
    graphql = simulator.stats.snapshot()["graphql"]
    assert graphql["points"] == 4 * 52
    assert graphql["max_points_in_60s"] == 3 * 52


def test_a_connection_without_first_or_last_is_refused(simulator):
    answer = post(simulator, "{ site { courses { nodes { id } } } }").json()
    assert _error_code(answer) == "BAD_USER_INPUT"
    assert "first" in answer["errors"][0]["message"]


def test_first_and_after_page_through_every_course_once(start_simulator):
    sim = start_simulator(courses=11, bundles=0)
    seen, after = [], None
    while True:
        courses = post(sim, COURSE_IDS, {"first": 4, "after": after}).json()["data"]["site"]
        seen += [course["id"] for course in courses["courses"]["nodes"]]
        if not courses["courses"]["pageInfo"]["hasNextPage"]:
            break
        after = courses["courses"]["pageInfo"]["endCursor"]
    assert seen == [str(course["id"]) for course in sim.ground_truth()["courses"]]


def test_last_and_before_page_backwards(simulator):
    everything = post(simulator, COURSE_IDS, {"first": 100}).json()["data"]["site"]["courses"]
    ids = [course["id"] for course in everything["nodes"]]
    query = "query($b: String) { site { courses(last: 2, before: $b) { nodes { id } pageInfo { hasPreviousPage } } } }"  # noqa: E501
    before = post(simulator, query, {"b": everything["pageInfo"]["endCursor"]}).json()
    page = before["data"]["site"]["courses"]
    assert [course["id"] for course in page["nodes"]] == ids[-3:-1]
    assert page["pageInfo"]["hasPreviousPage"] is True


def _course_of_quiz(sim) -> dict[str, int]:
    quizzes = sim.site.tables.quizzes
    return dict(
        zip(map(str, quizzes.ids.tolist()), quizzes.column("course_id").tolist(), strict=True)
    )


@pytest.mark.parametrize("field", ["userIds", "courseIds", "groupIds"])
def test_quiz_submissions_filter_by_users_courses_or_groups(start_simulator, field):
    sim = start_simulator(users=80, enrollments=400)
    truth, course_of_quiz = sim.ground_truth(), _course_of_quiz(sim)
    some = truth["quiz_results"][0]
    group_id = truth["groups"][0]["id"]
    members = {m["user_id"] for m in truth["group_memberships"] if m["group_id"] == group_id}
    wanted, keeps = {
        "userIds": (some["user"]["id"], lambda r: r["user"]["id"] == some["user"]["id"]),
        "courseIds": (
            course_of_quiz[some["quiz"]["id"]],
            lambda r: course_of_quiz[r["quiz"]["id"]] == course_of_quiz[some["quiz"]["id"]],
        ),
        "groupIds": (group_id, lambda r: int(r["user"]["id"]) in members),
    }[field]
    query = "query($f: QuizSubmissionFilter) { site { quizSubmissions(first: 400, filter: $f) { nodes { id } } } }"  # noqa: E501
    answer = post(sim, query, {"f": {field: [str(wanted)]}}).json()
    found = [node["id"] for node in answer["data"]["site"]["quizSubmissions"]["nodes"]]
    expected = [result["id"] for result in truth["quiz_results"] if keeps(result)]
    assert expected
    assert found == expected


def test_user_by_email_ignores_case_and_lists_that_users_certificates(start_simulator):
    sim = start_simulator(users=80, enrollments=400)
    certificate = sim.ground_truth()["certificates"][0]
    query = "query($e: String!) { userByEmail(email: $e) { id certificates(first: 50) { nodes { id } } } }"  # noqa: E501
    user = post(sim, query, {"e": certificate["user"]["email"].upper()}).json()["data"]
    expected = [
        c["id"] for c in sim.ground_truth()["certificates"] if c["user"] == certificate["user"]
    ]
    assert user["userByEmail"]["id"] == certificate["user"]["id"]
    assert [node["id"] for node in user["userByEmail"]["certificates"]["nodes"]] == expected
    assert post(sim, query, {"e": "nobody@example.com"}).json()["data"] == {"userByEmail": None}


def test_a_failing_field_gives_partial_data_with_an_error_at_its_path(simulator):
    simulator.graphql.field_faults.add("certificates", times=1)
    answer = post(simulator, SMALL).json()
    courses = answer["data"]["site"]["courses"]["nodes"]
    assert courses[0]["certificates"] is None
    assert all(course["certificates"] is not None for course in courses[1:])
    assert answer["errors"][0]["path"] == ["site", "courses", "nodes", 0, "certificates"]
    assert _error_code(answer) == "INTERNAL_SERVER_ERROR"
    assert "errors" not in post(simulator, SMALL).json()


def test_a_deleted_course_takes_its_certificates_and_quiz_results_along(start_simulator):
    sim = start_simulator(users=80, enrollments=400)
    course_of_quiz = _course_of_quiz(sim)
    course_id = int(sim.ground_truth()["certificates"][0]["course"]["id"])
    sim.site.delete("courses", course_id)
    truth = sim.ground_truth()
    assert truth["certificates"]
    assert all(int(c["course"]["id"]) != course_id for c in truth["certificates"])
    assert all(course_of_quiz[r["quiz"]["id"]] != course_id for r in truth["quiz_results"])
