"""SQLAlchemy's connection-pool log, minus the interrupts the main command reports itself.

When Ctrl-C or SIGTERM lands while SQLAlchemy closes a connection, Dagster's signal handler
raises its interrupt inside that close; SQLAlchemy logs "Exception closing connection" with the
whole traceback, then raises the interrupt again, which stops the run as intended. The summary
already says the sync was interrupted and how to resume, so that record is dropped; every other
record of the pool's log is printed as Python prints an unconfigured logger's (warnings and
errors, to stderr).
"""

import logging
import sys

from dagster import DagsterExecutionInterruptedError

POOL_LOGGER = "sqlalchemy.pool"
INTERRUPTS = (KeyboardInterrupt, DagsterExecutionInterruptedError)


def _not_an_interrupt(record: logging.LogRecord) -> bool:
    raised = record.exc_info[0] if record.exc_info else None
    return not (raised is not None and issubclass(raised, INTERRUPTS))


class _Stderr(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is when a record comes, as Python's last resort does."""

    @property
    def stream(self):  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, _stream) -> None:
        pass


def quiet_interrupted_closes() -> None:
    """Route the pool's log through a stderr handler that drops interrupted closes (once)."""
    pool_log = logging.getLogger(POOL_LOGGER)
    if any(_not_an_interrupt in handler.filters for handler in pool_log.handlers):
        return
    handler = _Stderr()
    handler.setLevel(logging.WARNING)
    handler.addFilter(_not_an_interrupt)
    pool_log.addHandler(handler)
    pool_log.propagate = False
