"""PostgreSQL for benchmarks: a fresh database, and the CPU time the server spent for a client.

The server is the one the tests use (TEST_POSTGRES_URL, by default trust auth as `postgres` on
127.0.0.1:5432). Each benchmark gets a database of its own, dropped afterwards.

A PostgreSQL connection is served by a process of its own on the server. When the server runs
on this machine, that process's CPU time (/proc/<pid>/stat) is the work the server did for the
connection: `ServerCpu` records the process of every connection an engine opens and sums their
CPU time, so that a benchmark can show how much of a load's time the database itself spent.
"""

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@contextmanager
def fresh_database(prefix: str) -> Iterator[sa.URL]:
    """The URL of a new, empty database, dropped when the block is left."""
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield admin.url.set(database=name)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _process_cpu_seconds(pid: int) -> float | None:
    """The CPU time of a server process on this machine, None when there is none."""
    proc = Path(f"/proc/{pid}")
    try:
        if proc.joinpath("comm").read_text().strip() != "postgres":
            return None
        fields = proc.joinpath("stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class ServerCpu:
    """The CPU time of the server processes of an engine's connections (see the module
    docstring). Read it before the engine is disposed: the processes end with their
    connections."""

    def __init__(self, engine: sa.Engine) -> None:
        self._pids: list[int] = []
        sa.event.listen(engine, "connect", self._connected)

    def _connected(self, driver_connection: Any, _: Any) -> None:
        with driver_connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            self._pids.append(cursor.fetchone()[0])

    def seconds(self) -> float | None:
        """CPU seconds so far; None when a process is not on this machine."""
        times = [_process_cpu_seconds(pid) for pid in self._pids]
        return None if None in times else sum(times)
