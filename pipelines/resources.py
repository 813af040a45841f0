"""The resources of the code location, configured from the environment (the variables of the
README's Configuration table).

Secrets and URLs that may carry a password go through `EnvVar`, so the Dagster UI shows the
variable's name, never its value.
"""

import os
from collections.abc import Mapping

from dagster import EnvVar

from resources.dashboard.notifications import NotificationResource
from resources.sites import Site, site_environment
from resources.thinkific.resource import ThinkificResource
from resources.uploads.resource import uploads_resource
from resources.warehouse import WarehouseResource
from resources.warehouse.engine import default_warehouse_url

REAL_THINKIFIC_BASE_URL = "https://api.thinkific.com/api/public/v1"
REAL_THINKIFIC_GRAPHQL_URL = "https://api.thinkific.com/stable/graphql"
DEFAULT_REQUESTS_PER_MINUTE = 120


class SettingError(ValueError):
    """An environment variable whose value cannot be used; the message names it and the fix."""


def env_number(name: str, kind: type[int] | type[float], default: int | float | None = None):
    """The number in environment variable `name` (None or `default` when unset or empty)."""
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise SettingError(
            f"{name}={raw!r} is not a{'n integer' if kind is int else ' number'}: set it to one, "
            "or unset it for the default"
        ) from None
    if value <= 0:
        raise SettingError(f"{name}={raw!r} must be above zero, or unset for the default")
    return value


def _env_or_default(name: str, default: str) -> str | EnvVar:
    return EnvVar(name) if os.environ.get(name) else default


RETRY_SETTINGS = {
    "max_attempts": ("THINKIFIC_MAX_ATTEMPTS", int),
    "backoff_seconds": ("THINKIFIC_BACKOFF_SECONDS", float),
    "max_in_flight": ("THINKIFIC_MAX_IN_FLIGHT", int),
}
"""How patient and how parallel the client is (setting -> variable, type)."""

FULL_READ_BOUNDS = {
    "graphql_full_read_max_points": ("THINKIFIC_GRAPHQL_FULL_READ_MAX_POINTS", int),
    "graphql_full_read_max_minutes": ("THINKIFIC_GRAPHQL_FULL_READ_MAX_MINUTES", float),
}
"""How much of a run a full GraphQL read may take before it continues in the next."""

PACING_CHOICES = ("burst", "smooth")


def env_headroom() -> float | None:
    """THINKIFIC_RATE_LIMIT_HEADROOM: a share of the limit, from 0 up to (not including) 1."""
    raw = os.environ.get("THINKIFIC_RATE_LIMIT_HEADROOM")
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value < 1:
        raise SettingError(
            f"THINKIFIC_RATE_LIMIT_HEADROOM={raw!r} must be a share from 0 up to 1 (0.1 leaves a "
            "tenth of the limit to other clients), or unset for the default"
        )
    return value


def env_pacing() -> str | None:
    """THINKIFIC_PACING: `burst` or `smooth`."""
    raw = os.environ.get("THINKIFIC_PACING")
    if raw and raw not in PACING_CHOICES:
        raise SettingError(
            f"THINKIFIC_PACING={raw!r} must be one of {', '.join(PACING_CHOICES)}, "
            "or unset for burst"
        )
    return raw or None


def _tuning() -> dict[str, object]:
    """The client settings every site shares, from the environment (names above)."""
    optional: dict[str, object] = {
        name: env_number(variable, kind)
        for name, (variable, kind) in (RETRY_SETTINGS | FULL_READ_BOUNDS).items()
        if os.environ.get(variable)
    }
    for name, value in (("rate_limit_headroom", env_headroom()), ("pacing", env_pacing())):
        if value is not None:
            optional[name] = value
    return optional


def validate_settings() -> None:
    """Every setting's value, checked whatever the mode (the demo site included, which
    replaces some of them): a `SettingError` names the first unusable one."""
    _tuning()
    env_number("THINKIFIC_REQUESTS_PER_MINUTE", int)
    env_number("SMTP_PORT", int)


def thinkific_resource() -> ThinkificResource:
    optional = _tuning()
    if os.environ.get("THINKIFIC_ACCESS_TOKEN"):
        optional["access_token"] = EnvVar("THINKIFIC_ACCESS_TOKEN")
    return ThinkificResource(
        api_key=EnvVar("THINKIFIC_API_KEY"),
        subdomain=EnvVar("THINKIFIC_SUBDOMAIN"),
        base_url=os.environ.get("THINKIFIC_BASE_URL") or REAL_THINKIFIC_BASE_URL,
        graphql_url=os.environ.get("THINKIFIC_GRAPHQL_URL") or REAL_THINKIFIC_GRAPHQL_URL,
        requests_per_minute=env_number(
            "THINKIFIC_REQUESTS_PER_MINUTE", int, DEFAULT_REQUESTS_PER_MINUTE
        ),
        **optional,
    )


def site_thinkific_resource(site: Site, environ: Mapping[str, str]) -> ThinkificResource:
    """The resource of one site of the sites file, from its single-site settings
    (`resources.sites.site_environment`); made inside a run, so no UI shows its values. A
    refused key's or token's advice names the site's own variable and entry."""
    settings = site_environment(site, environ)
    where = f"site '{site.name}' of the sites file (line {site.line})"
    optional = _tuning()
    if settings.get("THINKIFIC_ACCESS_TOKEN"):
        optional["access_token"] = settings["THINKIFIC_ACCESS_TOKEN"]
        optional["token_setting"] = f"{site.access_token_env} ({where})"
    return ThinkificResource(
        api_key=settings["THINKIFIC_API_KEY"],
        subdomain=settings["THINKIFIC_SUBDOMAIN"],
        base_url=settings.get("THINKIFIC_BASE_URL") or REAL_THINKIFIC_BASE_URL,
        graphql_url=settings.get("THINKIFIC_GRAPHQL_URL") or REAL_THINKIFIC_GRAPHQL_URL,
        requests_per_minute=int(
            settings.get("THINKIFIC_REQUESTS_PER_MINUTE") or DEFAULT_REQUESTS_PER_MINUTE
        ),
        key_settings=f"{site.api_key_env} and the subdomain of {where}",
        **optional,
    )


def warehouse_resource() -> WarehouseResource:
    optional = {}
    if os.environ.get("WAREHOUSE_SCHEMA"):
        optional["schema_name"] = os.environ["WAREHOUSE_SCHEMA"]
    return WarehouseResource(
        url=_env_or_default("WAREHOUSE_URL", default_warehouse_url()), **optional
    )


NOTIFICATION_SETTINGS = {
    "delivery": "NOTIFICATIONS_DELIVERY",
    "admin_email": "DASHBOARD_ADMIN_EMAIL",
    "smtp_host": "SMTP_HOST",
    "smtp_username": "SMTP_USERNAME",
}


def notification_resource() -> NotificationResource:
    settings: dict[str, object] = {
        name: os.environ[variable]
        for name, variable in NOTIFICATION_SETTINGS.items()
        if os.environ.get(variable)
    }
    if os.environ.get("SMTP_PORT"):
        settings["smtp_port"] = env_number("SMTP_PORT", int)
    if os.environ.get("SMTP_PASSWORD"):
        settings["smtp_password"] = EnvVar("SMTP_PASSWORD")
    return NotificationResource(**settings)


def all_resources() -> dict[str, object]:
    return {
        "thinkific": thinkific_resource(),
        "warehouse": warehouse_resource(),
        "notifications": notification_resource(),
        "uploads": uploads_resource(),
    }
