"""The Dagster resource for Thinkific: configuration in, a `ThinkificClient` out.

Assets depend on `ThinkificResource` and call `get_client(context.log)`; everything about HTTP
lives in the client. The error classes are re-exported so assets import from one place.
"""

import logging
import time
from typing import Any

from dagster import ConfigurableResource, InitResourceContext
from pydantic import Field, PrivateAttr

from resources.thinkific.breaker import SiteBreaker
from resources.thinkific.client import ClientSettings, ThinkificClient
from resources.thinkific.early_reads import EarlyReads
from resources.thinkific.errors import (
    KEY_SETTINGS,
    ThinkificAuthenticationError,
    ThinkificBadRequestError,
    ThinkificError,
    ThinkificForbiddenError,
    ThinkificNotFoundError,
    ThinkificRedirectError,
    ThinkificServerError,
    ThinkificUnavailableError,
    ThinkificValidationError,
)
from resources.thinkific.graphql import GraphQLSettings, ThinkificGraphQLClient
from resources.thinkific.graphql_budget import CostBudget
from resources.thinkific.graphql_errors import TOKEN_SETTING
from resources.thinkific.pages import Page
from resources.thinkific.rate_limit import (
    DEFAULT_HEADROOM,
    DEFAULT_MAX_IN_FLIGHT,
    Pacing,
    PacingSettings,
)
from resources.thinkific.read_ahead import ReadAhead
from resources.thinkific.retry import RetryPolicy
from resources.thinkific.sent import log_sent
from resources.thinkific.stats import ClientStats

__all__ = [
    "ClientStats",
    "Page",
    "ThinkificAuthenticationError",
    "ThinkificBadRequestError",
    "ThinkificClient",
    "ThinkificError",
    "ThinkificForbiddenError",
    "ThinkificGraphQLClient",
    "ThinkificNotFoundError",
    "ThinkificRedirectError",
    "ThinkificResource",
    "ThinkificServerError",
    "ThinkificUnavailableError",
    "ThinkificValidationError",
]


class ThinkificResource(ConfigurableResource):
    """Thinkific's REST Admin API for one site.

    The credentials are left out of `repr()`/`str()` (pydantic `repr=False`); configure them with
    `EnvVar` so the Dagster UI shows the variable's name, never its value.
    """

    api_key: str = Field(repr=False, description="REST API key (THINKIFIC_API_KEY).")
    subdomain: str = Field(description="The site's subdomain, as in <subdomain>.thinkific.com.")
    base_url: str = Field(
        default="https://api.thinkific.com/api/public/v1",
        description="REST base URL (THINKIFIC_BASE_URL); the local simulator's for development.",
    )
    access_token: str | None = Field(
        default=None,
        repr=False,
        description="GraphQL API access token (THINKIFIC_ACCESS_TOKEN); not used by REST calls.",
    )
    graphql_url: str = Field(
        default="https://api.thinkific.com/stable/graphql",
        description="GraphQL endpoint (THINKIFIC_GRAPHQL_URL); the simulator's for development.",
    )
    graphql_budget_ratio: float = Field(
        default=0.9,
        gt=0,
        le=1,
        description="Share of the site's GraphQL cost budget (2,000 points a minute) a run may "
        "spend; the rest is headroom for other clients of the site.",
    )
    graphql_full_read_max_points: int | None = Field(
        default=None,
        ge=1,
        description="A full GraphQL read (the first, the weekly reconciliation's) stops between "
        "pages once a run has spent this many points on it, and the next run continues it "
        "(THINKIFIC_GRAPHQL_FULL_READ_MAX_POINTS); unset: no bound.",
    )
    graphql_full_read_max_minutes: float | None = Field(
        default=None,
        gt=0,
        description="The same bound in minutes (THINKIFIC_GRAPHQL_FULL_READ_MAX_MINUTES); "
        "unset: no bound.",
    )
    requests_per_minute: int = Field(
        default=120,
        ge=1,
        description="The site's REST limit (THINKIFIC_REQUESTS_PER_MINUTE). No window of 61 s "
        "holds more than the limit less the headroom, across every process of this machine.",
    )
    rate_limit_headroom: float = Field(
        default=DEFAULT_HEADROOM,
        ge=0,
        lt=1,
        description="Share of the limit left for the site's other API clients "
        "(THINKIFIC_RATE_LIMIT_HEADROOM; 0.1 leaves 12 of 120 a minute).",
    )
    pacing: Pacing = Field(
        default="burst",
        description="THINKIFIC_PACING: `burst` spends the window's allowance as soon as requests "
        "are ready; `smooth` spaces them evenly, for sites whose other clients burst themselves.",
    )
    max_in_flight: int = Field(
        default=DEFAULT_MAX_IN_FLIGHT,
        ge=1,
        description="Requests to the site on the wire at once, all processes of this machine "
        "together (THINKIFIC_MAX_IN_FLIGHT); Thinkific serves about ten per site.",
    )
    connect_timeout_seconds: float = Field(default=10.0, gt=0)
    timeout_seconds: float = Field(
        default=60.0, gt=0, description="Read timeout: the longest wait for an answer."
    )
    max_attempts: int = Field(
        default=6,
        ge=1,
        description="Tries per request on 5xx/52x, connection errors, timeouts, broken bodies.",
    )
    backoff_seconds: float = Field(
        default=1.0,
        ge=0,
        description="Backoff base b: retries wait 0, 2b, 4b, 8b … plus up to b of jitter.",
    )
    max_backoff_seconds: float = Field(default=60.0, ge=0, description="Cap on one backoff wait.")
    max_rate_limit_wait_seconds: float = Field(
        default=120.0, gt=0, description="Cap on one wait for RateLimit-Reset after a 429."
    )
    max_rate_limit_retries: int = Field(
        default=20, ge=0, description="Consecutive 429s tolerated for one request."
    )
    key_settings: str = Field(
        default=KEY_SETTINGS,
        description="Where the key and its site are set, as the advice of a refused key names "
        "them (with a sites file, the site's variable and its entry in the file).",
    )
    token_setting: str = Field(
        default=TOKEN_SETTING,
        description="Where the GraphQL token is set, as the advice of a refused token names it.",
    )
    _breaker: SiteBreaker | None = PrivateAttr(default=None)
    _read_ahead: ReadAhead | None = PrivateAttr(default=None)
    _early_reads: EarlyReads | None = PrivateAttr(default=None)
    _graphql_budget: CostBudget | None = PrivateAttr(default=None)

    def get_client(
        self, log: logging.Logger | None = None, *, asset: str | None = None
    ) -> ThinkificClient:
        """A client for this site; pass `context.log` so its progress shows in the run's logs,
        and the key of the asset it reads for (`thinkific/users`) so that what is fetched ahead
        for it and never read counts to that asset (`log_answers_not_taken`).

        Every client of this resource (of one run) shares one `SiteBreaker` (a 401 or an outage
        met by one step ends the others at once, with the same error) and one `ReadAhead` (what
        one step warmed, another takes).
        """
        return ThinkificClient(
            self.client_settings(),
            log,
            breaker=self.breaker,
            read_ahead=self.read_ahead,
            asset=asset,
        )

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        self.log_answers_not_taken(context.log)

    def log_answers_not_taken(self, log: Any) -> None:
        """At the run's end (its steps done, failed or interrupted): ends the read-ahead and the
        early GraphQL reads, and logs what the answers fetched ahead that no step took, and the
        early reads that no step reported, cost each asset, so that the run's report counts
        every request the site received (`resources.thinkific.sent`)."""
        if self._early_reads is not None:
            self._early_reads.stop(wait=False)  # its query on the wire answers meanwhile
        if self._read_ahead is not None:
            for asset, cost in self._read_ahead.settle().items():
                if asset is not None and cost.requests:
                    log_sent(log, asset, cost, "fetched ahead and not read")
        if self._early_reads is not None:
            self._early_reads.stop()
            for asset, cost in self._early_reads.unreported().items():
                log_sent(log, asset, cost, "sent by its read started early")

    @property
    def read_ahead(self) -> ReadAhead:
        """The run's answers fetched ahead, shared by its REST clients."""
        if self._read_ahead is None:
            self._read_ahead = ReadAhead(self.max_in_flight)
        return self._read_ahead

    @property
    def breaker(self) -> SiteBreaker:
        """The run's memory of how the site failed, shared by its REST and GraphQL clients."""
        if self._breaker is None:
            self._breaker = SiteBreaker()
        return self._breaker

    def get_graphql_client(self, log: logging.Logger | None = None) -> ThinkificGraphQLClient:
        """A GraphQL client (certificates, quiz results); needs `access_token`. The run's
        GraphQL clients share one cost budget and, with its REST clients, one breaker."""
        return ThinkificGraphQLClient(
            self.graphql_settings(), log, breaker=self.breaker, budget=self._shared_budget()
        )

    def get_early_graphql_client(self, log: logging.Logger | None = None) -> ThinkificGraphQLClient:
        """The client of the run's early reads (`early_reads`): the run's budget, waits that
        end when they are stopped, and a breaker of its own, so that a GraphQL failure met
        early fails the GraphQL step that reports it, not the REST steps running then."""
        return ThinkificGraphQLClient(
            self.graphql_settings(), log, budget=self._shared_budget(), sleep=self.early_reads.sleep
        )

    @property
    def early_reads(self) -> EarlyReads:
        """The run's GraphQL reads started early (`resources.thinkific.early_reads`)."""
        if self._early_reads is None:
            self._early_reads = EarlyReads()
        return self._early_reads

    def _shared_budget(self) -> CostBudget:
        if self._graphql_budget is None:
            self._graphql_budget = CostBudget(
                self.graphql_budget_ratio, clock=time.time, sleep=self.early_reads.sleep
            )
        return self._graphql_budget

    def retry_policy(self) -> RetryPolicy:
        """The one retry budget of REST and GraphQL requests alike (see `retry`)."""
        return RetryPolicy(
            max_attempts=self.max_attempts,
            backoff_seconds=self.backoff_seconds,
            max_backoff_seconds=self.max_backoff_seconds,
            max_rate_limit_wait_seconds=self.max_rate_limit_wait_seconds,
            max_rate_limit_retries=self.max_rate_limit_retries,
        )

    def graphql_settings(self) -> GraphQLSettings:
        if not self.access_token:
            raise ValueError("GraphQL needs an API access token: set THINKIFIC_ACCESS_TOKEN")
        return GraphQLSettings(
            url=self.graphql_url,
            access_token=self.access_token,
            budget_ratio=self.graphql_budget_ratio,
            connect_timeout_seconds=self.connect_timeout_seconds,
            timeout_seconds=self.timeout_seconds,
            retry=self.retry_policy(),
            token_setting=self.token_setting,
        )

    def client_settings(self) -> ClientSettings:
        return ClientSettings(
            base_url=self.base_url,
            subdomain=self.subdomain,
            api_key=self.api_key,
            access_token=self.access_token,
            pacing=PacingSettings(
                self.requests_per_minute, self.rate_limit_headroom, self.pacing, self.max_in_flight
            ),
            connect_timeout_seconds=self.connect_timeout_seconds,
            timeout_seconds=self.timeout_seconds,
            retry=self.retry_policy(),
            key_settings=self.key_settings,
        )
