"""The resource and the client it builds never show their credentials."""

from resources.thinkific.rate_limit import PacingSettings
from resources.thinkific.resource import ThinkificResource

API_KEY = "key-AAAA-1111"
ACCESS_TOKEN = "token-BBBB-2222"


def resource() -> ThinkificResource:
    return ThinkificResource(api_key=API_KEY, subdomain="acme", access_token=ACCESS_TOKEN)


def assert_secret_free(text: str) -> None:
    assert API_KEY not in text and ACCESS_TOKEN not in text


def test_resource_repr_and_str_hide_the_credentials():
    assert_secret_free(repr(resource()))
    assert_secret_free(str(resource()))
    assert "acme" in repr(resource())


def test_client_and_settings_reprs_hide_the_credentials():
    client = resource().get_client()
    assert_secret_free(repr(client))
    assert_secret_free(repr(resource().client_settings()))
    assert "acme" in repr(client)


def test_the_client_carries_the_configured_settings():
    settings = resource().client_settings()
    assert (settings.api_key, settings.access_token, settings.subdomain) == (
        API_KEY,
        ACCESS_TOKEN,
        "acme",
    )
    assert settings.pacing == PacingSettings(
        requests_per_minute=120, headroom=0.1, pacing="burst", max_in_flight=10
    )
