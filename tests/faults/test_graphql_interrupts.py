"""A sync stopped with SIGTERM halfway through its GraphQL read resumes that read on the rerun:
the tables equal the site's, and both runs together spend about the points of one read."""

import sys
from dataclasses import replace

import pytest

from resources.extraction.plan import graphql_reads
from resources.warehouse import WarehouseResource
from schemas.thinkific import STREAMS
from simulator import SimulatorServer
from tests.faults.harness import (
    FAULT_SITE,
    command_environment,
    run_sync,
    site_environment,
    stop_when,
)
from tests.graphql.helpers import graphql_client
from tests.pipelines.ground_truth import assert_tables_equal, learning_records
from tests.process_tree import sigterm

pytestmark = pytest.mark.slow

PACED_SITE = replace(FAULT_SITE, users=50, courses=30, enrollments=1200, latency_ms=250)
"""Tens of users with six pages of GraphQL and more follow-ups, each answer a quarter second
late: the GraphQL read takes several seconds, time to stop it halfway."""
RESUME_OVERHEAD = 1.1
"""Both runs together may spend this much of one read's points (a resumed page, say)."""


def _points(server: SimulatorServer) -> int:
    return server.stats.snapshot()["graphql"]["points"]


def _one_read(server: SimulatorServer) -> int:
    """The points of one whole GraphQL read of the site, read here before the sync."""
    client = graphql_client(server)
    for stream in (stream for stream in STREAMS if stream.graphql):
        for read in graphql_reads(stream, client):
            for _page in read.pages():
                pass
    return _points(server)


def test_a_graphql_read_stopped_halfway_resumes_on_the_rerun(tmp_path):
    database = tmp_path / "warehouse.db"
    with SimulatorServer(PACED_SITE, host="127.0.0.1", port=0) as server:
        one_read = _one_read(server)
        env = command_environment(
            tmp_path / "home", f"sqlite:///{database}", site_environment(server)
        )
        main_command = [sys.executable, "-m", "pipelines"]
        stopped, _, _ = stop_when(
            lambda: _points(server) >= one_read * 1.5, env, sigterm, main_command
        )
        assert stopped.returncode == 130, (stopped.stdout + stopped.stderr)[-3000:]
        rerun = run_sync(env)
        assert rerun.returncode == 0, rerun.output[-3000:]
        spent = _points(server) - one_read
        truth = server.ground_truth()
    assert_tables_equal(WarehouseResource(url=f"sqlite:///{database}"), learning_records(truth))
    assert spent <= RESUME_OVERHEAD * one_read, f"{spent} points against {one_read} for one read"
