"""A GraphQL read stopped part-way resumes after its last staged page (for certificates: after
the last staged course); a stitched read is complete only if the connection's counts agree."""

import dataclasses
import logging
from collections.abc import Callable, Iterable, Iterator

import pytest

from resources.extraction.engine import load
from resources.extraction.plan import graphql_reads
from resources.extraction.reads import GraphQLRead
from resources.thinkific.learning_queries import (
    COURSE_CERTIFICATES_COST,
    QUIZ_SUBMISSIONS_COST,
    QUIZ_SUBMISSIONS_PER_PAGE,
    ConnectionPage,
    certificate_pages,
)
from schemas.thinkific import stream_of
from tests.graphql.helpers import graphql_client
from tests.pipelines.ground_truth import assert_tables_equal

RESUMABLE_SITE = {"users": 50, "groups": 3, "courses": 30, "bundles": 1, "enrollments": 1400}
"""Tens of users, yet four pages of quiz submissions and two pages of courses."""
LOG = logging.getLogger(__name__)


class Stopped(Exception):
    """The read stopped here, as a crash or a kill stops it."""


def _stopping_after(pages: int, read: GraphQLRead) -> GraphQLRead:
    """The read, stopping once `pages` of its pages have been answered."""

    def connection(after: str | None) -> Iterator[ConnectionPage]:
        answered: Iterable[ConnectionPage] = read.connection(after)
        for number, page in enumerate(answered, start=1):
            yield page
            if number == pages:
                raise Stopped

    return dataclasses.replace(read, connection=connection)


def _points(sim) -> int:
    return sim.stats.snapshot()["graphql"]["points"]


def _read(
    sim, warehouse, stream: str, change: Callable[[GraphQLRead], GraphQLRead] = lambda read: read
) -> dict:
    """Load the stream's full read (each read changed by `change`); the load's metadata."""
    reads = [change(read) for read in graphql_reads(stream_of(stream), graphql_client(sim))]
    return load(warehouse, stream_of(stream).table, reads, log=LOG)


def _stop_after(sim, warehouse, stream: str, pages: int) -> None:
    with pytest.raises(Stopped):
        _read(sim, warehouse, stream, lambda read: _stopping_after(pages, read))
    assert warehouse.has_checkpoint(stream_of(stream).table)


def test_a_quiz_results_read_stopped_after_two_pages_resumes_at_the_third(
    start_simulator, warehouse
):
    sim = start_simulator(**RESUMABLE_SITE)
    truth = sim.ground_truth()["quiz_results"]
    pages = -(-len(truth) // QUIZ_SUBMISSIONS_PER_PAGE)
    assert pages >= 4
    _stop_after(sim, warehouse, "quiz_results", pages=2)
    before = _points(sim)
    metadata = _read(sim, warehouse, "quiz_results")
    assert metadata["resumed"] and metadata["complete_read"]
    assert _points(sim) - before == (pages - 2) * QUIZ_SUBMISSIONS_COST
    assert_tables_equal(warehouse, {"thinkific_quiz_results": truth})
    assert not warehouse.has_checkpoint("thinkific_quiz_results")


def test_a_certificates_read_resumes_after_the_last_staged_course(start_simulator, warehouse):
    sim = start_simulator(**RESUMABLE_SITE)
    for _page in certificate_pages(graphql_client(sim)):
        pass
    one_read = _points(sim)
    _stop_after(sim, warehouse, "certificates", pages=2)
    assert _points(sim) - one_read > COURSE_CERTIFICATES_COST  # into a course's follow-ups
    metadata = _read(sim, warehouse, "certificates")
    assert metadata["resumed"] and metadata["complete_read"]
    # Again only the page of courses the read stopped in, never a staged course's follow-ups.
    assert _points(sim) - one_read <= one_read + COURSE_CERTIFICATES_COST
    assert_tables_equal(warehouse, {"thinkific_certificates": sim.ground_truth()["certificates"]})


def test_a_resumed_read_whose_count_moved_is_incomplete_and_deletes_nothing(
    start_simulator, warehouse
):
    sim = start_simulator(**RESUMABLE_SITE)
    assert _read(sim, warehouse, "quiz_results")["complete_read"]
    loaded = warehouse.count("thinkific_quiz_results")
    _stop_after(sim, warehouse, "quiz_results", pages=2)
    user_id = int(sim.ground_truth()["quiz_results"][-1]["user"]["id"])
    sim.site.delete("users", user_id)  # the user's submissions leave the count
    metadata = _read(sim, warehouse, "quiz_results")
    assert metadata["resumed"] and not metadata["complete_read"]
    assert metadata["rows_deleted"] == 0
    assert warehouse.count("thinkific_quiz_results") == loaded
