"""Project-local homes for Dagster and the default warehouse, so nothing needs installing."""

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DAGSTER_HOME = PROJECT_ROOT / ".dagster_home"
LOCAL_INSTANCE_CONFIG = """\
# Written by the project for a new Dagster home: Dagster's defaults (runs, events and schedules
# in SQLite files here), with two changes.
# - No capture of raw stdout/stderr: every step logs through Dagster's event log, and the
#   capture runs `tail` helper processes that a Ctrl-C would hit with tracebacks of their own.
# - Telemetry off; delete those lines to send Dagster usage statistics.
compute_logs:
  module: dagster._core.storage.noop_compute_log_manager
  class: NoOpComputeLogManager
telemetry:
  enabled: false
"""


def ensure_dagster_home() -> Path:
    """Use `DAGSTER_HOME` when set, else the project's `.dagster_home`; create it if missing.

    A new home gets the `dagster.yaml` above: no helper processes for raw output capture, and
    usage telemetry off (a local project home should not report to a third party unasked, nor
    open every first run with a banner about it).
    """
    home = Path(os.environ.get("DAGSTER_HOME") or DEFAULT_DAGSTER_HOME)
    os.environ["DAGSTER_HOME"] = str(home)
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(LOCAL_INSTANCE_CONFIG)
    return home
