"""The client's cost budget on a fake clock: it waits exactly as long as the minute requires."""

from datetime import UTC, datetime

import pytest

from resources.thinkific.graphql_budget import CostBudget

START = datetime(2027, 1, 15, 8, 0, tzinfo=UTC).timestamp()


class FakeTime:
    def __init__(self) -> None:
        self.now = START
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _budget(ratio: float = 1.0) -> tuple[CostBudget, FakeTime]:
    time = FakeTime()
    return CostBudget(ratio, clock=time.clock, sleep=time.sleep), time


def _answer(cost: int, remaining: int, limit: int = 2000) -> dict:
    return {"cost": cost, "remaining": remaining, "limit": limit, "resetAt": None}


def test_a_query_never_answered_is_expected_to_cost_the_per_query_maximum():
    budget, time = _budget()
    budget.reserve("A")
    budget.settle("A", _answer(600, 1400))
    time.now += 10
    budget.reserve("A")
    budget.settle("A", _answer(600, 800))
    assert budget.reserve("A") == 0  # 1,200 + 600 fit in 2,000
    assert budget.reserve("B") == pytest.approx(
        50
    )  # 1,200 + 1,000 do not, until the first ages out
    assert time.slept == [pytest.approx(50)]


def test_a_query_never_answered_is_expected_to_cost_what_its_caller_computed():
    budget, _ = _budget()
    budget.reserve("A")
    budget.settle("A", _answer(900, 1100))
    assert budget.reserve("B", cost=803) == 0  # 900 + 803 fit in 2,000
    budget.settle("B", _answer(803, 297))
    assert budget.reserve("C", cost=5000) == pytest.approx(60)  # capped at 1,000: waits


def test_it_waits_until_just_enough_of_the_minute_has_aged_out():
    budget, time = _budget()
    for remaining in (1500, 1000, 500):
        budget.reserve("Q")
        budget.settle("Q", _answer(500, remaining))
        time.now += 5
    budget.reserve("Q")
    budget.settle("Q", _answer(500, 0))
    waited = budget.reserve("Q")
    assert waited == pytest.approx(60 - 15)  # the first charge was 15 s ago


def test_the_ratio_keeps_headroom_below_the_limit_the_answers_report():
    budget, _ = _budget(ratio=0.5)
    budget.settle("Q", _answer(100, 3900, limit=4000))
    assert budget.spendable == 2000


def test_points_spent_by_another_client_of_the_site_are_waited_out_too():
    budget, time = _budget()
    budget.settle("Q", _answer(500, 0))  # the site has spent 2,000 points, this client 500
    time.now += 20
    assert budget.reserve("Q") == pytest.approx(40)


@pytest.mark.parametrize(
    ("reset_at", "seconds"),
    [
        ("2027-01-15T08:00:30.000Z", 30.0),
        (int(START) + 30, 30.0),
        ((int(START) + 30) * 1000, 30.0),
        (None, 60.0),
    ],
    ids=["iso", "epoch-seconds", "epoch-milliseconds", "absent"],
)
def test_a_rate_limited_answer_waits_until_reset_at_in_any_form(reset_at, seconds):
    budget, _ = _budget()
    wait = budget.rate_limited_wait({"resetAt": reset_at}, max_wait=120)
    assert wait == pytest.approx(seconds)
