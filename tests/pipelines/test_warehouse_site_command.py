"""Through the main command, a warehouse holds one site's data: a sync of another site into it
stops before any request with exit status 2, naming both sites; `--full-refresh` re-reads every
stream in full. On SQLite and PostgreSQL, and with a sites file."""

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from resources.warehouse.engine import create_engine
from simulator import SimulatorServer
from tests.faults.harness import command_environment, run_sync, site_environment
from tests.sites.simulated import simulated_sites, sites_environment, write_sites_file

pytestmark = pytest.mark.slow


@pytest.fixture
def acme_and_globex() -> Iterator[tuple[SimulatorServer, SimulatorServer]]:
    """Two small sites with their own data, subdomain and key."""
    with simulated_sites(["acme", "globex"]) as servers:
        yield servers["acme"], servers["globex"]


def warehouse_rows(url: str) -> dict[str, list[tuple]]:
    """Every project table's rows, sorted: what a refused sync must leave as it was."""
    engine = create_engine(sa.make_url(url))
    try:
        with engine.connect() as connection:
            metadata = sa.MetaData()
            metadata.reflect(connection)
            return {
                name: sorted(connection.execute(sa.select(table)).all(), key=repr)
                for name, table in sorted(metadata.tables.items())
                if name.startswith(("thinkific_", "warehouse_"))
            }
    finally:
        engine.dispose()


def test_a_second_site_is_refused_before_any_request_naming_both(
    acme_and_globex, warehouse_url, tmp_path
):
    acme, globex = acme_and_globex
    first = run_sync(command_environment(tmp_path / "home", warehouse_url, site_environment(acme)))
    assert first.returncode == 0, first.output[-3000:]
    before = warehouse_rows(warehouse_url)

    second = run_sync(
        command_environment(tmp_path / "home", warehouse_url, site_environment(globex))
    )

    assert second.returncode == 2, second.output[-3000:]
    assert "Thinkific site 'acme'" not in second.output  # the simulator's sites are local
    assert "the local simulator's site 'acme'" in second.output
    assert "the local simulator's site 'globex'" in second.output
    assert "WAREHOUSE_URL" in second.output
    assert "Traceback" not in second.output
    assert globex.stats.snapshot()["served"] == 0
    assert warehouse_rows(warehouse_url) == before


def test_full_refresh_reads_every_enrollment_again(acme_and_globex, warehouse_url, tmp_path):
    acme, _ = acme_and_globex
    env = command_environment(tmp_path / "home", warehouse_url, site_environment(acme))
    assert run_sync(env).returncode == 0
    acme.stats.reset()

    again = run_sync(env, extra_args=["--full-refresh"])

    assert again.returncode == 0, again.output[-3000:]
    enrollment_reads = [
        request["query"]
        for request in acme.stats.snapshot()["requests"]
        if request["path"].endswith("/enrollments")
    ]
    assert enrollment_reads
    assert not [query for query in enrollment_reads if "updated" in query]


def test_a_sites_file_entry_pointed_at_another_site_stops_every_site(tmp_path, warehouse_url):
    with simulated_sites(["acme", "globex", "initech"]) as servers:
        two = {"acme": servers["acme"], "globex": servers["globex"]}
        env = command_environment(
            tmp_path / "home", warehouse_url, sites_environment(tmp_path, two)
        )
        assert run_sync(env, timeout=180).returncode == 0
        moved = dict(two, globex=servers["initech"])
        write_sites_file(Path(env["THINKIFIC_SITES_FILE"]), moved)
        env["GLOBEX_KEY"] = servers["initech"].config.api_key
        for server in servers.values():
            server.stats.reset()

        refused = run_sync(env)

        assert refused.returncode == 2, refused.output[-3000:]
        assert "site 'globex'" in refused.output
        assert "the local simulator's site 'globex'" in refused.output
        assert "the local simulator's site 'initech'" in refused.output
        assert all(server.stats.snapshot()["served"] == 0 for server in servers.values())
