"""What a sync run has done so far, read from the log records Dagster hands its loggers.

The main command draws its progress and summary from this, not from Dagster's own console
lines: one line per asset instead of ~200 event lines, and each failure cause once however many
steps met it. Records arrive from the run's threads (a page is read ahead in one), so every
change happens under a lock.
"""

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dagster import DagsterEvent, DagsterEventType

from assets.failures import CAUSE
from resources.thinkific.pages import PAGE_PROGRESS, PageProgress
from resources.thinkific.sent import SENT_REQUESTS, SentRequests

INTERRUPTED = "interrupted"
FINAL = ("loaded", "skipped", "failed")


@dataclass
class AssetState:
    """One asset of the run: its status, what it loaded, and why it did not."""

    key: str
    status: str = "waiting"
    """waiting, running, retrying, loaded, skipped, failed or not run. Once loaded, an asset
    stays loaded: its rows are in the warehouse whatever its step does next (a check that does
    not pass, another asset of the step that fails)."""
    progress: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    reason: str = ""
    warnings: int = 0
    last_warning: str = ""
    requests: int = 0
    """Requests sent for the asset by every attempt of its step, finished or not."""
    retries: int = 0
    rate_limited: int = 0

    @property
    def table(self) -> str:
        """The asset's table: `thinkific/users` loads `thinkific_users`."""
        return self.key.replace("/", "_")

    def add_sent(self, requests: int, retries: int, rate_limited: int) -> None:
        self.requests += requests
        self.retries += retries
        self.rate_limited += rate_limited


@dataclass
class Cause:
    """One reason steps failed, as the first step to meet it told it."""

    name: str
    message: str
    known: bool
    steps: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class FailedCheck:
    asset: str
    check: str
    severity: str
    metadata: dict[str, Any]


class SyncReport:
    """Built from Dagster log records with `handle`; read with `snapshot` under the lock."""

    def __init__(
        self,
        assets_by_step: Mapping[str, Sequence[str]],
        on_finished: Callable[["AssetState"], None] | None = None,
    ) -> None:
        """`on_finished` is called (under the lock) when an asset is loaded, skipped or failed."""
        self._on_finished = on_finished
        self._assets_by_step = {step: list(keys) for step, keys in assets_by_step.items()}
        self.assets = {
            key: AssetState(key) for keys in self._assets_by_step.values() for key in keys
        }
        self.causes: dict[str, Cause] = {}
        self.failed_checks: list[FailedCheck] = []
        self.lock = threading.Lock()

    @property
    def succeeded(self) -> bool:
        return not self.causes

    def handle(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        step = meta.get("step_key")
        event: DagsterEvent | None = meta.get("dagster_event")
        with self.lock:
            before = {key: state.status for key, state in self.assets.items()}
            sent = getattr(record, SENT_REQUESTS, None)
            if isinstance(sent, SentRequests):
                self._on_sent(sent)
            elif event is not None:
                self._on_event(event)
            elif step in self._assets_by_step:
                self._on_message(step, record)
            if self._on_finished is not None:
                for key, state in self.assets.items():
                    if state.status != before[key] and state.status in FINAL:
                        self._on_finished(state)

    def mark_unfinished_not_run(self) -> None:
        """After the run: assets whose step never started sat downstream of a failure."""
        with self.lock:
            for state in self.assets.values():
                if state.status in ("waiting", "running", "retrying"):
                    state.status = "not run" if state.status == "waiting" else "failed"

    def affected(self, cause: "Cause") -> list[str]:
        """The assets that failed with `cause`, or the step where none did (a check's step, or
        a step that failed after loading its assets)."""
        return [key for step in cause.steps for key in self._failed_in(step, cause) or [step]]

    def _failed_in(self, step: str, cause: "Cause") -> list[str]:
        return [state.key for state in self._states(step) if state.reason == cause.name]

    def _states(self, step: str | None) -> list[AssetState]:
        return [self.assets[key] for key in self._assets_by_step.get(step or "", [])]

    def _on_sent(self, sent: SentRequests) -> None:
        """Requests no materialization reports, logged by a step that stopped or, for answers
        fetched ahead and never read, at the run's end (outside any step)."""
        if sent.asset in self.assets:
            self.assets[sent.asset].add_sent(sent.requests, sent.retries, sent.rate_limited)

    def _on_message(self, step: str, record: logging.LogRecord) -> None:
        progress = getattr(record, PAGE_PROGRESS, None)
        for state in self._states(step):
            if isinstance(progress, PageProgress):
                total = "?" if progress.total_pages is None else progress.total_pages
                state.progress = (
                    f"{progress.stream}: page {progress.page} of {total}, {progress.rows} rows"
                )
            elif record.levelno >= logging.WARNING:
                state.warnings += 1
                state.last_warning = str(getattr(record, "dagster_meta", {}).get("orig_message"))

    def _on_event(self, event: DagsterEvent) -> None:
        kind = event.event_type
        states = self._states(event.step_key)
        states = [state for state in states if state.status != "loaded"]
        if kind == DagsterEventType.STEP_START:
            for state in states:
                state.status = "running"
        elif kind == DagsterEventType.STEP_UP_FOR_RETRY:
            for state in states:
                state.status, state.progress = "retrying", _first_line(_error_text(event))
        elif kind == DagsterEventType.ASSET_MATERIALIZATION:
            self._on_materialization(event)
        elif kind == DagsterEventType.ASSET_OBSERVATION:
            self._on_observation(event)
        elif kind == DagsterEventType.ASSET_CHECK_EVALUATION:
            self._on_check(event)
        elif kind == DagsterEventType.STEP_SUCCESS:
            for state in states:
                if state.status in ("running", "retrying"):
                    state.status = "skipped" if state.reason else "loaded"
        elif kind == DagsterEventType.STEP_SKIPPED:
            for state in states:
                state.status, state.reason = "skipped", state.reason or "an upstream was skipped"
        elif kind == DagsterEventType.STEP_FAILURE:
            self._on_failure(event, states)

    def _on_materialization(self, event: DagsterEvent) -> None:
        materialization = event.step_materialization_data.materialization
        state = self.assets.get(materialization.asset_key.to_user_string())
        if state is not None:
            state.metadata = {key: value.value for key, value in materialization.metadata.items()}
            state.status, state.progress = "loaded", ""
            state.add_sent(*(_number(state.metadata.get(name)) for name in SENT_METADATA))

    def _on_observation(self, event: DagsterEvent) -> None:
        observation = event.asset_observation_data.asset_observation
        state = self.assets.get(observation.asset_key.to_user_string())
        reason = observation.metadata.get("skipped_because")
        if state is not None and reason is not None:
            state.reason = str(reason.value)

    def _on_check(self, event: DagsterEvent) -> None:
        evaluation = event.event_specific_data
        if evaluation.passed:
            return
        self.failed_checks.append(
            FailedCheck(
                asset=evaluation.asset_key.to_user_string(),
                check=evaluation.check_name,
                severity=evaluation.severity.value,
                metadata={key: value.value for key, value in evaluation.metadata.items()},
            )
        )

    def _on_failure(self, event: DagsterEvent, states: list[AssetState]) -> None:
        name, message, known = _cause(event)
        cause = self.causes.setdefault(name, Cause(name, message, known))
        cause.steps.append(event.step_key or "run")
        for state in states:
            state.status, state.reason = "failed", name


def _cause(event: DagsterEvent) -> tuple[str, str, bool]:
    """(cause name, explanation, whether the cause is a known one) of a step failure."""
    data = event.step_failure_data
    user = data.user_failure_data
    if user is not None and CAUSE in user.metadata:
        return str(user.metadata[CAUSE].value), user.description or "", True
    error = data.error
    if error is not None and "Interrupted" in error.cls_name:
        return INTERRUPTED, "the sync was interrupted (SIGINT or SIGTERM)", True
    # Dagster wraps what the step raised; the user's exception is the cause.
    while error is not None and error.cls_name.startswith("Dagster") and error.cause is not None:
        error = error.cause
    if error is None:
        return "unknown error", "the step failed without an error", False
    return f"{error.cls_name}: {_first_line(error.message)}", error.to_string(), False


SENT_METADATA = ("requests", "retries", "rate_limited_responses")
"""A materialization's metadata on what its load sent (`request_metadata`)."""


def _number(value: object) -> int:
    """A count from metadata (an int, or absent: an asset that sends no requests)."""
    return int(value) if isinstance(value, int | float) else 0


def _error_text(event: DagsterEvent) -> str:
    error = getattr(event.event_specific_data, "error", None)
    return error.to_string() if error is not None else "unknown error"


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""
