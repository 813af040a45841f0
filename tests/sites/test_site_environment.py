"""A site's variables: every missing one reported at once, and the single-site environment a
child process of the main command receives."""

import pytest

from resources.sites import Site, SitesFileError, check_environment, site_environment

ACME = Site("acme", "acme", "ACME_THINKIFIC_API_KEY", line=2, access_token_env="ACME_TOKEN")
BETA = Site("beta", "beta-school", "BETA_THINKIFIC_API_KEY", line=9)
SET = {
    "ACME_THINKIFIC_API_KEY": "acme-key",
    "ACME_TOKEN": "acme-token",
    "BETA_THINKIFIC_API_KEY": "b",
}


def test_sites_whose_variables_are_all_set_pass():
    check_environment([ACME, BETA], SET)


def test_every_missing_or_blank_variable_is_named_with_its_site_and_line():
    environ = {"ACME_THINKIFIC_API_KEY": "acme-key", "ACME_TOKEN": "  "}
    with pytest.raises(SitesFileError) as raised:
        check_environment([ACME, BETA], environ)
    first, acme, beta = str(raised.value).splitlines()
    assert first.endswith(": 2 problems")
    assert acme.startswith("site 'acme' (sites file line 2): ACME_TOKEN (its access_token_env)")
    assert beta.startswith(
        "site 'beta' (sites file line 9): BETA_THINKIFIC_API_KEY (its api_key_env)"
    )
    assert "acme-key" not in str(raised.value)


def test_a_site_not_from_a_file_is_named_without_a_line():
    with pytest.raises(
        SitesFileError, match=r"^site 'beta': BETA_THINKIFIC_API_KEY \(its api_key_env\)"
    ):
        check_environment([Site("beta", "beta", "BETA_THINKIFIC_API_KEY", line=0)], {})


def test_a_site_maps_to_the_single_site_variables_with_its_credentials():
    site = Site(
        "acme",
        "acme",
        "ACME_THINKIFIC_API_KEY",
        line=2,
        access_token_env="ACME_TOKEN",
        base_url="http://localhost:8080/api/public/v1",
        graphql_url="http://localhost:8080/stable/graphql",
        requests_per_minute=60,
        timezone="Europe/Berlin",
    )
    assert site_environment(site, SET) == {
        "THINKIFIC_SITE": "acme",
        "THINKIFIC_SUBDOMAIN": "acme",
        "THINKIFIC_API_KEY": "acme-key",
        "THINKIFIC_ACCESS_TOKEN": "acme-token",
        "THINKIFIC_BASE_URL": "http://localhost:8080/api/public/v1",
        "THINKIFIC_GRAPHQL_URL": "http://localhost:8080/stable/graphql",
        "THINKIFIC_REQUESTS_PER_MINUTE": "60",
        "THINKIFIC_TIMEZONE": "Europe/Berlin",
    }


def test_optional_settings_not_given_are_left_out_of_the_site_environment():
    assert site_environment(BETA, SET) == {
        "THINKIFIC_SITE": "beta",
        "THINKIFIC_SUBDOMAIN": "beta-school",
        "THINKIFIC_API_KEY": "b",
        "THINKIFIC_TIMEZONE": "UTC",
    }


def test_the_site_environment_of_a_site_whose_key_is_not_set_is_refused():
    with pytest.raises(SitesFileError, match=r"site 'acme' .*ACME_THINKIFIC_API_KEY"):
        site_environment(ACME, {"ACME_TOKEN": "acme-token"})
