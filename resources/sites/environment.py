"""A site's credentials, read from the variables the sites file names, and the single-site
environment a child process of the main command runs under.

The file holds variable NAMES only, so a missing variable is a setup problem of the machine, not
of the file: every missing one is reported at once, by site and name, never with a value.
"""

from collections.abc import Mapping, Sequence

from resources.sites.model import Site, SitesFileError


def check_environment(sites: Sequence[Site], environ: Mapping[str, str]) -> None:
    """A `SitesFileError` naming every variable the sites need that is unset or blank."""
    problems = [
        f"{_where(site)}: {variable} (its {key}) is not set: set it to the site's {meaning}"
        for site in sites
        for key, variable, meaning in _credentials(site)
        if not environ.get(variable, "").strip()
    ]
    if problems:
        raise SitesFileError.listing("the sites' environment", problems)


def site_environment(site: Site, environ: Mapping[str, str]) -> dict[str, str]:
    """The project's single-site variables for `site`, with its credentials' values from
    `environ`: what a child process syncing only this site receives."""
    check_environment([site], environ)
    optional = {
        "THINKIFIC_ACCESS_TOKEN": site.access_token_env and environ[site.access_token_env],
        "THINKIFIC_BASE_URL": site.base_url,
        "THINKIFIC_GRAPHQL_URL": site.graphql_url,
        "THINKIFIC_REQUESTS_PER_MINUTE": site.requests_per_minute and str(site.requests_per_minute),
    }
    return {
        "THINKIFIC_SITE": site.name,
        "THINKIFIC_SUBDOMAIN": site.subdomain,
        "THINKIFIC_API_KEY": environ[site.api_key_env],
        **{variable: value for variable, value in optional.items() if value},
        "THINKIFIC_TIMEZONE": site.timezone,
    }


def _credentials(site: Site) -> list[tuple[str, str, str]]:
    """(key of the file, variable it names, what the variable holds) of each credential."""
    credentials = [("api_key_env", site.api_key_env, "REST API key")]
    if site.access_token_env:
        credentials.append(("access_token_env", site.access_token_env, "GraphQL access token"))
    return credentials


def _where(site: Site) -> str:
    return f"site {site.name!r}" + (f" (sites file line {site.line})" if site.line else "")
