"""The main command's report of a run, fed by the records of small real Dagster runs."""

from collections.abc import Iterator

from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetSpec,
    ConfigurableResource,
    DagsterInstance,
    Definitions,
    Failure,
    InitResourceContext,
    MaterializeResult,
    asset,
    multi_asset,
)

from pipelines.commands.sync import _logger_config, _with_loggers, assets_by_step
from pipelines.commands.sync_report import SyncReport
from resources.thinkific.sent import log_sent, logging_sent_on_failure
from resources.thinkific.stats import ClientStats


def _report_of(*assets, resources: dict[str, object] | None = None) -> SyncReport:
    job = Definitions(
        assets=list(assets), resources=resources
    ).resolve_implicit_global_asset_job_def()
    report = SyncReport(assets_by_step(job))
    with DagsterInstance.ephemeral() as instance:
        _with_loggers(job, report, verbose=False).execute_in_process(
            instance=instance, raise_on_error=False, run_config=_logger_config(False)
        )
    report.mark_unfinished_not_run()
    return report


@multi_asset(specs=[AssetSpec("first"), AssetSpec("second")])
def first_loads_then_second_fails() -> Iterator[MaterializeResult]:
    yield MaterializeResult(asset_key="first", metadata={"requests": 3})
    raise Failure("the second stream's read failed", metadata={"cause": "thinkific_error"})


def test_an_asset_loaded_before_its_step_fails_stays_loaded_and_only_the_other_fails():
    report = _report_of(first_loads_then_second_fails)
    assert report.assets["first"].status == "loaded"
    assert report.assets["second"].status == "failed"
    assert report.affected(report.causes["thinkific_error"]) == ["second"]


@asset(check_specs=[AssetCheckSpec("unique", asset="checked", blocking=True)])
def checked() -> MaterializeResult:
    return MaterializeResult(check_results=[AssetCheckResult(check_name="unique", passed=False)])


def test_an_asset_whose_blocking_check_fails_is_loaded_not_also_failed():
    report = _report_of(checked)
    assert report.assets["checked"].status == "loaded"
    assert not report.succeeded
    assert [check.check for check in report.failed_checks] == ["unique"]


@asset
def fails_after_sending(context: AssetExecutionContext) -> None:
    sent = ClientStats(requests=7, retries=2, rate_limited=1)
    with logging_sent_on_failure(context.log, "fails_after_sending", lambda: sent):
        raise Failure("the site went away", metadata={"cause": "thinkific_unavailable"})


def test_a_failed_asset_counts_the_requests_its_step_sent_before_failing():
    state = _report_of(fails_after_sending).assets["fails_after_sending"]
    assert (state.status, state.requests, state.retries, state.rate_limited) == ("failed", 7, 2, 1)


class LeavesAnswersUnread(ConfigurableResource):
    """Logs at the run's end, outside any step, what answers fetched ahead and unread cost."""

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        log_sent(context.log, "reads_ahead", ClientStats(requests=4), "fetched ahead and not read")


@asset
def reads_ahead(leaves: LeavesAnswersUnread) -> MaterializeResult:
    return MaterializeResult(metadata={"requests": 2})


def test_an_asset_counts_the_answers_fetched_for_it_that_were_logged_unread_at_the_runs_end():
    report = _report_of(reads_ahead, resources={"leaves": LeavesAnswersUnread()})
    assert report.assets["reads_ahead"].requests == 6


def test_a_loaded_asset_counts_the_requests_of_its_materialization():
    assert _report_of(first_loads_then_second_fails).assets["first"].requests == 3


def test_table_name_of_an_asset_joins_its_key_path():
    assert SyncReport({"step": ["thinkific/users"]}).assets["thinkific/users"].table == (
        "thinkific_users"
    )
