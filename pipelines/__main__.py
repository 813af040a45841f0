"""The main command: one whole Thinkific sync, headless, ending with a summary table.

    make sync            (or: ./scripts/uv run --frozen python -m pipelines)

Runs the same `thinkific_sync` job as the nightly schedule, in this process, recorded in the
project's Dagster home so that the run also shows up in the UI (`make ui`).
"""

import sys
import time

from dagster import DagsterInstance

from pipelines.local_home import ensure_dagster_home
from pipelines.site import thinkific_site
from pipelines.summary import render_failures, render_summary


def main() -> int:
    ensure_dagster_home()
    started = time.monotonic()
    with thinkific_site() as site:
        print(f"Syncing {site.description}", flush=True)
        # Imported here: the resources read the environment that thinkific_site() sets.
        from pipelines.definitions import defs
        from pipelines.schedules import SYNC_JOB_NAME

        job = defs.resolve_job_def(SYNC_JOB_NAME)
        with DagsterInstance.get() as instance:
            result = job.execute_in_process(instance=instance, raise_on_error=False)
    print(render_summary(result, time.monotonic() - started))
    if result.success:
        print(f"Sync succeeded (run {result.run_id}).")
        return 0
    print(render_failures(result), file=sys.stderr)
    print(f"Sync failed (run {result.run_id}); see `make ui` for the full logs.", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
