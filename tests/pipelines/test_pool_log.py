"""The main command's view of SQLAlchemy's pool log: interrupted closes go, errors stay.

Each case runs in a fresh interpreter: pytest's own log capture hooks into every logger, and
what matters is what a user's terminal shows.
"""

import subprocess
import sys

import pytest

LOG_A_FAILED_CLOSE = """
import logging, sys
from dagster import DagsterExecutionInterruptedError
from pipelines.commands.pool_log import quiet_interrupted_closes

errors = {{
    "interrupted": DagsterExecutionInterruptedError(),
    "ctrl-c": KeyboardInterrupt(),
    "disk": OSError("disk I/O error"),
}}
for _ in range({installs}):
    quiet_interrupted_closes()
try:
    raise errors[sys.argv[1]]
except BaseException:
    logging.getLogger("sqlalchemy.pool.impl.QueuePool").error(
        "Exception closing connection", exc_info=True
    )
"""


def _stderr_of(error: str, installs: int = 1) -> str:
    script = LOG_A_FAILED_CLOSE.format(installs=installs)
    ended = subprocess.run(
        [sys.executable, "-c", script, error], capture_output=True, text=True, timeout=60
    )
    assert ended.returncode == 0, ended.stderr
    return ended.stderr


@pytest.mark.parametrize("error", ["interrupted", "ctrl-c"])
def test_an_interrupt_while_closing_a_connection_prints_no_traceback(error):
    assert _stderr_of(error) == ""


def test_without_the_filter_python_would_print_that_traceback():
    assert "Traceback" in _stderr_of("interrupted", installs=0)


def test_any_other_error_while_closing_a_connection_is_still_printed():
    printed = _stderr_of("disk")
    assert "Exception closing connection" in printed and "disk I/O error" in printed


def test_installing_twice_prints_each_error_once():
    assert _stderr_of("disk", installs=2).count("Exception closing connection") == 1
