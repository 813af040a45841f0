"""Paging through list endpoints of the simulator over real HTTP."""

import logging
from concurrent.futures import ThreadPoolExecutor

import pytest

from resources.thinkific.resource import ThinkificError
from simulator import Fault
from tests.client.simulated import client_for, requests_seen


def test_paging_returns_every_record_exactly_once(start_simulator):
    sim = start_simulator(users=601)
    ids = [
        user["id"]
        for page in client_for(sim).iter_pages("/users", stream="users")
        for user in page.items
    ]
    assert sorted(ids) == sorted(user["id"] for user in sim.ground_truth()["users"])
    assert len(ids) == len(set(ids)) == 601


def test_pages_are_numbered_and_carry_the_totals(start_simulator):
    sim = start_simulator(users=601)
    pages = list(client_for(sim).iter_pages("/users", stream="users"))
    assert [(p.number, len(p.items), p.total_pages, p.total_items) for p in pages] == [
        (1, 250, 3, 601),
        (2, 250, 3, 601),
        (3, 101, 3, 601),
    ]


def test_every_page_asks_for_250_rows_and_keeps_the_filters(simulator):
    group_id = simulator.ground_truth()["groups"][0]["id"]
    client = client_for(simulator)
    list(client.iter_pages("/users", {"query[group_id]": group_id}, stream="members"))
    (request,) = simulator.stats.snapshot()["requests"]
    assert "limit=250" in request["query"] and "page=1" in request["query"]
    assert f"query%5Bgroup_id%5D={group_id}" in request["query"]


def test_progress_is_logged_per_page(start_simulator, caplog):
    sim = start_simulator(users=601)
    with caplog.at_level(logging.INFO, logger="resources"):
        list(client_for(sim).iter_pages("/users", stream="users"))
    assert "users: page 3 of 3, 601 rows so far" in caplog.messages


def test_pages_fetched_are_counted(start_simulator):
    sim = start_simulator(users=601)
    client = client_for(sim)
    list(client.iter_pages("/users", stream="users"))
    assert (client.stats.pages, client.stats.requests, client.stats.status_counts) == (
        3,
        3,
        {200: 3},
    )


def _page_answer(next_page, total_pages):
    pagination = {"current_page": 1, "next_page": next_page, "total_pages": total_pages}
    return {"items": [{"id": 1}], "meta": {"pagination": pagination}}


def test_paging_never_goes_past_total_pages(simulator):
    simulator.faults.add(Fault("users", "status", status=200, body=_page_answer(2, 1)))
    pages = list(client_for(simulator).iter_pages("/users", stream="users"))
    assert len(pages) == 1
    assert requests_seen(simulator) == 1


def test_a_next_page_that_points_back_is_an_error_not_a_loop(simulator):
    simulator.faults.add(Fault("users", "status", status=200, body=_page_answer(1, 5)))
    with pytest.raises(ThinkificError, match="points back to page 1"):
        list(client_for(simulator).iter_pages("/users", stream="users"))


def test_a_non_list_answer_is_an_error_naming_its_shape(simulator):
    group_id = simulator.ground_truth()["groups"][0]["id"]
    with pytest.raises(ThinkificError, match=r"not a list endpoint.*group_analysts"):
        list(client_for(simulator).iter_pages(f"/groups/{group_id}/analysts", stream="analysts"))


def test_one_client_can_be_shared_between_threads(start_simulator):
    sim = start_simulator(users=601, enrollments=300)
    client = client_for(sim)
    streams = ["users", "enrollments", "courses", "groups"]

    def ids(stream: str) -> list[int]:
        return [
            row["id"]
            for page in client.iter_pages(f"/{stream}", stream=stream)
            for row in page.items
        ]

    with ThreadPoolExecutor(max_workers=len(streams)) as pool:
        fetched = dict(zip(streams, pool.map(ids, streams), strict=True))
    truth = sim.ground_truth()
    for stream in streams:
        assert sorted(fetched[stream]) == sorted(row["id"] for row in truth[stream])
    assert client.stats.requests == client.stats.pages == requests_seen(sim) == 3 + 2 + 1 + 1
