"""GraphQL reads started early: one thread runs them in the order they were started, each step
gets how its read ended and what it cost, and stopping ends them at once."""

import threading
import time

from resources.thinkific.early_reads import EarlyReads, Settled
from resources.thinkific.graphql_stats import GraphQLStats, GraphQLStatsRecorder

WAIT_SECONDS = 5.0


def _until(condition) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_reads_run_one_after_another_in_the_order_started_each_with_its_cost():
    early, spent, order = EarlyReads(), GraphQLStatsRecorder(), []
    running, most_at_once = [0], [0]

    def read(name: str, points: int):
        def run():
            running[0] += 1
            most_at_once[0] = max(most_at_once[0], running[0])
            order.append(name)
            time.sleep(0.05)
            spent.add(requests=1, points_spent=points)
            running[0] -= 1
            return {"rows": name}

        return run

    early.start("thinkific/certificates", read("certificates", 153), spent.snapshot)
    early.start("thinkific/quiz_results", read("quiz_results", 403), spent.snapshot)

    quiz = early.outcome("thinkific/quiz_results")
    certificates = early.outcome("thinkific/certificates")
    assert order == ["certificates", "quiz_results"] and most_at_once == [1]
    assert certificates is not None and quiz is not None
    assert (certificates.metadata, certificates.cost.points_spent) == (
        {"rows": "certificates"},
        153,
    )
    assert (quiz.metadata, quiz.cost.points_spent) == ({"rows": "quiz_results"}, 403)


def test_an_asset_without_an_early_read_has_no_outcome():
    early = EarlyReads()
    assert not early.started("thinkific/quiz_results")
    assert early.outcome("thinkific/quiz_results") is None


def test_a_failed_read_ends_with_its_error_and_cost_and_the_next_read_still_runs():
    early, spent = EarlyReads(), GraphQLStatsRecorder()

    def failing():
        spent.add(requests=3, retries=2)
        raise RuntimeError("the token was refused")

    early.start("thinkific/certificates", failing, spent.snapshot)
    early.start("thinkific/quiz_results", lambda: {"rows": 1}, spent.snapshot)

    failed = early.outcome("thinkific/certificates")
    assert failed is not None and isinstance(failed.error, RuntimeError)
    assert failed.cost.requests == 3
    after = early.outcome("thinkific/quiz_results")
    assert after is not None and after.metadata == {"rows": 1}


def test_a_read_started_after_the_others_ended_still_runs():
    early, spent = EarlyReads(), GraphQLStatsRecorder()
    early.start("thinkific/certificates", lambda: {"rows": 1}, spent.snapshot)
    assert early.outcome("thinkific/certificates") is not None
    time.sleep(0.05)  # the thread has nothing left to run
    early.start("thinkific/quiz_results", lambda: {"rows": 2}, spent.snapshot)
    later = early.outcome("thinkific/quiz_results")
    assert later is not None and later.metadata == {"rows": 2}


def test_stopping_ends_a_read_waiting_for_the_budget_and_reports_what_no_step_did():
    early, spent = EarlyReads(), GraphQLStatsRecorder()
    sent_after_stop = threading.Event()

    def paced():
        spent.add(requests=1, points_spent=403)
        early.sleep(60)  # the minute's points are spent: wait for the budget
        sent_after_stop.set()
        return {}

    early.start("thinkific/quiz_results", paced, spent.snapshot)
    early.start("thinkific/later", lambda: {}, spent.snapshot)
    _until(lambda: spent.snapshot().requests == 1)
    started = time.monotonic()
    early.stop()

    assert time.monotonic() - started < 1.0
    assert early.unreported() == {
        "thinkific/quiz_results": GraphQLStats(requests=1, points_spent=403)
    }
    stopped, never_ran = (early.outcome(f"thinkific/{name}") for name in ("quiz_results", "later"))
    assert stopped is not None and isinstance(stopped.error, Settled)
    assert never_ran is not None and isinstance(never_ran.error, Settled)
    assert not sent_after_stop.is_set()


def test_nothing_starts_once_stopped():
    early, ran = EarlyReads(), threading.Event()
    early.stop()
    early.start("thinkific/quiz_results", lambda: ran.set() or {}, GraphQLStats)
    time.sleep(0.05)
    assert not ran.is_set() and not early.started("thinkific/quiz_results")
