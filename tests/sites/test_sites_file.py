"""The sites file: what a valid file gives, and every mistake reported at once, by line and site,
without echoing a secret."""

from pathlib import Path

import pytest

from resources.sites import SITES_FILE_ENV, Site, SitesFileError, load_sites, sites_from_env
from resources.sites.load import DEFAULT_BASE_URL
from resources.thinkific import ThinkificResource

ACME = """\
  - name: acme
    subdomain: acme
    api_key_env: ACME_THINKIFIC_API_KEY
"""
"""An entry with the required keys only, on lines 2-4 of a file starting `sites:`."""

FAKE_KEY = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"


def _acme(**changes: str) -> str:
    """ACME with the value of each key changed, or the key added (from line 5 on)."""
    lines = ACME.splitlines()
    for key, value in changes.items():
        index = next((i for i, line in enumerate(lines) if f" {key}: " in line), None)
        if index is None:
            lines.append(f"    {key}: {value}")
        else:
            lines[index] = lines[index].split(f"{key}: ")[0] + f"{key}: {value}"
    return "\n".join(lines) + "\n"


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sites.yaml"
    path.write_text(text)
    return path


def _error(path: Path) -> str:
    with pytest.raises(SitesFileError) as raised:
        load_sites(path)
    return str(raised.value)


def test_a_file_with_two_sites_and_every_optional_key_loads_them_in_file_order(tmp_path):
    acme = _acme(
        access_token_env="ACME_THINKIFIC_TOKEN",
        base_url="https://api.thinkific.com/api/public/v1",
        graphql_url="https://api.thinkific.com/stable/graphql",
        requests_per_minute="0x78",
        timezone="Europe/Berlin",
    )
    beta = (
        "  - {name: beta_2, subdomain: beta-school, api_key_env: BETA_KEY, "
        "base_url: 'http://localhost:8080/api', requests_per_minute: 60, timezone: UTC}\n"
    )
    path = _file(tmp_path, "sites:\n" + acme + "\n" + beta)
    assert load_sites(path) == (
        Site(
            name="acme",
            subdomain="acme",
            api_key_env="ACME_THINKIFIC_API_KEY",
            line=2,
            access_token_env="ACME_THINKIFIC_TOKEN",
            base_url="https://api.thinkific.com/api/public/v1",
            graphql_url="https://api.thinkific.com/stable/graphql",
            requests_per_minute=120,
            timezone="Europe/Berlin",
        ),
        Site("beta_2", "beta-school", "BETA_KEY", 11, None, "http://localhost:8080/api", None, 60),
    )


def test_optional_keys_left_out_or_empty_are_none_and_the_timezone_utc(tmp_path):
    (site,) = load_sites(_file(tmp_path, "sites:\n" + _acme(timezone="", base_url="~")))
    assert site == Site("acme", "acme", "ACME_THINKIFIC_API_KEY", line=2)
    assert (site.timezone, site.base_url, site.requests_per_minute) == ("UTC", None, None)


def test_the_default_base_url_is_the_one_thinkific_resource_calls():
    assert ThinkificResource.model_fields["base_url"].default == DEFAULT_BASE_URL


MISTAKES = {
    "an empty file": ("", 1, ["empty"]),
    "comments only": ("# only a comment\n", 1, ["empty"]),
    "a list at the top": ("- name: acme\n", 1, ["the file is a list", "sites:"]),
    "no sites key": ("{}\n", 1, ["no `sites:` key"]),
    "another top-level key": ("sites:\n" + ACME + "site: x\n", 5, ["unknown key 'site'"]),
    "sites not a list": ("sites: acme\n", 1, ["`sites:` is text", "list of sites"]),
    "no sites": ("sites: []\n", 1, ["lists no sites"]),
    "sites empty": ("sites:\n", 1, ["lists no sites"]),
    "an entry not a mapping": ("sites:\n  - acme\n", 2, ["entry", "is text", "mapping"]),
    "an unknown key": (
        "sites:\n" + _acme(colour="blue"),
        5,
        ["site 'acme'", "'colour'", "timezone"],
    ),
    "a key twice": (
        "sites:\n" + ACME + "    subdomain: b\n",
        5,
        ["subdomain is given twice", "line 3"],
    ),
    "no subdomain": (
        "sites:\n  - name: acme\n    api_key_env: K\n",
        2,
        ["site 'acme'", "subdomain is missing"],
    ),
    "no name": ("sites:\n  - subdomain: acme\n    api_key_env: K\n", 2, ["name is missing"]),
    "a capital in the name": (
        "sites:\n" + _acme(name="Acme"),
        2,
        ["'Acme'", "lower-case", "partition"],
    ),
    "a long name": ("sites:\n" + _acme(name="a" * 41), 2, ["not a usable site name", "at most 40"]),
    "a name not starting with a letter": ("sites:\n" + _acme(name="2nd"), 2, ["not a usable"]),
    "a name ending in a newline": ("sites:\n" + _acme(name='"acme\\n"'), 2, ["not a usable"]),
    "a name twice": (
        "sites:\n" + ACME + _acme(subdomain="acme2"),
        5,
        ["site 'acme'", "also the name of the site on line 2"],
    ),
    "one site twice": (
        "sites:\n" + ACME + _acme(name="acme_eu", base_url=DEFAULT_BASE_URL + "/"),
        5,
        ["site 'acme_eu'", "subdomain 'acme'", "line 2", "twice its rate limit"],
    ),
    "a host as subdomain": ("sites:\n" + _acme(subdomain="acme.thinkific.com"), 3, ["'acme.thi"]),
    "a list as subdomain": ("sites:\n" + _acme(subdomain="[a, b]"), 3, ["text, not a list"]),
    "a number as subdomain": ("sites:\n" + _acme(subdomain="2024"), 3, ["a number", "quote it"]),
    "not a variable name": ("sites:\n" + _acme(api_key_env="acme-key"), 4, ["'acme-key'", "name"]),
    "a mapping as token variable": (
        "sites:\n" + _acme(access_token_env="{a: b}"),
        5,
        ["access_token_env must be text, not a mapping"],
    ),
    "an ftp base URL": ("sites:\n" + _acme(base_url="ftp://x.example"), 5, ["not an http(s) URL"]),
    "a URL without host": ("sites:\n" + _acme(graphql_url="https://"), 5, ["graphql_url", "host"]),
    "a zero limit": ("sites:\n" + _acme(requests_per_minute="0"), 5, ["positive whole number"]),
    "a negative limit": ("sites:\n" + _acme(requests_per_minute="-5"), 5, ["positive whole"]),
    "a boolean limit": ("sites:\n" + _acme(requests_per_minute="yes"), 5, ["not true/false"]),
    "a text limit": ("sites:\n" + _acme(requests_per_minute="'120'"), 5, ["number, not text"]),
    "a fractional limit": ("sites:\n" + _acme(requests_per_minute="1.5"), 5, ["whole number"]),
    "an unknown time zone": ("sites:\n" + _acme(timezone="Mars/Olympus"), 5, ["'Mars/Olympus'"]),
    "a path as time zone": ("sites:\n" + _acme(timezone="../../etc/passwd"), 5, ["time zone"]),
    "an unclosed list": ("sites:\n  - name: acme\n    subdomain: [a\n", 4, ["not valid YAML"]),
    "a tab indent": ("sites:\n  - name: acme\n\tsubdomain: acme\n", 3, ["not valid YAML"]),
    "two documents": ("sites: []\n---\nsites: []\n", 2, ["not valid YAML", "another document"]),
    "a control character": ("sites:\n  - name: acme\x07\n", 2, ["control characters"]),
}
"""Files with one mistake each: the line it is reported on, and what the message says."""


@pytest.mark.parametrize(("text", "line", "fragments"), MISTAKES.values(), ids=MISTAKES)
def test_a_mistake_is_reported_with_the_file_its_line_and_the_site(tmp_path, text, line, fragments):
    path = _file(tmp_path, text)
    message = _error(path)
    assert message.startswith(f"{path} line {line}: "), message
    assert "\n" not in message, message
    for fragment in fragments:
        assert fragment in message, message


def test_every_problem_of_the_file_is_listed_at_once_in_line_order(tmp_path):
    beta = "  - name: beta\n    api_key_env: BETA\n    colour: red\n"
    path = _file(tmp_path, "sites:\n" + _acme(timezone="Nowhere") + beta)
    first, *problems = _error(path).splitlines()
    assert first == f"{path}: 3 problems"
    assert [problem.split(": ")[:2] for problem in problems] == [
        [f"{path} line 5", "site 'acme'"],
        [f"{path} line 6", "site 'beta'"],
        [f"{path} line 8", "site 'beta'"],
    ]
    assert "'Nowhere'" in problems[0] and "subdomain is missing" in problems[1]
    assert "'colour'" in problems[2]


def test_a_yaml_syntax_error_names_its_line_but_not_its_text(tmp_path):
    path = _file(tmp_path, "sites:\n" + ACME + f'    access_token_env: "{FAKE_KEY}\n')
    message = _error(path)
    assert message.startswith(f"{path} line 6: not valid YAML") and FAKE_KEY not in message


@pytest.mark.parametrize(
    ("key", "named_in"),
    [
        ("api_key", "api_key_env"),
        ("access_token", "access_token_env"),
        ("token", "access_token_env"),
        ("password", "api_key_env"),
        ("client_secret", "api_key_env"),
        ("API-Key", "api_key_env"),
    ],
)
def test_a_secret_in_the_file_is_refused_without_showing_it(tmp_path, key, named_in):
    path = _file(tmp_path, "sites:\n" + _acme(**{key: FAKE_KEY}))
    with pytest.raises(SitesFileError) as raised:
        load_sites(path)
    assert FAKE_KEY not in str(raised.value) and FAKE_KEY not in repr(raised.value)
    assert str(raised.value).startswith(f"{path} line 5: site 'acme': {key} holds a secret")
    assert "environment variable" in str(raised.value) and named_in in str(raised.value)


@pytest.mark.parametrize("key", ["name", "api_key_env", "access_token_env", "base_url", "timezone"])
def test_a_key_pasted_where_a_name_or_url_goes_is_not_shown(tmp_path, key):
    value = f"https://user:{FAKE_KEY}@api.thinkific.com" if key == "base_url" else FAKE_KEY
    message = _error(_file(tmp_path, "sites:\n" + _acme(**{key: value})))
    assert f"{key} " in message and "not shown" in message and FAKE_KEY not in message


def test_a_long_wrong_value_is_shown_only_in_part(tmp_path):
    long_value = "Europe/" + "Somewhere_Far_Away_" * 4
    path = _file(tmp_path, "sites:\n" + _acme(timezone=long_value))
    message = _error(path)
    assert long_value not in message and f"{long_value[:20]!r}…" in message


def test_a_missing_file_is_reported_by_path(tmp_path):
    assert _error(tmp_path / "nowhere.yaml").startswith(f"{tmp_path / 'nowhere.yaml'}: ")


def test_the_file_named_by_the_variable_is_loaded(tmp_path):
    path = _file(tmp_path, "sites:\n" + ACME)
    assert sites_from_env({SITES_FILE_ENV: str(path)}) == load_sites(path)


@pytest.mark.parametrize("environ", [{}, {SITES_FILE_ENV: ""}, {SITES_FILE_ENV: "  "}])
def test_no_sites_file_when_the_variable_is_unset_or_empty(environ):
    assert sites_from_env(environ) is None


def test_a_variable_naming_a_missing_file_is_reported_with_the_variable(tmp_path):
    with pytest.raises(SitesFileError, match=SITES_FILE_ENV) as raised:
        sites_from_env({SITES_FILE_ENV: str(tmp_path / "sites.yaml")})
    assert str(raised.value).startswith(f"{tmp_path / 'sites.yaml'}: no such file")
