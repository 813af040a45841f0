"""The main command: one whole Thinkific sync, headless, ending with a summary table.

    make sync            (or: ./scripts/uv run --frozen python -m pipelines [--verbose])

Runs the same `thinkific_sync` job as the nightly schedule, in this process, recorded in the
project's Dagster home so that the run also shows up in the UI (`make ui`). What it prints is
drawn from the run's events (`sync_report`, `sync_display`): progress per asset, each failure
cause once with its fix, the summary table. `--verbose` adds Dagster's own event log (debug)
and its notices of beta and preview APIs (`dagster_warnings`).

Exit status: 0 when every step succeeded, 1 when any failed, 2 when a setting is unusable, 130
when interrupted (SIGINT or SIGTERM: the running step stops, the run is recorded as failed, and
the rerun resumes).
"""

import argparse
import logging
import os
import signal
import sys
import time
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from types import FrameType
from typing import TextIO

from dagster import (
    AssetKey,
    DagsterInstance,
    ExecuteInProcessResult,
    JobDefinition,
    colored_console_logger,
    logger,
)
from dagster._core.definitions.dependency import NodeHandle
from rich.console import Console

from assets.thinkific.run_reads import FULL_REFRESH_TAG
from pipelines.commands.all_sites import sync_every_site
from pipelines.commands.dagster_warnings import hide_maturity_warnings
from pipelines.commands.demo_site import site_in_use, thinkific_site
from pipelines.commands.local_home import ensure_dagster_home
from pipelines.commands.pool_log import quiet_interrupted_closes
from pipelines.commands.site_entry import (
    SUBDOMAIN_ENV,
    adopt_single_site_warehouse_if_any,
    site_named,
)
from pipelines.commands.sync_display import (
    SyncDisplay,
    console_for,
    not_run_line,
    say,
    summary_table,
)
from pipelines.commands.sync_report import INTERRUPTED, SyncReport
from pipelines.commands.warehouse_claim import claim_before_the_run
from pipelines.resources import SettingError, validate_settings
from resources.sites import (
    SITES_FILE_ENV,
    Site,
    SitesFileError,
    check_environment,
    sites_from_env,
)
from resources.warehouse.engine import WarehouseError, warehouse_url_from_env
from resources.warehouse.migrate import refresh_cross_site_views
from resources.warehouse.site_identity import WarehouseSiteMismatch
from resources.warehouse.sites import WAREHOUSE_SCHEMA_ENV

EXIT_FAILED = 1
EXIT_SETTINGS = 2
EXIT_INTERRUPTED = 130
REPORT_LOGGER = "sync_report"


def _parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m pipelines",
        description="Sync every Thinkific stream into the warehouse once, then the dashboard.",
    )
    parser.add_argument(
        "--verbose", action="store_true", help="also print Dagster's event log (debug level)"
    )
    parser.add_argument(
        "--full-refresh",
        action="store_true",
        help="read every stream in full, enrollments included (as the weekly reconciliation does)",
    )
    parser.add_argument(
        "--site",
        metavar="NAME",
        help=f"with {SITES_FILE_ENV}: sync only this site of the file (default: every site)",
    )
    return parser.parse_args(argv)


def _interrupt(_signal: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def assets_by_step(job: JobDefinition) -> dict[str, list[str]]:
    """The asset keys each step of `job` materialises (none for a check's step)."""
    steps = {}
    for node in job.graph.nodes:
        keys = job.asset_layer.get_selected_entity_keys_for_node(NodeHandle(node.name, None))
        steps[node.name] = sorted(
            (key.to_user_string() for key in keys if isinstance(key, AssetKey)),
            key=lambda key: (not key.startswith("thinkific/"), key),
        )
    return dict(sorted(steps.items(), key=lambda item: item[1][:1]))


def _report_logger(report: SyncReport):
    """A Dagster logger that feeds every record of the run into `report`."""

    class _Forward(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            report.handle(record)

    @logger(description="Feeds the main command's progress display and summary.")
    def _logger(_init_context) -> logging.Logger:
        forward = logging.getLogger(f"{__name__}.report")
        forward.handlers = [_Forward()]
        forward.setLevel(logging.DEBUG)
        forward.propagate = False
        return forward

    return _logger


def _with_loggers(job: JobDefinition, report: SyncReport, verbose: bool) -> JobDefinition:
    loggers = {REPORT_LOGGER: _report_logger(report)}
    if verbose:
        loggers["console"] = colored_console_logger
    return job.with_logger_defs(loggers)


def _logger_config(verbose: bool) -> Mapping[str, object]:
    """Run config naming the loggers: Dagster starts only the loggers the run config names,
    and its own console logger when it names none."""
    loggers: dict[str, object] = {REPORT_LOGGER: {}}
    if verbose:
        loggers["console"] = {"config": {"log_level": "DEBUG"}}
    return {"loggers": loggers}


def _print_outcome(
    out: Console, err: Console, report: SyncReport, result: ExecuteInProcessResult, elapsed: float
) -> int:
    report.mark_unfinished_not_run()
    for cause in report.causes.values():
        say(err, f"\nFailed: {cause.message}", style="red")
        say(err, f"  ({', '.join(report.affected(cause))})")
    for check in report.failed_checks:
        outcome = f"did not pass ({check.severity}): {check.metadata}"
        say(err, f"Check {check.asset}:{check.check} {outcome}")
    not_run = not_run_line(report.assets.values(), interrupted=INTERRUPTED in report.causes)
    if not_run:
        say(err, not_run)
    out.print(summary_table(report.assets.values(), elapsed))
    if result.success:
        say(out, f"Sync succeeded (run {result.run_id}).")
        return 0
    say(err, f"Sync failed (run {result.run_id}); `make ui` shows its full logs.")
    return EXIT_INTERRUPTED if INTERRUPTED in report.causes else EXIT_FAILED


def _own_stream(stream: TextIO) -> TextIO:
    """A second handle on the terminal or file behind `stream`: Dagster redirects file
    descriptors 1 and 2 into its compute logs while a run executes, and the display must keep
    drawing where the user looks."""
    return os.fdopen(os.dup(stream.fileno()), "w", buffering=1, encoding="utf-8")


def _site_flags(args: argparse.Namespace) -> list[str]:
    """The flags each site's process is started with."""
    chosen = {"--verbose": args.verbose, "--full-refresh": args.full_refresh}
    return [flag for flag, given in chosen.items() if given]


def _run_tags(args: argparse.Namespace) -> dict[str, str]:
    return {FULL_REFRESH_TAG: "true"} if args.full_refresh else {}


def _choose_sites(args: argparse.Namespace, out: Console, err: Console) -> int | Site | None:
    """With a sites file: every site synced (their exit status), or the one `--site` names,
    whose partition this process syncs; without one, None: the single-site sync."""
    sites = sites_from_env()
    if sites is None:
        if args.site:
            raise SitesFileError(f"--site needs {SITES_FILE_ENV}, the file that names the sites")
        return None
    chosen = [site_named(sites, args.site)] if args.site else list(sites)
    check_environment(chosen, os.environ)
    adopted = adopt_single_site_warehouse_if_any(
        sites,
        os.environ.get(SUBDOMAIN_ENV),
        warehouse_url_from_env(),
        os.environ.get(WAREHOUSE_SCHEMA_ENV),
    )
    if adopted:
        owner, moved = adopted
        say(out, f"Moved the single-site warehouse ({len(moved)} tables) to site '{owner.name}'.")
    for site in chosen:
        try:
            claim_before_the_run(site)
        except WarehouseSiteMismatch as error:
            raise WarehouseSiteMismatch(f"site '{site.name}': {error}") from None
    if not args.site:
        # The instance's storage is made on first use; made by several site processes at once
        # (a new DAGSTER_HOME) they race on its schema's version table, so it is made here.
        with DagsterInstance.get():
            pass
        return sync_every_site(sites, out, err, _site_flags(args))
    return chosen[0]


def _refresh_cross_site_views(err: Console) -> None:
    """After a site's run, the views over every site's tables (PostgreSQL): the run may have
    made the site's first tables."""
    sites = sites_from_env() or ()
    try:
        refresh_cross_site_views(
            warehouse_url_from_env(),
            os.environ.get(WAREHOUSE_SCHEMA_ENV),
            [site.name for site in sites],
        )
    except WarehouseError as error:
        say(err, f"The cross-site views were not refreshed: {error}", style="yellow")


def main(argv: Sequence[str]) -> int:
    args = _parse(argv)
    if not args.verbose:
        hide_maturity_warnings()
    ensure_dagster_home()
    quiet_interrupted_closes()
    out, err = console_for(_own_stream(sys.stdout)), console_for(_own_stream(sys.stderr))
    try:
        validate_settings()
        chosen = _choose_sites(args, out, err)
    except SettingError as error:
        say(err, f"Not started: {error}.")
        return EXIT_SETTINGS
    except (SitesFileError, WarehouseError) as error:
        say(err, f"Not started: {error}")
        return EXIT_SETTINGS
    if isinstance(chosen, int):
        return chosen
    started = time.monotonic()
    # Until the run starts (and again after it), SIGTERM stops the command as Ctrl-C does;
    # during the run Dagster takes both signals and stops the running step.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        in_use = nullcontext(site_in_use(chosen)) if chosen else thinkific_site()
        with in_use as site:
            for notice in site.notices:
                say(err, notice, style="yellow")
            say(out, f"Syncing {site.description}")
            if chosen is None:  # a site of the sites file was claimed with the others
                claim_before_the_run(None)
            # Imported here: the resources read the environment that thinkific_site() sets.
            from pipelines.definitions import defs
            from pipelines.jobs.schedules import SYNC_JOB_NAME

            job = defs.resolve_job_def(SYNC_JOB_NAME)
            display = SyncDisplay(out)
            report = SyncReport(assets_by_step(job), on_finished=display.finished)
            display.report = report
            with DagsterInstance.get() as instance, display:
                result = _with_loggers(job, report, args.verbose).execute_in_process(
                    instance=instance,
                    raise_on_error=False,
                    run_config=_logger_config(args.verbose),
                    tags=_run_tags(args),
                    partition_key=chosen.name if chosen else None,
                )
                # The run has ended: a second signal (Ctrl-C reaches both make's and uv's process
                # groups, and uv forwards it again) must not cut the summary short.
                for stopping in (signal.SIGINT, signal.SIGTERM):
                    signal.signal(stopping, signal.SIG_IGN)
            status = _print_outcome(out, err, report, result, time.monotonic() - started)
            if chosen is not None:
                _refresh_cross_site_views(err)
            return status
    except SettingError as error:
        say(err, f"Not started: {error}.")
        return EXIT_SETTINGS
    except WarehouseSiteMismatch as error:
        say(err, f"Not started: {error}")
        return EXIT_SETTINGS
    except KeyboardInterrupt:
        say(err, "Interrupted before the sync started; nothing was changed.")
        return EXIT_INTERRUPTED
