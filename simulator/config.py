"""The knobs of one simulated Thinkific site: its size, its credentials, its rate limit and its
speed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

RESET_FORMATS = ("epoch-seconds", "epoch-milliseconds", "milliseconds-until-reset", "absent")
GRAPHQL_RATE_LIMIT_STATUSES = (200, 429)
"""Thinkific answers an over-budget GraphQL query with HTTP 200, sometimes 429."""
NON_NEGATIVE_FIELDS = (
    "users",
    "groups",
    "courses",
    "bundles",
    "enrollments",
    "latency_ms",
    "latency_jitter_ms",
)


@dataclass(frozen=True)
class SimulatorConfig:
    """Everything that decides what the simulator serves; the defaults make a small demo site.

    The same seed always generates the same site. `start_time` pins the simulated clock (an aware
    datetime); left at None the clock starts at the real wall-clock time, so that epoch-based
    `RateLimit-Reset` values mean what a real client expects.
    """

    seed: int = 7
    users: int = 500
    groups: int = 12
    courses: int = 30
    bundles: int = 6
    enrollments: int = 4000
    api_key: str = "sim-api-key"
    subdomain: str = "sim-site"
    access_token: str = "sim-access-token"  # noqa: S105 (a fake demo credential)
    requests_per_minute: int = 120
    reset_format: str = "epoch-seconds"
    rate_limit_html: bool = False
    max_in_flight: int = 10
    start_time: datetime | None = None
    graphql_points_per_minute: int = 2000
    graphql_rate_limit_status: int = 200
    latency_ms: int = 0
    latency_jitter_ms: int = 0

    def __post_init__(self) -> None:
        for name in NON_NEGATIVE_FIELDS:
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative, got {getattr(self, name)}")
        if self.requests_per_minute < 1:
            raise ValueError("requests_per_minute must be at least 1")
        if self.max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        if self.graphql_points_per_minute < 1:
            raise ValueError("graphql_points_per_minute must be at least 1")
        if self.graphql_rate_limit_status not in GRAPHQL_RATE_LIMIT_STATUSES:
            raise ValueError(
                f"graphql_rate_limit_status must be one of {GRAPHQL_RATE_LIMIT_STATUSES}"
            )
        if self.reset_format not in RESET_FORMATS:
            raise ValueError(
                f"reset_format must be one of {RESET_FORMATS}, not {self.reset_format!r}"
            )
        if self.enrollments > self.users * self.courses:
            raise ValueError(
                f"enrollments ({self.enrollments}) cannot exceed users x courses "
                f"({self.users} x {self.courses} = {self.users * self.courses}): "
                "Thinkific allows one enrollment per user per course"
            )
        if self.bundles and not self.courses:
            raise ValueError("bundles need at least one course")
        if self.start_time is not None and self.start_time.utcoffset() is None:
            raise ValueError("start_time must be timezone-aware")
